import { requestJson } from './http';

export interface Sample { metric: Record<string, string>; value: [number, string] }
export interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

export class PrometheusClient {
  constructor(private readonly base: string) {}

  async query(promql: string): Promise<Sample[]> {
    const res = await requestJson<{ status: string; data: { result: Sample[] }; error?: string }>(
      `${this.base}/api/v1/query?${new URLSearchParams({ query: promql })}`,
    );
    if (res.body.status !== 'success') throw new Error(`query ${promql} failed: ${res.body.error ?? res.status}`);
    return res.body.data.result;
  }

  /** Exemplars of the series an expression selects, between two Unix times in seconds. */
  async queryExemplars(promql: string, start: number, end: number): Promise<ExemplarSeries[]> {
    const q = new URLSearchParams({ query: promql, start: String(start), end: String(end) });
    const res = await requestJson<{ status: string; data: ExemplarSeries[]; error?: string }>(`${this.base}/api/v1/query_exemplars?${q}`);
    if (res.body.status !== 'success') throw new Error(`exemplar query ${promql} failed: ${res.body.error ?? res.status}`);
    return res.body.data ?? [];
  }
}

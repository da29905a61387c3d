import { requestJson } from './http';

export interface Sample { metric: Record<string, string>; value: [number, string] }

export class PrometheusClient {
  constructor(private readonly base: string) {}

  async query(promql: string): Promise<Sample[]> {
    const res = await requestJson<{ status: string; data: { result: Sample[] }; error?: string }>(
      `${this.base}/api/v1/query?${new URLSearchParams({ query: promql })}`,
    );
    if (res.body.status !== 'success') throw new Error(`query ${promql} failed: ${res.body.error ?? res.status}`);
    return res.body.data.result;
  }
}

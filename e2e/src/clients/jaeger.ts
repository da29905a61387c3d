import { requestJson } from './http';

export interface JaegerTag { key: string; type: string; value: unknown }
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  processID: string;
  tags: JaegerTag[];
  startTime: number;
  duration: number;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
}

/** A span with its service name and tags flattened, for readable assertions. */
export interface Span {
  id: string;
  traceId: string;
  parentId?: string;
  name: string;
  service: string;
  kind: string;
  tags: Record<string, unknown>;
}

export function flatten(trace: JaegerTrace): Span[] {
  return trace.spans.map((s) => {
    const tags = Object.fromEntries(s.tags.map((t) => [t.key, t.value]));
    return {
      id: s.spanID,
      traceId: s.traceID,
      parentId: s.references.find((r) => r.refType === 'CHILD_OF')?.spanID,
      name: s.operationName,
      service: trace.processes[s.processID]?.serviceName ?? '?',
      kind: String(tags['span.kind'] ?? 'internal'),
      tags,
    };
  });
}

/** True when `ancestor` is on the parent chain of `span`. */
export function isAncestor(spans: Span[], ancestor: Span, span: Span): boolean {
  const byId = new Map(spans.map((s) => [s.id, s]));
  for (let p = span.parentId; p; p = byId.get(p)?.parentId) if (p === ancestor.id) return true;
  return false;
}

export class JaegerClient {
  constructor(private readonly base: string) {}

  /** Traces of `service` that have every tag in `tags` (Jaeger's tag search). */
  async findTraces(service: string, tags: Record<string, string>): Promise<JaegerTrace[]> {
    const q = new URLSearchParams({ service, tags: JSON.stringify(tags), lookback: '1h', limit: '20' });
    const res = await requestJson<{ data: JaegerTrace[] | null }>(`${this.base}/api/traces?${q}`);
    if (res.status !== 200) throw new Error(`Jaeger /api/traces answered ${res.status}`);
    return res.body.data ?? [];
  }

  /** One trace by id (what Grafana's Jaeger data source fetches for an exemplar); undefined if Jaeger has none. */
  async trace(traceId: string): Promise<JaegerTrace | undefined> {
    const res = await requestJson<{ data: JaegerTrace[] | null }>(`${this.base}/api/traces/${encodeURIComponent(traceId)}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`Jaeger /api/traces/${traceId} answered ${res.status}`);
    return res.body.data?.[0];
  }

  async services(): Promise<string[]> {
    const res = await requestJson<{ data: string[] | null }>(`${this.base}/api/services`);
    return res.body.data ?? [];
  }

  /** Jaeger's Monitor tab API (SPM): call rates of a service, read from Prometheus. */
  async callRates(service: string, spanKind: string): Promise<{ name: string; metrics: { labels: unknown[]; metricPoints: unknown[] }[] }> {
    const q = new URLSearchParams({
      service,
      spanKind,
      endTs: String(Date.now()),
      lookback: String(15 * 60_000),
      step: '5000',
      ratePer: '60000',
    });
    const res = await requestJson(`${this.base}/api/metrics/calls?${q}`);
    if (res.status !== 200) throw new Error(`Jaeger /api/metrics/calls answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    return res.body;
  }
}

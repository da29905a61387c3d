import { boundedText, describeFailure, HttpStatusError, type FetchFn } from './bounded-fetch';
import type { AuthedUrl } from './http-auth';
import type { Journey } from './journey';
import { isErrorSpan, journeyServices, tagSearchPath } from './traces';

/**
 * The span attribute a consumer sets when it dead-letters a message: the bounded reason class
 * (`invalid_message`, `rejected`, `retries_exhausted`). Defined by service-kit
 * (`DEAD_LETTER_REASON_ATTRIBUTE`, packages/service-kit/src/telemetry.ts); repeated here because
 * the watchdog does not depend on service-kit.
 */
export const DEAD_LETTER_REASON_TAG = 'shopfloor.dead_letter.reason';

/** Most spans drawn: the page stays readable and its size bounded. */
export const MAX_SPANS = 300;
/** Most bytes read of Jaeger's answer (a few hundred spans are well under 1 MiB). */
const MAX_TRACE_BYTES = 8 * 1024 * 1024;
/** Names and attribute values are cut to this many characters. */
const MAX_TEXT = 200;

/** A span as Jaeger's query API (`/api/traces`) returns it; times in microseconds. */
export interface JaegerSpanJson {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: string; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags?: { key: string; value: unknown }[];
  processID: string;
}

export interface JaegerTraceJson {
  traceID: string;
  spans: JaegerSpanJson[];
  processes?: Record<string, { serviceName: string }>;
}

/** One row of the waterfall. */
export interface WaterfallRow {
  traceId: string;
  spanId: string;
  /** 0 for a root; a child is one deeper than its parent (its CHILD_OF, else FOLLOWS_FROM reference). */
  depth: number;
  service: string;
  operation: string;
  /** `server`, `client`, `producer`, `consumer` or `internal`. */
  kind: string;
  /** From the start of the earliest span shown. */
  offsetMs: number;
  durationMs: number;
  error: boolean;
  /** The span status' description, for an error span (service-kit puts a class there, never a message). */
  statusDescription?: string;
  /** The dead-letter reason class, for a consumer span that dead-lettered its message. */
  deadLetterReason?: string;
}

export interface Waterfall {
  traceIds: string[];
  /** Epoch ms of the earliest span. */
  startedAt: number;
  /** From the earliest start to the latest end. */
  totalMs: number;
  /** Spans in the traces; more than `rows` when cut at `MAX_SPANS`. */
  totalSpans: number;
  rows: WaterfallRow[];
}

export type TraceSection =
  | { status: 'unavailable'; note: string }
  | ({ status: 'found'; foundBy: 'trace id' | 'order-id tag' } & Waterfall);

function text(value: unknown): string {
  const s = String(value);
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
}

function finite(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

interface Node {
  key: string;
  span: JaegerSpanJson;
  service: string;
  hasParent: boolean;
  children: Node[];
}

/**
 * Jaeger traces → waterfall rows: parents before their children (depth from the references),
 * siblings and roots by start time, at most `max` rows. Spans whose parent is not in the traces
 * are roots; a reference cycle (malformed data) cannot loop.
 */
export function waterfall(traces: JaegerTraceJson[], max = MAX_SPANS): Waterfall {
  const nodes = new Map<string, Node>();
  const traceIds: string[] = [];
  const keyOf = (traceId: string, spanId: string) => `${traceId}/${spanId}`;
  for (const t of traces) {
    if (!t || !Array.isArray(t.spans) || traceIds.includes(t.traceID)) continue;
    traceIds.push(t.traceID);
    for (const span of t.spans) {
      if (!span || typeof span.spanID !== 'string') continue;
      const key = keyOf(span.traceID, span.spanID);
      if (nodes.has(key)) continue;
      nodes.set(key, { key, span, service: t.processes?.[span.processID]?.serviceName ?? '?', hasParent: false, children: [] });
    }
  }
  for (const node of nodes.values()) {
    const refs = (Array.isArray(node.span.references) ? node.span.references : []).filter((r) => r && nodes.has(keyOf(r.traceID, r.spanID)) && keyOf(r.traceID, r.spanID) !== node.key);
    const ref = refs.find((r) => r.refType === 'CHILD_OF') ?? refs[0];
    if (!ref) continue;
    node.hasParent = true;
    nodes.get(keyOf(ref.traceID, ref.spanID))!.children.push(node);
  }
  const byStart = (a: Node, b: Node) => finite(a.span.startTime) - finite(b.span.startTime) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const all = [...nodes.values()].sort(byStart);
  for (const n of all) n.children.sort(byStart);
  // A loop, not Math.min(...spans): a spread of thousands of arguments can overflow the stack.
  let start = Infinity;
  let end = -Infinity;
  for (const n of all) {
    start = Math.min(start, finite(n.span.startTime));
    end = Math.max(end, finite(n.span.startTime) + finite(n.span.duration));
  }
  if (!all.length) start = end = 0;

  const rows: WaterfallRow[] = [];
  const visited = new Set<string>();
  // Roots first; then whatever a cycle left unvisited, as roots too.
  for (const root of [...all.filter((n) => !n.hasParent), ...all]) {
    if (rows.length >= max) break;
    if (visited.has(root.key)) continue;
    const stack: [Node, number][] = [[root, 0]];
    while (stack.length && rows.length < max) {
      const [node, depth] = stack.pop()!;
      if (visited.has(node.key)) continue;
      visited.add(node.key);
      const s = node.span;
      const tags = Object.fromEntries((Array.isArray(s.tags) ? s.tags : []).map((t) => [t.key, t.value]));
      const kind = String(tags['span.kind'] ?? 'internal');
      const operation = text(s.operationName);
      const error = isErrorSpan({ traceId: s.traceID, service: node.service, operation, kind, tags, startMs: finite(s.startTime) / 1000 });
      rows.push({
        traceId: s.traceID,
        spanId: s.spanID,
        depth,
        service: text(node.service),
        operation,
        kind: text(kind),
        offsetMs: (finite(s.startTime) - start) / 1000,
        durationMs: finite(s.duration) / 1000,
        error,
        ...(error && tags['otel.status_description'] !== undefined ? { statusDescription: text(tags['otel.status_description']) } : {}),
        ...(tags[DEAD_LETTER_REASON_TAG] !== undefined ? { deadLetterReason: text(tags[DEAD_LETTER_REASON_TAG]) } : {}),
      });
      for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i]!, depth + 1]);
    }
  }
  return { traceIds, startedAt: start / 1000, totalMs: Math.max(0, end - start) / 1000, totalSpans: nodes.size, rows };
}

/** Jaeger's answer (`{ data: [...] }`) → its traces. */
export function parseJaegerAnswer(body: string): JaegerTraceJson[] {
  const parsed = JSON.parse(body) as { data?: unknown };
  return Array.isArray(parsed?.data) ? (parsed.data as JaegerTraceJson[]) : [];
}

export interface TraceRequest {
  signal: AbortSignal;
  timeoutMs: number;
  fetchFn?: FetchFn;
  now?: number;
}

/**
 * The order's traces: the one its stored trace context names, else those Jaeger finds by the
 * journey's order-id tag (every journey service asked at once; `since`, the acceptance, bounds
 * the search: Jaeger's API ignores `lookback` and would search its default two days).
 */
export async function loadTraceSection(
  jaeger: AuthedUrl | undefined,
  journey: Journey,
  order: { orderId: string; traceId?: string; since?: number },
  req: TraceRequest,
): Promise<TraceSection> {
  if (!jaeger) return { status: 'unavailable', note: 'No trace: no Jaeger configured (WATCHDOG_JAEGER_URL).' };
  const read = (path: string) => boundedText(jaeger, path, { signal: req.signal, maxBytes: MAX_TRACE_BYTES, ...(req.fetchFn ? { fetchFn: req.fetchFn } : {}) }).then(parseJaegerAnswer);
  try {
    if (order.traceId) {
      const traces = await read(`/api/traces/${order.traceId}`).catch((err: unknown) => {
        if (err instanceof HttpStatusError && err.status === 404) return [];
        throw err;
      });
      const w = waterfall(traces);
      if (!w.rows.length) return { status: 'unavailable', note: `Jaeger has no trace ${order.traceId} (not yet, or no longer).` };
      return { status: 'found', foundBy: 'trace id', ...w };
    }
    const tag = journey.trace.order_id_tag;
    const now = req.now ?? Date.now();
    const searches = journeyServices(journey).map((service) => read(tagSearchPath(journey, service, order.orderId, order.since, now)));
    const settled = await Promise.allSettled(searches);
    const found = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (!found.length && failed) throw failed.reason;
    const w = waterfall(found);
    if (!w.rows.length) return { status: 'unavailable', note: `Jaeger has no trace tagged ${tag}=${order.orderId}.` };
    return { status: 'found', foundBy: 'order-id tag', ...w };
  } catch (err) {
    return { status: 'unavailable', note: `No trace: Jaeger ${describeFailure(err, req.timeoutMs)}.` };
  }
}

import { isUnknown, type ErrorSpan, type Unknown } from './explain';
import type { Journey, SpanMatcher } from './journey';
import { authHeaders, splitCredentials, type AuthedUrl } from './http-auth';
import type { PendingTelemetry } from './state';

/** A span of a Jaeger trace, flattened. */
export interface TraceSpan {
  traceId: string;
  service: string;
  operation: string;
  kind: string;
  tags: Record<string, unknown>;
  startMs: number;
}

interface JaegerTrace {
  traceID: string;
  spans: { traceID: string; operationName: string; processID: string; startTime: number; tags: { key: string; value: unknown }[] }[];
  processes: Record<string, { serviceName: string }>;
}

export function flattenTraces(traces: JaegerTrace[]): TraceSpan[] {
  return traces.flatMap((t) =>
    t.spans.map((s) => {
      const tags = Object.fromEntries(s.tags.map((tag) => [tag.key, tag.value]));
      return {
        traceId: s.traceID,
        service: t.processes[s.processID]?.serviceName ?? '?',
        operation: s.operationName,
        kind: String(tags['span.kind'] ?? 'internal'),
        tags,
        startMs: s.startTime / 1000,
      };
    }),
  );
}

export function matches(matcher: SpanMatcher, span: TraceSpan): boolean {
  if (span.service !== matcher.service) return false;
  if (matcher.kind && span.kind !== matcher.kind) return false;
  for (const [key, pattern] of Object.entries(matcher.tags ?? {})) {
    const value = span.tags[key];
    if (value === undefined || !new RegExp(pattern).test(String(value))) return false;
  }
  return true;
}

/** Stages (with a span matcher) that no span of the order's traces shows. */
export function missingStages(journey: Journey, spans: TraceSpan[]): string[] {
  return journey.stages.filter((s) => s.span && !spans.some((span) => matches(s.span!, span))).map((s) => s.id);
}

export function isErrorSpan(span: TraceSpan): boolean {
  return span.tags.error === true || span.tags.error === 'true' || span.tags['otel.status_code'] === 'ERROR';
}

export function firstErrorSpan(spans: TraceSpan[]): ErrorSpan | null {
  const span = spans.filter(isErrorSpan).sort((a, b) => a.startMs - b.startMs)[0];
  if (!span) return null;
  const message = span.tags['otel.status_description'] ?? span.tags['error.type'] ?? span.tags['exception.message'] ?? 'error';
  return { service: span.service, operation: span.operation, message: String(message) };
}

/** The services whose spans may hold the order id, the first stage's first. */
export function journeyServices(journey: Journey): string[] {
  return [...new Set(journey.stages.flatMap((s) => (s.span ? [s.span.service] : [])))];
}

/** Most traces one tag search returns per service (an order normally has one). */
const SEARCH_LIMIT = 20;
/** A tag search starts this long before the order's acceptance: its request's span began before the record was written. */
const SINCE_MARGIN_MS = 3_600_000;

/**
 * Jaeger's search for an order's traces in one service by the journey's order-id tag, from an hour
 * before `since` (its acceptance) to `now`. Jaeger's API ignores `lookback`: without `start` it
 * searches its default window of days, much slower on a busy store.
 */
export function tagSearchPath(journey: Journey, service: string, orderId: string, since: number | undefined, now: number): string {
  const q = new URLSearchParams({ service, tags: JSON.stringify({ [journey.trace.order_id_tag]: orderId }), limit: String(SEARCH_LIMIT), end: String(now * 1000) });
  if (since !== undefined) q.set('start', String(Math.floor((since - SINCE_MARGIN_MS) * 1000)));
  return `/api/traces?${q}`;
}

/** What a look-up knows of an order: its id, and when known its trace id and acceptance. */
export interface OrderRef {
  orderId: string;
  traceId?: string;
  acceptedAt?: number;
}

/** Jaeger's query API: an order's traces, by its trace id when known, else (or when that trace lacks a stage) by its order-id tag. */
export class TraceFinder {
  private readonly target?: AuthedUrl;

  /** `baseUrl` may carry `user:password@` (Jaeger behind a basic-auth proxy): sent as a header, never logged. */
  constructor(
    private readonly journey: Journey,
    baseUrl: string | undefined,
    private readonly fetchFn: typeof fetch = fetch,
    private readonly timeoutMs = 5000,
  ) {
    if (baseUrl) this.target = splitCredentials(baseUrl);
  }

  private async get(path: string): Promise<JaegerTrace[]> {
    const res = await this.fetchFn(`${this.target!.url}${path}`, { headers: authHeaders(this.target!), signal: AbortSignal.timeout(this.timeoutMs) });
    if (res.status === 404) return []; // a trace id Jaeger does not have (yet)
    if (!res.ok) throw new Error(`Jaeger answered ${res.status}`);
    const body = (await res.json()) as { data: JaegerTrace[] | null };
    return body.data ?? [];
  }

  /**
   * The spans of the order's traces. Its own trace first (one cheap read by id); then the services
   * in journey order, searched by the order-id tag, until every stage's span is found.
   */
  async spans(order: OrderRef): Promise<TraceSpan[] | Unknown> {
    if (!this.target) return { unknown: 'no Jaeger URL configured (WATCHDOG_JAEGER_URL)' };
    try {
      const byTrace = new Map<string, JaegerTrace>();
      const add = (traces: JaegerTrace[]) => traces.forEach((t) => byTrace.set(t.traceID, t));
      const whole = () => missingStages(this.journey, flattenTraces([...byTrace.values()])).length === 0;
      if (order.traceId) add(await this.get(`/api/traces/${order.traceId}`));
      const now = Date.now();
      for (const service of journeyServices(this.journey)) {
        if (whole()) break;
        add(await this.get(tagSearchPath(this.journey, service, order.orderId, order.acceptedAt, now)));
      }
      return flattenTraces([...byTrace.values()]);
    } catch (err) {
      return { unknown: `Jaeger: ${(err as Error).message}` };
    }
  }
}

export type SpanLookup = (order: OrderRef) => Promise<TraceSpan[] | Unknown>;

/**
 * One check's Jaeger look-ups, bounded. After the first failure (Jaeger down, or slower than the
 * look-up's timeout) the rest of the check gets that answer without asking, and once `budgetMs`
 * is spent callers leave what is left for the next check: a slow or hung Jaeger costs a check
 * about one budget plus one timeout, never one timeout per order, so flags never wait on it.
 */
export class CheckLookups {
  private failure?: Unknown;
  /** When the first look-up began: every check makes at least one, whatever came before it. */
  private started?: number;

  constructor(
    private readonly lookup: SpanLookup,
    private readonly budgetMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The first failure of this check, if any. */
  get failed(): Unknown | undefined {
    return this.failure;
  }

  /** The check's time for look-ups is spent (a failure answers at once: never spent then). */
  get spent(): boolean {
    return !this.failure && this.started !== undefined && this.clock() - this.started >= this.budgetMs;
  }

  async spans(order: OrderRef): Promise<TraceSpan[] | Unknown> {
    if (this.failure) return this.failure;
    this.started ??= this.clock();
    const spans = await this.lookup(order);
    if (isUnknown(spans)) this.failure = spans;
    return spans;
  }
}

export interface TelemetryOutcome {
  /** Checked: the stages their traces lack (empty when whole). */
  checked: Map<string, string[]>;
  /** Jaeger failed and they are past the give-up time: counted as unchecked, not asked again. */
  givenUp: string[];
}

/**
 * The telemetry pass of one check: the due orders' traces, oldest first, until the look-ups'
 * budget is spent; the rest wait for the next check. An order Jaeger was asked for and could
 * not answer gets an attempt; once Jaeger failed, orders past `giveUpMs` after completion are
 * given up and the others wait.
 */
export async function telemetryPass(journey: Journey, due: PendingTelemetry[], lookups: CheckLookups, opts: { now: number; giveUpMs: number }): Promise<TelemetryOutcome> {
  const out: TelemetryOutcome = { checked: new Map(), givenUp: [] };
  for (const p of due) {
    if (lookups.spent) break;
    const asked = !lookups.failed;
    const spans = await lookups.spans(p);
    if (!isUnknown(spans)) {
      out.checked.set(p.orderId, missingStages(journey, spans));
      continue;
    }
    if (asked) p.attempts++;
    if (opts.now - p.completedAt > opts.giveUpMs) out.givenUp.push(p.orderId);
  }
  return out;
}

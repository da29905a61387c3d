import type { FetchFn } from './bounded-fetch';
import { splitCredentials, type AuthedUrl } from './http-auth';
import type { Journey } from './journey';
import { loadLogSection, type LogSection } from './order-logs';
import { loadTraceSection, type TraceSection } from './order-trace';
import type { OrderView } from './page';
import { traceIdOf } from './records';
import type { WatchdogView } from './server';

/** The most the order page waits for Jaeger and VictoriaLogs, together. */
export const EVIDENCE_TIMEOUT_MS = 3000;

/** What the order page shows besides the records: its trace and its log lines. */
export interface OrderEvidence {
  trace: TraceSection;
  logs: LogSection;
}

/**
 * What the evidence reads of the watchdog (the server's WatchdogView): the journey, and the two
 * backends' URLs from its config (each may carry `user:password@`). The Watchdog's config is a
 * WatchdogConfig, which has them; a stand-in without them gets "not configured".
 */
export interface EvidenceSource {
  readonly journey: Journey;
  readonly config: WatchdogView['config'] & { readonly jaegerUrl?: string; readonly victoriaLogsUrl?: string };
}

export interface EvidenceOptions {
  fetchFn?: FetchFn;
  timeoutMs?: number;
  now?: number;
}

/** The trace id the view links to (`<Jaeger UI>/trace/<id>`, see makeLinks), for orders looked up in the records. */
export function traceIdOfLink(traceUrl: string): string | undefined {
  const m = /\/trace\/([0-9a-f]{32})$/.exec(traceUrl);
  return m ? traceIdOf(m[1]) : undefined;
}

function target(raw: string | undefined): AuthedUrl | undefined | 'invalid' {
  if (!raw) return undefined;
  try {
    return splitCredentials(raw);
  } catch {
    return 'invalid';
  }
}

const unavailable = (note: string) => ({ status: 'unavailable' as const, note });

/**
 * The order's trace (Jaeger) and log lines (VictoriaLogs), for its page. Never rejects and never
 * takes much longer than `timeoutMs` (3 s): both are asked at once under one deadline, and a
 * backend that is unset, down or slow becomes a one-line note. When the order's trace id is not
 * known, its traces are searched by the order-id tag first and the logs asked for their ids.
 */
export async function orderEvidence(view: OrderView, source: EvidenceSource, opts: EvidenceOptions = {}): Promise<OrderEvidence> {
  if (view.status === 'not found') return { trace: unavailable('No trace: no such order.'), logs: unavailable('No log lines: no such order.') };
  const timeoutMs = opts.timeoutMs ?? EVIDENCE_TIMEOUT_MS;
  const jaeger = target(source.config.jaegerUrl);
  const victoriaLogs = target(source.config.victoriaLogsUrl);
  const signal = AbortSignal.timeout(timeoutMs);
  const req = { signal, timeoutMs, ...(opts.fetchFn ? { fetchFn: opts.fetchFn } : {}) };
  const traceId = view.traceId ?? traceIdOfLink(view.traceUrl);
  const since = view.acceptedAt;

  const trace: Promise<TraceSection> =
    jaeger === 'invalid'
      ? Promise.resolve(unavailable('No trace: WATCHDOG_JAEGER_URL is not a URL.'))
      : loadTraceSection(jaeger, source.journey, { orderId: view.orderId, ...(traceId ? { traceId } : {}), ...(since !== undefined ? { since } : {}) }, { ...req, ...(opts.now !== undefined ? { now: opts.now } : {}) });
  const logs: Promise<LogSection> =
    victoriaLogs === 'invalid'
      ? Promise.resolve(unavailable('No log lines: WATCHDOG_VICTORIALOGS_URL is not a URL.'))
      : traceId || !victoriaLogs
        ? loadLogSection(victoriaLogs, traceId ? [traceId] : [], { ...(since !== undefined ? { since } : {}) }, req)
        : trace.then((t) => loadLogSection(victoriaLogs, t.status === 'found' ? t.traceIds : [], { ...(since !== undefined ? { since } : {}) }, req));

  // The requests obey `signal`; this bounds the page's wait even if one did not.
  const late = (what: string) => unavailable(`${what} did not answer within ${timeoutMs / 1000} s.`);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs + 250);
  });
  try {
    const [t, l] = await Promise.all([Promise.race([trace, deadline]), Promise.race([logs, deadline])]);
    return { trace: t === 'late' ? late('No trace: Jaeger') : t, logs: l === 'late' ? late('No log lines: VictoriaLogs') : l };
  } finally {
    clearTimeout(timer);
  }
}

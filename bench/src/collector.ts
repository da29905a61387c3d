/**
 * 3. The Collector: OTLP/HTTP spans (or log records) per second it ingests with the shipped
 * pipelines (span metrics on; logs to VictoriaLogs), at increasing offered rates, until it
 * refuses or drops; its RSS meanwhile. Read from its own telemetry on :8888.
 */
import * as http from 'node:http';
import { COLLECTOR_OTLP_HTTP_URL, LOOPBACK, ports } from '@shopfloor/stack-contract';
import { CONTENT_TYPE, type OtlpPayload } from './otlp-payload';
import { parsePrometheusText, sumOf, type Sample } from './promtext';
import { sleep } from './procs';

/** One OTLP signal: where it is posted, how the Collector's counters name its items, its exporter. */
export interface Signal {
  path: '/v1/traces' | '/v1/logs';
  items: 'spans' | 'log_records';
  exporter: string;
}
export const TRACES: Signal = { path: '/v1/traces', items: 'spans', exporter: 'otlp_grpc/jaeger' };
export const LOGS: Signal = { path: '/v1/logs', items: 'log_records', exporter: 'otlp_http/victorialogs' };

/** The shipped memory_limiter's limit (otel-collector/config.yaml). */
export const MEMORY_LIMITER_MIB = 512;

const OTLP = COLLECTOR_OTLP_HTTP_URL;
const TELEMETRY = `http://${LOOPBACK}:${ports.collectorTelemetry}/metrics`;

/** The Collector's own counters at one moment. */
export interface CollectorReading {
  atMs: number;
  accepted: number;
  refused: number;
  /** Spans the receiver failed for other reasons (newer Collectors split refused/failed). */
  failed: number;
  /** Items the signal's exporter (Jaeger, VictoriaLogs) sent, failed to send, or could not queue. */
  exported: number;
  exportFailed: number;
  enqueueFailed: number;
  rssMiB: number;
  /** Every otelcol_* series name seen (for the report). */
  names: string[];
}

export function readingFrom(samples: readonly Sample[], atMs: number, signal: Signal = TRACES): CollectorReading {
  const http = { receiver: 'otlp', transport: 'http' };
  const items = signal.items;
  return {
    atMs,
    accepted: sumOf(samples, `otelcol_receiver_accepted_${items}`, http),
    refused: sumOf(samples, `otelcol_receiver_refused_${items}`, http),
    failed: sumOf(samples, `otelcol_receiver_failed_${items}`, http),
    exported: sumOf(samples, `otelcol_exporter_sent_${items}`, { exporter: signal.exporter }),
    exportFailed: sumOf(samples, `otelcol_exporter_send_failed_${items}`),
    enqueueFailed: sumOf(samples, `otelcol_exporter_enqueue_failed_${items}`),
    rssMiB: sumOf(samples, 'otelcol_process_memory_rss') / 2 ** 20,
    names: [...new Set(samples.map(s => s.name))].filter(n => n.startsWith('otelcol_')).sort(),
  };
}

export async function readCollector(signal: Signal = TRACES): Promise<CollectorReading> {
  const res = await fetch(TELEMETRY, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`GET ${TELEMETRY} answered ${res.status}`);
  return readingFrom(parsePrometheusText(await res.text()), Date.now(), signal);
}

const JAEGER_TELEMETRY = `http://${LOOPBACK}:${ports.jaegerTelemetry}/metrics`;

/** CPU time the Collector and Jaeger (the trace pipeline) have used so far, ms (their own telemetry). */
export async function pipelineCpuMs(): Promise<number> {
  const cpu = async (url: string) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return sumOf(parsePrometheusText(await res.text()), 'otelcol_process_cpu_seconds') * 1000;
  };
  try {
    const [c, j] = await Promise.all([cpu(TELEMETRY), cpu(JAEGER_TELEMETRY)]);
    return c + j;
  } catch {
    return NaN;
  }
}

export interface StepResult {
  encoding: string;
  targetSpansPerS: number;
  durationS: number;
  /** Spans the generator managed to send per second (falls short when requests back up). */
  offeredSpansPerS: number;
  /** From the Collector's counters over the step. */
  acceptedSpansPerS: number;
  /** Accepted spans per second in each one-second interval of the step. */
  acceptedPerSecond: number[];
  refusedSpans: number;
  failedSpans: number;
  /** Requests answered non-2xx (e.g. 503 from the memory_limiter) or failed outright. */
  httpRejected: number;
  httpErrors: number;
  exportFailedSpans: number;
  enqueueFailedSpans: number;
  /** The signal's exporter throughput over the step (to Jaeger, to VictoriaLogs), items/s. */
  exportedPerS: number;
  rssMaxMiB: number;
  rssEndMiB: number;
  requestP99Ms: number;
  /** Scheduled sends skipped because `maxInFlight` requests were already waiting. */
  skippedSends: number;
  ok: boolean;
  why: string;
}

/** One OTLP/HTTP POST; resolves with the status code (also used by the persistence phase). */
export function post(url: string, agent: http.Agent, body: Buffer, contentType: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': body.length }, timeout: 15_000 },
      res => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Offers `targetSpansPerS` items (spans or log records) per second for `durationS` seconds:
 * payloads of `template.items` sent on schedule, at most `maxInFlight` at a time (so a
 * Collector that slows down is offered less, which shows as offered < target). Reads the
 * Collector's counters every second. The result's "spans" fields count the signal's items.
 */
export async function runStep(
  template: OtlpPayload,
  targetSpansPerS: number,
  durationS: number,
  maxInFlight = 16,
  signal: Signal = TRACES,
): Promise<StepResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const contentType = CONTENT_TYPE[template.encoding];
  const url = `${OTLP}${signal.path}`;
  const readings: CollectorReading[] = [await readCollector(signal)];
  let sent = 0;
  let inFlight = 0;
  let rejected = 0;
  let errors = 0;
  const latencies: number[] = [];
  const pending = new Set<Promise<unknown>>();
  const t0 = Date.now();
  const endAt = t0 + durationS * 1000;
  let nextReading = t0 + 1000;
  let readingBusy = false;

  const intervalMs = (1000 * template.items) / targetSpansPerS;
  let nextSendAt = t0;
  let skipped = 0;
  while (Date.now() < endAt) {
    const now = Date.now();
    for (; nextSendAt <= now; nextSendAt += intervalMs) {
      // A scheduled send with no free slot is skipped, not made up later: the offered rate
      // then falls behind the target, which is what a Collector that slows down looks like.
      if (inFlight >= maxInFlight) {
        skipped++;
        continue;
      }
      sent++;
      inFlight++;
      const started = Date.now();
      const p: Promise<unknown> = post(url, agent, template.fresh(), contentType)
        .then(
          status => {
            if (status < 200 || status >= 300) rejected++;
            latencies.push(Date.now() - started);
          },
          () => errors++,
        )
        .finally(() => {
          inFlight--;
          pending.delete(p);
        });
      pending.add(p);
    }
    if (now >= nextReading && !readingBusy) {
      nextReading += 1000;
      readingBusy = true;
      readCollector(signal)
        .then(r => readings.push(r), () => {})
        .finally(() => (readingBusy = false));
    }
    await sleep(2);
  }
  const elapsedS = (Date.now() - t0) / 1000;
  await Promise.race([Promise.allSettled([...pending]), sleep(20_000)]);
  while (readingBusy) await sleep(10);
  // The receiver counts a request when it answers it; exporters lag by the batch timeout.
  const last = await readCollector(signal);
  readings.push(last);
  agent.destroy();

  const first = readings[0]!;
  const offered = (sent * template.items) / elapsedS;
  const perSecond: number[] = [];
  for (let i = 1; i < readings.length - 1; i++) {
    const a = readings[i - 1]!;
    const b = readings[i]!;
    if (b.atMs > a.atMs) perSecond.push(((b.accepted - a.accepted) * 1000) / (b.atMs - a.atMs));
  }
  latencies.sort((a, b) => a - b);
  const result: StepResult = {
    encoding: template.encoding,
    targetSpansPerS,
    durationS: elapsedS,
    offeredSpansPerS: offered,
    acceptedSpansPerS: (last.accepted - first.accepted) / elapsedS,
    acceptedPerSecond: perSecond,
    refusedSpans: last.refused - first.refused,
    failedSpans: last.failed - first.failed,
    httpRejected: rejected,
    httpErrors: errors,
    exportFailedSpans: last.exportFailed - first.exportFailed,
    enqueueFailedSpans: last.enqueueFailed - first.enqueueFailed,
    exportedPerS: (last.exported - first.exported) / elapsedS,
    rssMaxMiB: Math.max(...readings.map(r => r.rssMiB)),
    rssEndMiB: last.rssMiB,
    skippedSends: skipped,
    requestP99Ms: latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]! : NaN,
    ok: false,
    why: '',
  };
  const verdict = judgeStep(result);
  result.ok = verdict.ok;
  result.why = verdict.why;
  return result;
}

/**
 * A step is sustained when nothing was refused, failed or dropped, and the Collector accepted at
 * least 95 % of the target rate (a Collector that only slows down makes the generator fall behind).
 */
export function judgeStep(r: Pick<StepResult, 'targetSpansPerS' | 'acceptedSpansPerS' | 'refusedSpans' | 'failedSpans' | 'httpRejected' | 'httpErrors' | 'exportFailedSpans' | 'enqueueFailedSpans'>): { ok: boolean; why: string } {
  const problems: string[] = [];
  if (r.refusedSpans > 0) problems.push(`${r.refusedSpans} spans refused`);
  if (r.failedSpans > 0) problems.push(`${r.failedSpans} spans failed`);
  if (r.httpRejected > 0) problems.push(`${r.httpRejected} requests rejected`);
  if (r.httpErrors > 0) problems.push(`${r.httpErrors} requests failed`);
  if (r.exportFailedSpans > 0) problems.push(`${r.exportFailedSpans} spans failed to export`);
  if (r.enqueueFailedSpans > 0) problems.push(`${r.enqueueFailedSpans} spans dropped (export queue full)`);
  if (r.acceptedSpansPerS < 0.95 * r.targetSpansPerS) {
    problems.push(`accepted ${Math.round(r.acceptedSpansPerS)}/s < 95 % of the target`);
  }
  return { ok: problems.length === 0, why: problems.length === 0 ? 'sustained' : problems.join('; ') };
}

/** Waits until the signal's exporter has caught up (its sent count stops moving), at most `maxMs`. */
export async function settleCollector(maxMs: number, signal: Signal = TRACES): Promise<void> {
  const end = Date.now() + maxMs;
  let prev = await readCollector(signal).catch(() => undefined);
  while (Date.now() < end) {
    await sleep(1000);
    const now = await readCollector(signal).catch(() => undefined);
    if (prev && now && now.exported === prev.exported) return;
    prev = now;
  }
}

/**
 * 4. Freshness: from an order's response to (a) its full trace being returned by Jaeger's API
 * and (b) its span metrics being visible in Prometheus, with the shipped flush and scrape
 * intervals. The order carries a traceparent chosen here, so its trace id is known.
 */
import { randomBytes } from 'node:crypto';
import { LOOPBACK, ports } from '@shopfloor/stack-contract';
import { ORDER_BODY } from './load';
import { sleep } from './procs';

/** Shipped intervals (otel-collector/config.yaml, compose/prometheus/prometheus.yml). */
export const SPAN_METRICS_FLUSH_S = 5;
export const SPAN_METRICS_SCRAPE_S = 5;

const JAEGER = `http://${LOOPBACK}:${ports.jaegerQuery}`;
const PROMETHEUS = `http://${LOOPBACK}:${ports.prometheus}`;

interface JaegerSpan {
  spanID: string;
  operationName: string;
  startTime: number;
  duration: number;
  processID: string;
}
interface JaegerTrace {
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export interface TraceShape {
  spans: number;
  services: string[];
  /** The span that ends last (the end of the order's journey), as service + operation. */
  last: { service: string; operation: string };
}

export async function jaegerTrace(traceId: string): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${JAEGER}/api/traces/${traceId}`, { signal: AbortSignal.timeout(3000) });
  if (res.status === 404) {
    await res.arrayBuffer();
    return undefined;
  }
  if (!res.ok) throw new Error(`Jaeger answered ${res.status}`);
  const body = (await res.json()) as { data?: JaegerTrace[] };
  return body.data?.[0];
}

export function shapeOf(t: JaegerTrace): TraceShape {
  const service = (s: JaegerSpan) => t.processes[s.processID]?.serviceName ?? '?';
  const last = t.spans.reduce((a, b) => (b.startTime + b.duration > a.startTime + a.duration ? b : a));
  return {
    spans: t.spans.length,
    services: [...new Set(t.spans.map(service))].sort(),
    last: { service: service(last), operation: last.operationName },
  };
}

/** Sum of a PromQL expression's instant vector (0 when empty). */
export async function promSum(expr: string): Promise<number> {
  const url = `${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(`sum(${expr})`)}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`Prometheus answered ${res.status}`);
  const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
  return Number(body.data?.result?.[0]?.value[1] ?? 0);
}

const promString = (s: string) => JSON.stringify(s);

export function callsOf(service: string, spanName: string): string {
  return `traces_span_metrics_calls_total{service_name=${promString(service)},span_name=${promString(spanName)}}`;
}

export function newTraceparent(): { traceId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

/** POSTs one order with a traceparent of ours; resolves at the response, with the trace id. */
export async function postOrder(shopApi: string): Promise<{ traceId: string; respondedAt: number }> {
  const { traceId, header } = newTraceparent();
  const res = await fetch(`${shopApi}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: header },
    body: ORDER_BODY,
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  const respondedAt = performance.now();
  if (res.status !== 201) throw new Error(`POST /orders answered ${res.status}`);
  return { traceId, respondedAt };
}

/** Polls `probe` every `everyMs` until it returns true; the time (performance.now()) it did, or NaN. */
async function until(probe: () => Promise<boolean>, everyMs: number, timeoutMs: number): Promise<number> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    try {
      if (await probe()) return performance.now();
    } catch {
      // not there yet / transient
    }
    await sleep(everyMs);
  }
  return NaN;
}

/**
 * One calibration order: its trace as Jaeger holds it once nothing is added any more (the
 * "full" trace the measured orders are compared with). Send a few orders first: the very first
 * publish after shop-api starts may wait for the broker channel outside the request's context.
 */
export async function calibrate(shopApi: string, settleMs = 8000): Promise<TraceShape> {
  const { traceId } = await postOrder(shopApi);
  await sleep(settleMs);
  let shape: TraceShape | undefined;
  for (let i = 0; i < 10; i++) {
    const t = await jaegerTrace(traceId);
    if (t) {
      const s = shapeOf(t);
      if (shape && s.spans === shape.spans) return s;
      shape = s;
    }
    await sleep(1000);
  }
  if (!shape) throw new Error(`the calibration order's trace ${traceId} never reached Jaeger`);
  return shape;
}

/**
 * Waits until the given span-metrics series have stopped moving (equal over `quietMs`, i.e.
 * more than one flush + scrape), so that the next increase can only come from the next order.
 */
export async function quiesce(series: readonly string[], quietMs = 11_000, maxMs = 45_000): Promise<void> {
  const end = Date.now() + maxMs;
  let prev = await Promise.all(series.map(promSum));
  while (Date.now() < end) {
    await sleep(quietMs);
    const now = await Promise.all(series.map(promSum));
    if (now.every((v, i) => v === prev[i])) return;
    prev = now;
  }
}

export interface FreshnessSample {
  traceS: number;
  metricsS: number;
}

/**
 * One measured order: seconds from its response until Jaeger returns a trace with the
 * calibrated span count and services, and until Prometheus shows one more call of both the
 * order's first span (shop-api POST /orders) and its last one.
 */
export function seriesOf(full: TraceShape): string[] {
  return [callsOf('shop-api', 'POST /orders'), callsOf(full.last.service, full.last.operation)];
}

export async function freshnessSample(shopApi: string, full: TraceShape, timeoutMs = 30_000): Promise<FreshnessSample> {
  const series = seriesOf(full);
  const before = await Promise.all(series.map(promSum));
  const { traceId, respondedAt } = await postOrder(shopApi);
  const [traceAt, metricsAt] = await Promise.all([
    until(
      async () => {
        const t = await jaegerTrace(traceId);
        if (!t) return false;
        const s = shapeOf(t);
        return s.spans >= full.spans && full.services.every(x => s.services.includes(x));
      },
      50,
      timeoutMs,
    ),
    until(async () => (await Promise.all(series.map(promSum))).every((v, i) => v >= before[i]! + 1), 100, timeoutMs),
  ]);
  return { traceS: (traceAt - respondedAt) / 1000, metricsS: (metricsAt - respondedAt) / 1000 };
}

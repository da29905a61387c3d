/**
 * The issue's targets, checked against the measured figures. Pure (unit-tested).
 */
import type { Measurement } from './stats';

export interface TargetCheck {
  target: string;
  /** What was measured, in words and numbers. */
  value: string;
  met: boolean | undefined;
}

export interface TargetLimits {
  /** Span-metrics flush interval plus one Prometheus scrape interval, in seconds. */
  metricsFreshnessLimitS: number;
  /** The Collector's memory_limiter limit, in MiB. */
  collectorMemoryLimitMiB: number;
}

const median = (ms: readonly Measurement[], name: string, variant: string) =>
  ms.find(m => m.name === name && m.variant === variant);

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** Throughput lost against plain, as a fraction (0.05 = 5 % fewer requests per second). */
export function throughputLoss(plain: number, other: number): number {
  return plain === 0 ? NaN : 1 - other / plain;
}

export function checkTargets(ms: readonly Measurement[], limits: TargetLimits): TargetCheck[] {
  const out: TargetCheck[] = [];

  // 1. Start-up overhead: shopfloor's extra wall time at most a quarter of stock's.
  {
    const p = median(ms, 'startup.empty_script.wall', 'plain');
    const s = median(ms, 'startup.empty_script.wall', 'shopfloor');
    const k = median(ms, 'startup.empty_script.wall', 'stock');
    if (p && s && k) {
      const share = (s.median - p.median) / (k.median - p.median);
      out.push({
        target: 'start-up overhead of shopfloor <= 1/4 of stock (empty script, wall time)',
        value: `+${(s.median - p.median).toFixed(0)} ms vs +${(k.median - p.median).toFixed(0)} ms = ${share.toFixed(2)} of stock's`,
        met: share <= 0.25,
      });
    }
  }

  // 1b. Peak RSS overhead on an empty script: at most a quarter of stock's.
  {
    const p = median(ms, 'startup.empty_script.peak_rss', 'plain');
    const s = median(ms, 'startup.empty_script.peak_rss', 'shopfloor');
    const k = median(ms, 'startup.empty_script.peak_rss', 'stock');
    if (p && s && k) {
      const share = (s.median - p.median) / (k.median - p.median);
      out.push({
        target: 'peak RSS overhead of shopfloor <= 1/4 of stock (empty script)',
        value: `+${(s.median - p.median).toFixed(1)} MiB vs +${(k.median - p.median).toFixed(1)} MiB = ${share.toFixed(2)} of stock's`,
        met: share <= 0.25,
      });
    }
  }

  // 2. POST /orders throughput loss at most 10 % of plain.
  {
    const p = median(ms, 'orders.post.throughput', 'plain');
    const s = median(ms, 'orders.post.throughput', 'shopfloor');
    const k = median(ms, 'orders.post.throughput', 'stock');
    if (p && s) {
      const loss = throughputLoss(p.median, s.median);
      out.push({
        target: 'POST /orders throughput loss of shopfloor <= 10 % of plain',
        value: `${pct(loss)} (stock: ${k ? pct(throughputLoss(p.median, k.median)) : 'n/a'})`,
        met: loss <= 0.1,
      });
    }
  }

  // 3. GETs: shopfloor's loss at most half of stock's (/healthz runs SELECT 1; /livez does no I/O).
  for (const [name, path] of [['healthz.get', '/healthz'], ['livez.get', '/livez']] as const) {
    const p = median(ms, `${name}.throughput`, 'plain');
    const s = median(ms, `${name}.throughput`, 'shopfloor');
    const k = median(ms, `${name}.throughput`, 'stock');
    if (p && s && k) {
      const ls = throughputLoss(p.median, s.median);
      const lk = throughputLoss(p.median, k.median);
      out.push({
        target: `GET ${path} throughput loss of shopfloor <= 1/2 of stock's loss`,
        value: `${pct(ls)} vs ${pct(lk)}`,
        met: lk <= 0 ? ls <= 0 : ls <= lk / 2,
      });
    }
  }

  // 4. Collector: >= 20,000 spans/s with span metrics on, memory bounded by the memory_limiter.
  for (const encoding of ['json', 'protobuf']) {
    const step = median(ms, `collector.${encoding}.highest_sustained_step`, 'collector');
    const accepted = median(ms, `collector.${encoding}.accepted_at_highest_sustained_step`, 'collector');
    const failed = median(ms, `collector.${encoding}.first_failed_step`, 'collector');
    if (!step && !failed) continue;
    out.push({
      target: `Collector sustains >= 20,000 spans/s (OTLP/HTTP ${encoding}, span metrics on)`,
      value:
        `${step ? `${step.median} spans/s sustained (accepted median ${Math.round(accepted?.median ?? NaN)}/s)` : 'no step sustained'}` +
        `${failed ? `; ${failed.median}/s not: ${failed.note ?? ''}` : '; no step failed'}`,
      met: (step?.median ?? 0) >= 20_000,
    });
  }
  {
    const peak = median(ms, 'collector.rss_peak', 'collector');
    if (peak) {
      out.push({
        target: `Collector memory bounded by its memory_limiter (${limits.collectorMemoryLimitMiB} MiB)`,
        value: `peak RSS ${peak.max.toFixed(0)} MiB over all steps`,
        met: peak.max <= limits.collectorMemoryLimitMiB,
      });
    }
  }

  // 5. Freshness.
  {
    const trace = median(ms, 'freshness.trace_in_jaeger', 'pipeline');
    if (trace) {
      out.push({
        target: 'full trace in Jaeger within 2 s of the response (median)',
        value: `median ${trace.median.toFixed(2)} s (max ${trace.max.toFixed(2)} s)`,
        met: trace.median <= 2,
      });
    }
    const metric = median(ms, 'freshness.span_metrics_in_prometheus', 'pipeline');
    if (metric) {
      out.push({
        target: `span metrics in Prometheus within flush + one scrape interval (${limits.metricsFreshnessLimitS} s), every run`,
        value: `median ${metric.median.toFixed(2)} s, max ${metric.max.toFixed(2)} s`,
        met: metric.max <= limits.metricsFreshnessLimitS,
      });
    }
  }
  return out;
}

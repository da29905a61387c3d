/**
 * Phase 4, freshness: orders one at a time through shop-api with the shopfloor preload; for
 * each, the time until Jaeger has its full trace and Prometheus its span metrics.
 */
import type { RunContext } from '../context';
import {
  calibrate,
  freshnessSample,
  postOrder,
  quiesce,
  seriesOf,
  SPAN_METRICS_FLUSH_S,
  SPAN_METRICS_SCRAPE_S,
  type FreshnessSample,
  type TraceShape,
} from '../freshness';
import { sleep } from '../procs';
import { SHOP_API, ShopApi } from '../service';

/** The calibrated full order trace the samples were compared with. */
export async function freshnessPhase({ settings: s, log, figures, logDir }: RunContext): Promise<TraceShape> {
  log(`freshness: ${s.freshnessRuns} orders, one at a time, through shop-api with the shopfloor preload`);
  const api = await ShopApi.start('shopfloor', logDir);
  try {
    for (let i = 0; i < 3; i++) await postOrder(SHOP_API);
    const full = await calibrate(SHOP_API);
    log(`  a full order trace: ${full.spans} spans from ${full.services.join(', ')}; last: ${full.last.service} "${full.last.operation}"`);
    await quiesce(seriesOf(full));
    const samples: FreshnessSample[] = [];
    for (let i = 0; i < s.freshnessRuns; i++) {
      const f = await freshnessSample(SHOP_API, full);
      samples.push(f);
      log(`  order ${i + 1}: trace complete in Jaeger after ${f.traceS.toFixed(2)} s, span metrics in Prometheus after ${f.metricsS.toFixed(2)} s`);
      // A different phase of the 5 s flush / scrape cycles for the next order.
      await sleep(700 + Math.floor(Math.random() * 1500));
    }
    figures.record('freshness.trace_in_jaeger', 'pipeline', 's', samples.map(x => x.traceS), `${full.spans} spans, ${full.services.join(' + ')}`);
    figures.record(
      'freshness.span_metrics_in_prometheus',
      'pipeline',
      's',
      samples.map(x => x.metricsS),
      `flush ${SPAN_METRICS_FLUSH_S} s + scrape ${SPAN_METRICS_SCRAPE_S} s; shop-api "POST /orders" and ${full.last.service} "${full.last.operation}" calls`,
    );
    const missed = samples.filter(x => !Number.isFinite(x.traceS) || !Number.isFinite(x.metricsS)).length;
    if (missed) figures.note(`freshness: ${missed} of ${samples.length} orders not complete within 30 s`);
    return full;
  } finally {
    await api.stop();
  }
}

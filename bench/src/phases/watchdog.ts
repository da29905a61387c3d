/**
 * Phase 5, the order watchdog (../watchdog.ts runs it): detection latency and the cost of a
 * check per 1,000 open orders, with shop-api under the shopfloor preload placing the orders.
 */
import type { NativeStack } from '@shopfloor/native-stack';
import type { RunContext } from '../context';
import { drainQueues } from '../queues';
import { SHOP_API, ShopApi } from '../service';
import { watchdogPhase, type WatchdogFigures } from '../watchdog';

export async function watchdogBenchPhase({ settings: s, log, figures, logDir }: RunContext, stack: NativeStack): Promise<WatchdogFigures> {
  const api = await ShopApi.start('shopfloor', logDir);
  try {
    const f = await watchdogPhase(stack, SHOP_API, { faultyOrders: s.watchdogFaultyOrders, openOrders: s.watchdogOpenOrders, costChecks: s.watchdogCostChecks, logDir, log });
    const scaled = `shipped journey with deadlines and check interval / ${f.scale} (check every ${f.checkIntervalMs} ms): budget ${f.detectionBudgetS} s for the shipped 120 s`;
    figures.record('watchdog.detection_latency', 'watchdog', 's', f.detectionS, `acceptance to flag, CRM consumer stopped (no_consumer); ${scaled}`);
    const open = f.checks[0]?.open ?? NaN;
    figures.record('watchdog.cpu_per_check_per_1000_open', 'watchdog', 'ms', f.checks.map(c => (c.cpuMs * 1000) / c.open), `watchdog process CPU per check with ${open} open (flagged) orders, scaled to 1,000 (/proc CPU time counts in 10 ms ticks: each sample is one check, +-10 ms)`);
    figures.record('watchdog.db_query_time_per_check_per_1000_open', 'watchdog', 'ms', f.checks.map(c => (c.dbMs * 1000) / c.open), `time waiting for the stage-record queries per check with ${open} open orders, scaled to 1,000`);
    figures.record('watchdog.check_duration', 'watchdog', 'ms', f.checks.map(c => c.durationMs), `one check with ${open} open orders`);
    figures.record('watchdog.peak_rss', 'watchdog', 'MiB', [f.peakRssMiB]);
    const max = Math.max(...f.detectionS);
    if (max > f.detectionBudgetS) figures.note(`watchdog: detection max ${max.toFixed(1)} s exceeds the scaled budget ${f.detectionBudgetS} s`);
    return f;
  } finally {
    await api.stop();
    log('  draining the orders CRM took back ...');
    await drainQueues(120);
  }
}

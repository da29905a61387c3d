/**
 * The order watchdog's figures (issue 9): how long after an order's acceptance a stalled order is
 * flagged, and what a check costs per 1,000 open orders. The bench runs its own watchdog process
 * (the stack's is stopped for the whole bench) on the shipped journey with every deadline and the
 * check interval divided by WATCHDOG_SCALE, so the 2-minute budget becomes 20 s. The fault: the
 * CRM consumer stopped (reason no_consumer, the order stalls after "published"); it stays
 * stopped while the open orders pile up for the cost figures, then CRM drains them.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { orderWatchdog, type NativeStack } from '@shopfloor/native-stack';
import { randomOrder, repoRoot } from '@shopfloor/stack-contract';
import { parsePrometheusText } from './promtext';
import { cpuMsOf, isRunning, memoryOf, sleep, spawnTracked, stopChild } from './procs';
import { probe } from './service';
import { upperMedian } from './stats';

/** Deadlines and the check interval of the shipped journey are divided by this. */
export const WATCHDOG_SCALE = 6;
/** The budget: flagged within 2 minutes of acceptance (shipped settings). */
export const DETECTION_BUDGET_S = 120;
const SHIPPED_CHECK_INTERVAL_MS = 10_000;

export interface WatchdogFigures {
  scale: number;
  journey: string;
  checkIntervalMs: number;
  detectionBudgetS: number;
  /** Seconds from acceptance to the flag, one per faulty order. */
  detectionS: number[];
  /** Per measured check: open orders, CPU ms, DB query ms, check duration ms. */
  checks: { open: number; cpuMs: number; dbMs: number; durationMs: number }[];
  peakRssMiB: number;
}

/** The shipped journey with each `deadline: <n>s` divided by `scale` (written as ms). */
export function scaledJourney(text: string, scale: number): string {
  let n = 0;
  const out = text.replace(/^(\s+deadline:\s*)(\d+)s\s*$/gm, (_, head: string, s: string) => {
    n++;
    return `${head}${Math.round((Number(s) * 1000) / scale)}ms`;
  });
  if (n === 0) throw new Error('the journey has no `deadline: <n>s` line to scale');
  return out;
}

interface Stalled { orderId: string; acceptedAt: number; flag?: { reason: string; flaggedAt: number } }

async function placeOrder(shopApi: string): Promise<string> {
  const res = await fetch(`${shopApi}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(randomOrder()),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { orderId?: string };
  if ((res.status !== 201 && res.status !== 202) || !body.orderId) throw new Error(`POST /orders answered ${res.status}`);
  return body.orderId;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3000) });
  const out = new Map<string, number>();
  for (const s of parsePrometheusText(await res.text())) out.set(s.name, (out.get(s.name) ?? 0) + s.value);
  return out;
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`watchdog bench: ${what} not reached within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

export async function watchdogPhase(
  stack: NativeStack,
  shopApi: string,
  opts: { faultyOrders: number; openOrders: number; costChecks: number; logDir: string; log: (line: string) => void },
): Promise<WatchdogFigures> {
  const { log } = opts;
  const dir = join(stack.stateDir, 'bench-watchdog');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const shipped = join(repoRoot, 'packages', 'order-watchdog', 'journeys', 'shopfloor.yaml');
  const journey = join(dir, 'shopfloor-scaled.yaml');
  // Its own journey name, so its state (a row of the watchdog database, keyed by journey) is not
  // the stack's own watchdog's: the bench stack starts fresh, so this one starts from nothing.
  writeFileSync(journey, scaledJourney(readFileSync(shipped, 'utf8'), WATCHDOG_SCALE).replace(/^name: shopfloor$/m, 'name: shopfloor-bench'));
  const checkIntervalMs = Math.round(SHIPPED_CHECK_INTERVAL_MS / WATCHDOG_SCALE);
  const spec = orderWatchdog({
    WATCHDOG_JOURNEY: journey,
    WATCHDOG_CHECK_INTERVAL_MS: String(checkIntervalMs),
    WATCHDOG_CANARY_INTERVAL_MS: '0',
    WATCHDOG_START_LOOKBACK_MS: '0',
  });
  const url = `http://${spec.env!.WATCHDOG_HOST}:${spec.env!.WATCHDOG_PORT}`;
  const logFile = createWriteStream(join(opts.logDir, 'order-watchdog.bench.log'), { flags: 'a' });
  let child: ChildProcess | undefined;
  await stack.stopComponent('crm-api');
  try {
    child = spawnTracked(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.pipe(logFile, { end: false });
    child.stderr!.pipe(logFile, { end: false });
    const pid = child.pid!;
    await until('the watchdog answering /healthz', 30_000, async () => (isRunning(child!) && (await probe(`${url}/healthz`, 1000)) === 200 ? true : undefined));

    // Detection: faulty orders at a steady pace (CRM's consumer is stopped).
    log(`watchdog: ${opts.faultyOrders} orders with the CRM consumer stopped; journey deadlines and check interval / ${WATCHDOG_SCALE} (budget ${DETECTION_BUDGET_S / WATCHDOG_SCALE} s, check every ${checkIntervalMs} ms)`);
    const faulty = new Set<string>();
    for (let i = 0; i < opts.faultyOrders; i++) {
      faulty.add(await placeOrder(shopApi));
      await sleep(250);
    }
    const stalled = async () => ((await (await fetch(`${url}/api/stalled`, { signal: AbortSignal.timeout(10_000) })).json()) as { stalled: Stalled[] }).stalled;
    const flagged = await until('every faulty order flagged', (DETECTION_BUDGET_S / WATCHDOG_SCALE + 60) * 1000, async () => {
      const mine = (await stalled()).filter((s) => faulty.has(s.orderId) && s.flag);
      return mine.length === faulty.size ? mine : undefined;
    });
    const detectionS = flagged.map((s) => (s.flag!.flaggedAt - s.acceptedAt) / 1000);
    const reasons = [...new Set(flagged.map((s) => s.flag!.reason))];
    log(`  flagged ${flagged.length} (${reasons.join(', ')}): detection median ${upperMedian(detectionS).toFixed(2)} s, max ${Math.max(...detectionS).toFixed(2)} s`);

    // Cost: pile up open orders, let the watchdog flag them, then measure steady checks.
    const more = Math.max(0, opts.openOrders - faulty.size);
    log(`watchdog: ${more} more orders (CRM still stopped) for ${opts.openOrders} open orders`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < more) {
          next++;
          await placeOrder(shopApi);
        }
      }),
    );
    const total = faulty.size + more;
    await until(`all ${total} open orders flagged`, 180_000, async () => {
      const m = await scrape(url);
      return (m.get('shopfloor_watchdog_orders_stalled') ?? 0) >= total ? true : undefined;
    });
    const checks: WatchdogFigures['checks'] = [];
    let before = await scrape(url);
    let cpuBefore = cpuMsOf(pid)!;
    while (checks.length < opts.costChecks) {
      await until('the next check', 30_000, async () => {
        const m = await scrape(url);
        return (m.get('shopfloor_watchdog_checks_total') ?? 0) > (before.get('shopfloor_watchdog_checks_total') ?? 0) ? m : undefined;
      }).then((after) => {
        const cpuAfter = cpuMsOf(pid)!;
        const n = (after.get('shopfloor_watchdog_checks_total') ?? 0) - (before.get('shopfloor_watchdog_checks_total') ?? 0);
        checks.push({
          open: after.get('shopfloor_watchdog_orders') ?? NaN,
          // CPU between two scrapes: the checks in between, and serving the scrapes themselves.
          cpuMs: (cpuAfter - cpuBefore) / n,
          dbMs: (((after.get('shopfloor_watchdog_db_query_seconds_total') ?? 0) - (before.get('shopfloor_watchdog_db_query_seconds_total') ?? 0)) * 1000) / n,
          durationMs: (after.get('shopfloor_watchdog_check_duration_seconds') ?? NaN) * 1000,
        });
        before = after;
        cpuBefore = cpuAfter;
      });
    }
    const per1000 = (x: number, open: number) => (x * 1000) / open;
    log(
      `  ${checks[0]?.open} open: per check ${upperMedian(checks.map((c) => c.cpuMs)).toFixed(1)} ms CPU, ${upperMedian(checks.map((c) => c.dbMs)).toFixed(1)} ms DB, ` +
        `${upperMedian(checks.map((c) => c.durationMs)).toFixed(1)} ms long; per 1,000 open: ${upperMedian(checks.map((c) => per1000(c.cpuMs, c.open))).toFixed(1)} ms CPU, ${upperMedian(checks.map((c) => per1000(c.dbMs, c.open))).toFixed(1)} ms DB`,
    );
    return {
      scale: WATCHDOG_SCALE,
      journey: 'packages/order-watchdog/journeys/shopfloor.yaml, deadlines / scale',
      checkIntervalMs,
      detectionBudgetS: DETECTION_BUDGET_S / WATCHDOG_SCALE,
      detectionS,
      checks,
      peakRssMiB: memoryOf(pid)?.peakMiB ?? NaN,
    };
  } finally {
    if (child) await stopChild(child);
    logFile.end();
    await stack.startComponent('crm-api');
  }
}

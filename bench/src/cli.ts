#!/usr/bin/env node
/**
 * `npm run bench`: what the preload costs and whether the pipeline keeps up, measured side by
 * side in one run: plain node, the shopfloor preload and the stock OpenTelemetry preload,
 * alternated run by run, against one running stack (profile `bench`, data in .run/bench).
 *
 * Phases: 1 start-up (empty script; shop-api's first answer), 2 request path (POST /orders,
 * GET /healthz, GET /livez), 4 freshness (Jaeger, Prometheus), 5 the order watchdog (detection
 * latency, cost per 1,000 open orders), 6 the logs pipeline (records/s into VictoriaLogs),
 * 3 Collector capacity (last: it floods Jaeger).
 * BENCH_ONLY=watchdog or BENCH_ONLY=logs runs phase 5 or 6 alone and merges its figures into
 * the results file.
 * Everything it starts is stopped on the way out, also on failure and Ctrl-C.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { NativeStack, repoRoot, LOOPBACK, ports } from '@shopfloor/native-stack';
import { LOGS, pipelineCpuMs, readCollector, runStep, settleCollector, type StepResult } from './collector';
import { calibrate, freshnessSample, postOrder, quiesce, seriesOf, type FreshnessSample, type TraceShape } from './freshness';
import { ROUTES, runLoad, type LoadResult, type RouteName } from './load';
import { buildLogsPayload, buildTemplate, SPANS_PER_TRACE } from './otlp-payload';
import { killAllNow, sleep, stopAll } from './procs';
import { parsePrometheusText } from './promtext';
import { SHOP_API, ShopApi } from './service';
import { settingsFromEnv, type Settings } from './settings';
import { emptyScriptRun } from './startup';
import { interleave, measurement, ratioRows, renderMeasurements, renderRatios, renderTable, type Measurement, type VariantName } from './stats';
import { checkTargets } from './targets';
import { watchdogPhase, type WatchdogFigures } from './watchdog';
import { cleanEnv, COMMON_OTEL_ENV, VARIANTS } from './variants';

/** Shipped intervals (otel-collector/config.yaml, compose/prometheus/prometheus.yml). */
const SPAN_METRICS_FLUSH_S = 5;
const SPAN_METRICS_SCRAPE_S = 5;
const MEMORY_LIMITER_MIB = 512;

/** BENCH_ONLY=watchdog|logs: that phase alone, its figures merged into the results file. */
const ONLY = process.env.BENCH_ONLY ?? '';
const ALONE = ['watchdog', 'logs'];
if (ONLY !== '' && !ALONE.includes(ONLY)) {
  process.stderr.write(`BENCH_ONLY=${ONLY}: the phases that run alone are: ${ALONE.join(', ')}\n`);
  process.exit(2);
}

/** A smoke run (BENCH_QUICK=1) must not overwrite the committed figures: it writes a file git ignores. */
const RESULTS_FILE = join(repoRoot, 'bench', 'results', process.env.BENCH_QUICK === '1' ? 'quick-run.tmp' : 'latest.json');

const t0 = Date.now();
/** Set once the run is being stopped (Ctrl-C, SIGTERM, time limit): phases still unwinding stay quiet. */
let silenced = false;
const log = (line: string) => {
  if (!silenced) process.stdout.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};

class Budget {
  private readonly end: number;
  readonly skipped: string[] = [];
  constructor(seconds: number) {
    this.end = t0 + seconds * 1000;
  }
  leftS(): number {
    return (this.end - Date.now()) / 1000;
  }
  /** True if `needS` still fits; otherwise records the phase as skipped. */
  fits(what: string, needS: number): boolean {
    if (this.leftS() >= needS) return true;
    this.skipped.push(`${what} (needed ~${Math.round(needS)} s, ${Math.round(this.leftS())} s left)`);
    log(`skipping ${what}: not enough time left`);
    return false;
  }
}

const measurements: Measurement[] = [];
const notes: string[] = [];
function record(name: string, variant: string, unit: string, samples: number[], note?: string): void {
  const ok = samples.filter(Number.isFinite);
  if (ok.length === 0) {
    notes.push(`${name} (${variant}): no successful run`);
    return;
  }
  measurements.push(measurement(name, variant, unit, ok, note));
}

function machine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map(x => Math.round(x * 100) / 100),
  };
}

// ---- 1. start-up ------------------------------------------------------------------------------

async function startupPhase(s: Settings): Promise<void> {
  const env = cleanEnv({
    ...COMMON_OTEL_ENV,
    OTEL_SERVICE_NAME: 'bench-empty-script',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://${LOOPBACK}:${ports.collectorOtlpHttp}`,
    OTEL_EXPORTER_PROMETHEUS_HOST: LOOPBACK,
    OTEL_EXPORTER_PROMETHEUS_PORT: String(ports.shopApiMetrics),
  });
  log(`start-up: empty script, ${s.startupRuns} runs per variant, interleaved`);
  for (const v of VARIANTS) await emptyScriptRun(v, env); // warm the page cache; not counted
  const wall: Record<VariantName, number[]> = { plain: [], shopfloor: [], stock: [] };
  const rss: Record<VariantName, number[]> = { plain: [], shopfloor: [], stock: [] };
  for (const v of interleave(VARIANTS, s.startupRuns)) {
    const r = await emptyScriptRun(v, env);
    wall[v].push(r.wallMs);
    rss[v].push(r.peakRssMiB);
  }
  for (const v of VARIANTS) {
    record('startup.empty_script.wall', v, 'ms', wall[v]);
    record('startup.empty_script.peak_rss', v, 'MiB', rss[v]);
  }
  log(`  wall medians: ${VARIANTS.map(v => `${v} ${median(wall[v]).toFixed(0)} ms`).join(', ')}`);
}

async function firstAnswerPhase(s: Settings, logDir: string): Promise<void> {
  log(`start-up: shop-api until its first answer, ${s.firstAnswerRuns} starts per variant, interleaved`);
  const ms: Record<VariantName, number[]> = { plain: [], shopfloor: [], stock: [] };
  const rss: Record<VariantName, number[]> = { plain: [], shopfloor: [], stock: [] };
  for (const v of interleave(VARIANTS, s.firstAnswerRuns)) {
    const api = await ShopApi.start(v, logDir);
    ms[v].push(api.firstAnswerMs);
    rss[v].push(api.memory()?.rssMiB ?? NaN);
    await api.stop();
    await sleep(300);
  }
  for (const v of VARIANTS) {
    record('startup.shop_api.first_answer', v, 'ms', ms[v]);
    record('startup.shop_api.rss_after_start', v, 'MiB', rss[v]);
  }
  log(`  first answer medians: ${VARIANTS.map(v => `${v} ${median(ms[v]).toFixed(0)} ms`).join(', ')}`);
}

// ---- 2. request path -----------------------------------------------------------------------

/** Messages waiting in (or being processed from) the work queues; dead-letter queues are not counted. */
async function queuedMessages(): Promise<number> {
  const res = await fetch(`http://${LOOPBACK}:${ports.rabbitmqPrometheus}/metrics`, { signal: AbortSignal.timeout(3000) });
  const samples = parsePrometheusText(await res.text());
  return samples
    .filter(x => x.name === 'rabbitmq_queue_messages' && !(x.labels.queue ?? '').endsWith('.dlq'))
    .reduce((a, x) => a + x.value, 0);
}

/** Waits until CRM and MES have consumed what the POST run queued (RabbitMQ's queues are empty). */
async function drainQueues(maxS: number): Promise<number> {
  const start = Date.now();
  let zeroes = 0;
  while ((Date.now() - start) / 1000 < maxS) {
    const n = await queuedMessages().catch(() => NaN);
    // RabbitMQ refreshes these figures every few seconds: two empty readings in a row.
    zeroes = n === 0 ? zeroes + 1 : 0;
    if (zeroes >= 2) break;
    await sleep(1000);
  }
  return (Date.now() - start) / 1000;
}

async function requestPathPhase(s: Settings, logDir: string, budget: Budget): Promise<void> {
  const perRound = 3 * (4 + 2 * s.warmupS + 3 * s.loadS + 10);
  log(`request path: ${s.loadRounds} rounds x ${VARIANTS.join(', ')}; ${s.connections} connections, ${s.loadS} s per route after ${s.warmupS} s warm-up`);
  type Run = LoadResult & { cpuMsPerRequest: number; pipelineCpuMsPerRequest: number };
  const results: Record<RouteName, Record<VariantName, Run[]>> = {
    post: { plain: [], shopfloor: [], stock: [] },
    get: { plain: [], shopfloor: [], stock: [] },
    live: { plain: [], shopfloor: [], stock: [] },
  };
  const peak: Record<VariantName, number[]> = { plain: [], shopfloor: [], stock: [] };
  let rounds = 0;
  for (let round = 1; round <= s.loadRounds; round++) {
    if (!budget.fits(`request path round ${round}`, perRound + 150)) break;
    for (const v of VARIANTS) {
      const api = await ShopApi.start(v, logDir);
      try {
        await runLoad(SHOP_API, ROUTES.get, s.connections, s.warmupS);
        await runLoad(SHOP_API, ROUTES.post, s.connections, s.warmupS);
        await drainQueues(s.drainMaxS);
        const measured = async (route: RouteName): Promise<Run> => {
          const [c0, p0] = [api.cpuMs(), await pipelineCpuMs()];
          const r = await runLoad(SHOP_API, ROUTES[route], s.connections, s.loadS);
          const [c1, p1] = [api.cpuMs(), await pipelineCpuMs()];
          return { ...r, cpuMsPerRequest: (c1 - c0) / r.ok, pipelineCpuMsPerRequest: (p1 - p0) / r.ok };
        };
        const live = await measured('live');
        const get = await measured('get');
        const post = await measured('post');
        results.live[v].push(live);
        results.get[v].push(get);
        results.post[v].push(post);
        peak[v].push(api.memory()?.peakMiB ?? NaN);
        const line = (name: string, r: Run) =>
          `${name} ${r.throughput.toFixed(0)}/s p99 ${r.p99Ms} ms, CPU ${r.cpuMsPerRequest.toFixed(2)} ms/req (+${r.pipelineCpuMsPerRequest.toFixed(2)} pipeline)` +
          `${r.non2xx + r.errors ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : ''}`;
        log(`  round ${round} ${v.padEnd(9)} ${line('GET /livez', live)}; ${line('GET /healthz', get)}; ${line('POST', post)}`);
      } finally {
        await api.stop();
      }
      const drained = await drainQueues(s.drainMaxS);
      if (drained >= s.drainMaxS) notes.push(`round ${round} ${v}: queues not empty after ${s.drainMaxS} s`);
    }
    rounds++;
  }
  if (rounds === 0) return;
  for (const route of ['post', 'get', 'live'] as const) {
    const name = ROUTES[route].name;
    for (const v of VARIANTS) {
      const rs = results[route][v];
      const failures = rs.reduce((a, r) => a + r.non2xx + r.errors, 0);
      const note = failures ? `${failures} non-2xx/errors over ${rs.reduce((a, r) => a + r.requests, 0)} requests` : undefined;
      record(`${name}.throughput`, v, 'req/s', rs.map(r => r.throughput), note);
      record(`${name}.latency_p50`, v, 'ms', rs.map(r => r.p50Ms));
      record(`${name}.latency_p99`, v, 'ms', rs.map(r => r.p99Ms));
      record(`${name}.cpu_per_request`, v, 'ms', rs.map(r => r.cpuMsPerRequest), 'shop-api process CPU (user + system) per 2xx response');
      record(`${name}.pipeline_cpu_per_request`, v, 'ms', rs.map(r => r.pipelineCpuMsPerRequest), 'Collector + Jaeger CPU per 2xx response');
    }
  }
  for (const v of VARIANTS) record('shop_api.peak_rss_under_load', v, 'MiB', peak[v]);
}

// ---- 4. freshness ----------------------------------------------------------------------------

async function freshnessPhase(s: Settings, logDir: string): Promise<TraceShape | undefined> {
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
    record('freshness.trace_in_jaeger', 'pipeline', 's', samples.map(x => x.traceS), `${full.spans} spans, ${full.services.join(' + ')}`);
    record(
      'freshness.span_metrics_in_prometheus',
      'pipeline',
      's',
      samples.map(x => x.metricsS),
      `flush ${SPAN_METRICS_FLUSH_S} s + scrape ${SPAN_METRICS_SCRAPE_S} s; shop-api "POST /orders" and ${full.last.service} "${full.last.operation}" calls`,
    );
    const missed = samples.filter(x => !Number.isFinite(x.traceS) || !Number.isFinite(x.metricsS)).length;
    if (missed) notes.push(`freshness: ${missed} of ${samples.length} orders not complete within 30 s`);
    return full;
  } finally {
    await api.stop();
  }
}

// ---- 5. the order watchdog --------------------------------------------------------------------

async function watchdogBenchPhase(s: Settings, stack: NativeStack, logDir: string): Promise<WatchdogFigures> {
  const api = await ShopApi.start('shopfloor', logDir);
  try {
    const f = await watchdogPhase(stack, SHOP_API, { faultyOrders: s.watchdogFaultyOrders, openOrders: s.watchdogOpenOrders, costChecks: s.watchdogCostChecks, logDir, log });
    const scaled = `shipped journey with deadlines and check interval / ${f.scale} (check every ${f.checkIntervalMs} ms): budget ${f.detectionBudgetS} s for the shipped 120 s`;
    record('watchdog.detection_latency', 'watchdog', 's', f.detectionS, `acceptance to flag, CRM consumer stopped (no_consumer); ${scaled}`);
    const open = f.checks[0]?.open ?? NaN;
    record('watchdog.cpu_per_check_per_1000_open', 'watchdog', 'ms', f.checks.map(c => (c.cpuMs * 1000) / c.open), `watchdog process CPU per check with ${open} open (flagged) orders, scaled to 1,000 (/proc CPU time counts in 10 ms ticks: each sample is one check, +-10 ms)`);
    record('watchdog.db_query_time_per_check_per_1000_open', 'watchdog', 'ms', f.checks.map(c => (c.dbMs * 1000) / c.open), `time waiting for the stage-record queries per check with ${open} open orders, scaled to 1,000`);
    record('watchdog.check_duration', 'watchdog', 'ms', f.checks.map(c => c.durationMs), `one check with ${open} open orders`);
    record('watchdog.peak_rss', 'watchdog', 'MiB', [f.peakRssMiB]);
    const max = Math.max(...f.detectionS);
    if (max > f.detectionBudgetS) notes.push(`watchdog: detection max ${max.toFixed(1)} s exceeds the scaled budget ${f.detectionBudgetS} s`);
    return f;
  } finally {
    await api.stop();
    log('  draining the orders CRM took back ...');
    await drainQueues(120);
  }
}

// ---- 3. Collector ---------------------------------------------------------------------------

async function collectorPhase(s: Settings, budget: Budget): Promise<StepResult[]> {
  const steps: StepResult[] = [];
  const first = await readCollector();
  log(`collector: OTLP/HTTP at increasing rates, ${s.tracesPerRequest * SPANS_PER_TRACE} spans per request, ${s.collectorStepS} s per step`);
  for (const encoding of s.collectorEncodings) {
    const template = buildTemplate(encoding, s.tracesPerRequest);
    log(`  ${encoding}: ${(template.bytes.length / 1024).toFixed(0)} KiB per request`);
    let sustained: StepResult | undefined;
    let saturated: StepResult | undefined;
    for (const rate of s.collectorRates) {
      if (!budget.fits(`collector ${encoding} ${rate} spans/s`, s.collectorStepS + 40)) break;
      const r = await runStep(template, rate, s.collectorStepS);
      steps.push(r);
      log(
        `  ${encoding} ${String(rate).padStart(6)}/s: offered ${r.offeredSpansPerS.toFixed(0)}, accepted ${r.acceptedSpansPerS.toFixed(0)}/s, ` +
          `to Jaeger ${r.exportedPerS.toFixed(0)}/s, RSS max ${r.rssMaxMiB.toFixed(0)} MiB, request p99 ${r.requestP99Ms} ms: ${r.why}`,
      );
      if (r.ok) sustained = r;
      else {
        saturated = r;
        break;
      }
      await settleCollector(10_000);
    }
    if (sustained) {
      record(
        `collector.${encoding}.highest_sustained_step`,
        'collector',
        'spans/s',
        [sustained.targetSpansPerS],
        `offered rate of the highest step with nothing refused or dropped and >= 95 % accepted`,
      );
      record(
        `collector.${encoding}.accepted_at_highest_sustained_step`,
        'collector',
        'spans/s',
        sustained.acceptedPerSecond.length ? sustained.acceptedPerSecond : [sustained.acceptedSpansPerS],
        `per-second accepted rates; ${sustained.acceptedSpansPerS.toFixed(0)}/s over the whole step`,
      );
      record(`collector.${encoding}.rss_at_highest_sustained_step`, 'collector', 'MiB', [sustained.rssMaxMiB]);
    }
    if (saturated) {
      record(`collector.${encoding}.first_failed_step`, 'collector', 'spans/s', [saturated.targetSpansPerS], saturated.why);
      record(
        `collector.${encoding}.accepted_at_first_failed_step`,
        'collector',
        'spans/s',
        saturated.acceptedPerSecond.length ? saturated.acceptedPerSecond : [saturated.acceptedSpansPerS],
        `per-second accepted rates; ${saturated.acceptedSpansPerS.toFixed(0)}/s over the whole step`,
      );
    } else if (sustained) {
      notes.push(`collector ${encoding}: not saturated up to ${sustained.targetSpansPerS} spans/s (the highest step run)`);
    }
    log(`  settling (Jaeger catching up) ...`);
    await settleCollector(30_000);
  }
  const rssAll = steps.map(r => r.rssMaxMiB);
  if (rssAll.length) record('collector.rss_peak', 'collector', 'MiB', rssAll, 'max RSS of each step');
  notes.push(`collector telemetry series: ${first.names.filter(n => /receiver|exporter_(sent|send_failed|enqueue)|processor|memory_rss/.test(n)).join(', ')}`);
  return steps;
}

// ---- 6. Logs pipeline -----------------------------------------------------------------------

/** Log records per second the shipped logs pipeline (Collector → VictoriaLogs) takes, stepping up until it refuses or drops. */
async function logsPhase(s: Settings, budget: Budget): Promise<StepResult[]> {
  const steps: StepResult[] = [];
  const payload = buildLogsPayload('protobuf', s.logRecordsPerRequest);
  log(`logs: OTLP/HTTP protobuf at increasing rates, ${payload.items} records (${(payload.bytes.length / 1024).toFixed(0)} KiB) per request, ${s.collectorStepS} s per step`);
  let sustained: StepResult | undefined;
  let saturated: StepResult | undefined;
  for (const rate of s.logRates) {
    if (!budget.fits(`logs ${rate} records/s`, s.collectorStepS + 40)) break;
    const r = await runStep(payload, rate, s.collectorStepS, 16, LOGS);
    steps.push(r);
    log(
      `  ${String(rate).padStart(6)}/s: offered ${r.offeredSpansPerS.toFixed(0)}, accepted ${r.acceptedSpansPerS.toFixed(0)}/s, ` +
        `to VictoriaLogs ${r.exportedPerS.toFixed(0)}/s, RSS max ${r.rssMaxMiB.toFixed(0)} MiB, request p99 ${r.requestP99Ms} ms: ${r.why}`,
    );
    if (r.ok) sustained = r;
    else {
      saturated = r;
      break;
    }
    await settleCollector(15_000, LOGS);
  }
  if (sustained) {
    record('logs.highest_sustained_step', 'collector', 'records/s', [sustained.targetSpansPerS], 'offered rate of the highest step with nothing refused or dropped and >= 95 % accepted');
    record('logs.exported_at_highest_sustained_step', 'collector', 'records/s', [sustained.exportedPerS], 'sent on to VictoriaLogs over the step');
    record('logs.rss_at_highest_sustained_step', 'collector', 'MiB', [sustained.rssMaxMiB]);
  }
  if (saturated) record('logs.first_failed_step', 'collector', 'records/s', [saturated.targetSpansPerS], saturated.why);
  else if (sustained) notes.push(`logs: not saturated up to ${sustained.targetSpansPerS} records/s (the highest step run)`);
  await settleCollector(30_000, LOGS);
  return steps;
}

// ---- run ------------------------------------------------------------------------------------

function median(xs: number[]): number {
  const ok = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return ok.length ? ok[ok.length >> 1]! : NaN;
}

function writeResults(extra: Record<string, unknown>): void {
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  const tmp = `${RESULTS_FILE}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ ...extra, measurements }, null, 2)}\n`);
  renameSync(tmp, RESULTS_FILE);
}

/** BENCH_ONLY=<phase>: the other phases' figures of the last full run stay, this phase's (`<prefix>.*`, `key`) are replaced. */
function mergePhaseResults(prefix: string, key: string, figures: unknown): void {
  let previous: { measurements?: Measurement[] } & Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
  } catch {
    // no earlier run: the file holds this phase's figures only
  }
  const kept = (previous.measurements ?? []).filter(m => !m.name.startsWith(`${prefix}.`));
  measurements.unshift(...kept);
  const { measurements: _old, ...rest } = previous;
  writeResults({ ...rest, [key]: figures });
}

async function main(): Promise<void> {
  const settings = settingsFromEnv();
  const budget = new Budget(settings.budgetS);
  const machineInfo = machine();
  log(`machine: ${machineInfo.cores} cores (${machineInfo.cpu}), ${machineInfo.memoryGiB} GiB, Node ${machineInfo.node}`);
  log('starting the stack (profile bench, fresh) ...');
  let stack: NativeStack | undefined;
  let stopping = false;
  const cleanup = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping everything the bench started ...`);
    silenced = true;
    const hard = setTimeout(() => {
      killAllNow();
      process.exit(code);
    }, 60_000);
    hard.unref();
    await stopAll().catch(() => {});
    await stack?.stop().catch(() => {});
    process.exit(code);
  };
  process.on('SIGINT', () => void cleanup('interrupted', 130));
  process.on('SIGTERM', () => void cleanup('terminated', 143));
  process.on('exit', () => killAllNow());
  const hardLimit = setTimeout(() => void cleanup(`time limit (${settings.budgetS + 45} s) reached`, 1), (settings.budgetS + 45) * 1000);
  hardLimit.unref();

  const stateLogDir = join(repoRoot, '.run', 'bench', 'logs');
  let steps: StepResult[] = [];
  let full: TraceShape | undefined;
  let watchdog: WatchdogFigures | undefined;
  let logSteps: StepResult[] = [];
  try {
    stack = await NativeStack.start({ profile: 'bench', fresh: true, log: line => log(`  ${line}`) });
    // shop-api is the service under test: the bench starts it itself, once per variant and run.
    await stack.stopComponent('shop-api');
    // The order watchdog (its checks, its canary) would load the other phases; phase 5 runs its own.
    await stack.stopComponent('order-watchdog');
    mkdirSync(stateLogDir, { recursive: true });
    log(`stack up; logs in ${stack.logDir}`);

    if (ONLY === 'watchdog') {
      watchdog = await watchdogBenchPhase(settings, stack, stateLogDir);
    } else if (ONLY === 'logs') {
      logSteps = await logsPhase(settings, budget);
    } else {
      await startupPhase(settings);
      await firstAnswerPhase(settings, stateLogDir);
      await requestPathPhase(settings, stateLogDir, budget);
      if (budget.fits('freshness', 20 + settings.freshnessRuns * 14)) full = await freshnessPhase(settings, stateLogDir);
      if (budget.fits('watchdog', 150 + settings.watchdogOpenOrders / 20)) watchdog = await watchdogBenchPhase(settings, stack, stateLogDir);
      logSteps = await logsPhase(settings, budget);
      steps = await collectorPhase(settings, budget);
    }
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? err}`);
    notes.push(`run failed: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(hardLimit);
    if (!stopping) {
      stopping = true;
      log('stopping the stack ...');
      await stopAll().catch(() => {});
      await stack?.stop().catch(() => {});
    }
  }

  if (ONLY === 'watchdog') {
    if (!watchdog) {
      for (const n of notes) process.stdout.write(`note: ${n}\n`);
      process.stdout.write(`\nthe watchdog phase failed: ${RESULTS_FILE} left as it was\n`);
      return;
    }
    mergePhaseResults('watchdog', 'watchdog', { generated: new Date().toISOString(), command: 'BENCH_ONLY=watchdog npm run bench', durationS: Math.round((Date.now() - t0) / 1000), machine: machineInfo, ...watchdog, notes });
    process.stdout.write(`\n${renderMeasurements(measurements.filter(m => m.name.startsWith('watchdog.')))}\n`);
    for (const n of notes) process.stdout.write(`note: ${n}\n`);
    process.stdout.write(`\nmerged into ${RESULTS_FILE} (${Math.round((Date.now() - t0) / 1000)} s in all)\n`);
    return;
  }

  if (ONLY === 'logs') {
    if (logSteps.length === 0) {
      for (const n of notes) process.stdout.write(`note: ${n}\n`);
      process.stdout.write(`\nthe logs phase failed: ${RESULTS_FILE} left as it was\n`);
      return;
    }
    mergePhaseResults('logs', 'logSteps', logSteps);
    process.stdout.write(`\n${renderMeasurements(measurements.filter(m => m.name.startsWith('logs.')))}\n`);
    for (const n of notes) process.stdout.write(`note: ${n}\n`);
    process.stdout.write(`\nmerged into ${RESULTS_FILE} (${Math.round((Date.now() - t0) / 1000)} s in all)\n`);
    return;
  }

  // Pipeline CPU per request is ~0 for plain (nothing to export): shown as absolute figures only.
  const ratios = ratioRows(measurements.filter(m => !m.name.includes('pipeline_cpu')));
  const targets = checkTargets(measurements, {
    metricsFreshnessLimitS: SPAN_METRICS_FLUSH_S + SPAN_METRICS_SCRAPE_S,
    collectorMemoryLimitMiB: MEMORY_LIMITER_MIB,
  });
  writeResults({
    generated: new Date().toISOString(),
    command: 'npm run bench',
    durationS: Math.round((Date.now() - t0) / 1000),
    machine: machineInfo,
    settings,
    variants: {
      plain: 'node <script>',
      shopfloor: 'node --require @shopfloor/otel-bootstrap <script>',
      stock: 'node --require @opentelemetry/auto-instrumentations-node/register <script>',
      env: COMMON_OTEL_ENV,
    },
    ratios,
    targets,
    collectorSteps: steps,
    logSteps,
    freshnessTrace: full,
    watchdog,
    skipped: budget.skipped,
    notes,
  });

  process.stdout.write(`\n${renderMeasurements(measurements)}\n\nOverheads (medians; ratio to plain):\n${renderRatios(ratios)}\n`);
  if (steps.length) {
    process.stdout.write(
      `\nCollector steps:\n${renderTable(
        ['encoding', 'target/s', 'offered/s', 'accepted/s', 'to Jaeger/s', 'RSS max MiB', 'p99 ms', 'verdict'],
        steps.map(r => [r.encoding, r.targetSpansPerS, r.offeredSpansPerS, r.acceptedSpansPerS, r.exportedPerS, r.rssMaxMiB, r.requestP99Ms, r.why]),
      )}\n`,
    );
  }
  process.stdout.write(`\nTargets:\n${renderTable(['target', 'measured', 'met'], targets.map(t => [t.target, t.value, t.met === undefined ? '?' : t.met ? 'yes' : 'NO']))}\n`);
  for (const n of [...budget.skipped.map(x => `skipped: ${x}`), ...notes]) process.stdout.write(`note: ${n}\n`);
  process.stdout.write(`\nwritten to ${RESULTS_FILE} (${Math.round((Date.now() - t0) / 1000)} s in all)\n`);
}

void main();

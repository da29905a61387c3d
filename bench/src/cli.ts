#!/usr/bin/env node
/**
 * `npm run bench`: what the preload costs and whether the pipeline keeps up, measured side by
 * side in one run: plain node, the shopfloor preload and the stock OpenTelemetry preload,
 * alternated run by run, against one running stack (profile `bench`, data in .run/bench).
 *
 * Phases (./phases): 1 start-up (empty script; shop-api's first answer), 2 request path
 * (POST /orders, GET /healthz, GET /livez), 4 freshness (Jaeger, Prometheus), 5 the order
 * watchdog (detection latency, cost per 1,000 open orders), 6 the logs pipeline (records/s into
 * VictoriaLogs), 7 persistence (persistent queue vs in-memory, Badger vs memory: its own
 * Collector and Jaeger processes on free ports), 3 Collector capacity (last: it floods Jaeger).
 * BENCH_ONLY=watchdog, logs or persistence runs phase 5, 6 or 7 alone and merges its figures
 * into the results file (./options.ts, ./results.ts). BENCH_ONLY=persistence starts no stack.
 * Everything it starts is stopped on the way out, also on failure and Ctrl-C.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NativeStack } from '@shopfloor/native-stack';
import { repoRoot } from '@shopfloor/stack-contract';
import { Budget, createLog, Figures, type RunContext } from './context';
import { parseOptions, type Options } from './options';
import { collectorPhase } from './phases/collector';
import { freshnessPhase } from './phases/freshness';
import { logsPhase } from './phases/logs';
import { persistenceNeedS, persistencePhase } from './phases/persistence';
import { requestPathPhase } from './phases/request-path';
import { startupPhase } from './phases/startup';
import { watchdogBenchPhase } from './phases/watchdog';
import { killAllNow, stopAll } from './procs';
import { finishRun, machine, resultsFile, type PhaseResults } from './results';

const parsed = parseOptions(process.env);
if (!parsed.ok) {
  process.stderr.write(`${parsed.error}\n`);
  process.exit(2);
}
void main(parsed.options, Date.now());

async function main({ only, quick, settings }: Options, t0: number): Promise<void> {
  const { log, silence } = createLog(t0);
  const ctx: RunContext = { settings, log, budget: new Budget(t0, settings.budgetS, log), figures: new Figures(), logDir: join(repoRoot, '.run', 'bench', 'logs') };
  const machineInfo = machine();
  log(`machine: ${machineInfo.cores} cores (${machineInfo.cpu}), ${machineInfo.memoryGiB} GiB, Node ${machineInfo.node}`);
  let stack: NativeStack | undefined;
  let stopping = false;
  const cleanup = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping everything the bench started ...`);
    silence();
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

  // Filled phase by phase: a run that fails part-way still reports what the earlier phases returned.
  const results: PhaseResults = { collectorSteps: [], logSteps: [] };
  try {
    mkdirSync(ctx.logDir, { recursive: true });
    if (only === 'persistence') {
      // Standalone: its own Collector and Jaeger on free ports; no stack, the stack's ports untouched.
      results.persistence = await persistencePhase(ctx);
    } else {
      log('starting the stack (profile bench, fresh) ...');
      const running = await NativeStack.start({ profile: 'bench', fresh: true, log: line => log(`  ${line}`) });
      stack = running;
      // shop-api is the service under test: the bench starts it itself, once per variant and run.
      await running.stopComponent('shop-api');
      // The order watchdog (its checks, its canary) would load the other phases; phase 5 runs its own.
      await running.stopComponent('order-watchdog');
      log(`stack up; logs in ${running.logDir}`);

      if (only === 'watchdog') {
        results.watchdog = await watchdogBenchPhase(ctx, running);
      } else if (only === 'logs') {
        results.logSteps = await logsPhase(ctx);
      } else {
        await startupPhase(ctx);
        await requestPathPhase(ctx);
        if (ctx.budget.fits('freshness', 20 + settings.freshnessRuns * 14)) results.freshnessTrace = await freshnessPhase(ctx);
        if (ctx.budget.fits('watchdog', 150 + settings.watchdogOpenOrders / 20)) results.watchdog = await watchdogBenchPhase(ctx, running);
        results.logSteps = await logsPhase(ctx);
        // Before the Collector phase, which floods the stack's Jaeger (it would still be catching up).
        if (ctx.budget.fits('persistence', persistenceNeedS(settings))) results.persistence = await persistencePhase(ctx);
        results.collectorSteps = await collectorPhase(ctx);
      }
    }
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? err}`);
    ctx.figures.note(`run failed: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(hardLimit);
    if (!stopping) {
      stopping = true;
      log(stack ? 'stopping the stack ...' : 'stopping what the bench started ...');
      await stopAll().catch(() => {});
      await stack?.stop().catch(() => {});
    }
  }

  finishRun({ only, file: resultsFile(quick), t0, machine: machineInfo, settings, figures: ctx.figures, skipped: ctx.budget.skipped, results });
}

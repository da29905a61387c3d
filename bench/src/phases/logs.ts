/**
 * Phase 6, the logs pipeline: log records per second the shipped pipeline (Collector →
 * VictoriaLogs) takes, stepping up until it refuses or drops.
 */
import { LOGS, runStep, settleCollector, type StepResult } from '../collector';
import type { RunContext } from '../context';
import { buildLogsPayload } from '../otlp-payload';

/** Every step run, in order. */
export async function logsPhase({ settings: s, log, budget, figures }: RunContext): Promise<StepResult[]> {
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
    figures.record('logs.highest_sustained_step', 'collector', 'records/s', [sustained.targetSpansPerS], 'offered rate of the highest step with nothing refused or dropped and >= 95 % accepted');
    figures.record('logs.exported_at_highest_sustained_step', 'collector', 'records/s', [sustained.exportedPerS], 'sent on to VictoriaLogs over the step');
    figures.record('logs.rss_at_highest_sustained_step', 'collector', 'MiB', [sustained.rssMaxMiB]);
  }
  if (saturated) figures.record('logs.first_failed_step', 'collector', 'records/s', [saturated.targetSpansPerS], saturated.why);
  else if (sustained) figures.note(`logs: not saturated up to ${sustained.targetSpansPerS} records/s (the highest step run)`);
  await settleCollector(30_000, LOGS);
  return steps;
}

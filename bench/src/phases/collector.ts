/**
 * Phase 3, Collector capacity: OTLP/HTTP traces at increasing rates, per encoding, until a step
 * is not sustained. Run last: it floods Jaeger.
 */
import { readCollector, runStep, settleCollector, type StepResult } from '../collector';
import type { RunContext } from '../context';
import { buildTemplate, SPANS_PER_TRACE } from '../otlp-payload';

/** Every step run, in order, all encodings. */
export async function collectorPhase({ settings: s, log, budget, figures }: RunContext): Promise<StepResult[]> {
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
      figures.record(
        `collector.${encoding}.highest_sustained_step`,
        'collector',
        'spans/s',
        [sustained.targetSpansPerS],
        `offered rate of the highest step with nothing refused or dropped and >= 95 % accepted`,
      );
      figures.record(
        `collector.${encoding}.accepted_at_highest_sustained_step`,
        'collector',
        'spans/s',
        sustained.acceptedPerSecond.length ? sustained.acceptedPerSecond : [sustained.acceptedSpansPerS],
        `per-second accepted rates; ${sustained.acceptedSpansPerS.toFixed(0)}/s over the whole step`,
      );
      figures.record(`collector.${encoding}.rss_at_highest_sustained_step`, 'collector', 'MiB', [sustained.rssMaxMiB]);
    }
    if (saturated) {
      figures.record(`collector.${encoding}.first_failed_step`, 'collector', 'spans/s', [saturated.targetSpansPerS], saturated.why);
      figures.record(
        `collector.${encoding}.accepted_at_first_failed_step`,
        'collector',
        'spans/s',
        saturated.acceptedPerSecond.length ? saturated.acceptedPerSecond : [saturated.acceptedSpansPerS],
        `per-second accepted rates; ${saturated.acceptedSpansPerS.toFixed(0)}/s over the whole step`,
      );
    } else if (sustained) {
      figures.note(`collector ${encoding}: not saturated up to ${sustained.targetSpansPerS} spans/s (the highest step run)`);
    }
    log(`  settling (Jaeger catching up) ...`);
    await settleCollector(30_000);
  }
  const rssAll = steps.map(r => r.rssMaxMiB);
  if (rssAll.length) figures.record('collector.rss_peak', 'collector', 'MiB', rssAll, 'max RSS of each step');
  figures.note(`collector telemetry series: ${first.names.filter(n => /receiver|exporter_(sent|send_failed|enqueue)|processor|memory_rss/.test(n)).join(', ')}`);
  return steps;
}

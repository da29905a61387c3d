/**
 * The results file and the summary printed at the end of a run. A full run writes the whole
 * file; a BENCH_ONLY run merges its phase's figures into the file of the last full run, and
 * leaves the file alone when its phase failed. BENCH_QUICK=1 writes quick-run.tmp (git ignores
 * it), so a smoke run never overwrites the committed figures.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '@shopfloor/stack-contract';
import { MEMORY_LIMITER_MIB, type StepResult } from './collector';
import type { Figures } from './context';
import { SPAN_METRICS_FLUSH_S, SPAN_METRICS_SCRAPE_S, type TraceShape } from './freshness';
import type { AlonePhase } from './options';
import type { PersistenceFigures } from './phases/persistence';
import type { Settings } from './settings';
import { ratioRows, renderMeasurements, renderRatios, renderTable, type Measurement, type RatioRow } from './stats';
import { checkTargets, type TargetCheck } from './targets';
import { COMMON_OTEL_ENV } from './variants';
import type { WatchdogFigures } from './watchdog';
import type { PersistenceRatio } from './persistence';

export function resultsFile(quick: boolean): string {
  return join(repoRoot, 'bench', 'results', quick ? 'quick-run.tmp' : 'latest.json');
}

export function machine() {
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
export type Machine = ReturnType<typeof machine>;

/** What the phases returned; their measurements and notes are in the run's Figures. */
export interface PhaseResults {
  collectorSteps: StepResult[];
  logSteps: StepResult[];
  freshnessTrace?: TraceShape;
  watchdog?: WatchdogFigures;
  persistence?: PersistenceFigures;
}

export interface FinishedRun {
  only: AlonePhase | undefined;
  file: string;
  /** When the run started (Date.now()). */
  t0: number;
  machine: Machine;
  settings: Settings;
  figures: Figures;
  skipped: readonly string[];
  results: PhaseResults;
}

export type ResultsDocument = Record<string, unknown> & { measurements?: Measurement[] };

/** Where a BENCH_ONLY phase's own figures go in the results file (its measurements are `<phase>.*`). */
const ALONE_KEY: Record<AlonePhase, string> = { watchdog: 'watchdog', logs: 'logSteps', persistence: 'persistence' };

/** Writes the results file (or leaves it, see above) and prints the run's summary. */
export function finishRun(run: FinishedRun, out: (text: string) => void = text => process.stdout.write(text), now: () => number = Date.now): void {
  if (run.only) finishAlone(run, run.only, out, now);
  else finishFull(run, out, now);
}

function finishAlone(run: FinishedRun, only: AlonePhase, out: (text: string) => void, now: () => number): void {
  const { measurements, notes } = run.figures;
  const { watchdog, logSteps, persistence } = run.results;
  let figures: unknown;
  if (only === 'watchdog') {
    figures = watchdog && { generated: new Date(now()).toISOString(), command: 'BENCH_ONLY=watchdog npm run bench', durationS: secondsSince(run.t0, now), machine: run.machine, ...watchdog, notes };
  } else if (only === 'persistence') {
    figures = persistence && { generated: new Date(now()).toISOString(), command: 'BENCH_ONLY=persistence npm run bench', durationS: secondsSince(run.t0, now), machine: run.machine, ...persistence, notes };
  } else {
    figures = logSteps.length ? logSteps : undefined;
  }
  if (figures === undefined) {
    for (const n of notes) out(`note: ${n}\n`);
    out(`\nthe ${only} phase failed: ${run.file} left as it was\n`);
    return;
  }
  writeResults(run.file, mergePhase(readResults(run.file), only, ALONE_KEY[only], figures, measurements));
  out(`\n${renderMeasurements(measurements.filter(m => m.name.startsWith(`${only}.`)))}\n`);
  if (only === 'persistence' && persistence) out(`\n${renderPersistence(persistence.ratios)}\n`);
  for (const n of notes) out(`note: ${n}\n`);
  out(`\nmerged into ${run.file} (${secondsSince(run.t0, now)} s in all)\n`);
}

function finishFull(run: FinishedRun, out: (text: string) => void, now: () => number): void {
  const { measurements, notes } = run.figures;
  const { collectorSteps, logSteps, freshnessTrace, watchdog, persistence } = run.results;
  // Pipeline CPU per request is ~0 for plain (nothing to export): shown as absolute figures only.
  const ratios = ratioRows(measurements.filter(m => !m.name.includes('pipeline_cpu')));
  const targets = checkTargets(measurements, {
    metricsFreshnessLimitS: SPAN_METRICS_FLUSH_S + SPAN_METRICS_SCRAPE_S,
    collectorMemoryLimitMiB: MEMORY_LIMITER_MIB,
  });
  writeResults(run.file, {
    generated: new Date(now()).toISOString(),
    command: 'npm run bench',
    durationS: secondsSince(run.t0, now),
    machine: run.machine,
    settings: run.settings,
    variants: {
      plain: 'node <script>',
      shopfloor: 'node --require @shopfloor/otel-bootstrap <script>',
      stock: 'node --require @opentelemetry/auto-instrumentations-node/register <script>',
      env: COMMON_OTEL_ENV,
    },
    ratios,
    targets,
    collectorSteps,
    logSteps,
    freshnessTrace,
    watchdog,
    persistence,
    skipped: run.skipped,
    notes,
    measurements,
  });
  out(renderSummary(measurements, ratios, collectorSteps, targets, [...run.skipped.map(x => `skipped: ${x}`), ...notes], persistence?.ratios ?? []));
  out(`\nwritten to ${run.file} (${secondsSince(run.t0, now)} s in all)\n`);
}

/** The full run's summary: every measurement, the overheads, the Collector steps (if any ran), the targets, the notes. */
export function renderSummary(
  measurements: readonly Measurement[],
  ratios: readonly RatioRow[],
  collectorSteps: readonly StepResult[],
  targets: readonly TargetCheck[],
  notes: readonly string[],
  persistenceRatios: readonly PersistenceRatio[] = [],
): string {
  let text = `\n${renderMeasurements(measurements)}\n\nOverheads (medians; ratio to plain):\n${renderRatios(ratios)}\n`;
  if (collectorSteps.length) {
    text += `\nCollector steps:\n${renderTable(
      ['encoding', 'target/s', 'offered/s', 'accepted/s', 'to Jaeger/s', 'RSS max MiB', 'p99 ms', 'verdict'],
      collectorSteps.map(r => [r.encoding, r.targetSpansPerS, r.offeredSpansPerS, r.acceptedSpansPerS, r.exportedPerS, r.rssMaxMiB, r.requestP99Ms, r.why]),
    )}\n`;
  }
  if (persistenceRatios.length) text += `\n${renderPersistence(persistenceRatios)}\n`;
  text += `\nTargets:\n${renderTable(['target', 'measured', 'met'], targets.map(t => [t.target, t.value, t.met === undefined ? '?' : t.met ? 'yes' : 'NO']))}\n`;
  for (const n of notes) text += `note: ${n}\n`;
  return text;
}

/** The persistence phase's side-by-side table: persistent store / in-memory one (medians), and so on. */
export function renderPersistence(rows: readonly PersistenceRatio[]): string {
  return `Persistence (medians; ratio variant / baseline):\n${renderTable(
    ['figure', 'unit', 'variant', 'value', 'baseline', 'value', 'ratio'],
    rows.map(r => [r.figure, r.unit, r.variant, r.value, r.baseline, r.baselineValue, r.ratio]),
  )}`;
}

/**
 * `previous` with one phase's figures replaced: its measurements (`<prefix>.*`) and `key`. The
 * other phases' stay as they were, in place; the phase's measurements come after theirs.
 */
export function mergePhase(previous: ResultsDocument, prefix: string, key: string, figures: unknown, measurements: readonly Measurement[]): ResultsDocument {
  const { measurements: old = [], ...rest } = previous;
  return { ...rest, [key]: figures, measurements: [...old.filter(m => !m.name.startsWith(`${prefix}.`)), ...measurements] };
}

/** The results file as it is, or {} when there is none (yet) or it does not parse. */
export function readResults(file: string): ResultsDocument {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ResultsDocument;
  } catch {
    return {};
  }
}

/** Replaces the file in one step (write, then rename), so an interrupted run never leaves half a file. */
function writeResults(file: string, doc: ResultsDocument): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(tmp, file);
}

function secondsSince(t0: number, now: () => number): number {
  return Math.round((now() - t0) / 1000);
}

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepResult } from './collector';
import { Figures } from './context';
import { persistenceRatios } from './persistence';
import { finishRun, mergePhase, renderSummary, type FinishedRun, type PhaseResults } from './results';
import { DEFAULTS } from './settings';
import { measurement, type Measurement } from './stats';
import type { WatchdogFigures } from './watchdog';

const STEP: StepResult = {
  encoding: 'json',
  targetSpansPerS: 5000,
  durationS: 8,
  offeredSpansPerS: 4999,
  acceptedSpansPerS: 4998,
  acceptedPerSecond: [4998],
  refusedSpans: 0,
  failedSpans: 0,
  httpRejected: 0,
  httpErrors: 0,
  exportFailedSpans: 0,
  enqueueFailedSpans: 0,
  exportedPerS: 4990,
  rssMaxMiB: 50,
  rssEndMiB: 48,
  requestP99Ms: 12,
  skippedSends: 0,
  ok: true,
  why: 'sustained',
};

const m = (name: string, variant: string, x: number): Measurement => measurement(name, variant, 'ms', [x]);

describe('mergePhase', () => {
  it("replaces the phase's measurements and key, keeps every other key in place and the other measurements first", () => {
    const previous = {
      generated: 'then',
      watchdog: { old: true },
      notes: ['kept'],
      measurements: [m('startup.wall', 'plain', 1), m('watchdog.detection', 'watchdog', 9), m('watchdog_like.x', 'x', 2), m('logs.step', 'collector', 3)],
    };
    const merged = mergePhase(previous, 'watchdog', 'watchdog', { fresh: true }, [m('watchdog.detection', 'watchdog', 8)]);
    assert.deepEqual(Object.keys(merged), ['generated', 'watchdog', 'notes', 'measurements']);
    assert.deepEqual(merged.watchdog, { fresh: true });
    assert.deepEqual(
      merged.measurements!.map(x => [x.name, x.median]),
      [['startup.wall', 1], ['watchdog_like.x', 2], ['logs.step', 3], ['watchdog.detection', 8]],
    );
    assert.equal(previous.measurements.length, 4, 'the previous document is not modified');
  });
  it('a key the previous run did not have is added before the measurements', () => {
    const merged = mergePhase({ command: 'npm run bench' }, 'logs', 'logSteps', [1], [m('logs.step', 'collector', 3)]);
    assert.deepEqual(Object.keys(merged), ['command', 'logSteps', 'measurements']);
  });
});

describe('renderSummary', () => {
  const ms = [m('startup.wall', 'plain', 10), m('startup.wall', 'shopfloor', 15), m('startup.wall', 'stock', 30)];
  const ratios = [{ name: 'startup.wall', unit: 'ms', plain: 10, shopfloor: 15, stock: 30, shopfloorRatio: 1.5, stockRatio: 3, overheadShare: 0.25 }];
  const targets = [
    { target: 'a', value: '1', met: true },
    { target: 'b', value: '2', met: false },
    { target: 'c', value: '3', met: undefined },
  ];
  it('measurements, overheads, targets (yes / NO / ?) and notes; no Collector section without steps', () => {
    const text = renderSummary(ms, ratios, [], targets, ['skipped: x', 'y']);
    assert.doesNotMatch(text, /Collector steps/);
    assert.match(text, /^\nmeasurement +variant +unit +median/);
    assert.match(text, /\n\nOverheads \(medians; ratio to plain\):\nmeasurement +unit +plain +shopfloor +stock +shopfloor\/plain +stock\/plain\n/);
    assert.match(text, /\nTargets:\ntarget +measured +met\n[- ]+\na +1 +yes\nb +2 +NO\nc +3 +\?\n/);
    assert.ok(text.endsWith('\nnote: skipped: x\nnote: y\n'));
  });
  it('a table of the Collector steps when some ran', () => {
    const text = renderSummary(ms, ratios, [STEP], targets, []);
    assert.match(text, /\nCollector steps:\nencoding +target\/s +offered\/s +accepted\/s +to Jaeger\/s +RSS max MiB +p99 ms +verdict\n[- ]+\njson +5000 +4999 +4998 +4990 +50 +12 +sustained\n\nTargets:/);
  });
});

describe('finishRun', () => {
  const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
  const now = () => T0 + 42_000;
  const machine = { cores: 2, cpu: 'test', memoryGiB: 1, node: 'v24', os: 'Linux', loadAverageAtStart: [0, 0, 0] };
  const watchdog: WatchdogFigures = { scale: 6, journey: 'j', checkIntervalMs: 1667, detectionBudgetS: 20, detectionS: [8], checks: [], peakRssMiB: 100 };
  const previous = {
    generated: 'earlier',
    collectorSteps: ['earlier steps'],
    watchdog: { earlier: true },
    logSteps: ['earlier log steps'],
    measurements: [m('startup.wall', 'plain', 1), m('watchdog.detection', 'watchdog', 9), m('logs.highest_sustained_step', 'collector', 5)],
  };
  const run = (file: string, only: FinishedRun['only'], results: Partial<PhaseResults>, figures = new Figures()): string => {
    let out = '';
    finishRun({ only, file, t0: T0, machine, settings: DEFAULTS, figures, skipped: [], results: { collectorSteps: [], logSteps: [], ...results } }, text => (out += text), now);
    return out;
  };
  const fileWith = (doc: unknown) => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-results-')), 'latest.json');
    writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
    return file;
  };

  it('a BENCH_ONLY run whose phase failed leaves the results file alone, and says so', () => {
    for (const only of ['watchdog', 'logs', 'persistence'] as const) {
      const file = fileWith(previous);
      const before = readFileSync(file, 'utf8');
      const figures = new Figures();
      figures.note('run failed: boom');
      const out = run(file, only, {}, figures);
      assert.equal(readFileSync(file, 'utf8'), before);
      assert.equal(out, `note: run failed: boom\n\nthe ${only} phase failed: ${file} left as it was\n`);
    }
  });

  it("BENCH_ONLY=watchdog merges its figures, with the run's details, into the last full run's", () => {
    const file = fileWith(previous);
    const figures = new Figures();
    figures.record('watchdog.detection', 'watchdog', 's', [7, 8, 9]);
    figures.note('a note');
    const out = run(file, 'watchdog', { watchdog }, figures);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(doc), ['generated', 'collectorSteps', 'watchdog', 'logSteps', 'measurements']);
    assert.equal(doc.generated, 'earlier');
    assert.deepEqual(doc.logSteps, ['earlier log steps']);
    assert.deepEqual(doc.watchdog, {
      generated: '2026-11-28T12:00:42.000Z',
      command: 'BENCH_ONLY=watchdog npm run bench',
      durationS: 42,
      machine,
      ...watchdog,
      notes: ['a note'],
    });
    assert.deepEqual(doc.measurements.map((x: Measurement) => [x.name, x.median]), [['startup.wall', 1], ['logs.highest_sustained_step', 5], ['watchdog.detection', 8]]);
    assert.match(out, /^\nmeasurement +variant +unit +median +min +max +runs\n[- ]+\nwatchdog\.detection +watchdog +s +8 +7 +9 +3\nnote: a note\n\nmerged into .* \(42 s in all\)\n$/);
  });

  it("BENCH_ONLY=persistence merges its figures and ratios into the last full run's, and prints the ratio table", () => {
    const file = fileWith(previous);
    const figures = new Figures();
    figures.record('persistence.collector.accepted', 'persistent', 'spans/s', [30000, 32000]);
    figures.record('persistence.collector.accepted', 'in-memory', 'spans/s', [40000]);
    const persistence = {
      ratios: persistenceRatios(figures.measurements),
      configs: { collector: 'c', jaeger: 'j', overlays: 'o' },
      spansPerRequest: 500,
      concurrency: 8,
      loadS: 10,
      rounds: 2,
      bufferItem: 'skipped',
    };
    const out = run(file, 'persistence', { persistence }, figures);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(doc), ['generated', 'collectorSteps', 'watchdog', 'logSteps', 'persistence', 'measurements']);
    assert.equal(doc.persistence.command, 'BENCH_ONLY=persistence npm run bench');
    assert.deepEqual(doc.persistence.ratios, [
      { figure: 'persistence.collector.accepted', unit: 'spans/s', variant: 'persistent', value: 31000, baseline: 'in-memory', baselineValue: 40000, ratio: 0.775 },
    ]);
    assert.deepEqual(doc.measurements.map((x: Measurement) => x.name).slice(-2), ['persistence.collector.accepted', 'persistence.collector.accepted']);
    assert.match(out, /\nPersistence \(medians; ratio variant \/ baseline\):\nfigure +unit +variant +value +baseline +value +ratio\n[- ]+\npersistence\.collector\.accepted +spans\/s +persistent +31000 +in-memory +40000 +0\.775\n/);
  });

  it('BENCH_ONLY=logs with no earlier results writes a file of its own figures only', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-results-')), 'results', 'latest.json');
    const figures = new Figures();
    figures.record('logs.highest_sustained_step', 'collector', 'records/s', [160000]);
    run(file, 'logs', { logSteps: [STEP] }, figures);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(doc), ['logSteps', 'measurements']);
    assert.deepEqual(doc.logSteps, [STEP]);
    assert.equal(doc.measurements.length, 1);
    assert.equal(existsSync(`${file}.tmp`), false);
  });

  it('a full run replaces the whole file: its details, ratios, targets, every phase\'s results', () => {
    const file = fileWith(previous);
    const figures = new Figures();
    for (const [v, x] of [['plain', 10], ['shopfloor', 15], ['stock', 30]] as const) {
      figures.record('startup.empty_script.wall', v, 'ms', [x]);
      figures.record('orders.post.pipeline_cpu_per_request', v, 'ms', [x]);
    }
    figures.note('a note');
    const out = run(file, undefined, { collectorSteps: [STEP], watchdog }, figures);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(doc), [
      'generated', 'command', 'durationS', 'machine', 'settings', 'variants', 'ratios', 'targets',
      'collectorSteps', 'logSteps', 'watchdog', 'skipped', 'notes', 'measurements',
    ]);
    assert.equal(doc.generated, '2026-11-28T12:00:42.000Z');
    assert.equal(doc.command, 'npm run bench');
    assert.equal(doc.durationS, 42);
    assert.deepEqual(doc.watchdog, watchdog);
    assert.deepEqual(doc.collectorSteps, [STEP]);
    // Pipeline CPU has no ratio (plain exports nothing).
    assert.deepEqual(doc.ratios.map((r: { name: string }) => r.name), ['startup.empty_script.wall']);
    assert.equal(doc.targets[0].met, true);
    assert.equal(doc.measurements.length, 6);
    assert.match(out, /\nnote: a note\n\nwritten to .*latest\.json \(42 s in all\)\n$/);
  });
});

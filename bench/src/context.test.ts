import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Budget, createLog, Figures } from './context';

describe('Figures', () => {
  it('summarises each figure over its finite samples, in the order recorded', () => {
    const f = new Figures();
    f.record('b.wall', 'plain', 'ms', [3, NaN, 1, 2], 'a note');
    f.record('a.rss', 'stock', 'MiB', [10]);
    assert.deepEqual(f.measurements, [
      { name: 'b.wall', variant: 'plain', unit: 'ms', median: 2, min: 1, max: 3, runs: 3, note: 'a note' },
      { name: 'a.rss', variant: 'stock', unit: 'MiB', median: 10, min: 10, max: 10, runs: 1 },
    ]);
    assert.deepEqual(f.notes, []);
  });
  it('a figure without one finite sample is no measurement but a note', () => {
    const f = new Figures();
    f.record('x.throughput', 'shopfloor', 'req/s', [NaN, Infinity]);
    f.record('y', 'pipeline', 's', []);
    f.note('by hand');
    assert.deepEqual(f.measurements, []);
    assert.deepEqual(f.notes, ['x.throughput (shopfloor): no successful run', 'y (pipeline): no successful run', 'by hand']);
  });
});

describe('Budget', () => {
  it('a phase fits while its need is within the time left; one that does not is listed and logged', () => {
    let now = 1_000_000;
    const lines: string[] = [];
    const budget = new Budget(now, 100, line => lines.push(line), () => now);
    assert.equal(budget.fits('first', 100), true);
    now += 30_400;
    assert.equal(budget.fits('second', 69), true);
    assert.equal(budget.fits('third', 70.2), false);
    assert.deepEqual(budget.skipped, ['third (needed ~70 s, 70 s left)']);
    assert.deepEqual(lines, ['skipping third: not enough time left']);
  });
});

describe('createLog', () => {
  it('stamps lines with the seconds since the start, and drops them once silenced', () => {
    const out: string[] = [];
    const { log, silence } = createLog(Date.now() - 12_000, text => out.push(text));
    log('hello');
    silence();
    log('unwinding');
    assert.deepEqual(out, ['[bench   12 s] hello\n']);
  });
});

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSummary, totals } from './suite-summary';

const specTail = ['✔ a scenario (12ms)', 'ℹ tests 55', 'ℹ suites 12', 'ℹ pass 53', 'ℹ fail 1', 'ℹ cancelled 0', 'ℹ skipped 1', 'ℹ todo 0', 'ℹ duration_ms 781234.5'];

it('parseSummary reads the spec reporter closing counts', () => {
  assert.deepEqual(parseSummary('native', specTail, 1, 9), { name: 'native', passed: 53, failed: 1, skipped: 1, cancelled: 0, exitCode: 1, durationMs: 9 });
});

it('parseSummary reads tap closing counts and ignores look-alikes inside lines', () => {
  const s = parseSummary('containers', ['# Subtest: x', '[stack] ℹ pass 99', '# pass 7', '# fail 0', '# cancelled 2', '# skipped 0'], 1, 0);
  assert.deepEqual([s.passed, s.failed, s.cancelled, s.skipped], [7, 0, 2, 0]);
});

it('totals counts cancelled tests and a suite that crashed without counts as failures', () => {
  const ok = parseSummary('native', specTail.map((l) => l.replace('fail 1', 'fail 0')), 0, 0);
  const cancelled = parseSummary('containers', ['ℹ pass 40', 'ℹ fail 0', 'ℹ cancelled 6', 'ℹ skipped 1'], 1, 0);
  const crashed = parseSummary('containers', ['Error: could not start'], 1, 0);
  assert.deepEqual(totals([ok, cancelled]), { passed: 93, failed: 6, skipped: 2 });
  assert.deepEqual(totals([ok, crashed]), { passed: 53, failed: 1, skipped: 1 });
});

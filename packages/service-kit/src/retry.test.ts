import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, FailureStreak, sleep } from './retry';

describe('backoffDelay', () => {
  it('doubles and caps', () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    assert.deepEqual([1, 2, 3, 4, 5, 50].map((a) => backoffDelay(a, policy)), [100, 200, 400, 800, 1000, 1000]);
  });
});

describe('FailureStreak', () => {
  it('logs once per streak and once on recovery', () => {
    const lines: string[] = [];
    const logger = { warn: (_o: object, m: string) => lines.push(`warn ${m}`), info: (_o: object, m: string) => lines.push(`info ${m}`) };
    const streak = new FailureStreak(logger, 'connecting');
    assert.equal(streak.success(), false);
    assert.equal(streak.failure('refused'), true);
    assert.equal(streak.failure('refused'), false);
    assert.equal(streak.failure('refused'), false);
    assert.equal(streak.failure('timeout'), true);
    assert.equal(streak.count, 4);
    assert.equal(streak.success(), true);
    assert.equal(streak.failure('refused'), true);
    assert.deepEqual(lines, [
      'warn connecting failed; retrying',
      'warn connecting failed; retrying',
      'info connecting recovered',
      'warn connecting failed; retrying',
    ]);
  });
});

describe('sleep', () => {
  it('ends early on abort', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    assert.equal(await pending, false);
    assert.equal(await sleep(1), true);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_BACKOFF, RestartBackoff } from './backoff';

test('restart delays double from 1 s up to 30 s while crashes come quickly', () => {
  const b = new RestartBackoff();
  const delays = Array.from({ length: 8 }, () => b.next(500));
  assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
});

test('a run that stayed up 60 s starts the delays over', () => {
  const b = new RestartBackoff();
  b.next(0);
  b.next(0);
  assert.equal(b.next(59_999), 4_000);
  assert.equal(b.next(DEFAULT_BACKOFF.resetAfterMs), 1_000);
  assert.equal(b.next(10), 2_000);
});

test('reset() (a deliberate start) starts the delays over', () => {
  const b = new RestartBackoff({ initialMs: 100, maxMs: 1_000, resetAfterMs: 5_000 });
  assert.deepEqual([b.next(0), b.next(0), b.next(0), b.next(0), b.next(0)], [100, 200, 400, 800, 1_000]);
  b.reset();
  assert.equal(b.next(0), 100);
});

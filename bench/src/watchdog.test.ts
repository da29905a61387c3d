import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@shopfloor/stack-contract';
import { scaledJourney, WATCHDOG_SCALE } from './watchdog';

test('the bench journey is the shipped one with every deadline divided by the scale', () => {
  const shipped = readFileSync(join(repoRoot, 'packages', 'order-watchdog', 'journeys', 'shopfloor.yaml'), 'utf8');
  const scaled = scaledJourney(shipped, WATCHDOG_SCALE);
  const deadlines = (text: string) => [...text.matchAll(/^\s+deadline:\s*(\d+)(ms|s)\s*$/gm)].map(([, n, u]) => Number(n) * (u === 's' ? 1000 : 1));
  assert.deepEqual(deadlines(shipped), [20_000, 45_000, 60_000, 90_000]);
  assert.deepEqual(deadlines(scaled), [3333, 7500, 10_000, 15_000]);
  assert.equal(scaled.replace(/deadline: .*/g, ''), shipped.replace(/deadline: .*/g, ''), 'nothing else changes');
  assert.throws(() => scaledJourney('name: x\n', 6), /no `deadline/);
});

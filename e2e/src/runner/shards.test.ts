import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHARDS, shardFiles, shardPlace } from './shards';

/** Every scenario file of the sources (e2e/src and e2e/src/compose), as its compiled name. */
function scenarioFiles(): string[] {
  const src = join(__dirname, '..', '..', 'src');
  const list = (dir: string, prefix: string): string[] =>
    readdirSync(join(src, dir)).filter((f) => f.endsWith('.test.ts')).map((f) => `${prefix}${f.replace(/\.ts$/, '.js')}`);
  return [...list('.', ''), ...list('compose', 'compose/')].sort();
}

it('puts every scenario file in exactly one shard', () => {
  const placed = SHARDS.flat();
  const twice = placed.filter((f, i) => placed.indexOf(f) !== i);
  assert.deepEqual(twice, [], 'files in more than one shard');
  const scenarios = scenarioFiles();
  assert.deepEqual(scenarios.filter((f) => !placed.includes(f)), [], 'scenario files in no shard (add them to SHARDS in e2e/src/runner/shards.ts)');
  assert.deepEqual(placed.filter((f) => !scenarios.includes(f)), [], 'shard entries with no such scenario file');
});

it('runs a shard\'s files in path order, so compose/auth follows alerts, whose stack serves it', () => {
  const first = shardFiles(0);
  assert.deepEqual(first, [...first].sort());
  assert.equal(first[first.indexOf('e2e/dist/alerts.test.js') + 1], 'e2e/dist/compose/auth.test.js');
  assert.throws(() => shardFiles(SHARDS.length), /no shard/);
});

it('gives each shard a state directory and a loopback address of its own, the first the defaults', () => {
  const places = SHARDS.map((_, i) => shardPlace(i));
  assert.deepEqual(places[0], { profile: 'e2e', address: '127.0.0.1' });
  assert.equal(new Set(places.map((p) => p.profile)).size, SHARDS.length);
  assert.equal(new Set(places.map((p) => p.address)).size, SHARDS.length);
  for (const p of places) assert.match(p.address, /^127\.0\.0\.\d+$/);
});

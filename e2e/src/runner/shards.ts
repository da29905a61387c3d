/**
 * The scenario files of a suite in two shards, each on a stack of its own, side by side.
 *
 * Files that ask for the same stack settings stay in one shard, so that the stack one brings up
 * serves the next (e2e/src/stack/keeper.ts). The split balances the measured times of both
 * suites (e2e/README.md, "Shards"): the first shard is the alerts stack and everything it
 * serves, then persistence; the second is the pristine dashboards stack, `npm start` and the
 * watchdog's two stacks. A new scenario file must be placed here (a unit test checks).
 */
export const SHARDS: readonly (readonly string[])[] = [
  [
    'alerts.test.js',
    'compose/auth.test.js',
    'esm-parity.test.js',
    'foreign-app.test.js',
    'intake.test.js',
    'logs.test.js',
    'order-flow.test.js',
    'persistence.test.js',
  ],
  ['dashboards.test.js', 'start-stop.test.js', 'watchdog.test.js'],
];

/** The files of shard `index` as paths from the repository root, in the order the suite runs them (by path). */
export function shardFiles(index: number): string[] {
  const files = SHARDS[index];
  if (!files) throw new Error(`no shard ${index + 1}: there are ${SHARDS.length}`);
  return files.map((f) => `e2e/dist/${f}`).sort();
}

/** Where shard `index` keeps its state and is reached: a profile name and a loopback address of its own. */
export function shardPlace(index: number): { profile: string; address: string } {
  return index === 0 ? { profile: 'e2e', address: '127.0.0.1' } : { profile: `e2e-${index + 1}`, address: `127.0.0.${index + 1}` };
}

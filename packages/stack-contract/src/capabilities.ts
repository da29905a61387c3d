/** The stack runners: `native` (packages/native-stack) and `containers` (packages/compose-stack). */
export const RUNNERS = ['native', 'containers'] as const;
export type Runner = (typeof RUNNERS)[number];

/**
 * What a scenario may need that not every runner has:
 * - `foreign-app`: Redis and MariaDB beside the stack, for an app that is none of ours;
 * - `published-behind-login`: every published UI and OTLP endpoint behind a login (compose's promise);
 * - `npm-start`: the run's stack is what `npm start` starts, so stopping `npm start` can be tested beside it;
 * - `process-faults`: the suite has room for the 4-minute sequence of kill -9s and a 60 s hang
 *   under load (e2e/src/persistence.test.ts).
 */
export type Capability = 'foreign-app' | 'published-behind-login' | 'npm-start' | 'process-faults';

/**
 * What each runner declares it can: `true`, or why it cannot (a scenario's skip reason). A new
 * capability or runner does not compile until every cell is filled.
 */
export const CAPABILITIES: Record<Runner, Record<Capability, true | string>> = {
  native: {
    'foreign-app': true,
    'published-behind-login': 'the native stack binds loopback without logins, by design',
    'npm-start': true,
    'process-faults': true,
  },
  containers: {
    'foreign-app': 'Redis and MariaDB are not part of compose/docker-compose.yaml',
    'published-behind-login': true,
    'npm-start': '`npm start` runs the native stack; the containers run has none to stop',
    'process-faults':
      'the containers suite is the long pole of npm test: the fault sequence runs natively on the same binaries and configs; ' +
      'what compose changes, where the data lives (its volumes), is checked by the full stop and start',
  },
};

/**
 * False when `runner` has `capability`; else why not, as a `skip` reason. Scenarios ask this
 * (through e2e's `stackLacks`), never which runner they run on.
 */
export function runnerLacks(runner: Runner, capability: Capability): false | string {
  const can = CAPABILITIES[runner][capability];
  return can !== true && `${runner} stack: ${can}`;
}

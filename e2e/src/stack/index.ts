import { after } from 'node:test';
import { LOOPBACK, RUNNERS, runnerLacks, type Capability, type Runner, type Stack, type StackUpOptions } from '@shopfloor/stack-contract';
import { StackKeeper, type ScenarioStackOptions } from './keeper';

/** `E2E_STACK`: `native` (the default: `npm start`'s processes) or `containers` (compose/). */
export function stackKind(): Runner {
  const kind = process.env.E2E_STACK ?? 'native';
  if (!(RUNNERS as readonly string[]).includes(kind)) throw new Error(`E2E_STACK=${kind} is not a stack; use one of: ${RUNNERS.join(', ')}`);
  return kind as Runner;
}

/** False when the chosen stack has `capability`; else why not (a `skip` reason). */
export function stackLacks(capability: Capability): false | string {
  return runnerLacks(stackKind(), capability);
}

/** Brings up a new stack with the runner `E2E_STACK` names. */
async function bringUp(opts: StackUpOptions): Promise<Stack> {
  // Each runner is loaded only when chosen: a native run never loads testcontainers.
  if (stackKind() === 'native') return (await import('@shopfloor/native-stack')).nativeTestStack(opts);
  return (await import('@shopfloor/compose-stack')).containersTestStack(opts);
}

/**
 * The one keeper of the process (on globalThis: every scenario file of a suite runs in one
 * process, `--test-isolation=none`, and must find the same one).
 */
const KEEPER = Symbol.for('shopfloor.e2e.stackKeeper');
function keeper(): StackKeeper {
  const g = globalThis as { [KEEPER]?: StackKeeper };
  g[KEEPER] ??= new StackKeeper(bringUp, (line) => process.stderr.write(`# [suite] ${line}\n`));
  return g[KEEPER];
}

/**
 * The stack a scenario runs against: the kept one when it serves `opts`, else a new one. A
 * scenario leaves it as it found it (faults undone, its own order ids); the stack goes down once
 * every scenario of the process has run.
 */
export function stackUp(opts: ScenarioStackOptions = {}): Promise<Stack> {
  return keeper().acquire(opts);
}

/** For a scenario that needs the stack's ports free (it starts a stack of its own, e.g. `npm start`). */
export function noStack(): Promise<void> {
  return keeper().clear();
}

// A hook of the root test: it runs after the last scenario of the process, which is the last
// file of the suite under `--test-isolation=none` (e2e/src/runner/run-suites.ts) and the file
// itself when one runs alone. (A global teardown would wait for the event loop to empty, which
// the stack's own processes never let happen.)
after(() => noStack());

/**
 * Where a server the test runs (e.g. the alert webhook receiver) listens, and the host name the
 * stack reaches it by: loopback natively, this host's address on Docker's bridge for containers.
 */
export async function testServerAddress(): Promise<{ bind: string; host: string }> {
  if (stackKind() === 'native') return { bind: LOOPBACK, host: LOOPBACK };
  return (await import('@shopfloor/compose-stack')).dockerHostAddress();
}

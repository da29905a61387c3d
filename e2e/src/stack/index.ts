import { LOOPBACK, RUNNERS, runnerLacks, type Capability, type Runner, type Stack, type StackUpOptions } from '@shopfloor/stack-contract';

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

/** The stack the scenarios run against, brought up by the runner `E2E_STACK` names. */
export async function stackUp(opts: StackUpOptions = {}): Promise<Stack> {
  // Each runner is loaded only when chosen: a native run never loads testcontainers.
  if (stackKind() === 'native') return (await import('@shopfloor/native-stack')).nativeTestStack(opts);
  return (await import('@shopfloor/compose-stack')).containersTestStack(opts);
}

/**
 * Where a server the test runs (e.g. the alert webhook receiver) listens, and the host name the
 * stack reaches it by: loopback natively, this host's address on Docker's bridge for containers.
 */
export async function testServerAddress(): Promise<{ bind: string; host: string }> {
  if (stackKind() === 'native') return { bind: LOOPBACK, host: LOOPBACK };
  return (await import('@shopfloor/compose-stack')).dockerHostAddress();
}

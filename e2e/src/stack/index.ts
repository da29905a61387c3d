import { LOOPBACK } from '@shopfloor/native-stack';
import { nativeStack } from './native';
import type { Stack, StackUpOptions } from './types';

export type { Stack, StackUpOptions } from './types';

const STACKS = ['native', 'containers'] as const;
type StackKind = (typeof STACKS)[number];

/** `E2E_STACK`: `native` (the default: `npm start`'s processes) or `containers` (compose/). */
export function stackKind(): StackKind {
  const kind = process.env.E2E_STACK ?? 'native';
  if (!(STACKS as readonly string[]).includes(kind)) throw new Error(`E2E_STACK=${kind} is not a stack; use one of: ${STACKS.join(', ')}`);
  return kind as StackKind;
}

/** The stack implementation the scenarios run against. */
export async function stackUp(opts: StackUpOptions = {}): Promise<Stack> {
  if (stackKind() === 'native') return nativeStack(opts);
  // Loaded only here: testcontainers and the compose file are no cost of a native run.
  const { containersStack } = await import('./containers');
  return containersStack(opts);
}

/**
 * Where a server the test runs (e.g. the alert webhook receiver) listens, and the host name the
 * stack reaches it by: loopback natively, this host's address on Docker's bridge for containers.
 */
export async function testServerAddress(): Promise<{ bind: string; host: string }> {
  if (stackKind() === 'native') return { bind: LOOPBACK, host: LOOPBACK };
  const { dockerHostAddress } = await import('@shopfloor/compose-stack');
  return dockerHostAddress();
}

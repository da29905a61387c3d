import { execFileSync } from 'node:child_process';
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
 * Where a server the test runs (e.g. the alert webhook receiver) listens so that the stack
 * reaches it: loopback natively, this host's address on Docker's bridge for containers.
 */
export function testServerHost(): string {
  if (stackKind() === 'native') return LOOPBACK;
  // This host's gateway address on Docker's default bridge.
  return execFileSync('docker', ['network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Gateway}}'], { encoding: 'utf8' }).trim();
}

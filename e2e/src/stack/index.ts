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

/**
 * What a scenario may need that not every stack has. A scenario asks `stackLacks(...)` for its
 * skip reason, never which stack it runs on.
 */
const CAPABILITIES = {
  /** Redis and MariaDB beside the stack, for an app that is none of ours (compose has neither). */
  'foreign-app': { native: true, containers: false, lacking: 'Redis and MariaDB are not part of compose/docker-compose.yaml' },
  /** MinIO's data scanner counts a bucket's objects within test time. */
  'bucket-usage': { native: true, containers: false, lacking: 'the MinIO stand-in container did not count a second object within 240 s (open gap)' },
  /** Every published UI and OTLP behind a login (compose's promise; natively all is on loopback without one). */
  'published-behind-login': { native: false, containers: true, lacking: 'the native stack binds loopback without logins, by design' },
} as const satisfies Record<string, Record<StackKind, boolean> & { lacking: string }>;
export type Capability = keyof typeof CAPABILITIES;

/** False when the stack has `capability`; else why not (a `skip` reason). */
export function stackLacks(capability: Capability): false | string {
  const c = CAPABILITIES[capability];
  return !c[stackKind()] && `${stackKind()} stack: ${c.lacking}`;
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

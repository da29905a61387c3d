import { nativeStack } from './native';
import type { Stack, StackUpOptions } from './types';

export type { Stack, StackUpOptions } from './types';

/** The stack implementation the scenarios run against (`E2E_STACK`, default `native`). */
export async function stackUp(opts: StackUpOptions = {}): Promise<Stack> {
  const kind = process.env.E2E_STACK ?? 'native';
  if (kind === 'native') return nativeStack(opts);
  throw new Error(`E2E_STACK=${kind} is not implemented; the implemented stack is: native`);
}

import { nativeStack } from './native';
import type { Stack } from './types';

export type { Stack } from './types';

/** The stack implementation the scenarios run against (`E2E_STACK`, default `native`). */
export async function stackUp(): Promise<Stack> {
  const kind = process.env.E2E_STACK ?? 'native';
  if (kind === 'native') return nativeStack();
  throw new Error(`E2E_STACK=${kind} is not implemented; the implemented stack is: native`);
}

import { NativeStack } from '@shopfloor/native-stack';
import type { Stack } from './types';

/** The stack as native processes, from empty state, under `.run/e2e`. */
export async function nativeStack(): Promise<Stack> {
  const stack = await NativeStack.start({
    profile: 'e2e',
    fresh: true,
    log: (line) => process.stderr.write(`# [stack] ${line}\n`),
  });
  return {
    endpoints: stack.endpoints,
    stopComponent: (name) => stack.stopComponent(name),
    startComponent: (name) => stack.startComponent(name),
    down: () => stack.stop(),
  };
}

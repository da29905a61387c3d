/**
 * The e2e suite's global setup and teardown (`node --test --test-global-setup`): one stack kept
 * from scenario to scenario (e2e/src/stack), and taken down once every scenario has run.
 */
import { noStack } from '../stack';

export function globalSetup(): void {
  process.env.E2E_SHARED_STACK = '1';
}

export async function globalTeardown(): Promise<void> {
  await noStack();
}

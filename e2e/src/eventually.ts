import { waitFor } from '@shopfloor/stack-contract';

/**
 * Polls `check` until it stops throwing; after the deadline fails with the check's last message,
 * which says what was missing.
 */
export async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 45_000): Promise<T> {
  // Boxed, so that a check that returns nothing still counts as passed.
  const box = await waitFor(async () => ({ value: await check() }), { what, timeoutMs, intervalMs: 500 });
  return box.value;
}

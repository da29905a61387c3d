import { waitFor } from '@shopfloor/native-stack';

/**
 * Polls `check` until it stops throwing; after the deadline fails with the check's last message,
 * which says what was missing.
 */
export function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 45_000): Promise<T> {
  return waitFor(async () => check(), { what, timeoutMs, intervalMs: 500 });
}

/** Small helpers for bounded retries: exponential backoff, abortable sleep, once-per-streak logging. */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** attempt 1 → base, 2 → 2×base, 3 → 4×base ... capped at maxMs. */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
}

/** Thrown when a wait was cut short by shutdown; `runMain` ignores it (the shutdown exits the process). */
export class ShutdownInProgressError extends Error {
  override readonly name = 'ShutdownInProgressError';
}

/** Resolves after `ms`, or early (with `false`) when `signal` aborts. Resolves `true` when the full time elapsed. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface StreakLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Logs the first failure of a streak (and when the failure text changes), not every retry,
 * and one line when the streak ends.
 */
export class FailureStreak {
  private failures = 0;
  private lastMessage = '';

  constructor(
    private readonly logger: StreakLogger,
    private readonly what: string,
  ) {}

  get count(): number {
    return this.failures;
  }

  /** Returns true when this failure was logged. */
  failure(message: string, extra: object = {}): boolean {
    this.failures += 1;
    if (this.failures === 1 || message !== this.lastMessage) {
      this.lastMessage = message;
      this.logger.warn({ ...extra, error: message, attempt: this.failures }, `${this.what} failed; retrying`);
      return true;
    }
    return false;
  }

  /** Returns true when a streak just ended (and was logged). */
  success(extra: object = {}): boolean {
    if (this.failures === 0) return false;
    this.logger.info({ ...extra, failedAttempts: this.failures }, `${this.what} recovered`);
    this.failures = 0;
    this.lastMessage = '';
    return true;
  }
}

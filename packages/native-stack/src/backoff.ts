/**
 * Restart delays of a crashed component, like compose's `restart: unless-stopped`: the first
 * restart after `initialMs`, each further one twice as late, at most `maxMs`; once a run has
 * stayed up `resetAfterMs`, the next crash starts over at `initialMs`. Pure logic: the caller
 * passes the times.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

export class RestartBackoff {
  private attempt = 0;

  constructor(readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /** The delay before restarting after a crash of a run that was up for `upMs`. */
  next(upMs: number): number {
    if (upMs >= this.policy.resetAfterMs) this.attempt = 0;
    const delay = Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** this.attempt);
    if (delay < this.policy.maxMs) this.attempt++;
    return delay;
  }

  /** A deliberate (re)start: the next crash waits `initialMs` again. */
  reset(): void {
    this.attempt = 0;
  }
}

/**
 * Test hook MES_FAULT_ACK_THEN_CRASH=<n>: the consumer acknowledges the next n messages without
 * storing their jobs, then the process dies (SIGKILL, no graceful shutdown) — the "acknowledged,
 * then crashed before the commit" bug that makes an order vanish: its message is in no queue and
 * no dead letter, and no error span says why. Messages arriving while the crash is pending are
 * held unacknowledged, so the broker redelivers them after the restart (they are not lost).
 */
export type AckThenCrashDecision = 'pass' | 'drop' | 'hold';

export class AckThenCrashFault {
  private dropped = 0;
  private crashing = false;

  constructor(
    private readonly count: number,
    private readonly crash: () => void = () => process.kill(process.pid, 'SIGKILL'),
    /** Time for the last acknowledgements to reach the broker before the process dies. */
    private readonly flushMs = 500,
  ) {}

  /** What to do with the next message: process it, drop it (acknowledge, store nothing), or hold it. */
  next(): AckThenCrashDecision {
    if (this.count <= 0) return 'pass';
    if (this.crashing) return 'hold';
    this.dropped++;
    if (this.dropped >= this.count) {
      this.crashing = true;
      setTimeout(this.crash, this.flushMs);
    }
    return 'drop';
  }
}

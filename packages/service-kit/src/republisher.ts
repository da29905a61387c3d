import type { Broker } from './broker';
import { describeError } from './errors';
import { FailureStreak, type StreakLogger } from './retry';
import { withStoredTraceparent } from './trace-context';

/**
 * The sending half of an outbox: publishes (resolves on the broker's confirm; throws otherwise,
 * and the record stays pending), then records that it was sent. A record that fails after the
 * confirm is logged, not thrown: the republisher sends the message again later (the consumers
 * are idempotent), and the caller's work is done.
 */
export async function publishAndRecord(
  broker: Pick<Broker, 'publish'>,
  logger: Pick<StreakLogger, 'warn'>,
  send: { routingKey: string; message: unknown; orderId: string; record: () => Promise<void>; notRecorded: string; fields?: Record<string, unknown> },
): Promise<void> {
  await broker.publish(send.routingKey, send.message, { orderId: send.orderId });
  try {
    await send.record();
  } catch (err) {
    logger.warn({ orderId: send.orderId, ...send.fields, error: describeError(err) }, send.notRecorded);
  }
}

/**
 * The relay half of an outbox: a service stores a record, publishes its message, and records
 * that the broker confirmed it. When the publish fails (broker down, no confirm in time, message
 * returned) or the message is lost afterwards, the record stays pending; this finds such records
 * and publishes them again, each in the trace stored with it.
 */
export interface RepublisherOptions<T> {
  /** Log wording: `republishing <pending> failed; retrying` / `republished <published>`. */
  names: { pending: string; published: string };
  intervalMs: number;
  /** Records younger than this are left alone: whoever stored them may still be publishing. */
  minAgeMs: number;
  /** Most records per pass. Default 100. */
  batchSize?: number;
  /** Oldest pending records stored more than `minAgeMs` ago, at most `limit`. */
  findPending(minAgeMs: number, limit: number): Promise<T[]>;
  /** Publishes one record (resolves on the broker's confirm) and records it as published. */
  publish(item: T): Promise<void>;
  /** The W3C traceparent stored with the record (null when it was not traced). */
  traceparentOf(item: T): string | null | undefined;
}

/**
 * Every `intervalMs`, publishes the pending records (oldest first, up to `batchSize`), stopping
 * at the first failure. Skips the pass while the broker is disconnected (a publish would only
 * fail). Failures are logged once per streak (FailureStreak), not on every pass.
 */
export class Republisher<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly streak: FailureStreak;

  constructor(
    private readonly broker: { isConnected(): boolean },
    private readonly logger: StreakLogger,
    private readonly options: RepublisherOptions<T>,
  ) {
    this.streak = new FailureStreak(logger, `republishing ${options.names.pending}`);
  }

  start(): void {
    this.schedule();
  }

  /** No further pass; waits for a running one to finish its current record. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().then(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.options.intervalMs);
  }

  /** One pass; stops at the first failure (the broker or database is probably down). Never throws. */
  async tick(): Promise<number> {
    if (!this.broker.isConnected()) return 0;
    let published = 0;
    try {
      const pending = await this.options.findPending(this.options.minAgeMs, this.options.batchSize ?? 100);
      for (const item of pending) {
        if (this.stopped) break;
        // In the record's own trace: the publish span is a child of the span that stored it.
        await withStoredTraceparent(this.options.traceparentOf(item), () => this.options.publish(item));
        published += 1;
      }
      this.streak.success();
      if (published > 0) this.logger.info({ published }, `republished ${this.options.names.published}`);
    } catch (err) {
      this.streak.failure(describeError(err), { published });
    }
    return published;
  }
}

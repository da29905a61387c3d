import {
  type Broker,
  describeError,
  FailureStreak,
  type Logger,
  type OrderCreated,
  ROUTING_KEYS,
  withStoredTraceparent,
} from '@shopfloor/service-kit';
import type { Order, OrderRepository } from './repository';

export function orderCreatedMessage(order: Order): OrderCreated {
  return {
    orderId: order.orderId,
    customer: order.customer,
    items: order.items,
    modelKey: order.modelKey,
    createdAt: order.createdAt,
  };
}

/** Publishes `order.created` (resolves on the broker's confirm) and records `published_at`. */
export class OrderPublisher {
  constructor(
    private readonly broker: Broker,
    private readonly orders: OrderRepository,
    private readonly logger: Logger,
  ) {}

  /**
   * Resolves once the broker confirmed; throws BrokerUnavailableError or UnroutableMessageError
   * otherwise (the order stays unpublished). The message carries `x-order-id`.
   */
  async publish(order: Order): Promise<void> {
    await this.broker.publish(ROUTING_KEYS.orderCreated, orderCreatedMessage(order), { orderId: order.orderId });
    try {
      await this.orders.markPublished(order.orderId);
    } catch (err) {
      // Published but not recorded: the republisher publishes it again later (consumers are idempotent).
      this.logger.warn({ orderId: order.orderId, error: describeError(err) }, 'order published but published_at not recorded');
    }
  }
}

/**
 * Every `intervalMs`, publishes orders still lacking `published_at` (broker was down or did not
 * confirm in time). Orders younger than the publish timeout are left to the request that made them.
 */
export class Republisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly streak: FailureStreak;

  constructor(
    private readonly publisher: OrderPublisher,
    private readonly orders: OrderRepository,
    private readonly broker: Broker,
    private readonly logger: Logger,
    private readonly options: { intervalMs: number; minAgeMs: number; batchSize?: number },
  ) {
    this.streak = new FailureStreak(logger, 'republishing unpublished orders');
  }

  start(): void {
    this.schedule();
  }

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

  /** One pass; stops at the first failure (the broker or database is probably down). */
  async tick(): Promise<number> {
    if (!this.broker.isConnected()) return 0;
    let published = 0;
    try {
      const pending = await this.orders.findUnpublished(this.options.minAgeMs, this.options.batchSize ?? 100);
      for (const order of pending) {
        if (this.stopped) break;
        // In the order's own trace: the publish span is a child of the accepting request's span.
        await withStoredTraceparent(order.traceparent, () => this.publisher.publish(order));
        published += 1;
      }
      this.streak.success();
      if (published > 0) this.logger.info({ published }, 'republished orders');
    } catch (err) {
      this.streak.failure(describeError(err), { published });
    }
    return published;
  }
}

import {
  type Broker,
  publishAndRecord,
  type OrderCreated,
  Republisher,
  ROUTING_KEYS,
  type StreakLogger,
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
    private readonly broker: Pick<Broker, 'publish'>,
    private readonly orders: Pick<OrderRepository, 'markPublished'>,
    private readonly logger: Pick<StreakLogger, 'warn'>,
  ) {}

  /**
   * Resolves once the broker confirmed; throws BrokerUnavailableError or UnroutableMessageError
   * otherwise (the order stays unpublished). The message carries `x-order-id`.
   */
  async publish(order: Order): Promise<void> {
    await publishAndRecord(this.broker, this.logger, {
      routingKey: ROUTING_KEYS.orderCreated,
      message: orderCreatedMessage(order),
      orderId: order.orderId,
      record: () => this.orders.markPublished(order.orderId),
      notRecorded: 'order published but published_at not recorded',
    });
  }
}

/**
 * The outbox relay of the orders (service-kit's Republisher): every `intervalMs`, publishes orders
 * still lacking `published_at` (broker was down or did not confirm in time), each in the trace of
 * the request that accepted it. Orders younger than `minAgeMs` are left to the request that made them.
 */
export function orderRepublisher(
  publisher: Pick<OrderPublisher, 'publish'>,
  orders: Pick<OrderRepository, 'findUnpublished'>,
  broker: Pick<Broker, 'isConnected'>,
  logger: StreakLogger,
  options: { intervalMs: number; minAgeMs: number; batchSize?: number },
): Republisher<Order> {
  return new Republisher<Order>(broker, logger, {
    ...options,
    names: { pending: 'unpublished orders', published: 'orders' },
    findPending: (minAgeMs, limit) => orders.findUnpublished(minAgeMs, limit),
    publish: (order) => publisher.publish(order),
    traceparentOf: (order) => order.traceparent,
  });
}

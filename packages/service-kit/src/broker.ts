import { randomUUID } from 'node:crypto';
import { connect, type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, MessagePropertyHeaders, Options } from 'amqplib';
import { redactUrl } from './config';
import { describeError } from './errors';
import type { Logger } from './logger';
import { FailureStreak } from './retry';
import { recordPublish } from './telemetry';

/** Topic exchange carrying the order flow. */
export const ORDERS_EXCHANGE = 'shopfloor.orders';
/** Direct exchange receiving dead letters, routed by the name of the work queue they came from. */
export const DEAD_LETTER_EXCHANGE = 'shopfloor.dlx';
/**
 * Alternate exchange (fanout) of ORDERS_EXCHANGE and DEAD_LETTER_EXCHANGE: a message neither
 * routes to a queue lands here instead of vanishing. It is set by the broker policy
 * `shopfloor-unroutable` (compose/rabbitmq/definitions.json, loaded at boot): an exchange argument
 * could not be added to the already declared exchanges (PRECONDITION_FAILED).
 */
export const UNROUTABLE_EXCHANGE = 'shopfloor.unroutable';
/** Durable queue bound to UNROUTABLE_EXCHANGE: unroutable messages wait here with all their headers. */
export const UNROUTABLE_QUEUE = 'shopfloor.unroutable';
/** AMQP header carried by every message the services publish: the order id (retries and dead letters keep it). */
export const ORDER_ID_HEADER = 'x-order-id';

export const ROUTING_KEYS = {
  orderCreated: 'order.created',
  productionRequested: 'production.requested',
} as const;

/** Work queues and the routing key each one is bound to on ORDERS_EXCHANGE. */
export const WORK_QUEUES = {
  crmOrderCreated: { name: 'crm.order-created', routingKey: ROUTING_KEYS.orderCreated },
  mesProductionRequested: { name: 'mes.production-requested', routingKey: ROUTING_KEYS.productionRequested },
} as const;

export function deadLetterQueueName(queue: string): string {
  return `${queue}.dlq`;
}

/** Arguments of a work queue: rejected/expired messages still reach `<queue>.dlq`. */
export function workQueueArguments(queue: string): Record<string, string> {
  return { 'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE, 'x-dead-letter-routing-key': queue };
}

type TopologyChannel = Pick<ConfirmChannel, 'assertExchange' | 'assertQueue' | 'bindQueue'>;

/** Declares the whole topology (idempotent). Runs on every (re)connect of every channel. */
export async function assertTopology(channel: TopologyChannel): Promise<void> {
  await channel.assertExchange(ORDERS_EXCHANGE, 'topic', { durable: true });
  await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', { durable: true });
  await channel.assertExchange(UNROUTABLE_EXCHANGE, 'fanout', { durable: true });
  await channel.assertQueue(UNROUTABLE_QUEUE, { durable: true });
  await channel.bindQueue(UNROUTABLE_QUEUE, UNROUTABLE_EXCHANGE, '');
  for (const { name, routingKey } of Object.values(WORK_QUEUES)) {
    await channel.assertQueue(name, { durable: true, arguments: workQueueArguments(name) });
    await channel.bindQueue(name, ORDERS_EXCHANGE, routingKey);
    const dlq = deadLetterQueueName(name);
    await channel.assertQueue(dlq, { durable: true });
    await channel.bindQueue(dlq, DEAD_LETTER_EXCHANGE, name);
  }
}

/** The broker is not connected or did not confirm in time: retry later. */
export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
}

/**
 * The broker returned the (mandatory) message: no queue and no alternate exchange took it.
 * The publish failed; the caller keeps the message (the shop's order stays unpublished).
 */
export class UnroutableMessageError extends Error {
  override readonly name = 'UnroutableMessageError';
}

/** The order id a payload carries (`orderId`), for the `x-order-id` header. */
export function orderIdOf(payload: unknown): string | undefined {
  const id = typeof payload === 'object' && payload !== null ? (payload as { orderId?: unknown }).orderId : undefined;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

export interface BrokerOptions {
  url: string;
  logger: Logger;
  /** Service name: RabbitMQ connection name and `x-shopfloor-source` header. */
  service: string;
  /** How long a publish may wait for the broker's confirm. Default 5000 ms. */
  publishTimeoutMs?: number;
}

export interface PublishOptions {
  headers?: MessagePropertyHeaders;
  timeoutMs?: number;
  messageId?: string;
  /** Header `x-order-id`; defaults to the payload's `orderId`. */
  orderId?: string;
}

/** Properties of a message being re-published (dead letter, retry). */
export interface RawPublishOptions extends Options.Publish {
  timeoutMs?: number;
}

/**
 * One reconnecting AMQP connection plus a confirm channel for publishing.
 * amqp-connection-manager reconnects after a broker restart and re-runs `assertTopology`.
 */
export class Broker {
  readonly connection: AmqpConnectionManager;
  private readonly publisher: ChannelWrapper;
  private readonly logger: Logger;
  private readonly publishTimeoutMs: number;
  private closed = false;
  private publisherReady = false;
  /** Publishes awaiting their confirm, by message id: a `basic.return` (sent before the ack) marks one returned. */
  private readonly awaitingConfirm = new Map<string, { returned: boolean; publishes: number }>();

  constructor(private readonly options: BrokerOptions) {
    this.logger = options.logger;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000;
    const streak = new FailureStreak(this.logger, 'connecting to RabbitMQ');
    const broker = redactUrl(options.url); // for logs: credentials masked, computed once
    let connectedOnce = false;
    this.connection = connect([options.url], {
      heartbeatIntervalInSeconds: 5,
      reconnectTimeInSeconds: 2,
      connectionOptions: { clientProperties: { connection_name: options.service } },
    });
    this.connection.on('connect', () => {
      streak.success();
      this.logger.info({ broker }, connectedOnce ? 'reconnected to RabbitMQ' : 'connected to RabbitMQ');
      connectedOnce = true;
    });
    this.connection.on('connectFailed', ({ err }) => {
      streak.failure(describeError(err), { broker });
    });
    this.connection.on('disconnect', ({ err }) => {
      this.publisherReady = false;
      if (!this.closed) this.logger.warn({ error: describeError(err) }, 'disconnected from RabbitMQ; reconnecting');
    });
    this.connection.on('blocked', ({ reason }) => this.logger.warn({ reason }, 'RabbitMQ blocked the connection'));
    this.connection.on('unblocked', () => this.logger.info('RabbitMQ unblocked the connection'));
    this.publisher = this.createChannel('publisher', (ch) => {
      ch.on('return', (msg: { properties: { messageId?: unknown } }) => {
        const id = msg.properties.messageId;
        const pending = typeof id === 'string' ? this.awaitingConfirm.get(id) : undefined;
        if (pending !== undefined) pending.returned = true;
      });
    });
    this.publisher.on('connect', () => {
      this.publisherReady = true;
    });
  }

  /**
   * Connected, with the publishing channel set up. Until then amqp-connection-manager would queue
   * a publish and send it later from another async context, which detaches the message from the
   * request's trace: so publishes fail fast instead (the shop keeps the order and republishes it),
   * and /healthz reports not ready.
   */
  isConnected(): boolean {
    return !this.closed && this.connection.isConnected() && this.publisherReady;
  }

  /**
   * A confirm channel that re-asserts the topology after every reconnect; errors are logged.
   * `onChannel` sees each new underlying channel first (before the topology, before consumers).
   */
  createChannel(name: string, onChannel?: (channel: ConfirmChannel) => void): ChannelWrapper {
    const channel = this.connection.createChannel({
      name,
      confirm: true,
      json: false,
      setup: async (ch: ConfirmChannel) => {
        onChannel?.(ch);
        await assertTopology(ch);
      },
    });
    channel.on('error', (err: Error) => {
      this.logger.error({ channel: name, error: describeError(err) }, 'RabbitMQ channel error');
    });
    return channel;
  }

  /**
   * Publishes JSON to ORDERS_EXCHANGE as a persistent message and resolves only when the
   * broker confirmed it. Fails fast with BrokerUnavailableError when not connected, or when
   * the confirm does not arrive within the publish timeout.
   */
  async publish(routingKey: string, payload: unknown, options: PublishOptions = {}): Promise<void> {
    const orderId = options.orderId ?? orderIdOf(payload);
    await this.publishRaw(ORDERS_EXCHANGE, routingKey, Buffer.from(JSON.stringify(payload)), {
      contentType: 'application/json',
      messageId: options.messageId ?? randomUUID(),
      timestamp: Date.now(),
      type: routingKey,
      appId: this.options.service,
      headers: {
        'x-shopfloor-source': this.options.service,
        ...(orderId === undefined ? {} : { [ORDER_ID_HEADER]: orderId }),
        ...options.headers,
      },
      timeoutMs: options.timeoutMs,
    });
  }

  /**
   * Publishes bytes with the given properties (persistent, `mandatory`), awaiting the confirm.
   * A message the broker returns (unroutable, and its exchange has no alternate exchange) fails
   * with UnroutableMessageError; with the alternate exchange in place it is confirmed and kept in
   * `shopfloor.unroutable`. A message without `messageId` gets one (returns are matched by it).
   */
  async publishRaw(exchange: string, routingKey: string, content: Buffer, options: RawPublishOptions): Promise<void> {
    if (!this.isConnected()) {
      const err = new BrokerUnavailableError('not connected to RabbitMQ (or its channel is not set up yet)');
      recordPublish(exchange, err);
      throw err;
    }
    const { timeoutMs, ...properties } = options;
    const timeout = timeoutMs ?? this.publishTimeoutMs;
    const messageId = properties.messageId ?? randomUUID();
    // Two publishes of one message id at once (rare: a retry copy) share the flag: a return of
    // either fails both, so the failure errs towards publishing again, never towards a drop.
    const pending = this.awaitingConfirm.get(messageId) ?? { returned: false, publishes: 0 };
    pending.publishes += 1;
    this.awaitingConfirm.set(messageId, pending);
    let returned = false;
    try {
      await this.publisher.publish(exchange, routingKey, content, { ...properties, messageId, persistent: true, mandatory: true, timeout });
      returned = pending.returned;
    } catch (err) {
      recordPublish(exchange, err);
      if (err instanceof Error && err.message === 'timeout') {
        throw new BrokerUnavailableError(`publish to ${exchange || '(default exchange)'} not confirmed within ${timeout} ms`);
      }
      throw new BrokerUnavailableError(`publish to ${exchange || '(default exchange)'} failed: ${describeError(err)}`);
    } finally {
      pending.publishes -= 1;
      if (pending.publishes === 0) this.awaitingConfirm.delete(messageId);
    }
    if (returned) {
      const err = new UnroutableMessageError(`${exchange || '(default exchange)'} returned the message: no queue is bound for routing key ${routingKey}`);
      recordPublish(exchange, err);
      throw err;
    }
    recordPublish(exchange);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.publisher.close();
    } catch (err) {
      this.logger.debug({ error: describeError(err) }, 'closing the publisher channel failed');
    }
    await this.connection.close();
  }
}

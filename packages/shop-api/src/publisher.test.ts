import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrderPublisher, orderRepublisher } from './publisher';
import type { Order } from './repository';

function order(id: string, traceparent: string | null = null): Order {
  return {
    orderId: id,
    customer: { name: 'Ada', email: 'ada@example.com' },
    items: [{ sku: 'BRK-1', quantity: 2 }],
    modelKey: null,
    status: 'stored',
    createdAt: '2025-01-02T03:04:05.000Z',
    publishedAt: null,
    traceparent,
  };
}

/** Stand-ins for the broker, the orders table and the logger. */
function setup(options: { unpublished: Order[]; failPublish?: string; failMark?: boolean }) {
  const sent: Array<{ routingKey: string; payload: unknown; orderId: string | undefined }> = [];
  const marked: string[] = [];
  const queries: Array<[number, number]> = [];
  const logs: Array<[string, string, Record<string, unknown>]> = [];
  const logger = {
    info: (obj: object, msg: string) => logs.push(['info', msg, obj as Record<string, unknown>]),
    warn: (obj: object, msg: string) => logs.push(['warn', msg, obj as Record<string, unknown>]),
  };
  const broker = {
    isConnected: () => true,
    publish: async (routingKey: string, payload: unknown, opts: { orderId?: string } = {}) => {
      if ((payload as { orderId: string }).orderId === options.failPublish) throw new Error('publish not confirmed within 3000 ms');
      sent.push({ routingKey, payload, orderId: opts.orderId });
    },
  };
  const orders = {
    findUnpublished: async (minAgeMs: number, limit: number) => {
      queries.push([minAgeMs, limit]);
      return options.unpublished.filter((o) => !marked.includes(o.orderId)).slice(0, limit);
    },
    markPublished: async (orderId: string) => {
      if (options.failMark) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      marked.push(orderId);
    },
  };
  const publisher = new OrderPublisher(broker, orders, logger);
  const republisher = orderRepublisher(publisher, orders, broker, logger, { intervalMs: 5000, minAgeMs: 4000 });
  return { sent, marked, queries, logs, republisher };
}

describe('order republisher (service-kit Republisher over the orders table)', () => {
  it('publishes unpublished orders as order.created with x-order-id and records published_at', async () => {
    const { republisher, sent, marked, queries, logs } = setup({ unpublished: [order('o1'), order('o2')] });
    assert.equal(await republisher.tick(), 2);
    assert.deepEqual(queries, [[4000, 100]]);
    assert.deepEqual(sent.map((s) => [s.routingKey, s.orderId, (s.payload as { orderId: string }).orderId]), [
      ['order.created', 'o1', 'o1'],
      ['order.created', 'o2', 'o2'],
    ]);
    assert.deepEqual(marked, ['o1', 'o2']);
    assert.deepEqual(logs, [['info', 'republished orders', { published: 2 }]]);
    assert.equal(await republisher.tick(), 0, 'published orders are not sent again');
  });

  it('leaves an order it could not publish unpublished, and logs the streak', async () => {
    const { republisher, marked, logs } = setup({ unpublished: [order('o1'), order('o2')], failPublish: 'o1' });
    assert.equal(await republisher.tick(), 0);
    assert.deepEqual(marked, []);
    assert.deepEqual(logs, [['warn', 'republishing unpublished orders failed; retrying', { published: 0, error: 'publish not confirmed within 3000 ms', attempt: 1 }]]);
  });

  it('an order published but not recorded is logged, not failed: the next pass publishes it again', async () => {
    const { republisher, sent, logs } = setup({ unpublished: [order('o1')], failMark: true });
    assert.equal(await republisher.tick(), 1);
    assert.equal(logs[0]?.[1], 'order published but published_at not recorded');
    assert.equal(await republisher.tick(), 1);
    assert.equal(sent.length, 2);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderCreatedHandler } from './consumer';
import { NextMessagesFault } from './fault';
import { ProductionRequester, productionRepublisher } from './publisher';
import type { Contract } from './repository';

const ORDER = {
  orderId: '0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10',
  customer: { name: 'Ada', email: 'ada@example.com' },
  items: [{ sku: 'BRK-1', quantity: 2 }],
  modelKey: null,
  createdAt: '2025-01-02T03:04:05.000Z',
};

function contract(orderId: string, traceparent: string | null = null): Contract {
  return {
    contractId: `c-${orderId}`,
    orderId,
    customer: ORDER.customer,
    items: ORDER.items,
    modelKey: null,
    createdAt: '2025-01-02T03:04:06.000Z',
    productionRequestedAt: null,
    traceparent,
  };
}

/** Stand-ins for the broker, crm.contracts and the logger. */
function setup(options: { pending?: Contract[]; failPublish?: boolean; failMark?: boolean } = {}) {
  const sent: Array<{ routingKey: string; payload: unknown; orderId: string | undefined }> = [];
  const marked: string[] = [];
  const stored: Array<{ orderId: string; traceparent: string | null }> = [];
  const logs: Array<[string, string, Record<string, unknown>]> = [];
  const logger = {
    info: (obj: object, msg: string) => logs.push(['info', msg, obj as Record<string, unknown>]),
    warn: (obj: object, msg: string) => logs.push(['warn', msg, obj as Record<string, unknown>]),
  };
  const broker = {
    isConnected: () => true,
    publish: async (routingKey: string, payload: unknown, opts: { orderId?: string } = {}) => {
      if (options.failPublish) throw new Error('publish to shopfloor.orders not confirmed within 5000 ms');
      sent.push({ routingKey, payload, orderId: opts.orderId });
    },
  };
  const contracts = {
    createForOrder: async (order: typeof ORDER, traceparent: string | null) => {
      stored.push({ orderId: order.orderId, traceparent });
      return { contract: contract(order.orderId, traceparent), created: true };
    },
    markProductionRequested: async (orderId: string) => {
      if (options.failMark) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      marked.push(orderId);
    },
    findProductionPending: async (_minAgeMs: number, limit: number) =>
      (options.pending ?? []).filter((c) => !marked.includes(c.orderId)).slice(0, limit),
  };
  const requester = new ProductionRequester(broker, contracts, logger);
  return { sent, marked, stored, logs, logger, broker, contracts, requester };
}

describe('ProductionRequester', () => {
  it('publishes production.requested with x-order-id, then records production_requested_at', async () => {
    const { requester, sent, marked } = setup();
    await requester.request(contract('o1'));
    assert.deepEqual(sent, [
      {
        routingKey: 'production.requested',
        payload: { orderId: 'o1', contractId: 'c-o1', items: ORDER.items, modelKey: null },
        orderId: 'o1',
      },
    ]);
    assert.deepEqual(marked, ['o1']);
  });

  it('a publish not confirmed fails and records nothing (the contract stays pending)', async () => {
    const { requester, marked } = setup({ failPublish: true });
    await assert.rejects(requester.request(contract('o1')), /not confirmed/);
    assert.deepEqual(marked, []);
  });

  it('requested but not recorded is logged, not failed (the message is not retried; the republisher sends it again)', async () => {
    const { requester, sent, logs } = setup({ failMark: true });
    await requester.request(contract('o1'));
    assert.equal(sent.length, 1);
    assert.deepEqual(logs.map((l) => l[1]), ['production requested but production_requested_at not recorded']);
  });
});

describe('production republisher (service-kit Republisher over crm.contracts)', () => {
  it('requests production for pending contracts and marks them, logging as production requests', async () => {
    const s = setup({ pending: [contract('o1'), contract('o2')] });
    const republisher = productionRepublisher(s.requester, s.contracts, s.broker, s.logger, { intervalMs: 5000, minAgeMs: 6000 });
    assert.equal(await republisher.tick(), 2);
    assert.deepEqual(s.sent.map((m) => [m.routingKey, m.orderId]), [
      ['production.requested', 'o1'],
      ['production.requested', 'o2'],
    ]);
    assert.deepEqual(s.marked, ['o1', 'o2']);
    assert.deepEqual(s.logs, [['info', 'republished production requests', { published: 2 }]]);
    assert.equal(await republisher.tick(), 0, 'requested contracts are not sent again');
  });

  it('logs a failing pass once as "republishing pending production requests"', async () => {
    const s = setup({ pending: [contract('o1')], failPublish: true });
    const republisher = productionRepublisher(s.requester, s.contracts, s.broker, s.logger, { intervalMs: 5000, minAgeMs: 6000 });
    assert.equal(await republisher.tick(), 0);
    assert.equal(await republisher.tick(), 0);
    assert.deepEqual(s.logs.map((l) => l[1]), ['republishing pending production requests failed; retrying']);
  });
});

describe('orderCreatedHandler', () => {
  it('stores the contract, then requests production', async () => {
    const s = setup();
    const handle = orderCreatedHandler({ contracts: s.contracts, requester: s.requester, logger: s.logger, dropAfterStore: new NextMessagesFault(0) });
    await handle(ORDER);
    assert.deepEqual(s.stored, [{ orderId: ORDER.orderId, traceparent: null }], 'no active span in this test: null traceparent');
    assert.deepEqual(s.sent.map((m) => m.routingKey), ['production.requested']);
    assert.deepEqual(s.marked, [ORDER.orderId]);
  });

  it('a failed publish fails the message (the consumer retries it); the contract stays stored', async () => {
    const s = setup({ failPublish: true });
    const handle = orderCreatedHandler({ contracts: s.contracts, requester: s.requester, logger: s.logger, dropAfterStore: new NextMessagesFault(0) });
    await assert.rejects(handle(ORDER), /not confirmed/);
    assert.equal(s.stored.length, 1);
    assert.deepEqual(s.marked, []);
  });

  it('CRM_FAULT_DROP_AFTER_STORE: stores the next n contracts and resolves (acknowledges) without publishing, loudly', async () => {
    const s = setup();
    const handle = orderCreatedHandler({ contracts: s.contracts, requester: s.requester, logger: s.logger, dropAfterStore: new NextMessagesFault(2) });
    for (const id of ['o1', 'o2', 'o3']) await handle({ ...ORDER, orderId: id });
    assert.deepEqual(s.stored.map((c) => c.orderId), ['o1', 'o2', 'o3'], 'every contract is stored');
    assert.deepEqual(s.sent.map((m) => m.orderId), ['o3'], 'only the third requests production');
    assert.deepEqual(s.marked, ['o3']);
    const warnings = s.logs.filter((l) => l[0] === 'warn');
    assert.deepEqual(warnings.map((l) => [l[1], l[2].orderId, l[2].remaining]), [
      ['fault injection: contract stored, message acknowledged without requesting production', 'o1', 1],
      ['fault injection: contract stored, message acknowledged without requesting production', 'o2', 0],
    ]);
  });

  it('CRM_FAULT_DROP_BEFORE_STORE: acknowledges the next n messages with nothing stored or sent, loudly', async () => {
    const s = setup();
    const handle = orderCreatedHandler({ contracts: s.contracts, requester: s.requester, logger: s.logger, dropAfterStore: new NextMessagesFault(0), dropBeforeStore: new NextMessagesFault(1) });
    for (const id of ['o1', 'o2']) await handle({ ...ORDER, orderId: id });
    assert.deepEqual(s.stored.map((c) => c.orderId), ['o2'], 'the first message is dropped before its contract');
    assert.deepEqual(s.sent.map((m) => m.orderId), ['o2']);
    assert.deepEqual(s.logs.filter((l) => l[0] === 'warn').map((l) => [l[1], l[2].orderId, l[2].remaining]), [
      ['fault injection: message acknowledged without storing its contract', 'o1', 0],
    ]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertTopology, deadLetterQueueName, workQueueArguments } from './broker';

describe('assertTopology', () => {
  it('declares exchanges, work queues with dead-lettering, and one DLQ per work queue', async () => {
    const calls: string[] = [];
    const channel = {
      assertExchange: async (name: string, type: string, options?: { durable?: boolean }) => {
        calls.push(`exchange ${name} ${type} durable=${options?.durable}`);
        return { exchange: name };
      },
      assertQueue: async (name?: string, options?: { durable?: boolean; arguments?: Record<string, unknown> }) => {
        calls.push(`queue ${name} durable=${options?.durable} args=${JSON.stringify(options?.arguments ?? {})}`);
        return { queue: name ?? '', messageCount: 0, consumerCount: 0 };
      },
      bindQueue: async (queue: string, source: string, pattern: string) => {
        calls.push(`bind ${queue} <- ${source} ${pattern}`);
        return {};
      },
    };
    await assertTopology(channel);
    assert.deepEqual(calls, [
      'exchange shopfloor.orders topic durable=true',
      'exchange shopfloor.dlx direct durable=true',
      'queue crm.order-created durable=true args={"x-dead-letter-exchange":"shopfloor.dlx","x-dead-letter-routing-key":"crm.order-created"}',
      'bind crm.order-created <- shopfloor.orders order.created',
      'queue crm.order-created.dlq durable=true args={}',
      'bind crm.order-created.dlq <- shopfloor.dlx crm.order-created',
      'queue mes.production-requested durable=true args={"x-dead-letter-exchange":"shopfloor.dlx","x-dead-letter-routing-key":"mes.production-requested"}',
      'bind mes.production-requested <- shopfloor.orders production.requested',
      'queue mes.production-requested.dlq durable=true args={}',
      'bind mes.production-requested.dlq <- shopfloor.dlx mes.production-requested',
    ]);
    assert.equal(deadLetterQueueName('q'), 'q.dlq');
    assert.deepEqual(workQueueArguments('q'), { 'x-dead-letter-exchange': 'shopfloor.dlx', 'x-dead-letter-routing-key': 'q' });
  });
});

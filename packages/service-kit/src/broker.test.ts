import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { assertTopology, Broker, BrokerUnavailableError, deadLetterQueueName, ORDER_ID_HEADER, orderIdOf, UnroutableMessageError, workQueueArguments } from './broker';
import { createLogger } from './logger';
import { type FakeAmqpServer, startFakeAmqpServer, unusedPort } from './test-amqp-server';
import { waitUntil } from './test-wait';

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
      'exchange shopfloor.unroutable fanout durable=true',
      'queue shopfloor.unroutable durable=true args={}',
      'bind shopfloor.unroutable <- shopfloor.unroutable ',
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

describe('orderIdOf', () => {
  it('reads the payload orderId for the x-order-id header, nothing else', () => {
    assert.equal(orderIdOf({ orderId: 'o-1', contractId: 'c-1' }), 'o-1');
    assert.equal(orderIdOf({ orderId: '' }), undefined);
    assert.equal(orderIdOf({ orderId: 42 }), undefined);
    assert.equal(orderIdOf(null), undefined);
    assert.equal(orderIdOf('o-1'), undefined);
    assert.equal(ORDER_ID_HEADER, 'x-order-id');
  });
});

/** A Broker against a real TCP endpoint, with its log lines captured. */
function brokerAt(port: number): { broker: Broker; logs: () => Array<{ msg: string; attempt?: number; failedAttempts?: number }> } {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'test',
    level: 'debug',
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  const broker = new Broker({ url: `amqp://guest:guest@127.0.0.1:${port}`, logger, service: 'test', publishTimeoutMs: 2000 });
  return { broker, logs: () => lines.map((l) => JSON.parse(l) as { msg: string }) };
}

describe('Broker reconnects (real TCP, a minimal AMQP server)', () => {
  // Brokers are closed before the servers they talk to (see `after`).
  const brokers: Broker[] = [];
  const servers: FakeAmqpServer[] = [];
  after(async () => {
    for (const broker of brokers) await broker.close();
    for (const server of servers) await server.close();
  });

  it('keeps retrying while nobody listens, fails publishes fast, and connects once a broker appears', async () => {
    const port = await unusedPort();
    const { broker, logs } = brokerAt(port);
    brokers.push(broker);
    let failedAttempts = 0;
    broker.connection.on('connectFailed', () => {
      failedAttempts += 1;
    });

    await waitUntil('two failed connection attempts', () => failedAttempts >= 2);
    assert.equal(broker.isConnected(), false);
    const started = Date.now();
    await assert.rejects(broker.publish('order.created', { n: 1 }), BrokerUnavailableError);
    assert.ok(Date.now() - started < 500, 'a publish while disconnected fails at once instead of queueing');
    const failures = logs().filter((l) => l.msg === 'connecting to RabbitMQ failed; retrying');
    assert.equal(failures.length, 1, `one warning per failure streak, not per attempt (${failedAttempts} attempts)`);

    const server: FakeAmqpServer = await startFakeAmqpServer(port);
    servers.push(server);
    await waitUntil('the broker to connect to the server that appeared', () => broker.isConnected());
    const recovered = logs().find((l) => l.msg === 'connecting to RabbitMQ recovered');
    assert.ok(recovered && (recovered.failedAttempts ?? 0) >= 2, `recovery logged with the failed attempts: ${JSON.stringify(recovered)}`);
    assert.ok(server.received.includes('ExchangeDeclare shopfloor.orders') && server.received.includes('QueueDeclare mes.production-requested.dlq'), 'the topology was declared');
    await broker.publish('order.created', { n: 2 });
    assert.ok(server.received.includes('BasicPublish shopfloor.orders order.created mandatory'), 'the publish (mandatory) reached the broker and was confirmed');
  });

  it('reconnects after the connection drops, re-declares the topology, and fails publishes fast in between', async () => {
    const server = await startFakeAmqpServer();
    servers.push(server);
    const { broker, logs } = brokerAt(server.port);
    brokers.push(broker);
    await waitUntil('the first connection', () => broker.isConnected());
    const declaredOnce = server.received.filter((r) => r === 'ExchangeDeclare shopfloor.orders').length;

    server.dropClients();
    await waitUntil('the broker to notice the dropped connection', () => !broker.isConnected());
    await assert.rejects(broker.publish('order.created', { n: 1 }), BrokerUnavailableError);
    assert.ok(logs().some((l) => l.msg === 'disconnected from RabbitMQ; reconnecting'));

    await waitUntil('the broker to reconnect', () => broker.isConnected());
    assert.ok(logs().some((l) => l.msg === 'reconnected to RabbitMQ'));
    assert.ok(server.connections >= 2, `a second TCP connection (${server.connections})`);
    assert.ok(
      server.received.filter((r) => r === 'ExchangeDeclare shopfloor.orders').length > declaredOnce,
      'the topology was declared again on the new connection',
    );
    await broker.publish('production.requested', { n: 2 });
    assert.ok(server.received.includes('BasicPublish shopfloor.orders production.requested mandatory'));
  });

  it('fails a publish the broker returns as unroutable (basic.return before the ack), and only that one', async () => {
    const server = await startFakeAmqpServer(0, { unroutable: ['nowhere'] });
    servers.push(server);
    const { broker } = brokerAt(server.port);
    brokers.push(broker);
    await waitUntil('the connection', () => broker.isConnected());
    await assert.rejects(broker.publish('nowhere', { orderId: 'o-1' }), UnroutableMessageError);
    await broker.publish('order.created', { orderId: 'o-2' });
    await assert.rejects(broker.publishRaw('', 'nowhere', Buffer.from('{}'), {}), UnroutableMessageError, 'a raw publish without a message id is matched too');
    await broker.publish('order.created', { orderId: 'o-3' });
  });
});

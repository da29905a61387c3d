import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import amqp, { type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';
import { Client } from 'pg';
import type { Stack } from '@shopfloor/stack-contract';
import { requestJson } from './clients/http';
import { flatten, isAncestor, JaegerClient, type Span } from './clients/jaeger';
import { eventually } from './eventually';
import { stackUp } from './stack';

// Names from service-kit's topology (packages/service-kit/README.md).
const ORDERS_EXCHANGE = 'shopfloor.orders';
const UNROUTABLE_QUEUE = 'shopfloor.unroutable';
const CRM_QUEUE = 'crm.order-created';
const ORDER_CREATED = 'order.created';

interface OrderAnswer { orderId: string; status: string }

/**
 * Issue 9, 1 and 1b as a client and an operator see them: the shop's intake neither loses nor
 * doubles an order, an unroutable message is kept, a republished order stays in its trace, and a
 * dead-lettered message shows as an error on its trace.
 */
describe('order intake: nothing lost, nothing doubled, every order on its trace', () => {
  let stack: Stack;
  let jaeger: JaegerClient;
  let amqpConnection: ChannelModel;
  let channel: ConfirmChannel;

  before(async () => {
    stack = await stackUp();
    jaeger = new JaegerClient(stack.endpoints.jaeger);
    amqpConnection = await amqp.connect(stack.endpoints.amqpUrl);
    channel = await amqpConnection.createConfirmChannel();
  });

  after(async () => {
    await amqpConnection?.close().catch(() => undefined);
  });

  const order = (name: string, sku = 'BRACKET-PLA') => ({ customer: { name, email: 'intake@example.com' }, items: [{ sku, quantity: 2 }] });

  const postOrder = (body: unknown, headers: Record<string, string> = {}) =>
    requestJson<OrderAnswer & { error?: string; details?: { path: string; message: string }[] }>(`${stack.endpoints.shopApi}/orders`, { method: 'POST', body, headers });

  const reachesMes = (orderId: string, why: string, timeoutMs = 60_000) =>
    eventually(`order ${orderId} to reach MES ${why}`, async () => {
      const res = await requestJson(`${stack.endpoints.mesApi}/jobs/${orderId}`);
      if (res.status !== 200) throw new Error(`GET /jobs/${orderId} answered ${res.status}`);
    }, timeoutMs);

  async function shopOrdersNamed(name: string): Promise<number> {
    const client = new Client({ connectionString: stack.endpoints.databaseUrl('shop') });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE customer->>'name' = $1`, [name]);
      return Number(rows[0]!.n);
    } finally {
      await client.end();
    }
  }

  it('answers a NUL character or a lone surrogate in a stored text field with a 400 naming the field', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['NUL in the customer name', order('Ada\u0000Lovelace'), 'customer.name'],
      ['a lone high surrogate in the customer name', order('Ada \ud83d'), 'customer.name'],
      ['a lone low surrogate in a SKU', order('Ada', 'BRK-\udc00'), 'items[0].sku'],
    ];
    for (const [what, body, path] of cases) {
      const res = await postOrder(body);
      assert.equal(res.status, 400, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'invalid order');
      const detail = res.body.details?.find((d) => d.path === path);
      assert.ok(detail && /NUL|surrogate/.test(detail.message), `${what}: the 400 names ${path} and the problem: ${JSON.stringify(res.body)}`);
    }
    const fine = await postOrder(order('Ada 😀 Lovelace'));
    assert.ok(fine.status === 201 || fine.status === 202, `a name with a whole surrogate pair is accepted: ${fine.status}`);
  });

  it('honours Idempotency-Key: a retry gets the same order and answer, one job in MES; another body is a 409', async () => {
    const key = randomUUID();
    const name = `Idempotent ${key}`;
    const first = await postOrder(order(name), { 'idempotency-key': key });
    assert.ok(first.status === 201 || first.status === 202, `first POST: ${first.status} ${JSON.stringify(first.body)}`);
    // The same body with its keys in another order is the same request.
    const sameBody = { items: [{ quantity: 2, sku: 'BRACKET-PLA' }], customer: { email: 'intake@example.com', name } };
    const retry = await postOrder(sameBody, { 'idempotency-key': key });
    assert.equal(retry.status, first.status, 'the retry gets the same status');
    assert.deepEqual(retry.body, first.body, 'the retry gets the same body (the same order id)');
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');

    const other = await postOrder(order(name, 'GEAR-PETG'), { 'idempotency-key': key });
    assert.equal(other.status, 409, `same key, other body: ${other.status} ${JSON.stringify(other.body)}`);
    assert.match(String(other.body.error), /Idempotency-Key/);

    await reachesMes(first.body.orderId, 'for the idempotent order');
    assert.equal(await shopOrdersNamed(name), 1, 'the shop stored one order for the key');
    const jobs = await requestJson<{ jobs: { orderId: string }[] }>(`${stack.endpoints.mesApi}/jobs`);
    assert.equal(jobs.body.jobs.filter((j) => j.orderId === first.body.orderId).length, 1, 'MES has exactly one job for it');

    const badKey = await postOrder(order(name), { 'idempotency-key': 'k'.repeat(256) });
    assert.equal(badKey.status, 400, `an over-long key is a 400: ${JSON.stringify(badKey.body)}`);
  });

  it('accepts only a model key that POST /models issued', async () => {
    for (const s3Key of ['../../etc/passwd', `models/${randomUUID()}/never-uploaded.stl`]) {
      const res = await postOrder({ ...order('Model Forger'), model: { s3Key } });
      assert.equal(res.status, 400, `${s3Key}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.ok(res.body.details?.some((d) => d.path === 'model.s3Key'), `the 400 names model.s3Key: ${JSON.stringify(res.body)}`);
    }
    const upload = await fetch(`${stack.endpoints.shopApi}/models?name=issued.stl`, { method: 'POST', body: randomBytes(1024), headers: { 'content-type': 'model/stl' } });
    const { s3Key } = (await upload.json()) as { s3Key: string };
    assert.equal(upload.status, 201);
    const ok = await postOrder({ ...order('Model Owner'), model: { s3Key } });
    assert.ok(ok.status === 201 || ok.status === 202, `an issued key is accepted: ${ok.status} ${JSON.stringify(ok.body)}`);
  });

  it('keeps an unroutable order in shopfloor.unroutable with its x-order-id, and delivers it once replayed', async () => {
    await channel.unbindQueue(CRM_QUEUE, ORDERS_EXCHANGE, ORDER_CREATED);
    let kept: GetMessage | undefined;
    let orderId: string;
    try {
      const res = await postOrder(order('Nowhere To Go'));
      assert.equal(res.status, 201, `the alternate exchange took the message, so the publish is confirmed: ${JSON.stringify(res.body)}`);
      orderId = res.body.orderId;
      kept = await eventually(`order ${orderId} in ${UNROUTABLE_QUEUE}`, async () => {
        for (;;) {
          const msg = await channel.get(UNROUTABLE_QUEUE, { noAck: false });
          if (msg === false) throw new Error(`${UNROUTABLE_QUEUE} has no message with x-order-id ${orderId}`);
          if (msg.properties.headers?.['x-order-id'] === orderId) return msg;
          channel.nack(msg, false, true); // not ours: leave it
        }
      }, 20_000);
      assert.equal(kept.fields.routingKey, ORDER_CREATED, 'the original routing key is kept');
      assert.match(String(kept.properties.headers?.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/, 'the trace context is kept');
      assert.equal(JSON.parse(kept.content.toString()).orderId, orderId);
      const status = await requestJson<{ status: string }>(`${stack.endpoints.shopApi}/orders/${orderId}`);
      assert.equal(status.body.status, 'published', 'the shop recorded the publish (no second copy from the republisher)');
    } finally {
      await channel.bindQueue(CRM_QUEUE, ORDERS_EXCHANGE, ORDER_CREATED);
    }
    // Replay (as the runbook does): the same message, headers included, to its original routing key.
    channel.publish(ORDERS_EXCHANGE, kept.fields.routingKey, kept.content, { ...kept.properties, persistent: true });
    await channel.waitForConfirms();
    channel.ack(kept);
    await reachesMes(orderId, 'after the replay from shopfloor.unroutable');
  });

  it('puts an order republished after a RabbitMQ outage on the trace of its POST', async () => {
    await stack.stopComponent('rabbitmq');
    let orderId: string;
    try {
      const res = await postOrder(order('Broker Was Down'));
      assert.equal(res.status, 202, `with RabbitMQ down the order is accepted: ${JSON.stringify(res.body)}`);
      orderId = res.body.orderId;
    } finally {
      await stack.startComponent('rabbitmq');
    }
    // The test's own AMQP connection died with the broker.
    amqpConnection = await amqp.connect(stack.endpoints.amqpUrl);
    channel = await amqpConnection.createConfirmChannel();
    await reachesMes(orderId, 'after RabbitMQ came back', 90_000);

    const spans = await eventually(`one trace of order ${orderId} from the shop's POST to MES`, async () => {
      const traces = await jaeger.findTraces('shop-api', { 'order.id': orderId });
      if (traces.length !== 1) throw new Error(`Jaeger has ${traces.length} traces tagged order.id=${orderId} (want 1)`);
      const all = flatten(traces[0]!);
      const missing = ['shop-api producer', 'crm-api consumer', 'mes-api consumer'].filter((w) => !all.some((s) => `${s.service} ${s.kind}` === w));
      if (missing.length) throw new Error(`the trace lacks ${missing.join(', ')}: ${all.map((s) => `${s.service}/${s.kind}/${s.name}`).join(', ')}`);
      return all;
    }, 60_000);
    const post = spans.find((s) => s.service === 'shop-api' && s.kind === 'server' && s.tags['http.route'] === '/orders');
    const publish = spans.find((s) => s.service === 'shop-api' && s.kind === 'producer');
    assert.ok(post && publish, 'the POST and the (re)publish are in the trace');
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1);
    assert.ok(isAncestor(spans, post, publish), 'the republisher\'s publish span descends from the POST /orders span');
  });

  it('shows a poison message in crm.order-created as an error consume span with its reason, and dead-letters it with its x-order-id', async () => {
    const traceId = randomBytes(16).toString('hex');
    const orderId = randomUUID();
    const secret = `poison-${randomBytes(6).toString('hex')}`;
    channel.publish(ORDERS_EXCHANGE, ORDER_CREATED, Buffer.from(`not json ${secret}`), {
      persistent: true,
      messageId: randomUUID(),
      contentType: 'application/json',
      timestamp: Date.now(),
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, 'x-order-id': orderId },
    });
    await channel.waitForConfirms();

    const consume: Span = await eventually(`the crm-api consume span of the poison message (trace ${traceId}) in Jaeger`, async () => {
      const found = await jaeger.trace(traceId);
      if (found === undefined) throw new Error(`Jaeger has no trace ${traceId}`);
      const span = flatten(found).find((s) => s.service === 'crm-api' && s.kind === 'consumer');
      if (span === undefined) throw new Error('the trace has no crm-api consumer span');
      return span;
    }, 60_000);
    assert.equal(consume.tags['otel.status_code'], 'ERROR', `status ERROR on the consume span: ${JSON.stringify(consume.tags)}`);
    assert.equal(consume.tags['otel.status_description'], 'invalid_message');
    assert.equal(consume.tags['error.type'], 'InvalidMessageError');
    assert.equal(consume.tags['shopfloor.dead_letter.reason'], 'invalid_message');
    const whole = JSON.stringify(await jaeger.trace(traceId));
    assert.ok(!whole.includes(secret), 'no part of the message body is on the trace');

    const dead = await eventually(`the poison message in ${CRM_QUEUE}.dlq`, async () => {
      for (;;) {
        const msg = await channel.get(`${CRM_QUEUE}.dlq`, { noAck: false });
        if (msg === false) throw new Error(`${CRM_QUEUE}.dlq has no message with x-order-id ${orderId}`);
        if (msg.properties.headers?.['x-order-id'] === orderId) return msg;
        channel.nack(msg, false, true);
      }
    }, 20_000);
    assert.match(String(dead.properties.headers?.['x-shopfloor-reason']), /^invalid JSON/);
    assert.equal(dead.properties.headers?.['x-shopfloor-queue'], CRM_QUEUE);
    channel.ack(dead);
  });
});

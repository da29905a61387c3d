/**
 * The consumer's settle paths with a fake broker and fake amqplib channels: what is acked, nacked,
 * republished or dead-lettered, in which order, and on which channel.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ConfirmChannel, ConsumeMessage, MessagePropertyHeaders } from 'amqplib';
import { z } from 'zod';
import { type Broker, BrokerUnavailableError, DEAD_LETTER_EXCHANGE } from './broker';
import { Consumer, LAST_ERROR_HEADER, REASON_HEADER, RETRY_HEADER, type MessageContext } from './consumer';
import { PermanentError } from './errors';
import { createLogger } from './logger';
import { exportedText, installTestTracing, type TestTracing } from './test-tracing';

const QUEUE = 'crm.order-created';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const schema = z.object({ orderId: z.string() });

type Event = string;

class FakeChannel {
  constructor(
    private readonly name: string,
    private readonly events: Event[],
    private readonly failing = false,
  ) {}
  ack(msg: ConsumeMessage): void {
    if (this.failing) throw new Error('Channel closed');
    this.events.push(`${this.name}.ack ${msg.fields.deliveryTag}`);
  }
  nack(msg: ConsumeMessage, allUpTo?: boolean, requeue?: boolean): void {
    if (this.failing) throw new Error('Channel closed');
    this.events.push(`${this.name}.nack ${msg.fields.deliveryTag} allUpTo=${allUpTo} requeue=${requeue}`);
  }
}

interface Published { exchange: string; routingKey: string; content: Buffer; options: { headers?: MessagePropertyHeaders; messageId?: string; timestamp?: number } }

function harness(options: { maxRetries?: number; baseDelayMs?: number; handler?: (payload: { orderId: string }, ctx: MessageContext) => Promise<void> } = {}) {
  const events: Event[] = [];
  const published: Published[] = [];
  const logs: string[] = [];
  let publishError: Error | undefined;
  let onChannel: ((ch: ConfirmChannel) => void) | undefined;
  let deliver: ((msg: ConsumeMessage) => void) | undefined;
  const broker = {
    createChannel: (_name: string, cb: (ch: ConfirmChannel) => void) => {
      onChannel = cb;
      return {
        consume: async (queue: string, cb2: (msg: ConsumeMessage) => void) => {
          assert.equal(queue, QUEUE);
          deliver = cb2;
        },
        cancelAll: async () => {
          events.push('cancel');
        },
        close: async () => {
          events.push('close');
        },
      };
    },
    publishRaw: async (exchange: string, routingKey: string, content: Buffer, opts: Published['options']) => {
      if (publishError) {
        events.push(`publish failed ${exchange || '(default)'}`);
        throw publishError;
      }
      events.push(`publish ${exchange || '(default)'} ${routingKey}`);
      published.push({ exchange, routingKey, content, options: opts });
    },
  } as unknown as Broker;
  const logger = createLogger({
    service: 'test',
    level: 'debug',
    destination: new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  });
  const handled: Array<{ payload: unknown; ctx: MessageContext }> = [];
  const consumer = new Consumer(broker, logger, {
    queue: QUEUE,
    schema,
    retry: { maxRetries: options.maxRetries ?? 3, baseDelayMs: options.baseDelayMs ?? 5, maxDelayMs: 120_000 },
    handler: async (payload, ctx) => {
      handled.push({ payload, ctx });
      await options.handler?.(payload, ctx);
    },
  });
  let tag = 0;
  return {
    events,
    published,
    logs,
    handled,
    consumer,
    failPublishes: (err: Error | undefined) => {
      publishError = err;
    },
    /** A new underlying channel, as amqp-connection-manager hands one over after (re)connecting. */
    connect(name: string, failing = false): FakeChannel {
      const ch = new FakeChannel(name, events, failing);
      onChannel!(ch as unknown as ConfirmChannel);
      return ch;
    },
    async start() {
      await consumer.start();
      assert.ok(deliver, 'the consumer registered a callback');
    },
    deliver(body: string, headers: MessagePropertyHeaders = {}): ConsumeMessage {
      const msg = {
        content: Buffer.from(body),
        fields: { deliveryTag: ++tag, redelivered: false, exchange: 'shopfloor.orders', routingKey: 'order.created', consumerTag: 'c1' },
        properties: { headers: { traceparent: TRACEPARENT, ...headers }, messageId: `m-${tag}`, timestamp: Date.now() - 10, type: 'order.created', contentType: 'application/json' },
      } as unknown as ConsumeMessage;
      deliver!(msg);
      return msg;
    },
  };
}

/** Polls until `events` has an entry matching `pattern`; fails after the deadline saying what it saw. */
async function until(events: Event[], pattern: RegExp, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!events.some((e) => pattern.test(e))) {
    if (Date.now() > deadline) assert.fail(`no event matching ${pattern} within ${timeoutMs} ms; saw [${events.join(', ')}]`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A handler result that stays pending until `release()`: a message held in flight. */
function gated(): { gate: Promise<void>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { gate, release };
}

describe('Consumer settle paths', () => {
  it('acks a handled message on the channel that delivered it, and passes payload and context', async () => {
    const h = harness();
    h.connect('ch1');
    await h.start();
    h.deliver('{"orderId":"o-1"}', { [RETRY_HEADER]: 2 });
    await until(h.events, /ack/);
    assert.deepEqual(h.events, ['ch1.ack 1']);
    assert.deepEqual(h.handled[0]?.payload, { orderId: 'o-1' });
    assert.equal(h.handled[0]?.ctx.retries, 2);
    assert.equal(h.handled[0]?.ctx.headers.traceparent, TRACEPARENT);
  });

  it('dead-letters a schema violation: original bytes and headers plus reason to the DLX, confirmed before the ack', async () => {
    const h = harness();
    h.connect('ch1');
    await h.start();
    const body = '{"orderId":42}';
    h.deliver(body);
    await until(h.events, /ack/);
    assert.deepEqual(h.events, [`publish ${DEAD_LETTER_EXCHANGE} ${QUEUE}`, 'ch1.ack 1']);
    const [dl] = h.published;
    assert.equal(dl?.content.toString(), body);
    assert.equal(dl?.options.headers?.traceparent, TRACEPARENT);
    assert.match(String(dl?.options.headers?.[REASON_HEADER]), /^schema violation: orderId: /);
    assert.equal(dl?.options.messageId, 'm-1', 'the dead letter keeps the message id');
    assert.equal(h.handled.length, 0, 'the handler never sees an invalid message');
  });

  it('dead-letters a business rejection (PermanentError) at once, without retries', async () => {
    const h = harness({ handler: async () => { throw new PermanentError('customer is blocked'); } });
    h.connect('ch1');
    await h.start();
    h.deliver('{"orderId":"o-1"}');
    await until(h.events, /ack/);
    assert.deepEqual(h.events, [`publish ${DEAD_LETTER_EXCHANGE} ${QUEUE}`, 'ch1.ack 1']);
    assert.equal(h.published[0]?.options.headers?.[REASON_HEADER], 'customer is blocked');
  });

  it('retries a transient failure: republishes to the queue with the retry count after the backoff, then acks', async () => {
    const h = harness({ baseDelayMs: 30, handler: async () => { throw new Error('Connection terminated unexpectedly'); } });
    h.connect('ch1');
    await h.start();
    const started = Date.now();
    h.deliver('{"orderId":"o-1"}', { [RETRY_HEADER]: 1 });
    await until(h.events, /ack/);
    assert.ok(Date.now() - started >= 55, `waited the backoff of retry 2 (2 × 30 ms), not ${Date.now() - started} ms`);
    assert.deepEqual(h.events, [`publish (default) ${QUEUE}`, 'ch1.ack 1']);
    const headers = h.published[0]?.options.headers ?? {};
    assert.equal(headers[RETRY_HEADER], 2);
    assert.equal(headers[LAST_ERROR_HEADER], 'Connection terminated unexpectedly');
    assert.equal(headers.traceparent, TRACEPARENT);
  });

  it('dead-letters a transient failure once the retries are used up', async () => {
    const h = harness({ maxRetries: 2, handler: async () => { throw new Error('Connection terminated unexpectedly'); } });
    h.connect('ch1');
    await h.start();
    h.deliver('{"orderId":"o-1"}', { [RETRY_HEADER]: 2 });
    await until(h.events, /ack/);
    assert.deepEqual(h.events, [`publish ${DEAD_LETTER_EXCHANGE} ${QUEUE}`, 'ch1.ack 1']);
    assert.equal(h.published[0]?.options.headers?.[REASON_HEADER], 'retries exhausted after 2 retries: Connection terminated unexpectedly');
  });

  it('requeues (nack, requeue) when the dead letter cannot be published, and never acks', async () => {
    const h = harness();
    h.connect('ch1');
    await h.start();
    h.failPublishes(new BrokerUnavailableError('not connected to RabbitMQ'));
    h.deliver('not json');
    await until(h.events, /nack/);
    assert.deepEqual(h.events, [`publish failed ${DEAD_LETTER_EXCHANGE}`, 'ch1.nack 1 allUpTo=false requeue=true']);
  });

  it('requeues when the retry copy cannot be published', async () => {
    const h = harness({ handler: async () => { throw new Error('db down'); } });
    h.connect('ch1');
    await h.start();
    h.failPublishes(new BrokerUnavailableError('publish not confirmed'));
    h.deliver('{"orderId":"o-1"}');
    await until(h.events, /nack/);
    assert.deepEqual(h.events, ['publish failed (default)', 'ch1.nack 1 allUpTo=false requeue=true']);
  });

  it('requeues a message waiting for its retry when the consumer stops, without republishing it', async () => {
    const h = harness({ baseDelayMs: 60_000, handler: async () => { throw new Error('db down'); } });
    h.connect('ch1');
    await h.start();
    h.deliver('{"orderId":"o-1"}');
    await until(h.logs, /transient failure; will retry/);
    const started = Date.now();
    await h.consumer.stop(5000);
    assert.ok(Date.now() - started < 2000, 'stop did not wait for the 60 s backoff');
    assert.deepEqual(h.events, ['cancel', 'ch1.nack 1 allUpTo=false requeue=true', 'close']);
    assert.equal(h.published.length, 0);
  });

  it('waits for an in-flight message before closing the channel on stop', async () => {
    const { gate, release } = gated();
    const h = harness({ handler: () => gate });
    h.connect('ch1');
    await h.start();
    h.deliver('{"orderId":"o-1"}');
    // Delivery is synchronous up to the handler, which now blocks on the gate.
    const stopping = h.consumer.stop(5000);
    await until(h.events, /cancel/);
    assert.ok(!h.events.includes('close'), 'the channel stays open while a message is in flight');
    release();
    await stopping;
    assert.deepEqual(h.events, ['cancel', 'ch1.ack 1', 'close']);
  });

  it('does not settle on a channel that was replaced by a reconnect (the broker redelivers)', async () => {
    const { gate, release } = gated();
    const h = harness({ handler: () => gate });
    h.connect('ch1');
    await h.start();
    h.deliver('{"orderId":"o-1"}');
    h.connect('ch2'); // reconnect while the message is being handled
    release();
    await until(h.logs, /channel was replaced/);
    await h.consumer.stop(1000);
    assert.deepEqual(h.events, ['cancel', 'close'], 'neither the old nor the new channel acked the delivery');
  });

  it('survives a channel that closed before the ack', async () => {
    const h = harness();
    h.connect('ch1', true);
    await h.start();
    h.deliver('{"orderId":"o-1"}');
    await until(h.logs, /channel closed before settling/);
    h.connect('ch2');
    h.deliver('{"orderId":"o-2"}');
    await until(h.events, /ack/);
    assert.deepEqual(h.events, ['ch2.ack 2'], 'the consumer still works after the failed ack');
  });
});

describe('Consumer telemetry of a dead-lettered message', () => {
  let tracing: TestTracing;
  before(() => {
    tracing = installTestTracing();
  });
  after(async () => {
    await tracing.shutdown();
  });

  it('puts the exception type, never the body quoted by the JSON.parse error, into the span, headers and logs', async () => {
    const secret = 'pw-Hunter2';
    const body = secret; // not JSON: Node's message quotes it ("Unexpected token 'p', "pw-Hunter2" is not valid JSON")
    assert.throws(() => JSON.parse(body), (err: Error) => err.message.includes(secret), 'precondition: JSON.parse quotes the body');
    const h = harness();
    h.connect('ch1');
    await h.start();
    // The preload's amqplib instrumentation calls the consumer's callback inside the consumer span.
    const span = await tracing.inSpan(`${QUEUE} process`, async () => {
      h.deliver(body);
      await until(h.events, /ack/);
    });
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.status.message, 'invalid_message');
    assert.equal(span.attributes['error.type'], 'InvalidMessageError');
    assert.ok(!exportedText(span).includes(secret), `span: ${exportedText(span)}`);
    assert.equal(h.published[0]?.options.headers?.[REASON_HEADER], 'invalid JSON: SyntaxError');
    assert.equal(h.published[0]?.content.toString(), body, 'the dead letter itself keeps the original bytes');
    assert.ok(!h.logs.join('').includes(secret), `logs: ${h.logs.join('')}`);
  });

  it('marks the consume span before the ack, which ends it under the amqplib instrumentation', async () => {
    const h = harness({
      handler: async () => {
        throw new PermanentError('customer blocked');
      },
    });
    const ch = h.connect('ch1');
    await h.start();
    const span = await tracing.inSpan(`${QUEUE} process`, async (active) => {
      // Like the instrumentation: the ack ends the span, later status changes are ignored.
      const ack = ch.ack.bind(ch);
      ch.ack = (msg) => {
        active.end();
        ack(msg);
      };
      h.deliver(JSON.stringify({ orderId: 'o-1' }), { 'x-order-id': 'o-1' });
      await until(h.events, /ack/);
    });
    assert.equal(span.status.code, SpanStatusCode.ERROR, 'status set before the span ended');
    assert.equal(span.status.message, 'rejected');
    assert.equal(span.attributes['error.type'], 'PermanentError');
    assert.equal(span.attributes['shopfloor.dead_letter.reason'], 'rejected');
    assert.ok(!exportedText(span).includes('customer blocked'), `the reason text stays out of the span: ${exportedText(span)}`);
    assert.equal(h.published[0]?.options.headers?.['x-order-id'], 'o-1', 'the dead letter keeps x-order-id');
    assert.equal(h.published[0]?.options.headers?.[REASON_HEADER], 'customer blocked');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { BrokerUnavailableError } from './broker';
import {
  classifyFailure,
  deadLetterHeaders,
  decideOnFailure,
  FAILED_AT_HEADER,
  parseMessage,
  queueWaitMs,
  readRetryCount,
  REASON_HEADER,
  RETRY_HEADER,
  retryHeaders,
} from './consumer';
import { InvalidMessageError, PermanentError } from './errors';

const policy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 250 };

describe('classifyFailure', () => {
  it('separates permanent from transient failures', () => {
    assert.equal(classifyFailure(new PermanentError('business rule')), 'permanent');
    assert.equal(classifyFailure(new SyntaxError('Unexpected token')), 'permanent');
    assert.equal(classifyFailure(z.string().safeParse(1).error), 'permanent');
    assert.equal(classifyFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), 'transient');
    assert.equal(classifyFailure(new BrokerUnavailableError('not connected')), 'transient');
    assert.equal(classifyFailure(new TypeError('bug')), 'transient');
    assert.equal(classifyFailure('weird'), 'transient');
  });
});

describe('decideOnFailure', () => {
  it('dead-letters permanent failures at once', () => {
    assert.deepEqual(decideOnFailure(new InvalidMessageError('schema violation: orderId: Invalid UUID'), 0, policy), {
      action: 'dead-letter',
      reason: 'schema violation: orderId: Invalid UUID',
      reasonClass: 'invalid_message',
    });
    assert.deepEqual(decideOnFailure(new PermanentError('rejected by fault injection'), 0, policy), {
      action: 'dead-letter',
      reason: 'rejected by fault injection',
      reasonClass: 'rejected',
    });
  });

  it('retries transient failures with backoff, then gives up with a reason', () => {
    const err = new Error('Connection terminated unexpectedly');
    assert.deepEqual(decideOnFailure(err, 0, policy), { action: 'retry', retry: 1, delayMs: 100, error: err.message });
    assert.deepEqual(decideOnFailure(err, 1, policy), { action: 'retry', retry: 2, delayMs: 200, error: err.message });
    assert.deepEqual(decideOnFailure(err, 2, policy), { action: 'retry', retry: 3, delayMs: 250, error: err.message });
    assert.deepEqual(decideOnFailure(err, 3, policy), {
      action: 'dead-letter',
      reason: 'retries exhausted after 3 retries: Connection terminated unexpectedly',
      reasonClass: 'retries_exhausted',
    });
  });

  it('dead-letters on the first transient failure when retries are disabled', () => {
    assert.equal(decideOnFailure(new Error('x'), 0, { ...policy, maxRetries: 0 }).action, 'dead-letter');
  });
});

describe('headers', () => {
  it('reads the retry count defensively', () => {
    assert.equal(readRetryCount(undefined), 0);
    assert.equal(readRetryCount({ [RETRY_HEADER]: 2 }), 2);
    assert.equal(readRetryCount({ [RETRY_HEADER]: '3' }), 3);
    assert.equal(readRetryCount({ [RETRY_HEADER]: 'x' }), 0);
    assert.equal(readRetryCount({ [RETRY_HEADER]: -1 }), 0);
  });

  it('keeps the original headers (traceparent) and adds the reason', () => {
    const original = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-shopfloor-source': 'shop-api' };
    const headers = deadLetterHeaders(original, 'crm.order-created', 'invalid JSON: Unexpected token', new Date('2025-01-02T03:04:05.000Z'));
    assert.equal(headers.traceparent, original.traceparent);
    assert.equal(headers['x-shopfloor-source'], 'shop-api');
    assert.equal(headers[REASON_HEADER], 'invalid JSON: Unexpected token');
    assert.equal(headers[FAILED_AT_HEADER], '2025-01-02T03:04:05.000Z');
    assert.equal(headers['x-shopfloor-queue'], 'crm.order-created');
    assert.equal(retryHeaders(original, 2, 'db down')[RETRY_HEADER], 2);
    assert.equal(retryHeaders(original, 2, 'db down').traceparent, original.traceparent);
  });
});

describe('parseMessage', () => {
  const schema = z.object({ orderId: z.guid(), n: z.int() });

  it('parses valid messages', () => {
    const id = '0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10';
    assert.deepEqual(parseMessage(Buffer.from(JSON.stringify({ orderId: id, n: 1 })), schema), { orderId: id, n: 1 });
  });

  it('rejects invalid JSON permanently', () => {
    assert.throws(() => parseMessage(Buffer.from('{nope'), schema), (err: unknown) => {
      assert.ok(err instanceof PermanentError);
      assert.match(err.message, /^invalid JSON: /);
      return true;
    });
  });

  it('rejects schema violations permanently, naming the fields', () => {
    assert.throws(() => parseMessage(Buffer.from('{"orderId":"x","n":"1"}'), schema), (err: unknown) => {
      assert.ok(err instanceof PermanentError);
      assert.match(err.message, /^schema violation: orderId: .+; n: .+/);
      return true;
    });
  });
});

describe('queueWaitMs', () => {
  it('derives the wait from the ms timestamp', () => {
    assert.equal(queueWaitMs(1000, 1250), 250);
    assert.equal(queueWaitMs(2000, 1000), 0);
    assert.equal(queueWaitMs(undefined, 1000), undefined);
  });
});

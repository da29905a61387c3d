import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpanStatusCode } from '@opentelemetry/api';
import { errorType } from './errors';
import { recordDeadLetter, recordServerError } from './telemetry';
import { exportedText, installTestTracing, type TestTracing } from './test-tracing';

class InjectedFault extends Error {}

/** A JSON.parse error as Node 22+ makes it: its message quotes the text it failed on. */
function jsonParseError(body: string): SyntaxError {
  try {
    JSON.parse(body);
  } catch (err) {
    return err as SyntaxError;
  }
  throw new Error(`${body} parsed`);
}

const SECRET = 's3cr3t-Tok';

describe('errorType', () => {
  it('is the exception class, never its message', () => {
    assert.equal(errorType(new InjectedFault('order 42 of alice@example.com')), 'InjectedFault');
    assert.equal(errorType(new TypeError('x')), 'TypeError');
    assert.equal(errorType('a string'), '_OTHER');
  });
});

describe('recordServerError / recordDeadLetter on the active span', () => {
  let tracing: TestTracing;
  before(() => {
    tracing = installTestTracing();
  });
  after(async () => {
    await tracing.shutdown();
  });

  it('exports the type of a JSON.parse error, not the body its message quotes', async () => {
    const err = jsonParseError(SECRET);
    // Precondition: on this Node the message does carry the body, so the check below means something.
    assert.ok(err.message.includes(SECRET), `JSON.parse's message quotes its input: ${err.message}`);

    const span = await tracing.inSpan('POST /orders', () => recordServerError(err));

    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.status.message, 'SyntaxError');
    assert.equal(span.attributes['error.type'], 'SyntaxError');
    assert.deepEqual(
      span.events.map((e) => ({ name: e.name, attributes: e.attributes })),
      [{ name: 'exception', attributes: { 'exception.type': 'SyntaxError' } }],
    );
    const text = exportedText(span);
    assert.ok(!text.includes(SECRET), `the span carries the body: ${text}`);
    assert.ok(!text.includes('is not valid JSON'), `the span carries the message: ${text}`);
  });

  it('describes a dead-lettered span by its bounded reason class', async () => {
    const span = await tracing.inSpan('crm.order-created process', () =>
      recordDeadLetter('crm.order-created', 'rejected', new InjectedFault(`rejected order of ${SECRET}`)),
    );
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.status.message, 'rejected');
    assert.equal(span.attributes['error.type'], 'InjectedFault');
    assert.ok(!exportedText(span).includes(SECRET), exportedText(span));
  });

  it('leaves a span alone when nothing failed on it, and does nothing without an active span', async () => {
    recordServerError(new InjectedFault('no span active'));
    const span = await tracing.inSpan('GET /healthz', () => undefined);
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(span.events, []);
    assert.equal(tracing.finished().length, 3, 'only the spans made by the tests were exported');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderCreatedSchema, parseOrThrow, ValidationError } from '@shopfloor/service-kit';
import { orderCreatedMessage } from './publisher';
import { canonicalJson, createOrderSchema, parseIdempotencyKey, requestHash } from './schema';

const valid = {
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  items: [{ sku: 'BRK-100', quantity: 3 }],
  model: { s3Key: 'models/0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10/bracket.stl' },
};

function details(body: unknown): Array<{ path: string; message: string }> {
  try {
    parseOrThrow(createOrderSchema, body, 'invalid order', 'body');
  } catch (err) {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.publicMessage, 'invalid order');
    return err.details;
  }
  assert.fail('expected a validation error');
}

describe('createOrderSchema', () => {
  it('accepts a valid order, with or without a model', () => {
    assert.deepEqual(createOrderSchema.parse(valid), valid);
    const { model: _model, ...withoutModel } = valid;
    assert.deepEqual(createOrderSchema.parse(withoutModel), withoutModel);
  });

  it('lists every invalid field', () => {
    const paths = details({
      customer: { name: '', email: 'not-an-email' },
      items: [{ sku: 'A', quantity: 0 }, { sku: 'x'.repeat(65), quantity: 1.5 }],
      model: { s3Key: '' },
    }).map((d) => d.path);
    assert.deepEqual(paths, [
      'customer.name',
      'customer.email',
      'items[0].quantity',
      'items[1].sku',
      'items[1].quantity',
      'model.s3Key',
    ]);
  });

  it('bounds the number of items and quantities', () => {
    assert.deepEqual(details({ ...valid, items: [] }).map((d) => d.path), ['items']);
    const many = Array.from({ length: 101 }, () => ({ sku: 'A', quantity: 1 }));
    assert.deepEqual(details({ ...valid, items: many }).map((d) => d.path), ['items']);
    assert.deepEqual(details({ ...valid, items: [{ sku: 'A', quantity: 1001 }] }).map((d) => d.path), ['items[0].quantity']);
  });

  it('rejects a missing body', () => {
    assert.deepEqual(details(undefined).map((d) => d.path), ['body']);
  });

  it('rejects NUL and lone surrogates in every stored text field with a message saying so (PostgreSQL cannot store them)', () => {
    const nul = 'must not contain the NUL character (U+0000)';
    const surrogate = 'must not contain a lone UTF-16 surrogate (not valid Unicode)';
    assert.deepEqual(details({ ...valid, customer: { ...valid.customer, name: 'Ada\u0000Lovelace' } }), [{ path: 'customer.name', message: nul }]);
    assert.deepEqual(details({ ...valid, customer: { ...valid.customer, name: 'Ada \ud83d' } }), [{ path: 'customer.name', message: surrogate }]);
    assert.deepEqual(details({ ...valid, customer: { ...valid.customer, name: '\udc00Ada' } }), [{ path: 'customer.name', message: surrogate }]);
    assert.deepEqual(details({ ...valid, items: [{ sku: 'BRK\u0000', quantity: 1 }] }), [{ path: 'items[0].sku', message: nul }]);
    assert.deepEqual(details({ ...valid, items: [{ sku: 'BRK\ud800', quantity: 1 }] }).map((d) => d.path), ['items[0].sku']);
    assert.ok(details({ ...valid, customer: { ...valid.customer, email: 'a\u0000@example.com' } }).some((d) => d.path === 'customer.email'));
    assert.ok(details({ ...valid, model: { s3Key: `${valid.model.s3Key}\u0000` } }).some((d) => d.path === 'model.s3Key'));
    // Whole pairs (emoji, CJK outside the BMP) are fine.
    assert.equal(createOrderSchema.parse({ ...valid, customer: { ...valid.customer, name: 'Ada 😀 𠜎' } }).customer.name, 'Ada 😀 𠜎');
  });

  it('accepts only model keys in the format POST /models issues', () => {
    const message = 'must be a key issued by POST /models (models/<uuid>/<file name>)';
    for (const bad of ['../../etc/passwd', 'models/bracket.stl', 'models/0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10/../x.stl', 'models/0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10/a/b.stl', '/models/0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10/x.stl']) {
      assert.deepEqual(details({ ...valid, model: { s3Key: bad } }), [{ path: 'model.s3Key', message }], bad);
    }
  });
});

describe('Idempotency-Key and the request hash', () => {
  it('accepts 1-255 visible ASCII characters, absent is fine, anything else is a 400', () => {
    assert.equal(parseIdempotencyKey(undefined), undefined);
    assert.equal(parseIdempotencyKey('0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10'), '0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10');
    assert.equal(parseIdempotencyKey('k'.repeat(255)), 'k'.repeat(255));
    for (const bad of ['', 'k'.repeat(256), 'has space', 'tab\t', 'nul\u0000', 'é']) {
      assert.throws(() => parseIdempotencyKey(bad), (err: unknown) => err instanceof ValidationError && err.details[0]?.path === 'Idempotency-Key', JSON.stringify(bad));
    }
  });

  it('hashes the body independently of key order and whitespace, and differs for any other value', () => {
    const a = { customer: { name: 'Ada', email: 'ada@example.com' }, items: [{ sku: 'A', quantity: 1 }] };
    const b = JSON.parse('{ "items": [ { "quantity": 1, "sku": "A" } ], "customer": { "email": "ada@example.com", "name": "Ada" } }');
    assert.equal(canonicalJson(a), '{"customer":{"email":"ada@example.com","name":"Ada"},"items":[{"quantity":1,"sku":"A"}]}');
    assert.equal(requestHash(a), requestHash(b));
    assert.match(requestHash(a), /^[0-9a-f]{64}$/);
    assert.notEqual(requestHash(a), requestHash({ ...a, items: [{ sku: 'A', quantity: 2 }] }));
    assert.notEqual(requestHash(a), requestHash({ ...a, items: [...a.items, ...a.items] }), 'array order and length count');
    assert.notEqual(requestHash({ x: '1' }), requestHash({ x: 1 }), 'types count');
    assert.equal(canonicalJson(undefined), 'null');
  });
});

describe('orderCreatedMessage', () => {
  it('builds a message that satisfies the order.created contract', () => {
    const message = orderCreatedMessage({
      orderId: '0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10',
      customer: valid.customer,
      items: valid.items,
      modelKey: null,
      status: 'stored',
      createdAt: '2025-01-02T03:04:05.000Z',
      publishedAt: null,
      traceparent: null,
    });
    assert.deepEqual(orderCreatedSchema.parse(message), message);
    assert.deepEqual(Object.keys(message), ['orderId', 'customer', 'items', 'modelKey', 'createdAt']);
  });
});

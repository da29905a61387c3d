import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderCreatedSchema, parseOrThrow, ValidationError } from '@shopfloor/service-kit';
import { orderCreatedMessage } from './publisher';
import { createOrderSchema } from './schema';

const valid = {
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  items: [{ sku: 'BRK-100', quantity: 3 }],
  model: { s3Key: 'models/bracket.stl' },
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
    });
    assert.deepEqual(orderCreatedSchema.parse(message), message);
    assert.deepEqual(Object.keys(message), ['orderId', 'customer', 'items', 'modelKey', 'createdAt']);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomOrder } from './generator';
// shop-api does not export its request schema (its package main is the server), so the compiled
// module is imported by path: the generator is checked against the schema POST /orders enforces.
import { createOrderSchema } from '../../shop-api/dist/schema';

function assertAccepted(order: unknown, what: string): void {
  const result = createOrderSchema.safeParse(order);
  assert.ok(result.success, `${what} is rejected by shop-api's createOrderSchema: ${JSON.stringify(result.error?.issues)} in ${JSON.stringify(order)}`);
}

const ISSUED = 'models/0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10/generated.stl';

test('generated orders pass shop-api\'s POST /orders schema', () => {
  for (let i = 0; i < 500; i++) assertAccepted(randomOrder(), `random order #${i}`);
  for (let i = 0; i < 500; i++) assertAccepted(randomOrder(Math.random, ISSUED), `random order with a model #${i}`);
});

test('the extremes of every random choice still pass the schema', () => {
  // random() is in [0, 1): the lowest and highest values pick the first/last SKU and customer,
  // the fewest/most items and the smallest/largest quantity, with and without a model.
  const lowest = randomOrder(() => 0, ISSUED);
  const highest = randomOrder(() => 0.999_999_999, ISSUED);
  assert.deepEqual(lowest.model, { s3Key: ISSUED }, 'random() = 0 attaches the issued model');
  assert.equal(randomOrder(() => 0).model, undefined, 'no issued key, no model (the shop accepts only issued keys)');
  assert.equal(highest.model, undefined, 'random() ≈ 1 attaches none');
  assertAccepted(lowest, 'the lowest-choice order');
  assertAccepted(highest, 'the highest-choice order');
});

test('the schema used here does reject what the shop rejects', () => {
  // Guards the check above: a schema that accepted anything would make it pass vacuously.
  const order = randomOrder(() => 0.5);
  assert.equal(createOrderSchema.safeParse({ ...order, items: [] }).success, false);
  assert.equal(createOrderSchema.safeParse({ ...order, customer: { ...order.customer, email: 'nope' } }).success, false);
});

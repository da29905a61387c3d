import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomOrder } from './generator';

test('generated orders are valid shop orders', () => {
  for (let i = 0; i < 200; i++) {
    const o = randomOrder();
    assert.ok(o.customer.name.length > 0);
    assert.match(o.customer.email, /^[a-z]+@example\.com$/);
    assert.ok(o.items.length >= 1 && o.items.length <= 3);
    for (const item of o.items) assert.ok(Number.isInteger(item.quantity) && item.quantity >= 1 && item.quantity <= 20);
  }
});

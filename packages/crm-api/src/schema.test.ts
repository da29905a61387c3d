import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError, parseMessage } from '@shopfloor/service-kit';
import { loadCrmConfig } from './config';
import { orderCreatedSchema } from './schema';

const message = {
  orderId: '0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10',
  customer: { name: 'Ada', email: 'ada@example.com' },
  items: [{ sku: 'BRK-1', quantity: 2 }],
  modelKey: null,
  createdAt: '2025-01-02T03:04:05.000Z',
};

describe('order.created validation', () => {
  it('accepts a valid message', () => {
    assert.deepEqual(parseMessage(Buffer.from(JSON.stringify(message)), orderCreatedSchema), message);
  });

  it('dead-letters a message without orderId or with bad items, naming the fields', () => {
    const { orderId: _orderId, ...withoutId } = message;
    const bad = { ...withoutId, items: [{ sku: '', quantity: 0 }] };
    assert.throws(() => parseMessage(Buffer.from(JSON.stringify(bad)), orderCreatedSchema), (err: unknown) => {
      assert.ok(err instanceof PermanentError);
      assert.match(err.message, /orderId: /);
      assert.match(err.message, /items\[0\]\.sku: /);
      assert.match(err.message, /items\[0\]\.quantity: /);
      return true;
    });
  });
});

describe('loadCrmConfig', () => {
  it('defaults to port 8082, the republisher every 5 s for contracts older than 6 s, fault injection off', () => {
    const config = loadCrmConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1/crm' });
    assert.equal(config.PORT, 8082);
    assert.equal(config.CRM_REPUBLISH_INTERVAL_MS, 5000);
    assert.equal(config.CRM_REPUBLISH_MIN_AGE_MS, 6000);
    assert.equal(config.CRM_FAULT_ERROR_RATE, 0);
    assert.equal(config.CRM_FAULT_DROP_AFTER_STORE, 0);
    assert.equal(config.CRM_FAULT_DROP_BEFORE_STORE, 0);
  });

  it('reads the republisher and drop-after-store settings, rejecting bad ones by name', () => {
    const db = { DATABASE_URL: 'postgres://u:p@127.0.0.1/crm' };
    const config = loadCrmConfig({ ...db, CRM_REPUBLISH_INTERVAL_MS: '250', CRM_REPUBLISH_MIN_AGE_MS: '70000', CRM_FAULT_DROP_AFTER_STORE: '3' });
    assert.equal(config.CRM_REPUBLISH_INTERVAL_MS, 250);
    assert.equal(config.CRM_REPUBLISH_MIN_AGE_MS, 70_000);
    assert.equal(config.CRM_FAULT_DROP_AFTER_STORE, 3);
    assert.throws(() => loadCrmConfig({ ...db, CRM_REPUBLISH_INTERVAL_MS: '10' }), /CRM_REPUBLISH_INTERVAL_MS/);
    assert.throws(() => loadCrmConfig({ ...db, CRM_FAULT_DROP_AFTER_STORE: '-1' }), /CRM_FAULT_DROP_AFTER_STORE/);
  });

  it('rejects a rate outside 0..1', () => {
    assert.throws(() => loadCrmConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1/crm', CRM_FAULT_ERROR_RATE: '5' }), /CRM_FAULT_ERROR_RATE/);
  });
});

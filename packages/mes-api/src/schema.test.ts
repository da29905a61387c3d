import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError, parseMessage } from '@shopfloor/service-kit';
import { listJobsQuerySchema, productionRequestedSchema } from './schema';

describe('production.requested validation', () => {
  const message = {
    orderId: '0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10',
    contractId: '6f1c1a2b-3d4e-4f50-8a6b-7c8d9e0f1a2b',
    items: [{ sku: 'GEAR-1', quantity: 4 }],
    modelKey: 'models/gear.step',
  };

  it('accepts a valid message', () => {
    assert.deepEqual(parseMessage(Buffer.from(JSON.stringify(message)), productionRequestedSchema), message);
  });

  it('rejects a message without contractId permanently', () => {
    const { contractId: _c, ...bad } = message;
    assert.throws(() => parseMessage(Buffer.from(JSON.stringify(bad)), productionRequestedSchema), (err: unknown) => {
      assert.ok(err instanceof PermanentError);
      assert.match(err.message, /contractId/);
      return true;
    });
  });
});

describe('listJobsQuerySchema', () => {
  it('accepts known statuses only', () => {
    assert.deepEqual(listJobsQuerySchema.parse({}), {});
    assert.deepEqual(listJobsQuerySchema.parse({ status: 'scheduled' }), { status: 'scheduled' });
    assert.equal(listJobsQuerySchema.safeParse({ status: 'lost' }).success, false);
  });
});

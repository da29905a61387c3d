import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveStage, downstreamUrl, interpretDownstream } from './flow';

describe('deriveStage', () => {
  it('is the furthest stage that has a record', () => {
    assert.equal(deriveStage(null, null), 'shop');
    assert.equal(deriveStage('unavailable', 'unavailable'), 'shop');
    assert.equal(deriveStage({ contractId: 'c' }, null), 'crm');
    assert.equal(deriveStage({ contractId: 'c' }, 'unavailable'), 'crm');
    assert.equal(deriveStage({ contractId: 'c' }, { jobId: 'j' }), 'mes');
    assert.equal(deriveStage('unavailable', { jobId: 'j' }), 'mes');
  });
});

describe('interpretDownstream', () => {
  it('maps responses', () => {
    assert.deepEqual(interpretDownstream(200, { a: 1 }), { a: 1 });
    assert.equal(interpretDownstream(404, undefined), null);
    assert.equal(interpretDownstream(500, { error: 'x' }), 'unavailable');
    assert.equal(interpretDownstream(200, 'text'), 'unavailable');
    assert.equal(interpretDownstream(200, [1]), 'unavailable');
  });
});

describe('downstreamUrl', () => {
  it('joins without double slashes', () => {
    assert.equal(downstreamUrl('http://crm:8082/', '/contracts/x'), 'http://crm:8082/contracts/x');
    assert.equal(downstreamUrl('http://crm:8082', '/contracts/x'), 'http://crm:8082/contracts/x');
  });
});

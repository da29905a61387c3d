import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shouldInjectFault } from './fault';

describe('shouldInjectFault', () => {
  it('never fires at rate 0 and always at rate 1', () => {
    assert.equal(shouldInjectFault(0, () => 0), false);
    assert.equal(shouldInjectFault(1, () => 0.999), true);
  });

  it('fires for the configured fraction', () => {
    assert.equal(shouldInjectFault(0.1, () => 0.05), true);
    assert.equal(shouldInjectFault(0.1, () => 0.1), false);
    let i = 0;
    const sequence = () => (i++ % 100) / 100;
    const fired = Array.from({ length: 100 }, () => shouldInjectFault(0.2, sequence)).filter(Boolean).length;
    assert.equal(fired, 20);
  });
});

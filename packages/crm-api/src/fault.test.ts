import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NextMessagesFault, shouldInjectFault } from './fault';

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

describe('NextMessagesFault (CRM_FAULT_DROP_AFTER_STORE)', () => {
  it('off: drops nothing', () => {
    const fault = new NextMessagesFault(0);
    for (let i = 0; i < 5; i++) assert.equal(fault.next(), false);
    assert.equal(fault.remaining, 0);
  });

  it('drops exactly the next n messages, then lets every message through', () => {
    const fault = new NextMessagesFault(3);
    assert.equal(fault.remaining, 3);
    assert.deepEqual(Array.from({ length: 6 }, () => fault.next()), [true, true, true, false, false, false]);
    assert.equal(fault.remaining, 0);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AckThenCrashFault } from './faults';

describe('MES_FAULT_ACK_THEN_CRASH', () => {
  it('off: every message is processed', () => {
    const fault = new AckThenCrashFault(0, () => assert.fail('no crash'));
    for (let i = 0; i < 5; i++) assert.equal(fault.next(), 'pass');
  });

  it('drops (acknowledges) n messages, then crashes once after the flush delay, holding what comes meanwhile', async () => {
    let crashes = 0;
    const fault = new AckThenCrashFault(3, () => crashes++, 20);
    assert.deepEqual([fault.next(), fault.next(), fault.next(), fault.next(), fault.next()], ['drop', 'drop', 'drop', 'hold', 'hold']);
    assert.equal(crashes, 0, 'not before the acknowledgements are flushed');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(crashes, 1);
  });
});

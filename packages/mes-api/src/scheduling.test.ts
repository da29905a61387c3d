import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignToSlot, productionMinutes, scheduleJob, totalQuantity } from './scheduling';

const at = (iso: string) => new Date(iso);

describe('productionMinutes', () => {
  it('is setup plus time per unit', () => {
    assert.equal(productionMinutes(1), 32);
    assert.equal(productionMinutes(10), 50);
    assert.equal(totalQuantity([{ sku: 'A', quantity: 3 }, { sku: 'B', quantity: 7 }]), 10);
  });
});

describe('alignToSlot', () => {
  it('rounds up to the next quarter hour', () => {
    assert.equal(alignToSlot(at('2025-03-01T10:00:00.000Z')).toISOString(), '2025-03-01T10:00:00.000Z');
    assert.equal(alignToSlot(at('2025-03-01T10:00:00.001Z')).toISOString(), '2025-03-01T10:15:00.000Z');
    assert.equal(alignToSlot(at('2025-03-01T10:44:59.000Z')).toISOString(), '2025-03-01T10:45:00.000Z');
  });
});

describe('scheduleJob', () => {
  it('starts at the next slot when the line is free', () => {
    const { start, end } = scheduleJob({ now: at('2025-03-01T10:07:00Z'), busyUntil: null, quantity: 10 });
    assert.equal(start.toISOString(), '2025-03-01T10:15:00.000Z');
    assert.equal(end.toISOString(), '2025-03-01T11:05:00.000Z');
  });

  it('queues behind the busy line', () => {
    const { start, end } = scheduleJob({ now: at('2025-03-01T10:07:00Z'), busyUntil: at('2025-03-01T11:05:00Z'), quantity: 1 });
    assert.equal(start.toISOString(), '2025-03-01T11:15:00.000Z');
    assert.equal(end.toISOString(), '2025-03-01T11:47:00.000Z');
  });

  it('ignores a busy-until in the past', () => {
    const { start } = scheduleJob({ now: at('2025-03-01T10:07:00Z'), busyUntil: at('2025-03-01T09:00:00Z'), quantity: 1 });
    assert.equal(start.toISOString(), '2025-03-01T10:15:00.000Z');
  });

  it('never overlaps when jobs are scheduled one after another', () => {
    const now = at('2025-03-01T10:07:00Z');
    let busyUntil: Date | null = null;
    for (const quantity of [5, 100, 1, 1000]) {
      const slot = scheduleJob({ now, busyUntil, quantity });
      if (busyUntil !== null) assert.ok(slot.start >= busyUntil);
      assert.ok(slot.end > slot.start);
      busyUntil = slot.end;
    }
  });
});

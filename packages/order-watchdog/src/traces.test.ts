import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Unknown } from './explain';
import { testJourney } from './test-journey';
import { CheckLookups, telemetryPass, type PendingTelemetry, type TraceSpan } from './traces';

const journey = testJourney();
const HUNG: Unknown = { unknown: 'Jaeger: The operation was aborted due to timeout' };

/** A span that matches stage `id` of the test journey. */
function spanOf(service: string, kind: string): TraceSpan {
  return { traceId: 't', service, operation: 'op', kind, tags: {}, startMs: 0 };
}
const WHOLE = [spanOf('s1', 'server'), spanOf('s1', 'producer'), spanOf('s2', 'consumer'), spanOf('s2', 'producer'), spanOf('s3', 'consumer')];

function pending(n: number, completedAt: number): PendingTelemetry[] {
  return Array.from({ length: n }, (_, i) => ({ orderId: `o${i}`, completedAt, attempts: 0 }));
}

describe("one check's Jaeger look-ups", () => {
  it('a failing Jaeger is asked once per check: the other orders wait, their attempts unchanged', async () => {
    const asked: string[] = [];
    const lookups = new CheckLookups(async (id) => (asked.push(id), HUNG), 60_000);
    const due = pending(40, 1000);
    const out = await telemetryPass(journey, due, lookups, { now: 2000, giveUpMs: 600_000 });
    assert.deepEqual(asked, ['o0']);
    assert.equal(out.checked.size, 0);
    assert.deepEqual(out.givenUp, []);
    assert.deepEqual(due.map((p) => p.attempts), [1, ...Array(39).fill(0)]);
    // The same check's error-span look-ups get the failure at once.
    assert.deepEqual(await lookups.spans('overdue'), HUNG);
    assert.equal(asked.length, 1);
  });

  it('once Jaeger failed, orders past the give-up time are given up without asking', async () => {
    let calls = 0;
    const lookups = new CheckLookups(async () => (calls++, HUNG), 60_000);
    const due = [...pending(2, 0), { orderId: 'recent', completedAt: 900_000, attempts: 0 }];
    const out = await telemetryPass(journey, due, lookups, { now: 1_000_000, giveUpMs: 600_000 });
    assert.equal(calls, 1);
    assert.deepEqual(out.givenUp, ['o0', 'o1']);
  });

  it('a slow Jaeger: once the budget is spent the rest waits for the next check', async () => {
    let now = 0;
    const lookups = new CheckLookups(async () => ((now += 400), WHOLE), 1000, () => now);
    const out = await telemetryPass(journey, pending(10, 0), lookups, { now: 60_000, giveUpMs: 600_000 });
    assert.deepEqual([...out.checked.keys()], ['o0', 'o1', 'o2']);
    assert.ok(lookups.spent);
  });

  it('checks every due order while Jaeger answers within the budget, with the stages each trace lacks', async () => {
    const lookups = new CheckLookups(async (id) => (id === 'o1' ? WHOLE.slice(0, 3) : WHOLE), 60_000);
    const out = await telemetryPass(journey, pending(3, 0), lookups, { now: 60_000, giveUpMs: 600_000 });
    assert.deepEqual(Object.fromEntries(out.checked), { o0: [], o1: ['d', 'e'], o2: [] });
  });

  it('every check makes at least one look-up, however long the check took before it', async () => {
    let now = 5000;
    const lookups = new CheckLookups(async () => WHOLE, 1000, () => now);
    assert.equal(lookups.spent, false, 'not spent before the first look-up');
    await lookups.spans('o0');
    now += 1000;
    assert.equal(lookups.spent, true);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Unknown } from './explain';
import { testJourney } from './test-journey';
import type { PendingTelemetry } from './state';
import { CheckLookups, telemetryPass, TraceFinder, type TraceSpan } from './traces';

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
    const lookups = new CheckLookups(async ({ orderId }) => (asked.push(orderId), HUNG), 60_000);
    const due = pending(40, 1000);
    const out = await telemetryPass(journey, due, lookups, { now: 2000, giveUpMs: 600_000 });
    assert.deepEqual(asked, ['o0']);
    assert.equal(out.checked.size, 0);
    assert.deepEqual(out.givenUp, []);
    assert.deepEqual(due.map((p) => p.attempts), [1, ...Array(39).fill(0)]);
    // The same check's error-span look-ups get the failure at once.
    assert.deepEqual(await lookups.spans({ orderId: 'overdue' }), HUNG);
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
    const lookups = new CheckLookups(async ({ orderId }) => (orderId === 'o1' ? WHOLE.slice(0, 3) : WHOLE), 60_000);
    const out = await telemetryPass(journey, pending(3, 0), lookups, { now: 60_000, giveUpMs: 600_000 });
    assert.deepEqual(Object.fromEntries(out.checked), { o0: [], o1: ['d', 'e'], o2: [] });
  });

  it('every check makes at least one look-up, however long the check took before it', async () => {
    let now = 5000;
    const lookups = new CheckLookups(async () => WHOLE, 1000, () => now);
    assert.equal(lookups.spent, false, 'not spent before the first look-up');
    await lookups.spans({ orderId: 'o0' });
    now += 1000;
    assert.equal(lookups.spent, true);
  });
});

describe("Jaeger's answers for an order", () => {
  /** A Jaeger trace whose spans show the given stages' spans (service/kind as in the test journey). */
  function trace(traceID: string, spans: [string, string][]) {
    return {
      traceID,
      spans: spans.map(([service, kind], i) => ({ traceID, operationName: `op${i}`, processID: service, startTime: i, tags: [{ key: 'span.kind', value: kind }] })),
      processes: Object.fromEntries(spans.map(([service]) => [service, { serviceName: service }])),
    };
  }
  const whole = trace('t1', [['s1', 'server'], ['s1', 'producer'], ['s2', 'consumer'], ['s2', 'producer'], ['s3', 'consumer']]);
  /** A stand-in for Jaeger's query API answering from `routes` (path prefix → traces); the paths asked. */
  function jaeger(routes: Record<string, unknown[]>) {
    const asked: string[] = [];
    const fetchFn = (async (url: string | URL) => {
      const u = new URL(String(url));
      asked.push(`${u.pathname}${u.search}`);
      const hit = Object.entries(routes).find(([prefix]) => `${u.pathname}${u.search}`.startsWith(prefix));
      return hit ? Response.json({ data: hit[1] }) : new Response('{"errors":[{"code":404}]}', { status: 404 });
    }) as typeof fetch;
    return { asked, finder: new TraceFinder(journey, 'http://jaeger:16686', fetchFn) };
  }

  it("reads the order's own trace by id, and searches nothing more when it shows every stage", async () => {
    const { asked, finder } = jaeger({ '/api/traces/t1': [whole] });
    const spans = await finder.spans({ orderId: 'o1', traceId: 't1', acceptedAt: 1_000_000 });
    assert.deepEqual(asked, ['/api/traces/t1']);
    assert.equal((spans as TraceSpan[]).length, 5);
  });

  it('searches by the order-id tag from an hour before its acceptance when the trace lacks a stage or is unknown', async () => {
    const partial = trace('t1', [['s1', 'server'], ['s1', 'producer']]);
    const { asked, finder } = jaeger({ '/api/traces/t1': [partial], '/api/traces?service=s1': [whole] });
    const spans = await finder.spans({ orderId: 'o1', traceId: 't1', acceptedAt: 7_200_000 });
    assert.equal(asked.length, 2);
    const search = new URL(`http://j${asked[1]}`).searchParams;
    assert.deepEqual([search.get('service'), search.get('tags'), search.get('start')], ['s1', '{"order.id":"o1"}', String(3_600_000 * 1000)]);
    assert.equal(search.get('lookback'), null, "Jaeger's API ignores lookback");
    assert.equal((spans as TraceSpan[]).length, 5);
    const unknownTrace = jaeger({ '/api/traces?service=s1': [whole] });
    await unknownTrace.finder.spans({ orderId: 'o2' });
    assert.match(unknownTrace.asked[0]!, /^\/api\/traces\?service=s1&/);
  });

  it('a Jaeger error is an unknown, with the status', async () => {
    const finder = new TraceFinder(journey, 'http://jaeger:16686', (async () => new Response('down', { status: 503 })) as typeof fetch);
    assert.deepEqual(await finder.spans({ orderId: 'o1', traceId: 't1' }), { unknown: 'Jaeger: Jaeger answered 503' });
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alertFor, alertsToSend, fingerprint, pruneResolved, type Links } from './alerts';
import { emptyState, restoreState } from './state';
import { activeAlerts, addNewOrders, applyStageRows, flagOrder, newlyOverdue, ordersMissing, settle } from './tracker';
import { testJourney } from './test-journey';

const j = testJourney();
const links: Links = { trace: (id) => `http://jaeger/search?id=${id}`, page: (id) => `http://wd/orders?id=${id}`, dashboard: () => '' };
const opts = { resolvedResendMs: 60_000, forgetAfterMs: 3_600_000 };

describe('incremental cursor', () => {
  it('reads only orders after the cursor (time, then id) and never adds one twice', () => {
    const s = emptyState('test', 1000);
    addNewOrders(s, [{ orderId: 'x', at: 1000 }, { orderId: 'b', at: 2000 }, { orderId: 'c', at: 2000 }], 'a');
    assert.deepEqual(Object.keys(s.open).sort(), ['b', 'c', 'x']);
    assert.deepEqual(s.cursor, { at: 2000, id: 'c' });
    // A re-read of the same rows (e.g. after a restart from older state) adds nothing.
    const again = addNewOrders(s, [{ orderId: 'b', at: 2000 }, { orderId: 'c', at: 2000 }, { orderId: 'd', at: 2000 }], 'a');
    assert.deepEqual(again.map((o) => o.orderId), ['d']);
    assert.deepEqual(s.cursor, { at: 2000, id: 'd' });
    assert.deepEqual(addNewOrders(s, [{ orderId: 'a0', at: 1500 }], 'a'), [], 'behind the cursor: ignored');
  });

  it('keeps the database\'s microseconds: two orders in one millisecond, the second with a smaller id, are both followed', () => {
    const s = emptyState('test', 1000);
    // The new_orders query orders by (created_at, id): 510.560 ms before 510.759 ms, whatever the ids.
    const added = addNewOrders(s, [{ orderId: '49106f7e', at: 2510, atUs: 2_510_560 }, { orderId: '0ae484d7', at: 2510, atUs: 2_510_759 }], 'a');
    assert.deepEqual(added.map((o) => o.orderId), ['49106f7e', '0ae484d7']);
    assert.deepEqual(s.cursor, { at: 2510, id: '0ae484d7', atUs: 2_510_759 });
    assert.deepEqual(addNewOrders(s, [{ orderId: 'ffffffff', at: 2510, atUs: 2_510_700 }], 'a'), [], 'behind the cursor by microseconds: ignored');
  });

  it('asks each stage only for the open orders missing it', () => {
    const s = emptyState('test', 0);
    addNewOrders(s, [{ orderId: 'o1', at: 1 }, { orderId: 'o2', at: 2 }], 'a');
    applyStageRows(s, 'b', [{ orderId: 'o1', at: 5 }, { orderId: 'unknown', at: 6 }]);
    assert.deepEqual(ordersMissing(s, 'b'), ['o2']);
    assert.deepEqual(ordersMissing(s, 'c'), ['o1', 'o2']);
  });
});

describe('flags, completion and alerts', () => {
  it('an order is flagged once; completing resolves the alert and counts it late', () => {
    const s = emptyState('test', 0);
    addNewOrders(s, [{ orderId: 'o1', at: 1000 }, { orderId: 'ok', at: 1000 }], 'a');
    applyStageRows(s, 'b', [{ orderId: 'o1', at: 1100 }, { orderId: 'ok', at: 1100 }]);
    applyStageRows(s, 'e', [{ orderId: 'ok', at: 2000 }]);
    let ev = settle(j, s, 3000, links, opts);
    assert.deepEqual(ev.completed.map((c) => [c.orderId, c.late]), [['ok', false]]);
    assert.deepEqual(s.telemetryPending.map((p) => p.orderId), ['ok']);

    assert.deepEqual(newlyOverdue(j, s, 21_000).map((o) => o.orderId), [], 'c is due 20 s after acceptance');
    const overdue = newlyOverdue(j, s, 21_001);
    assert.deepEqual(overdue.map((o) => o.orderId), ['o1']);
    flagOrder(s, overdue[0]!, { stage: 'b', awaiting: 'c', reason: 'no_consumer', detail: 'no consumer on q1', service: 's2', undetermined: [] }, 21_001);
    assert.deepEqual(newlyOverdue(j, s, 60_000), [], 'flagged once: not again while it stays');
    assert.deepEqual(s.counters.flagged, { 'b/no_consumer': 1 });

    const [alert] = activeAlerts(j, s, links);
    assert.deepEqual(alert!.labels, { alertname: 'OrderStalled', journey: 'test', order_id: 'o1', stage: 'b', awaiting: 'c', reason: 'no_consumer', severity: 'warning', service: 's2' });
    assert.equal(alert!.annotations.trace_url, 'http://jaeger/search?id=o1');
    assert.equal(alert!.startsAt, new Date(21_001).toISOString());

    applyStageRows(s, 'c', [{ orderId: 'o1', at: 70_000 }]);
    applyStageRows(s, 'e', [{ orderId: 'o1', at: 71_000 }]);
    ev = settle(j, s, 72_000, links, opts);
    assert.deepEqual(ev.completed.map((c) => [c.orderId, c.late]), [['o1', true]]);
    assert.equal(ev.resolved.length, 1);
    assert.equal(fingerprint(ev.resolved[0]!.labels), fingerprint(alert!.labels), 'the resolution is the same alert');
    assert.equal(ev.resolved[0]!.endsAt, new Date(72_000).toISOString());
    assert.equal(s.counters.late, 1);
    assert.equal(s.counters.completed, 2);
    assert.deepEqual(activeAlerts(j, s, links), []);
  });

  it('a flag is lifted when the order moves past the stage it stopped at', () => {
    const s = emptyState('test', 0);
    addNewOrders(s, [{ orderId: 'o1', at: 0 }], 'a');
    applyStageRows(s, 'b', [{ orderId: 'o1', at: 1 }]);
    flagOrder(s, s.open.o1!, { stage: 'b', awaiting: 'c', reason: 'backlog', detail: '', undetermined: [] }, 25_000);
    applyStageRows(s, 'c', [{ orderId: 'o1', at: 26_000 }]);
    const ev = settle(j, s, 27_000, links, opts);
    assert.equal(ev.resolved.length, 1);
    assert.equal(s.open.o1!.flag, undefined);
    assert.deepEqual(newlyOverdue(j, s, 27_000), [], 'not while its message is in flight (reached c 1 s ago, hop grace 5 s)');
    assert.deepEqual(newlyOverdue(j, s, 31_000).map((o) => o.orderId), ['o1'], 'and may be flagged at the next stage');
    // It completes before the last deadline (40 s), unflagged now, but it was stalled: late.
    applyStageRows(s, 'e', [{ orderId: 'o1', at: 32_000 }]);
    const done = settle(j, s, 33_000, links, opts);
    assert.deepEqual(done.completed.map((c) => [c.orderId, c.late, c.flag?.reason]), [['o1', true, 'backlog']]);
    assert.equal(s.counters.late, 1);
  });

  it('fingerprints depend on the labels only, not their order', () => {
    assert.equal(fingerprint({ a: '1', b: '2' }), fingerprint({ b: '2', a: '1' }));
    assert.notEqual(fingerprint({ a: '1', b: '2' }), fingerprint({ a: '1', b: '3' }));
  });

  it('re-sends active alerts with endsAt ahead, resolved ones until their window ends', () => {
    const s = emptyState('test', 0);
    addNewOrders(s, [{ orderId: 'o1', at: 0 }], 'a');
    const order = s.open.o1!;
    flagOrder(s, order, { stage: 'a', awaiting: 'b', reason: 'not_published', detail: '', undetermined: [] }, 11_000);
    const active = alertFor(j, order, order.flag!, links);
    const resolved = { ...active, labels: { ...active.labels, order_id: 'o0' }, endsAt: new Date(5000).toISOString(), resendUntil: 65_000 };
    const sent = alertsToSend([active], [resolved], 20_000, 60_000);
    assert.equal(sent.length, 2);
    assert.equal(sent[0]!.endsAt, new Date(20_000 + 240_000).toISOString());
    assert.equal(sent[1]!.endsAt, new Date(5000).toISOString());
    assert.equal(alertsToSend([], [resolved], 65_001, 60_000).length, 0);
    assert.deepEqual(pruneResolved([resolved], 65_001), []);
  });

  it('the state survives a restart: same open orders, flags and cursor, so alerts neither repeat nor get lost', () => {
    // What the store writes (JSON) and reads back (json → object → restoreState).
    const s = restoreState(undefined, 'test', 42);
    assert.deepEqual(s.cursor, { at: 42, id: '' });
    addNewOrders(s, [{ orderId: 'o1', at: 100 }], 'a');
    flagOrder(s, s.open.o1!, { stage: 'a', awaiting: 'b', reason: 'not_published', detail: 'x', undetermined: [] }, 11_000);
    const back = restoreState(JSON.parse(JSON.stringify(s)), 'test', 99_999);
    assert.deepEqual(back, s);
    assert.deepEqual(newlyOverdue(j, back, 50_000), [], 'still flagged after the restart: not flagged again');
    assert.deepEqual(activeAlerts(j, back, links), activeAlerts(j, s, links));
  });
});

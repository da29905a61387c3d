import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { explain, queuesToObserve, type Explanation, type Observations } from './explain';
import type { OpenOrder } from './order';
import { isOverdue, progress } from './progress';
import { testJourney } from './test-journey';

const j = testJourney();
const T0 = 1_000_000;

function order(reached: string[], id = 'o1'): OpenOrder {
  return { orderId: id, acceptedAt: T0, reached: Object.fromEntries(reached.map((s, i) => [s, T0 + i])) };
}

function obs(over: Partial<Observations> = {}): Observations {
  return {
    unroutable: new Set(),
    deadLetters: new Map([['q1.dlq', new Map()], ['q2.dlq', new Map()]]),
    queues: new Map([['q1', { consumers: 1, ready: 0, unacked: 0 }], ['q2', { consumers: 1, ready: 0, unacked: 0 }]]),
    errorSpans: new Map([['o1', null]]),
    ...over,
  };
}

function why(o: OpenOrder, observations: Observations): Explanation {
  const r = explain(j, o, observations);
  assert.ok(r && r !== 'trace', `explained: ${JSON.stringify(r)}`);
  return r;
}

describe('progress and deadlines', () => {
  it('a later stage implies the earlier ones; deadlines count from acceptance', () => {
    assert.deepEqual(progress(j, order(['a'])), { stoppedAt: 0, awaiting: 1 });
    assert.deepEqual(progress(j, order(['a', 'b', 'c'])), { stoppedAt: 2, awaiting: 3 });
    assert.deepEqual(progress(j, order(['a', 'e'])), { stoppedAt: 4 });
    assert.equal(isOverdue(j, order(['a', 'b', 'c']), T0 + 30_000), false, 'd is due at 30 s');
    assert.equal(isOverdue(j, order(['a', 'b', 'c']), T0 + 30_001), true);
    assert.deepEqual([...queuesToObserve(j, [order(['a', 'b']), order(['a', 'b', 'c'], 'o2'), order(['a'], 'o3')])].sort(), ['q1', 'q2']);
  });
});

describe('the reason of a stalled order, checked in order', () => {
  it('not published: the record says it was not sent', () => {
    const r = why(order(['a']), obs());
    assert.deepEqual([r.stage, r.awaiting, r.reason], ['a', 'b', 'not_published']);
  });

  it('unroutable before everything else', () => {
    const r = why(order(['a', 'b']), obs({ unroutable: new Set(['o1']), queues: new Map([['q1', { consumers: 0, ready: 5, unacked: 0 }]]) }));
    assert.deepEqual([r.stage, r.awaiting, r.reason], ['b', 'c', 'unroutable']);
  });

  it('dead-lettered, with the dead letter reason; the dead letter proves the implied stage', () => {
    const r = why(order(['a', 'b', 'c']), obs({ deadLetters: new Map([['q2.dlq', new Map([['o1', 'rejected by fault injection']])]]) }));
    assert.deepEqual([r.stage, r.awaiting, r.reason], ['d', 'e', 'dead_lettered']);
    assert.match(r.detail, /in q2\.dlq: rejected by fault injection/);
    assert.deepEqual(r.evidence, { d: 'message in q2.dlq' });
  });

  it('no consumer on the queue ahead, then backlog (ready or unacknowledged)', () => {
    assert.equal(why(order(['a', 'b']), obs({ queues: new Map([['q1', { consumers: 0, ready: 3, unacked: 0 }]]) })).reason, 'no_consumer');
    const backlog = why(order(['a', 'b', 'c']), obs({ queues: new Map([['q2', { consumers: 1, ready: 0, unacked: 4 }]]) }));
    assert.equal(backlog.reason, 'backlog');
    assert.equal(backlog.service, 's2', 'the awaited stage d belongs to s2');
  });

  it('consumer error needs the traces; vanished when nothing explains it', () => {
    assert.equal(explain(j, order(['a', 'b']), obs({ errorSpans: new Map() })), 'trace');
    const err = why(order(['a', 'b']), obs({ errorSpans: new Map([['o1', { service: 's2', operation: 'q1 process', message: 'boom' }]]) }));
    assert.equal(err.reason, 'consumer_error');
    assert.match(err.detail, /s2 "q1 process": boom/);
    assert.equal(why(order(['a', 'b']), obs()).reason, 'vanished');
  });

  it('an unknown unacknowledged count is never taken for 0: nothing ready is undetermined, not "vanished"', () => {
    const noMetrics = { unknown: 'no RabbitMQ metrics URL configured (WATCHDOG_RABBITMQ_METRICS_URL)' };
    const held = (q2: { consumers: number; ready: number; unacked: number | { unknown: string } }, spans: Observations['errorSpans'] = new Map([['o1', null]])) =>
      why(order(['a', 'b', 'c']), obs({ queues: new Map([['q2', q2]]), errorSpans: spans }));
    // A stuck consumer holds the message unacknowledged: ready 0, a consumer, no metrics to say so.
    const r = held({ consumers: 1, ready: 0, unacked: noMetrics });
    assert.equal(r.reason, 'undetermined');
    assert.match(r.detail, /could not check: unacknowledged messages in q2 \(no RabbitMQ metrics URL configured \(WATCHDOG_RABBITMQ_METRICS_URL\)\)/);
    const failed = held({ consumers: 1, ready: 0, unacked: { unknown: 'RabbitMQ metrics http://rabbitmq:15692/metrics: ECONNREFUSED' } });
    assert.equal(failed.reason, 'undetermined');
    assert.match(failed.detail, /unacknowledged messages in q2 \(RabbitMQ metrics http:\/\/rabbitmq:15692\/metrics: ECONNREFUSED\)/);
    // An error span still explains it; ready messages are a backlog whatever the unacknowledged count.
    assert.equal(held({ consumers: 1, ready: 0, unacked: noMetrics }, new Map([['o1', { service: 's3', operation: 'q2 process', message: 'boom' }]])).reason, 'consumer_error');
    assert.equal(held({ consumers: 1, ready: 2, unacked: noMetrics }).reason, 'backlog');
    // Known to be 0: the message is nowhere, vanished stays possible.
    assert.equal(held({ consumers: 1, ready: 0, unacked: 0 }).reason, 'vanished');
  });

  it('what could not be checked is said, and never turned into "vanished"', () => {
    const r = why(order(['a', 'b']), obs({ unroutable: { unknown: 'the queue does not exist' } }));
    assert.equal(r.reason, 'undetermined');
    assert.match(r.detail, /could not check: unroutable \(unroutable: the queue does not exist\)/);
    // An unknown on the way does not hide a later positive finding.
    const later = why(order(['a', 'b']), obs({ unroutable: { unknown: 'x' }, queues: new Map([['q1', { consumers: 0, ready: 1, unacked: 0 }]]) }));
    assert.equal(later.reason, 'no_consumer');
  });
});

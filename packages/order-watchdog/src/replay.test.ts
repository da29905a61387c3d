import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type { ReplayRecord } from './audit';
import type { QueueStats, Unknown } from './explain';
import { destinationOf, replayProperties, REPLAY_HEADER, type MoveOptions, type MoveResult } from './mover';
import { OperatorGate, SESSION_COOKIE, TOKEN_HEADER } from './operator';
import type { Flag, OpenOrder } from './order';
import { BULK_MAX, planReplay, Replayer, selectForBulk } from './replay';
import { emptyState } from './state';
import { testJourney } from './test-journey';

const journey = testJourney();

function flagged(orderId: string, flag: Partial<Flag>, acceptedAt = 0): OpenOrder {
  return { orderId, acceptedAt, reached: { a: acceptedAt }, flag: { stage: 'b', awaiting: 'c', reason: 'unroutable', detail: '', flaggedAt: 1, ...flag } };
}

describe('what a replay would do', () => {
  it('a dead letter: from the dead-letter queue of the queue ahead, back to that queue', () => {
    const plan = planReplay(journey, flagged('o', { stage: 'd', awaiting: 'e', reason: 'dead_lettered' }));
    assert.deepEqual(plan, { source: 'q2.dlq', kind: 'dead-letter', queue: 'q2', stage: 'd', reason: 'dead_lettered' });
  });

  it('an unroutable message: from the unroutable queue, to the queue ahead', () => {
    const plan = planReplay(journey, flagged('o', { stage: 'b', awaiting: 'c', reason: 'unroutable' }));
    assert.deepEqual(plan, { source: 'unroutable', kind: 'unroutable', queue: 'q1', stage: 'b', reason: 'unroutable' });
  });

  it('a vanished message: the owning service of the publishing stage sends it again from its record', () => {
    const plan = planReplay(journey, flagged('o', { stage: 'b', awaiting: 'c', reason: 'vanished' }));
    assert.deepEqual(plan, { kind: 'republish', queue: 'q1', stage: 'b', reason: 'vanished', service: 's1' });
  });

  it('refuses, saying why, what it cannot act on', () => {
    const why = (o: OpenOrder | undefined) => {
      const plan = planReplay(journey, o);
      assert.ok('refused' in plan, JSON.stringify(plan));
      return plan.refused;
    };
    assert.match(why(undefined), /not an open order/);
    assert.match(why({ orderId: 'o', acceptedAt: 0, reached: { a: 0 } }), /not flagged/);
    assert.match(why(flagged('o', { reason: 'no_consumer', service: 's2' })), /no consumer: start s2/);
    assert.match(why(flagged('o', { reason: 'backlog' })), /waits in q1/);
    assert.match(why(flagged('o', { stage: 'd', awaiting: 'e', reason: 'vanished' })), /names no way to have stage "d" sent again/);
    assert.match(why(flagged('o', { reason: 'not_published', service: 's1' })), /s1 republishes it by itself/);
  });

  it('a bulk replay takes the orders flagged with that reason at that stage, oldest first, bounded', () => {
    const state = emptyState('test', 0);
    state.open.late = flagged('late', { reason: 'dead_lettered', stage: 'd', awaiting: 'e' }, 30);
    state.open.early = flagged('early', { reason: 'dead_lettered', stage: 'd', awaiting: 'e' }, 10);
    state.open.other = flagged('other', { reason: 'unroutable' }, 5);
    state.open.moving = { orderId: 'moving', acceptedAt: 1, reached: { a: 1 } };
    assert.deepEqual(selectForBulk(state, 'dead_lettered', 'd', 10), ['early', 'late']);
    assert.deepEqual(selectForBulk(state, 'dead_lettered', 'd', 1), ['early']);
    state.open.early.replayedAt = 50;
    assert.deepEqual(selectForBulk(state, 'dead_lettered', 'd', 10), ['late'], 'an order replayed since its flag is left to a replay of its own');
    for (let i = 0; i < BULK_MAX + 5; i++) state.open[`x${i}`] = flagged(`x${i}`, { reason: 'unroutable' }, 100 + i);
    assert.equal(selectForBulk(state, 'unroutable', 'b', 5000).length, BULK_MAX);
  });
});

describe('the replayer', () => {
  function setup(
    stats: QueueStats | Unknown,
    move: (source: string, ids: Set<string>, opts: MoveOptions) => Promise<MoveResult>,
    republish: (orderId: string) => Promise<boolean> = async () => assert.fail('republished'),
  ) {
    const state = emptyState('test', 0);
    state.open.o1 = flagged('o1', { stage: 'd', awaiting: 'e', reason: 'dead_lettered' });
    state.open.o2 = flagged('o2', { stage: 'd', awaiting: 'e', reason: 'dead_lettered' });
    for (const id of ['v1', 'v2', 'v3']) state.open[id] = flagged(id, { stage: 'b', awaiting: 'c', reason: 'vanished' });
    const audit: ReplayRecord[] = [];
    const moves: string[] = [];
    const replayer = new Replayer({
      journey,
      state: () => state,
      mover: { move: (source, ids, opts) => (moves.push(`${source}:${[...ids].join(',')}`), move(source, ids, opts)) },
      republisher: { republish: (stage, orderId) => (moves.push(`republish ${stage.id}:${orderId}`), republish(orderId)) },
      queueStats: async (queues) => new Map(queues.map((q) => [q, stats])),
      audit: { write: async (r) => void audit.push(r) },
      log: () => {},
      minIntervalMs: 0,
    });
    return { replayer, audit, moves, state };
  }

  it('refuses while the cause holds (no consumer ahead), and moves nothing', async () => {
    const { replayer, audit, moves } = setup({ consumers: 0, ready: 0, unacked: 0 }, async () => assert.fail('moved'));
    const out = await replayer.replay(['o1'], 'alice (token)');
    assert.deepEqual(moves, []);
    assert.equal(out[0]!.outcome, 'refused');
    assert.match(out[0]!.detail, /no consumer on q2/);
    assert.deepEqual(audit.map((a) => [a.orderId, a.actor, a.outcome, a.stage, a.reason]), [['o1', 'alice (token)', 'refused', 'd', 'dead_lettered']]);
  });

  it('moves the orders of one source in one pass; audits each, moved or not found', async () => {
    const { replayer, audit, moves, state } = setup({ consumers: 1, ready: 0, unacked: 0 }, async () => ({ moved: new Map([['o1', 1]]), kept: new Map() }));
    const out = await replayer.replay(['o1', 'o2', 'o1', 'nope'], 'op');
    assert.deepEqual(moves, ['q2.dlq:o1,o2']);
    assert.deepEqual(
      out.map((o) => [o.orderId, o.outcome]).sort(),
      [['nope', 'refused'], ['o1', 'replayed'], ['o2', 'refused']],
    );
    assert.match(out.find((o) => o.orderId === 'o2')!.detail, /moved on or was removed/);
    assert.equal(audit.length, 3);
    assert.ok(state.open.o1!.replayedAt, 'the replayed order is marked');
    assert.equal(state.open.o2!.replayedAt, undefined);
  });

  it('a vanished order: its service asked to send it again, once per order; a record not marked sent is refused', async () => {
    const answers: Record<string, () => Promise<boolean>> = {
      v1: async () => true,
      v2: async () => false,
      v3: async () => {
        throw new Error('permission denied for table orders');
      },
    };
    const { replayer, audit, moves, state } = setup({ consumers: 1, ready: 0, unacked: 0 }, async () => assert.fail('moved'), (id) => answers[id]!());
    const out = await replayer.replay(['v1', 'v2', 'v3', 'v1'], 'op');
    assert.deepEqual(moves, ['republish b:v1', 'republish b:v2', 'republish b:v3']);
    assert.deepEqual(out.map((o) => [o.orderId, o.outcome]), [['v1', 'replayed'], ['v2', 'refused'], ['v3', 'failed']]);
    assert.match(out[0]!.detail, /s1's record of "published" marked unsent: its republisher sends the order to q1 again/);
    assert.match(out[1]!.detail, /not marked sent: the order moved on, or a replay asked already/);
    assert.match(out[2]!.detail, /one database: permission denied/);
    assert.deepEqual(audit.map((a) => [a.orderId, a.stage, a.reason, a.outcome]), [['v1', 'b', 'vanished', 'replayed'], ['v2', 'b', 'vanished', 'refused'], ['v3', 'b', 'vanished', 'failed']]);
    assert.ok(state.open.v1!.replayedAt);
    assert.equal(state.open.v2!.replayedAt, undefined);
  });

  it('a vanished order is not asked for while nobody consumes the queue ahead', async () => {
    const { replayer, moves } = setup({ consumers: 0, ready: 0, unacked: 0 }, async () => assert.fail('moved'));
    const [o] = await replayer.replay(['v1'], 'op');
    assert.deepEqual(moves, []);
    assert.equal(o!.outcome, 'refused');
    assert.match(o!.detail, /no consumer on q1/);
  });

  it('a broker failure fails the replay, said as such', async () => {
    const { replayer } = setup({ consumers: 1, ready: 0, unacked: 0 }, async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5672');
    });
    const [o] = await replayer.replay(['o1'], 'op');
    assert.equal(o!.outcome, 'failed');
    assert.match(o!.detail, /ECONNREFUSED/);
  });
});

describe('a kept message sent again', () => {
  const fields = { deliveryTag: 1, redelivered: true, exchange: 'shopfloor.dlx', routingKey: 'mes.production-requested', messageCount: 0 };
  const props = (headers: Record<string, unknown>) => ({ headers, contentType: 'application/json', messageId: 'm1', timestamp: 5 }) as never;

  it("goes back to the queue it was dead-lettered from (service-kit's header, else RabbitMQ's x-death)", () => {
    assert.deepEqual(destinationOf({ fields, properties: props({ 'x-shopfloor-queue': 'mes.production-requested' }) }, 'dead-letter'), { exchange: '', routingKey: 'mes.production-requested' });
    assert.deepEqual(destinationOf({ fields, properties: props({ 'x-death': [{ queue: 'crm.order-created', reason: 'expired' }] }) }, 'dead-letter'), { exchange: '', routingKey: 'crm.order-created' });
    assert.equal(destinationOf({ fields, properties: props({}) }, 'dead-letter'), undefined);
  });

  it('an unroutable one goes to the exchange and routing key it was published with', () => {
    const f = { ...fields, exchange: 'shopfloor.orders', routingKey: 'order.created' };
    assert.deepEqual(destinationOf({ fields: f, properties: props({}) }, 'unroutable'), { exchange: 'shopfloor.orders', routingKey: 'order.created' });
  });

  it('keeps its trace context, order id and identity, drops the failure record, carries the replay id', () => {
    const p = replayProperties({ properties: props({ traceparent: '00-abc-def-01', 'x-order-id': 'o1', 'x-shopfloor-reason': 'rejected', 'x-shopfloor-retries': 3, 'x-death': [{}], 'x-first-death-reason': 'rejected' }) }, 'r1');
    assert.deepEqual(p.headers, { traceparent: '00-abc-def-01', 'x-order-id': 'o1', [REPLAY_HEADER]: 'r1' });
    assert.deepEqual([p.messageId, p.contentType, p.timestamp, p.persistent, p.mandatory], ['m1', 'application/json', 5, true, true]);
  });
});

describe('who may replay', () => {
  const TOKEN = 'a-long-operator-token-1234';
  const req = (headers: Record<string, string>) => ({ headers: { host: 'wd:8084', ...headers } }) as unknown as IncomingMessage;
  const session = (gate: OperatorGate) => gate.sessionCookie(false).split(';')[0]!;

  it('nobody without a configured token', () => {
    const gate = new OperatorGate(undefined);
    assert.equal(gate.enabled, false);
    assert.equal(gate.operator(req({ [TOKEN_HEADER]: '' })), undefined);
  });

  it('the token in its header, with the proxy user named for the audit', () => {
    const gate = new OperatorGate(TOKEN);
    assert.equal(gate.operator(req({ [TOKEN_HEADER]: TOKEN })), 'operator (token)');
    assert.equal(gate.operator(req({ [TOKEN_HEADER]: TOKEN, authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` })), 'alice (token)');
    assert.equal(gate.operator(req({ [TOKEN_HEADER]: `${TOKEN}x` })), undefined);
  });

  it("a page session from the page itself, never from another site; the cookie is not the token", () => {
    const gate = new OperatorGate(TOKEN);
    const cookie = session(gate);
    assert.ok(!cookie.includes(TOKEN));
    assert.equal(gate.operator(req({ cookie, origin: 'http://wd:8084', 'sec-fetch-site': 'same-origin' })), 'operator (page)');
    assert.equal(gate.operator(req({ cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })), undefined);
    assert.equal(gate.operator(req({ cookie: `${SESSION_COOKIE}=${'0'.repeat(64)}` })), undefined);
    assert.equal(new OperatorGate(`${TOKEN}-other`).operator(req({ cookie })), undefined, 'a session of another token');
  });
});

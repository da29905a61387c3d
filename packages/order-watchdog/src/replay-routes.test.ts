import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { makeLinks } from './alerts';
import type { ReplayRecord } from './audit';
import { OperatorGate, TOKEN_HEADER } from './operator';
import { Replayer } from './replay';
import { createWatchdogServer, type WatchdogView } from './server';
import { emptyState } from './state';
import { testJourney } from './test-journey';

const journey = testJourney();
const TOKEN = 'routes-test-operator-token';

/** The server with replay on, its broker and audit stand-ins: the moves and audit rows it asked for. */
function serve(token: string | undefined) {
  const state = emptyState(journey.name, 0);
  state.open.o1 = { orderId: 'o1', acceptedAt: 1, reached: { a: 1 }, flag: { stage: 'd', awaiting: 'e', reason: 'dead_lettered', detail: 'rejected', flaggedAt: 2 } };
  const moves: string[][] = [];
  const audit: ReplayRecord[] = [];
  const replayer = new Replayer({
    journey,
    state: () => state,
    mover: { move: async (_source, ids) => (moves.push([...ids]), { moved: new Map([...ids].map((id) => [id, 1])), kept: new Map() }) },
    republisher: { republish: async () => assert.fail('no order of this server is republished') },
    queueStats: async (queues) => new Map(queues.map((q) => [q, { consumers: 1, ready: 0, unacked: 0 }])),
    audit: { write: async (r) => void audit.push(r) },
    log: () => {},
    minIntervalMs: 0,
  });
  const view: WatchdogView = { journey, state, health: { failures: 0, alertPostFailures: 0 }, links: makeLinks(journey, { publicUrl: 'http://wd' }), config: { checkIntervalMs: 1000 } };
  let server: Server;
  let port = 0;
  before(async () => {
    server = createWatchdogServer(view, async () => ({ reached: {} }), { journey, state: () => state, replayer, gate: new OperatorGate(token), audit: { recent: async () => [...audit].reverse() } });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const send = (path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'POST', headers: opts.headers ?? {} }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end(opts.body);
    });
  return { send, moves, audit };
}

describe('replay over HTTP, replay off (no operator token)', () => {
  const { send, moves } = serve(undefined);
  it('refuses every replay with 403 and says why; the page offers no sign-in', async () => {
    const res = await send('/api/orders/o1/replay', { headers: { [TOKEN_HEADER]: 'anything-at-all-123' } });
    assert.equal(res.status, 403);
    assert.match(res.body, /replay is off/);
    assert.deepEqual(moves, []);
    const page = await send('/orders?id=o1', { method: 'GET' });
    assert.doesNotMatch(page.body, /id="operator-sign-in"|id="replay"/);
  });
});

describe('replay over HTTP, with an operator token', () => {
  const { send, moves, audit } = serve(TOKEN);
  const json = { 'content-type': 'application/json' };

  it('a read-only request (no token, a wrong one) gets 403 and moves nothing; the page shows the sign-in, not the action', async () => {
    assert.equal((await send('/api/orders/o1/replay', { headers: json, body: '{}' })).status, 403);
    assert.equal((await send('/api/orders/o1/replay', { headers: { ...json, [TOKEN_HEADER]: `${TOKEN}x` }, body: '{}' })).status, 403);
    assert.equal((await send('/orders/replay', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'id=o1' })).status, 403);
    assert.deepEqual(moves, []);
    const page = await send('/orders?id=o1', { method: 'GET' });
    assert.match(page.body, /id="operator-sign-in"/);
    assert.doesNotMatch(page.body, /id="replay"/);
  });

  it('bad input gets 400 with the reason, the wrong method 405', async () => {
    const op = { ...json, [TOKEN_HEADER]: TOKEN };
    assert.match((await send('/api/replay', { headers: op, body: '{"reason":"lost","stage":"d"}' })).body, /reason: one of/);
    assert.equal((await send('/api/replay', { headers: op, body: '{"reason":"dead_lettered","stage":"d","limit":5000}' })).status, 400);
    assert.equal((await send('/api/replay', { headers: op, body: 'not json' })).status, 400);
    assert.equal((await send('/api/replay', { headers: op, body: 'x'.repeat(9000) })).status, 400);
    assert.equal((await send('/api/orders/%E0%A4%A/replay', { headers: op, body: '{}' })).status, 400);
    assert.equal((await send('/api/orders/o1/replay', { method: 'GET' })).status, 405);
    assert.deepEqual(moves, []);
  });

  it('signing in sets an HttpOnly session cookie (not the token); with it, from the page, the order is replayed and audited', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded', host: 'wd.test', origin: 'http://wd.test' };
    assert.equal((await send('/operator', { headers: form, body: 'token=wrong-token-0000000000&back=orders%3Fid%3Do1' })).status, 403);
    const signIn = await send('/operator', { headers: form, body: `token=${TOKEN}&back=orders%3Fid%3Do1%0D%0AX-Evil%3A%201` });
    assert.equal(signIn.status, 303);
    assert.equal(signIn.headers.location, 'orders?id=o1%0D%0AX-Evil%3A%201', 'the way back is rebuilt, never a header as sent');
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    assert.match(String(signIn.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
    assert.ok(!cookie.includes(TOKEN));
    const page = await send('/orders?id=o1', { method: 'GET', headers: { cookie } });
    assert.match(page.body, /id="replay"/);
    const crossSite = await send('/orders/replay', { headers: { ...form, cookie, origin: 'https://elsewhere.example' }, body: 'id=o1' });
    assert.equal(crossSite.status, 403, 'the session from another site');
    const res = await send('/orders/replay', { headers: { ...form, cookie }, body: 'id=o1' });
    assert.equal(res.status, 200);
    assert.match(res.body, /data-order="o1" class="replayed"/);
    assert.deepEqual(moves, [['o1']]);
    assert.deepEqual(audit.map((a) => [a.orderId, a.actor, a.outcome]), [['o1', 'operator (page)', 'replayed']]);
    const listed = JSON.parse((await send('/api/replays', { method: 'GET' })).body) as { replays: ReplayRecord[] };
    assert.deepEqual(listed.replays.map((r) => r.orderId), ['o1']);
  });
});

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { closeServer, createApp, listen, runHealthChecks } from './http';
import { createLogger } from './logger';

describe('runHealthChecks', () => {
  it('reports ok when every dependency is up', async () => {
    assert.deepEqual(await runHealthChecks([{ name: 'postgres', check: () => true }, { name: 'rabbitmq', check: async () => true }]), {
      status: 'ok',
      checks: { postgres: 'up', rabbitmq: 'up' },
    });
  });

  it('names the dependencies that are down (false or throwing)', async () => {
    const report = await runHealthChecks([
      { name: 'postgres', check: async () => { throw new Error('boom'); } },
      { name: 'rabbitmq', check: () => false },
    ]);
    assert.deepEqual(report, { status: 'unavailable', checks: { postgres: 'down', rabbitmq: 'down' }, down: ['postgres', 'rabbitmq'] });
  });
});

describe('createApp error handling over HTTP', () => {
  const SECRET = 'hunter2xyz';
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ service: 'test', level: 'debug', destination });
  let base: string;
  let close: () => Promise<void>;

  before(async () => {
    const app = createApp({
      logger,
      health: [{ name: 'postgres', check: () => false }],
      routes: (a) => {
        a.post('/echo', (req, res) => {
          res.json(req.body);
        });
        a.get('/parse', () => {
          JSON.parse(SECRET); // a route that parses something it received: Node quotes it in the message
        });
        a.get('/db-down', () => {
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        });
      },
    });
    const server = await listen(app, 0, logger);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => closeServer(server);
  });
  after(async () => {
    await close();
  });

  it('answers an unexpected error with a bare 500 and logs its type and frames, not the input it quotes', async () => {
    logs.length = 0;
    const res = await fetch(`${base}/parse`);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: 'internal error' });
    const line = logs.map((l) => JSON.parse(l) as { msg: string; error?: { type: string; stack?: string } }).find((l) => l.msg === 'unhandled error');
    assert.ok(line, `an "unhandled error" line among ${logs.join('')}`);
    assert.equal(line.error?.type, 'SyntaxError');
    assert.match(line.error?.stack ?? '', /^at /, 'the stack frames are logged');
    assert.ok(!logs.join('').includes(SECRET), `the quoted input reached the log: ${logs.join('')}`);
  });

  it('answers PostgreSQL being unreachable with 503, Retry-After and the dependency', async () => {
    const res = await fetch(`${base}/db-down`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.deepEqual(await res.json(), { error: 'service temporarily unavailable', dependency: 'postgres' });
  });

  it('answers a malformed JSON body with 400 and does not log the body', async () => {
    logs.length = 0;
    const res = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"password": ${SECRET}` });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'malformed JSON body' });
    assert.ok(!logs.join('').includes(SECRET), logs.join(''));
  });

  it('serves /healthz as 503 naming the dependency that is down', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'unavailable', checks: { postgres: 'down' }, down: ['postgres'] });
  });

  it('serves /livez as 200 while a dependency is down: liveness is not readiness', async () => {
    const res = await fetch(`${base}/livez`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });
});

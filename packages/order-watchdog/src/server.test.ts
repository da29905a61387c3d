import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeLinks } from './alerts';
import { recordLookup } from './lookup';
import { createWatchdogServer, type RecordLookup, type WatchdogView } from './server';
import { emptyState } from './state';
import { testJourney } from './test-journey';
import { addNewOrders } from './tracker';

const journey = testJourney();
const DB_URL = 'postgres://watchdog:s3cret@db.internal:5432/shop';

function view(grafanaDashboardUrl?: string): WatchdogView {
  const state = emptyState(journey.name, 0);
  addNewOrders(state, [{ orderId: 'o1', at: 10 }], 'a');
  return { journey, state, health: { failures: 0, alertPostFailures: 0 }, links: makeLinks(journey, { publicUrl: 'http://wd', grafanaDashboardUrl }), config: { checkIntervalMs: 1000 } };
}

/** The watchdog's server on 127.0.0.1, port 0, with `lookup` as its stage records. */
function serve(lookup: RecordLookup, grafanaDashboardUrl?: string) {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createWatchdogServer(view(grafanaDashboardUrl), lookup);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  /** `path` is sent as it is (no normalising, no encoding). */
  return (path: string, method = 'GET') =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
}

describe('an order not followed, while its database is down', () => {
  const get = serve(async () => {
    throw new Error(`connect ECONNREFUSED 10.0.0.5:5432 (${DB_URL})`);
  });

  it('the API answers 503 with retry-after and a short reason, not 404 and not the database URL', async () => {
    const res = await get('/api/orders/not-followed');
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers['retry-after']) > 0, `retry-after: ${res.headers['retry-after']}`);
    const body = JSON.parse(res.body) as { orderId: string; error: string };
    assert.equal(body.orderId, 'not-followed');
    assert.match(body.error, /stage records could not be read/);
    assert.doesNotMatch(res.body, /s3cret|postgres:|db\.internal|10\.0\.0\.5/);
  });

  it('the page answers 503 too', async () => {
    const res = await get('/orders?id=not-followed');
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.match(res.headers['content-type'] ?? '', /^text\/html/);
    assert.match(res.body, /stage records could not be read/);
    assert.doesNotMatch(res.body, /s3cret|postgres:|db\.internal|10\.0\.0\.5/);
  });

  it('a followed order is still shown (it needs no look-up)', async () => {
    assert.equal((await get('/api/orders/o1')).status, 200);
  });
});

describe("the order page's links", () => {
  const withDashboard = serve(async () => ({ reached: {} }), 'http://grafana.example/d/flow-red');
  it("links the flow's dashboard from 5 minutes before the order's acceptance", async () => {
    const page = await withDashboard('/orders?id=o1');
    assert.equal(page.status, 200);
    assert.match(page.body, /id="dashboard-link" href="http:\/\/grafana\.example\/d\/flow-red\?from=-299990&amp;to=\d+"/);
  });
});

describe('an order the records do not know', () => {
  const get = serve(async () => ({ reached: {} }));

  it('is 404 on the API and the page', async () => {
    assert.equal((await get('/api/orders/nobody')).status, 404);
    assert.equal((await get('/orders?id=nobody')).status, 404);
  });
});

describe('an id the database refuses as input (not a uuid)', () => {
  // What pg rejects with for `$1::uuid[]` and "abc": a data exception, not an outage.
  const get = serve(recordLookup(journey, async () => {
    throw Object.assign(new Error('invalid input syntax for type uuid: "abc"'), { code: '22P02' });
  }));

  it('is no such order (404), not 503', async () => {
    assert.equal((await get('/api/orders/abc')).status, 404);
    assert.equal((await get('/orders?id=abc')).status, 404);
  });
});

describe('bad input is a 4xx, never a 500', () => {
  const get = serve(async () => ({ reached: {} }));

  it('a malformed percent-encoding in the API path: 400 with the reason', async () => {
    const res = await get('/api/orders/%E0%A4%A');
    assert.equal(res.status, 400);
    assert.match(JSON.parse(res.body).error as string, /malformed percent-encoding in the order id/);
  });

  it('odd targets, ids and methods', async () => {
    const long = 'x'.repeat(201);
    const cases: [string, string, number][] = [
      ['GET', '//', 400],
      ['GET', '//[', 400],
      ['GET', `/api/orders/${long}`, 400],
      ['GET', `/api/orders/${'%41'.repeat(201)}`, 400],
      ['GET', `/orders?id=${long}`, 400],
      ['GET', '/orders?id=%E0%A4%A', 404],
      ['GET', '/orders?id=%00', 404],
      ['GET', '/api/orders/%00', 404],
      ['GET', '/api/orders/__proto__', 404],
      ['GET', '/orders?id=__proto__', 404],
      ['GET', '/api/orders/constructor', 404],
      ['GET', '/orders?id=toString', 404],
      ['GET', '/api/orders/a%2Fb', 404],
      ['HEAD', '/api/orders/%E0%A4%A', 400],
      ['DELETE', '/orders?id=o1', 405],
      ['OPTIONS', '*', 405],
      ['PROPFIND', '/', 405],
    ];
    for (const [method, path, status] of cases) {
      const res = await get(path, method);
      assert.equal(res.status, status, `${method} ${path}: ${res.status} ${res.body.slice(0, 200)}`);
    }
  });
});

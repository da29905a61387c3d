/**
 * The preload on an app that is not ours: `apps/foreign-app/server.js`, plain CommonJS as a Node
 * team would write it (fastify + ioredis + mysql2 + winston, no OpenTelemetry code), run with
 * `node --require @shopfloor/otel-bootstrap` against the stack's Redis, MariaDB, Collector and
 * Jaeger. One `POST /carts/:id/items` must give one trace in Jaeger whose root is the HTTP server
 * span, with the ioredis and mysql2 client spans on its parent chain; the winston lines the
 * request logs must carry that trace's id. fastify itself has no instrumentation in the
 * auto-instrumentations bundle (its own is `@fastify/otel`): the server span is the http
 * instrumentation's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { LOOPBACK, waitFor, type Stack } from '@shopfloor/stack-contract';
import { requestJson } from './clients/http';
import { flatten, isAncestor, JaegerClient, type Span } from './clients/jaeger';
import { appEnv, freePort } from './apps';
import { eventually } from './eventually';
import { stackLacks, stackUp } from './stack';

const APP_DIR = resolve(__dirname, '..', 'apps', 'foreign-app');
const SERVICE = 'foreign-app';
const PRELOAD = require.resolve('@shopfloor/otel-bootstrap');
const ARGS = ['--require', PRELOAD, resolve(APP_DIR, 'server.js')];

interface Cart { cartId: string; items: { sku: string; quantity: number }[]; source?: string }
type LogLine = Record<string, unknown>;


const dbSystem = (s: Span): unknown => s.tags['db.system.name'] ?? s.tags['db.system'];
const isRedis = (s: Span): boolean => s.kind === 'client' && dbSystem(s) === 'redis';
const isMysql = (s: Span): boolean => s.kind === 'client' && dbSystem(s) === 'mysql';
const queryText = (s: Span): string => String(s.tags['db.query.text'] ?? s.tags['db.statement'] ?? '');
const describeSpans = (spans: Span[]): string =>
  spans.map((s) => `  ${s.service} ${s.kind} ${s.name} id=${s.id} parent=${s.parentId ?? '-'} db=${String(dbSystem(s) ?? '-')} ${queryText(s)}`).join('\n');

// Its Redis and MariaDB are the native stack's; compose/docker-compose.yaml has neither.

describe('a foreign CommonJS app (fastify + ioredis + mysql2 + winston) under --require @shopfloor/otel-bootstrap', { skip: stackLacks('foreign-app') }, () => {
  let stack: Stack;
  let jaeger: JaegerClient;
  let proc: ChildProcess | undefined;
  let base = '';
  let out = '';
  let err = '';
  const runId = randomBytes(4).toString('hex');
  const output = (): string => `$ node ${ARGS.join(' ')}\n--- stdout\n${out}\n--- stderr\n${err}`;

  /** The app's winston JSON lines so far (anything else on stdout is skipped). */
  function logLines(): LogLine[] {
    const lines: LogLine[] = [];
    for (const line of out.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // a line still being written
      }
    }
    return lines;
  }

  before(async () => {
    stack = await stackUp();
    jaeger = new JaegerClient(stack.endpoints.jaeger);

    const port = await freePort();
    let metricsPort = await freePort();
    while (metricsPort === port) metricsPort = await freePort();
    proc = spawn(process.execPath, ARGS, {
      cwd: APP_DIR,
      env: appEnv({
        OTEL_SERVICE_NAME: SERVICE,
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=e2e',
        ...stack.otlpEnv,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_EXPORTER_PROMETHEUS_HOST: LOOPBACK,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
        HOST: LOOPBACK,
        PORT: String(port),
        REDIS_URL: stack.endpoints.redisUrl,
        MYSQL_URL: stack.endpoints.mysqlUrl,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    const app = proc;
    await waitFor(
      async () => {
        if (app.exitCode !== null || app.signalCode !== null) throw new Error(`the foreign app exited early\n${output()}`);
        if (!logLines().some((l) => l.message === 'listening')) throw new Error(`the foreign app has not logged "listening" yet\n${output()}`);
        return true; // waitFor polls until the probe returns something
      },
      { what: 'the foreign app to listen', timeoutMs: 30_000, intervalMs: 100 },
    );
    base = `http://${LOOPBACK}:${port}`;
  });

  after(async () => {
    const app = proc;
    if (app && app.exitCode === null && app.signalCode === null) {
      const exited = new Promise<void>((done) => app.once('exit', () => done()));
      app.kill('SIGTERM');
      const timer = setTimeout(() => app.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  });

  /** The one trace of `service` whose server span has `url.path=path`, once `complete` accepts it. */
  async function traceOf(path: string, complete: (spans: Span[]) => string | undefined): Promise<Span[]> {
    return eventually(`the ${SERVICE} trace of ${path} in Jaeger`, async () => {
      const traces = await jaeger.findTraces(SERVICE, { 'url.path': path });
      if (traces.length !== 1) throw new Error(`Jaeger has ${traces.length} traces of ${SERVICE} with url.path=${path}\n${output()}`);
      for (const raw of traces[0]!.spans) startTimes.set(raw.spanID, raw.startTime);
      const spans = flatten(traces[0]!);
      const missing = complete(spans);
      if (missing) throw new Error(`the trace of ${path} has no ${missing} yet:\n${describeSpans(spans)}`);
      return spans;
    });
  }

  const startTimes = new Map<string, number>();
  const startOf = (s: Span): number => startTimes.get(s.id) ?? Number.NaN;

  /** One trace, rooted at the app's HTTP server span; every other span descends from it. */
  function assertRootedAtServer(spans: Span[], method: string): Span {
    const shown = `\n${describeSpans(spans)}`;
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, `all spans share one trace id${shown}`);
    assert.deepEqual([...new Set(spans.map((s) => s.service))], [SERVICE], `every span is ${SERVICE}'s${shown}`);
    const servers = spans.filter((s) => s.kind === 'server');
    assert.equal(servers.length, 1, `exactly one server span${shown}`);
    const server = servers[0]!;
    assert.equal(server.parentId, undefined, `the server span is the root${shown}`);
    assert.equal(server.tags['http.request.method'], method, `the server span is the ${method}${shown}`);
    const ids = new Set(spans.map((s) => s.id));
    for (const s of spans) {
      if (s === server) continue;
      assert.ok(s.parentId && ids.has(s.parentId), `${s.kind} ${s.name} has its parent in the trace${shown}`);
      assert.ok(isAncestor(spans, server, s), `${s.kind} ${s.name} descends from the server span${shown}`);
    }
    return server;
  }

  it('traces POST /carts/:id/items as one trace: server span → ioredis and mysql2 client spans; winston lines carry its trace id', async () => {
    const cartId = `cart-${runId}`;
    const path = `/carts/${cartId}/items`;
    const res = await requestJson<Cart>(`${base}${path}`, { method: 'POST', body: { sku: 'BRACKET-PLA', quantity: 2 } });
    assert.equal(res.status, 201, `POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}\n${output()}`);
    assert.deepEqual(res.body, { cartId, items: [{ sku: 'BRACKET-PLA', quantity: 2 }] });

    // Done when the INSERT, the SELECT and the Redis SET are all in (the SET is the handler's last call).
    const spans = await traceOf(path, (found) => {
      if (!found.some((s) => isMysql(s) && /insert\s+into\s+cart_items/i.test(queryText(s)))) return 'mysql2 INSERT INTO cart_items span';
      if (!found.some((s) => isMysql(s) && /select .*from\s+cart_items/i.test(queryText(s)))) return 'mysql2 SELECT ... FROM cart_items span';
      if (!found.some((s) => isRedis(s) && s.name.toLowerCase() === 'set')) return 'ioredis set span';
      return undefined;
    });
    const server = assertRootedAtServer(spans, 'POST');
    assert.equal(server.tags['http.response.status_code'], 201, 'the server span records the 201');
    assert.ok(spans.filter(isRedis).length >= 1, 'ioredis client spans (db.system.name=redis)');
    assert.ok(spans.filter(isMysql).length >= 2, 'mysql2 client spans (db.system.name=mysql)');

    const traceId = server.traceId;
    const ids = new Set(spans.map((s) => s.id));
    const line = await eventually(`the winston line of POST ${path} on the app's stdout`, async () => {
      const found = logLines().filter((l) => l.cartId === cartId && l.message === 'item added to cart');
      if (found.length !== 1) throw new Error(`${found.length} "item added to cart" lines for ${cartId}\n${output()}`);
      return found[0]!;
    });
    assert.equal(line.trace_id, traceId, `the winston line carries the request's trace id: ${JSON.stringify(line)}`);
    assert.ok(typeof line.span_id === 'string' && ids.has(line.span_id), `its span_id is a span of that trace: ${JSON.stringify(line)}`);
  });

  it('reads a cart through Redis, then MariaDB on a miss, each GET one trace under its server span', async () => {
    const cached = `cart-${runId}`; // written by the previous test: a cache hit
    const hit = await requestJson<Cart>(`${base}/carts/${cached}`);
    assert.equal(hit.status, 200, `GET /carts/${cached} answered ${hit.status}: ${JSON.stringify(hit.body)}`);
    assert.deepEqual(hit.body, { cartId: cached, items: [{ sku: 'BRACKET-PLA', quantity: 2 }], source: 'cache' });

    const empty = `empty-${runId}`; // never written: Redis misses, MariaDB answers no items
    const miss = await requestJson<Cart>(`${base}/carts/${empty}`);
    assert.equal(miss.status, 200, `GET /carts/${empty} answered ${miss.status}: ${JSON.stringify(miss.body)}`);
    assert.deepEqual(miss.body, { cartId: empty, items: [], source: 'db' });

    const spans = await traceOf(`/carts/${empty}`, (found) => {
      if (!found.some((s) => isRedis(s) && s.name.toLowerCase() === 'get')) return 'ioredis get span';
      if (!found.some((s) => isMysql(s) && /select .*from\s+cart_items/i.test(queryText(s)))) return 'mysql2 SELECT span';
      if (!found.some((s) => isRedis(s) && s.name.toLowerCase() === 'set')) return 'ioredis set span';
      return undefined;
    });
    assertRootedAtServer(spans, 'GET');
    const get = spans.find((s) => isRedis(s) && s.name.toLowerCase() === 'get')!;
    const select = spans.find((s) => isMysql(s) && /select .*from\s+cart_items/i.test(queryText(s)))!;
    // Jaeger's start times here are whole milliseconds: a GET and the SELECT after it may share one.
    assert.ok(startOf(get) <= startOf(select), `Redis is asked before MariaDB (get starts at ${startOf(get)} µs, SELECT at ${startOf(select)} µs)\n${describeSpans(spans)}`);

    const line = await eventually(`the winston line of GET /carts/${empty} on the app's stdout`, async () => {
      const found = logLines().find((l) => l.cartId === empty && l.message === 'cart read');
      if (!found) throw new Error(`no "cart read" line for ${empty}\n${output()}`);
      return found;
    });
    assert.equal(line.trace_id, get.traceId, `the miss's winston line carries its trace id: ${JSON.stringify(line)}`);
  });
});

/**
 * Child-process tests of the ES-module entry: `node --import dist/register.mjs
 * dist/test-fixtures/esm-server.mjs` (an express app written as an ES module)
 * against a capture server standing in for the Collector.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { freePort, get, launch, preloadLines, startCapture, waitFor, type Capture, type CapturedSpan, type Service } from './test-fixtures/harness';

const REGISTER = path.resolve(__dirname, 'register.mjs');
const ESM_FIXTURE = path.resolve(__dirname, 'test-fixtures', 'esm-server.mjs');

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

interface Probe {
  loaded: string[];
  express: string;
  fs: string;
}

async function launchEsm(env: Record<string, string>, before: string[] = []): Promise<Service> {
  return launch({
    preload: false,
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', ...env },
    args: [...before, '--import', REGISTER, ESM_FIXTURE],
  });
}

async function probe(svc: Service): Promise<Probe> {
  const reply = await get(`http://127.0.0.1:${svc.port}/probe`);
  assert.equal(reply.status, 200, reply.body);
  return JSON.parse(reply.body) as Probe;
}

function describeSpans(spans: CapturedSpan[]): string {
  return spans.map(s => `${s.name} kind=${s.kind} id=${s.spanId} parent=${s.parentSpanId ?? '-'} route=${String(s.attributes['http.route'])}`).join('\n');
}

/** Whether `ancestor` is reached by following `span`'s parents. */
function isDescendant(spans: CapturedSpan[], span: CapturedSpan, ancestor: CapturedSpan): boolean {
  const byId = new Map(spans.map(s => [s.spanId, s]));
  let current: CapturedSpan | undefined = span;
  for (let depth = 0; current && depth < 50; depth++) {
    if (current.parentSpanId === ancestor.spanId) return true;
    current = current.parentSpanId ? byId.get(current.parentSpanId) : undefined;
  }
  return false;
}

describe('--import register: an ES-module express app', () => {
  let capture: Capture;
  let svc: Service;

  before(async () => {
    capture = await startCapture();
    svc = await launchEsm({
      OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
      OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
      OTEL_SERVICE_NAME: 'esm-fixture',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
  });
  after(async () => {
    svc?.kill();
    await capture?.close();
  });

  it('hooks the instrumented modules it imports, and only those', async () => {
    const p = await probe(svc);
    assert.match(p.express, /[?&]iitm=true/, 'express is wrapped by the loader hook');
    assert.doesNotMatch(p.fs, /iitm/, 'fs (instrumentation off by default) is loaded untouched');
    assert.equal(preloadLines(svc.stderr()).length, 0, `no warning:\n${svc.stderr()}`);
  });

  it('exports a server span with http.route, an express request-handler span under it, and the outgoing request in the same trace', async () => {
    const reply = await get(`http://127.0.0.1:${svc.port}/items/42`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'item 42: upstream ok');

    const server = await waitFor(
      'the server span of GET /items/42',
      () => capture.spans().find(s => s.kind === SPAN_KIND_SERVER && s.attributes['url.path'] === '/items/42'),
      5000,
      () => `spans:\n${describeSpans(capture.spans())}\nstderr:\n${svc.stderr()}`,
    );
    assert.equal(server.attributes['http.route'], '/items/:id');
    assert.equal(server.resource['service.name'], 'esm-fixture');

    // In the server span's subtree (with express 5, instrumentation-router's
    // layer spans sit between the two: the same tree as under --require).
    const handler = await waitFor(
      'an express request-handler span under the server span',
      () => capture.spans().find(s => s.attributes['express.type'] === 'request_handler' && isDescendant(capture.spans(), s, server)),
      5000,
      () => `server span ${server.spanId}; spans:\n${describeSpans(capture.spans())}`,
    );
    assert.equal(handler.traceId, server.traceId);

    const client = await waitFor(
      'the client span of the outgoing request, in the same trace',
      () => capture.spans().find(s => s.kind === SPAN_KIND_CLIENT && s.traceId === server.traceId),
      5000,
      () => describeSpans(capture.spans()),
    );
    // The upstream's server span continues the trace through the client span.
    await waitFor(
      'the upstream server span, child of the client span',
      () => capture.spans().find(s => s.kind === SPAN_KIND_SERVER && s.attributes['url.path'] === '/upstream' && s.parentSpanId === client.spanId),
      5000,
      () => describeSpans(capture.spans()),
    );
  });
});

describe('--import register: OTEL_SDK_DISABLED=true', () => {
  it('exports nothing, loads no OpenTelemetry module nor import-in-the-middle, hooks nothing, and the app serves', async t => {
    const capture = await startCapture();
    t.after(() => capture.close());
    const svc = await launchEsm({
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
      OTEL_BSP_SCHEDULE_DELAY: '20',
    });
    t.after(() => svc.kill());

    const reply = await get(`http://127.0.0.1:${svc.port}/items/7`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'item 7: upstream ok');
    const p = await probe(svc);
    assert.deepEqual(p.loaded, []);
    assert.doesNotMatch(p.express, /iitm/, 'no loader hook');

    // An enabled SDK would have exported within a few schedule delays; ending
    // the process flushes anything still queued.
    svc.proc.kill('SIGTERM');
    await svc.exited(5000);
    assert.equal(capture.posts(), 0);
    assert.equal(svc.stderr(), '');
  });
});

describe('--import register: a failing loader-hook registration', () => {
  it('is one warning; the app starts and serves', async t => {
    // Runs before the entry and makes module.register throw.
    const breakRegister =
      'data:text/javascript,import m from "node:module"; m.register = () => { throw new Error("simulated register failure") };';
    const svc = await launchEsm(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        OTEL_TRACES_EXPORTER: 'none',
      },
      ['--import', breakRegister],
    );
    t.after(() => svc.kill());

    const reply = await get(`http://127.0.0.1:${svc.port}/items/9`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'item 9: upstream ok');
    const p = await probe(svc);
    assert.doesNotMatch(p.express, /iitm/, 'the hook really was not registered');

    const lines = preloadLines(svc.stderr());
    assert.equal(lines.length, 1, `exactly one warning:\n${svc.stderr()}`);
    assert.match(lines[0], /loader hook is not registered.*simulated register failure/);
  });
});

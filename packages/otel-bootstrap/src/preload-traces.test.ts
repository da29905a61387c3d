/**
 * Child-process tests of the preload's traces: identity, propagation, secrets,
 * and flushing at SIGTERM. Each spawns `node --require dist/index.js
 * dist/test-fixtures/server.js` against a capture server standing in for the
 * Collector.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { freePort, get, launch, startCapture, waitFor, type Capture, type CapturedSpan, type Service } from './test-fixtures/harness';

const SPAN_KIND_SERVER = 2;

function serverSpan(capture: Capture, urlPath: string): () => CapturedSpan | undefined {
  return () => capture.spans().find(s => s.kind === SPAN_KIND_SERVER && s.attributes['url.path'] === urlPath);
}

describe('traces from an instrumented http server', () => {
  let capture: Capture;
  let svc: Service;
  let promPort: number;

  before(async () => {
    capture = await startCapture();
    promPort = await freePort();
    svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(promPort),
        OTEL_SERVICE_NAME: 'fixture-svc',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,service.version=9.9.9,team=floor%2Cops',
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
    });
  });
  after(async () => {
    svc?.kill();
    await capture?.close();
  });

  it('exports a server span with the service identity and resource attributes', async () => {
    const reply = await get(`http://127.0.0.1:${svc.port}/hello`);
    assert.equal(reply.status, 200);
    const span = await waitFor('the server span for GET /hello', serverSpan(capture, '/hello'), 5000, () => svc.stderr());

    assert.equal(span.resource['service.name'], 'fixture-svc');
    assert.equal(span.resource['service.version'], '9.9.9');
    assert.equal(span.resource['deployment.environment.name'], 'test');
    assert.equal(span.resource['team'], 'floor,ops', 'percent-decoded OTEL_RESOURCE_ATTRIBUTES value');
    assert.match(String(span.resource['service.instance.id']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(Number(span.resource['process.pid']), svc.proc.pid);
    assert.equal(span.resource['telemetry.sdk.language'], 'nodejs');
    assert.equal(span.resource['process.command_args'], undefined, 'argv is not recorded');

    // Stable HTTP semantic conventions.
    assert.equal(span.attributes['http.request.method'], 'GET');
    assert.equal(Number(span.attributes['http.response.status_code']), 200);
    assert.equal(span.attributes['http.method'], undefined, 'no old-semconv attribute');
  });

  it('continues a valid incoming traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const reply = await get(`http://127.0.0.1:${svc.port}/continued`, { traceparent: `00-${traceId}-${parentId}-01` });
    assert.equal(reply.status, 200);
    const span = await waitFor('the server span for /continued', serverSpan(capture, '/continued'));
    assert.equal(span.traceId, traceId);
    assert.equal(span.parentSpanId, parentId);
  });

  it('answers a malformed traceparent normally and starts a new trace', async () => {
    const bogusTraceId = 'zzf92f3577b34da6a3ce929d0e0e4736';
    const reply = await get(`http://127.0.0.1:${svc.port}/malformed`, {
      traceparent: `00-${bogusTraceId}-00f067aa0ba902b7-01`,
    });
    assert.equal(reply.status, 200);
    const span = await waitFor('the server span for /malformed', serverSpan(capture, '/malformed'));
    assert.match(span.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(span.traceId, '0'.repeat(32));
    assert.notEqual(span.traceId, bogusTraceId);
    assert.ok(!span.parentSpanId, `a root span, got parent ${span.parentSpanId}`);
  });

  it('never exports Authorization, Cookie or X-API-Key values, and redacts token query parameters', async () => {
    const nonce = Math.random().toString(36).slice(2);
    const secrets = {
      authorization: `Bearer SECRET-AUTH-${nonce}`,
      cookie: `session=SECRET-COOKIE-${nonce}`,
      'x-api-key': `SECRET-APIKEY-${nonce}`,
    };
    const queryToken = `SECRET-QUERY-${nonce}`;
    const reply = await get(`http://127.0.0.1:${svc.port}/secret?token=${queryToken}&page=2`, secrets);
    assert.equal(reply.status, 200);
    // The request's span must have been exported, or the check below proves nothing.
    const span = await waitFor('the server span for /secret', serverSpan(capture, '/secret'));
    assert.match(String(span.attributes['url.query']), /token=REDACTED/);
    assert.match(String(span.attributes['url.query']), /page=2/);

    const everything = capture.bodies.join('\n');
    for (const value of [...Object.values(secrets), queryToken]) {
      assert.ok(!everything.includes(value), `${value} leaked into the export payload`);
    }
    assert.ok(!everything.includes(nonce), 'no part of any secret leaked');
  });

  it('does not trace scrapes of its own /metrics endpoint', async () => {
    const scrape = await get(`http://127.0.0.1:${promPort}/metrics`);
    assert.equal(scrape.status, 200);
    // Spans are exported in end order: once the marker arrives, a scrape span would have too.
    await get(`http://127.0.0.1:${svc.port}/after-scrape`);
    await waitFor('the server span for /after-scrape', serverSpan(capture, '/after-scrape'));
    const scrapeSpans = capture.spans().filter(s => s.attributes['url.path'] === '/metrics' || Number(s.attributes['server.port']) === promPort);
    assert.deepEqual(scrapeSpans, []);
  });
});

describe('service identity without OTEL_SERVICE_NAME', () => {
  it('takes service.name and service.version from the nearest package.json', async t => {
    const capture = await startCapture();
    t.after(() => capture.close());
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
    });
    t.after(() => svc.kill());
    await get(`http://127.0.0.1:${svc.port}/who`);
    const span = await waitFor('the server span for /who', serverSpan(capture, '/who'));
    // The fixture lives in this package's dist/, so its nearest named package.json is ours.
    const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '..', 'package.json'), 'utf8')) as { name: string; version: string };
    assert.equal(span.resource['service.name'], pkg.name);
    assert.equal(span.resource['service.version'], pkg.version);
  });
});

describe('shutdown', () => {
  it('on SIGTERM flushes queued spans, then dies by SIGTERM as it would without the preload', async t => {
    const capture = await startCapture();
    t.after(() => capture.close());
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        // Nothing is exported on schedule during this test: spans sit in the queue.
        OTEL_BSP_SCHEDULE_DELAY: '600000',
      },
    });
    t.after(() => svc.kill());
    for (const p of ['/q1', '/q2', '/q3']) assert.equal((await get(`http://127.0.0.1:${svc.port}${p}`)).status, 200);
    assert.equal(capture.posts(), 0, 'spans are still queued before the signal');

    const sentAt = Date.now();
    svc.proc.kill('SIGTERM');
    const how = await svc.exited(5000);
    const tookMs = Date.now() - sentAt;
    assert.deepEqual(how, { code: null, signal: 'SIGTERM' }, 'killed by the re-raised signal');
    assert.ok(tookMs < 2500, `exited ${tookMs} ms after SIGTERM`);
    const paths = capture.spans().map(s => s.attributes['url.path']);
    for (const p of ['/q1', '/q2', '/q3']) assert.ok(paths.includes(p), `span for ${p} flushed before exit (got ${paths.join(', ')})`);
  });

  it("leaves the exit to the app's own SIGTERM handler, flushing before the process ends", async t => {
    const capture = await startCapture();
    t.after(() => capture.close());
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        OTEL_BSP_SCHEDULE_DELAY: '600000',
        FIXTURE_OWN_SIGTERM: '1',
      },
    });
    t.after(() => svc.kill());
    assert.equal((await get(`http://127.0.0.1:${svc.port}/own`)).status, 200);
    svc.proc.kill('SIGTERM');
    const how = await svc.exited(5000);
    assert.match(svc.stdout(), /APP SIGTERM HANDLER/);
    assert.deepEqual(how, { code: 0, signal: null }, 'the app closed its server and ended normally');
    assert.ok(
      capture.spans().some(s => s.attributes['url.path'] === '/own'),
      'the queued span was exported before the process ended',
    );
  });
});

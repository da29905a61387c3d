/**
 * Child-process tests of what goes out besides JSON spans: the default wire
 * format (OTLP protobuf, gzip) with the user's headers, paths that are never
 * traced, metrics pushed over OTLP, and log records of pino, winston and
 * bunyan with their trace ids and without secrets.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { freePort, get, launch, startCapture, waitFor, type Capture, type Service } from './test-fixtures/harness';

const SPAN_KIND_SERVER = 2;
const LOGGERS = path.resolve(__dirname, 'test-fixtures', 'loggers.js');

describe('the default OTLP wire format', () => {
  it('is protobuf with gzip, and carries OTEL_EXPORTER_OTLP_HEADERS (a bearer token for the Collector)', async t => {
    const capture = await startCapture();
    t.after(() => capture.close());
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_PROTOCOL: '', // unset: the preload's default
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20t0ken',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
    });
    t.after(() => svc.kill());
    await get(`http://127.0.0.1:${svc.port}/x`);
    const sent = await waitFor('a POST to /v1/traces', () => capture.requests.find(r => r.path === '/v1/traces'), 5000, () => svc.stderr());
    assert.deepEqual(sent, {
      path: '/v1/traces',
      contentType: 'application/x-protobuf',
      contentEncoding: 'gzip',
      authorization: 'Bearer t0ken',
    });
  });
});

describe('SHOPFLOOR_TRACES_EXCLUDED_PATHS', () => {
  let capture: Capture;
  let svc: Service;
  before(async () => {
    capture = await startCapture();
    svc = await launch({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: capture.url, OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()), OTEL_BSP_SCHEDULE_DELAY: '50' },
    });
  });
  after(async () => {
    svc?.kill();
    await capture?.close();
  });

  it('by default, probes and scrapes are not traced; other paths are', async () => {
    for (const p of ['/healthz', '/readyz?full=1', '/metrics', '/orders']) assert.equal((await get(`http://127.0.0.1:${svc.port}${p}`)).status, 200);
    const paths = () => capture.spans().filter(s => s.kind === SPAN_KIND_SERVER).map(s => s.attributes['url.path']);
    // /orders was requested last: once its span is out, the others would have been too.
    await waitFor('the server span of /orders', () => paths().includes('/orders'), 5000, () => svc.stderr());
    assert.deepEqual(paths(), ['/orders']);
  });
});

describe('OTEL_METRICS_EXPORTER=otlp', () => {
  it('pushes metrics to /v1/metrics at OTEL_METRIC_EXPORT_INTERVAL', async t => {
    const capture = await startCapture();
    t.after(() => capture.close());
    const svc = await launch({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: capture.url, OTEL_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '200' },
    });
    t.after(() => svc.kill());
    await get(`http://127.0.0.1:${svc.port}/x`);
    const pushes = () => capture.requests.filter(r => r.path === '/v1/metrics').length;
    await waitFor('two pushes to /v1/metrics', () => pushes() >= 2, 5000, () => svc.stderr());
  });
});

describe('OTEL_LOGS_EXPORTER=otlp', () => {
  let capture: Capture;
  let svc: Service;
  before(async () => {
    capture = await startCapture();
    svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_BLRP_SCHEDULE_DELAY: '50',
      },
      args: [LOGGERS],
    });
    // The logs pipeline starts at the first idle moment; a request made after LISTENING comes later.
    assert.equal((await get(`http://127.0.0.1:${svc.port}/order`)).status, 200);
  });
  after(async () => {
    svc?.kill();
    await capture?.close();
  });

  for (const logger of ['pino', 'winston', 'bunyan']) {
    it(`sends ${logger} records with the trace and span ids of the request`, async () => {
      const server = await waitFor('the server span', () => capture.spans().find(s => s.kind === SPAN_KIND_SERVER), 5000, () => svc.stderr());
      const record = await waitFor(
        `a ${logger} record`,
        () => capture.logRecords().find(r => JSON.stringify(r.body).includes(`handled by ${logger}`)),
        5000,
        () => `records: ${JSON.stringify(capture.logRecords())}\n${svc.stderr()}`,
      );
      assert.equal(record.traceId, server.traceId);
      assert.equal(typeof record.spanId, 'string');
      assert.equal(Number(record.attributes.orderId), 7, 'fields travel as attributes');
    });
  }

  it('never sends a password field', async () => {
    await waitFor('records of all three loggers', () => capture.logRecords().length >= 3, 5000);
    for (const body of capture.logBodies) assert.doesNotMatch(body, /hunter2/);
  });
});

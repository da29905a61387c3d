/**
 * Child-process tests of what goes out besides JSON spans: the default wire
 * format (OTLP protobuf, gzip) with the user's headers, paths that are never
 * traced, metrics pushed over OTLP, and log records of pino, winston and
 * bunyan with their trace ids and without secrets, also through a Collector
 * outage.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { freePort, get, launch, preloadLines, startCapture, waitFor, type Capture, type Service } from './test-fixtures/harness';

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

describe('SHOPFLOOR_OTLP_BEARER_TOKEN_FILE', () => {
  it('sends the token the file holds as the bearer token, over one given in OTEL_EXPORTER_OTLP_HEADERS', async t => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otlp-token-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const tokenFile = path.join(dir, 'otlp_token');
    writeFileSync(tokenFile, 'fr0m-the+file/=\n');
    const capture = await startCapture();
    t.after(() => capture.close());
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20from-the-env',
        SHOPFLOOR_OTLP_BEARER_TOKEN_FILE: tokenFile,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
    });
    t.after(() => svc.kill());
    await get(`http://127.0.0.1:${svc.port}/x`);
    const sent = await waitFor('a POST to /v1/traces', () => capture.requests.find(r => r.path === '/v1/traces'), 5000, () => svc.stderr());
    assert.equal(sent.authorization, 'Bearer fr0m-the+file/=');
  });

  it('a file that cannot be read: one warning naming it, the app serves and its spans go out without the token', async t => {
    const capture = await startCapture();
    t.after(() => capture.close());
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        SHOPFLOOR_OTLP_BEARER_TOKEN_FILE: '/nonexistent/otlp_token',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
    });
    t.after(() => svc.kill());
    assert.equal((await get(`http://127.0.0.1:${svc.port}/x`)).status, 200);
    const sent = await waitFor('a POST to /v1/traces', () => capture.requests.find(r => r.path === '/v1/traces'), 5000, () => svc.stderr());
    assert.equal(sent.authorization, undefined);
    const warnings = preloadLines(svc.stderr()).filter(l => l.includes('SHOPFLOOR_OTLP_BEARER_TOKEN_FILE'));
    assert.equal(warnings.length, 1, `one warning expected, got: ${JSON.stringify(warnings)}`);
    assert.match(warnings[0]!, /cannot read \/nonexistent\/otlp_token \(ENOENT\)/);
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

describe('OTEL_LOGS_EXPORTER=otlp, the Collector down, then up', () => {
  it('every log line written meanwhile arrives; one warning, which is not itself a log record; the log buffer on /metrics', async t => {
    const collectorPort = await freePort();
    const promPort = await freePort();
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(promPort),
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_BLRP_SCHEDULE_DELAY: '20',
        OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '10',
        OTEL_EXPORTER_OTLP_TIMEOUT: '200',
        // More of the preload's own lines on stderr: none of them may become a log record.
        OTEL_LOG_LEVEL: 'info',
      },
      args: [LOGGERS],
    });
    t.after(() => svc.kill());
    const orders = 20;
    for (let i = 0; i < orders; i++) assert.equal((await get(`http://127.0.0.1:${svc.port}/order`)).status, 200);
    const logWarnings = () => preloadLines(svc.stderr()).filter(l => l.includes('log export'));
    await waitFor('the log export warning', () => logWarnings().length > 0, 5000, () => svc.stderr());

    const capture = await startCapture(collectorPort);
    t.after(() => capture.close());
    const count = (logger: string) => capture.logRecords().filter(r => JSON.stringify(r.body).includes(`handled by ${logger}`)).length;
    await waitFor(
      `the ${orders * 3} log records at the Collector`,
      () => ['pino', 'winston', 'bunyan'].every(l => count(l) >= orders),
      15_000,
      () => `${JSON.stringify(capture.logRecords().map(r => r.body))}\n${svc.stderr()}`,
    );
    for (const logger of ['pino', 'winston', 'bunyan']) assert.equal(count(logger), orders, `${logger}: each line once`);
    assert.equal(capture.logRecords().length, orders * 3, 'nothing else: no record about the export or the buffer itself');
    assert.equal(capture.spans().length, 0, 'the exports are not traced');

    const metrics = (await get(`http://127.0.0.1:${promPort}/metrics`)).body;
    assert.match(metrics, /^otel_bootstrap_log_records_dropped_total\{[^}]*reason="buffer_full"[^}]*\} 0$/m, metrics);
    assert.match(metrics, /^otel_bootstrap_log_records_dropped_total\{[^}]*reason="rejected"[^}]*\} 0$/m);
    assert.match(metrics, /^otel_bootstrap_log_buffer_size_bytes\{[^}]*\} 0$/m);
    assert.match(metrics, /^otel_bootstrap_log_buffer_records\{[^}]*\} 0$/m);
    assert.match(metrics, /^otel_bootstrap_log_buffer_limit_bytes\{[^}]*\} 16777216$/m);
    assert.doesNotMatch(metrics, /^otel_bootstrap_span_buffer/m, 'no span buffer without an OTLP trace exporter');
    assert.equal(logWarnings().length, 1, preloadLines(svc.stderr()).join('\n'));
    assert.match(logWarnings()[0]!, /log export to http:\/\/127\.0\.0\.1:\d+\/v1\/logs failed .*; log records are kept/);
  });
});

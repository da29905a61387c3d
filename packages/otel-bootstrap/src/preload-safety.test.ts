/**
 * Child-process tests of "telemetry never hurts the app": a dead or failing
 * Collector, OTEL_SDK_DISABLED, invalid configuration.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { freePort, get, launch, preloadLines, startCapture, waitFor, type Service } from './test-fixtures/harness';

const exportWarnings = (svc: Service): string[] => preloadLines(svc.stderr()).filter(l => l.includes('trace export'));

describe('a dead or failing Collector', () => {
  it('with nothing listening on the OTLP port: requests succeed promptly, one warning, prompt exit', async t => {
    const closedPort = await freePort();
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closedPort}`,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        OTEL_BSP_SCHEDULE_DELAY: '20',
        OTEL_BSP_MAX_QUEUE_SIZE: '20',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
        OTEL_EXPORTER_OTLP_TIMEOUT: '200',
      },
    });
    t.after(() => svc.kill());

    let slowest = 0;
    for (let i = 0; i < 100; i++) {
      const reply = await get(`http://127.0.0.1:${svc.port}/r${i}`);
      assert.equal(reply.status, 200);
      slowest = Math.max(slowest, reply.ms);
    }
    await waitFor('the export-failure warning', () => exportWarnings(svc).length > 0, 5000, () => svc.stderr());
    for (let i = 0; i < 100; i++) {
      const reply = await get(`http://127.0.0.1:${svc.port}/s${i}`);
      assert.equal(reply.status, 200);
      slowest = Math.max(slowest, reply.ms);
    }
    assert.ok(slowest < 1000, `slowest request took ${slowest} ms`);

    const sentAt = Date.now();
    svc.proc.kill('SIGTERM');
    const how = await svc.exited(5000);
    assert.equal(how.signal, 'SIGTERM');
    assert.ok(Date.now() - sentAt < 3500, 'the hard flush timeout bounds the exit');

    const warnings = exportWarnings(svc);
    assert.equal(warnings.length, 1, `exactly one export warning, got:\n${warnings.join('\n')}`);
    assert.match(warnings[0], new RegExp(`127\\.0\\.0\\.1:${closedPort}`));
    assert.match(warnings[0], /ECONNREFUSED/);
    const lines = preloadLines(svc.stderr());
    assert.equal(new Set(lines).size, lines.length, `no line repeated:\n${lines.join('\n')}`);
    assert.ok(lines.filter(l => l.includes('Dropped')).length <= 1, 'queue-full messages are de-duplicated');
  });

  it('down, then up: every span of the requests served meanwhile arrives, in order; nothing overflows', async t => {
    const collectorPort = await freePort();
    const promPort = await freePort();
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(promPort),
        OTEL_BSP_SCHEDULE_DELAY: '20',
        // A queue that spans used to overflow within 20 requests while the Collector was down.
        OTEL_BSP_MAX_QUEUE_SIZE: '20',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
        OTEL_EXPORTER_OTLP_TIMEOUT: '200',
      },
    });
    t.after(() => svc.kill());
    const paths = Array.from({ length: 100 }, (_, i) => `/o${i}`);
    for (const p of paths) assert.equal((await get(`http://127.0.0.1:${svc.port}${p}`)).status, 200);
    await waitFor('the export-failure warning', () => exportWarnings(svc).length > 0, 5000, () => svc.stderr());

    const capture = await startCapture(collectorPort);
    t.after(() => capture.close());
    const served = () => capture.spans().filter(s => s.kind === 2).map(s => String(s.attributes['url.path']));
    // The sender retries within 5 s (its backoff cap) of the Collector's return.
    await waitFor('all 100 server spans at the Collector', () => served().length >= 100, 15_000, () => `${served().join(',')}\n${svc.stderr()}`);
    assert.deepEqual(served(), paths, 'each once, in the order they ended');
    assert.deepEqual(
      capture.spans().filter(s => Number(s.attributes['server.port']) === collectorPort),
      [],
      'the exports themselves are not traced',
    );

    const metrics = (await get(`http://127.0.0.1:${promPort}/metrics`)).body;
    assert.match(metrics, /^otel_bootstrap_spans_dropped_total\{[^}]*reason="buffer_full"[^}]*\} 0$/m, metrics);
    assert.match(metrics, /^otel_bootstrap_spans_dropped_total\{[^}]*reason="rejected"[^}]*\} 0$/m);
    assert.match(metrics, /^otel_bootstrap_span_buffer_size_bytes\{[^}]*\} 0$/m);
    assert.match(metrics, /^otel_bootstrap_span_buffer_spans\{[^}]*\} 0$/m);
    assert.match(metrics, /^otel_bootstrap_span_buffer_limit_bytes\{[^}]*\} 33554432$/m);

    const lines = preloadLines(svc.stderr());
    assert.equal(exportWarnings(svc).length, 1, lines.join('\n'));
    assert.deepEqual(lines.filter(l => /Dropped|buffer full/.test(l)), [], 'no span dropped anywhere');
  });

  it('reports each failure streak once: silent while failing, again after a success', async t => {
    const capture = await startCapture();
    t.after(() => capture.close());
    capture.setMode('reject');
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        OTEL_BSP_SCHEDULE_DELAY: '20',
      },
    });
    t.after(() => svc.kill());

    /** One request, then wait until its batch reached the capture server. */
    const requestAndExport = async (path: string): Promise<void> => {
      const before = capture.posts();
      assert.equal((await get(`http://127.0.0.1:${svc.port}${path}`)).status, 200);
      await waitFor(`an export attempt after ${path}`, () => capture.posts() > before, 5000, () => svc.stderr());
    };

    for (let i = 0; i < 4; i++) await requestAndExport(`/fail${i}`);
    await waitFor('the first streak warning', () => exportWarnings(svc).length === 1, 5000, () => svc.stderr());
    assert.ok(capture.posts() >= 4, 'four failed exports happened');
    assert.match(exportWarnings(svc)[0], /HTTP 400/);

    capture.setMode('ok');
    await requestAndExport('/ok');
    await waitFor('the successful export', () => capture.spans().some(s => s.attributes['url.path'] === '/ok'));

    capture.setMode('reject');
    await requestAndExport('/fail-again');
    await requestAndExport('/fail-again-2');
    await waitFor('the second streak warning', () => exportWarnings(svc).length === 2, 5000, () => svc.stderr());

    svc.proc.kill('SIGTERM');
    await svc.exited(5000);
    assert.equal(exportWarnings(svc).length, 2, `one warning per streak, got:\n${exportWarnings(svc).join('\n')}`);
    assert.equal(
      preloadLines(svc.stderr()).filter(l => l.includes('error:')).length,
      0,
      `no extra error lines from the SDK's error handler:\n${svc.stderr()}`,
    );
  });
});

describe('OTEL_SDK_DISABLED', () => {
  const listOtelModules =
    "process.stdout.write(JSON.stringify(Object.keys(require.cache).filter(k => k.includes('@opentelemetry'))))";

  it('=true loads no OpenTelemetry module at all', async () => {
    const svc = await launch({ env: { OTEL_SDK_DISABLED: 'true' }, args: ['-e', listOtelModules], waitListening: false });
    const how = await svc.exited(5000);
    assert.equal(how.code, 0, svc.stderr());
    assert.deepEqual(JSON.parse(svc.stdout()), []);
    assert.equal(svc.stderr(), '');
  });

  it('(control) without it, the same probe does see OpenTelemetry modules', async () => {
    const svc = await launch({
      env: { OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()), OTEL_TRACES_EXPORTER: 'none' },
      args: ['-e', listOtelModules],
      waitListening: false,
    });
    await svc.exited(5000);
    // The probe itself works: the preload (lazy as it is) has loaded some OpenTelemetry modules.
    assert.ok((JSON.parse(svc.stdout()) as string[]).length > 0, 'the control run sees OpenTelemetry modules');
  });

  it('=true still runs the app', async t => {
    const svc = await launch({ env: { OTEL_SDK_DISABLED: 'TRUE' } });
    t.after(() => svc.kill());
    assert.equal((await get(`http://127.0.0.1:${svc.port}/`)).status, 200);
  });
});

describe('invalid configuration', () => {
  it('warns once per invalid variable, naming it and the default used, and the app serves', async t => {
    const invalid: Record<string, { value: string; fallback: RegExp }> = {
      OTEL_EXPORTER_PROMETHEUS_PORT: { value: 'abc', fallback: /9464/ },
      OTEL_TRACES_SAMPLER: { value: 'bogus', fallback: /parentbased_always_on/ },
      OTEL_TRACES_SAMPLER_ARG: { value: '2', fallback: /default 1\b/ },
      OTEL_EXPORTER_OTLP_ENDPOINT: { value: 'not a url', fallback: /http:\/\/localhost:4318/ },
      OTEL_BSP_MAX_QUEUE_SIZE: { value: '-1', fallback: /2048/ },
      OTEL_PROPAGATORS: { value: 'tracecontext,b3,nonsense', fallback: /tracecontext/ },
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: { value: 'http,no-such-thing', fallback: /http/ },
      OTEL_LOG_LEVEL: { value: 'loud', fallback: /"warn"/ },
      OTEL_SDK_DISABLED: { value: 'maybe', fallback: /false/ },
    };
    const env: Record<string, string> = {};
    for (const [name, { value }] of Object.entries(invalid)) env[name] = value;
    const svc = await launch({ env });
    t.after(() => svc.kill());

    // Not sampled (flags 00): nothing is exported, so this test sends no span
    // to whatever may listen on the default endpoint.
    const reply = await get(`http://127.0.0.1:${svc.port}/still-works`, {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'ok GET /still-works');

    // End the process so every line it will ever write is in.
    svc.proc.kill('SIGTERM');
    await svc.exited(5000);
    const lines = preloadLines(svc.stderr());
    for (const [name, { value, fallback }] of Object.entries(invalid)) {
      // (?![A-Z_]) so OTEL_TRACES_SAMPLER does not count OTEL_TRACES_SAMPLER_ARG lines.
      const mentioning = lines
        // A separate, legitimate message if the default port 9464 happens to be taken on this machine.
        .filter(l => !l.includes('cannot serve Prometheus metrics'))
        .filter(l => new RegExp(`${name}(?![A-Z_])`).test(l) || l.includes(`'${value}'`));
      assert.equal(mentioning.length, 1, `${name}: expected one line, got:\n${mentioning.join('\n') || '(none)'}\nall stderr:\n${svc.stderr()}`);
      assert.match(mentioning[0], /warn: /);
      assert.match(mentioning[0], fallback, `${name}: the line names the default used`);
    }
    assert.equal(new Set(lines).size, lines.length, `no line repeated:\n${lines.join('\n')}`);
  });
});

/** A Collector that accepts connections and never answers. */
async function blackHole(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(socket => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.resume();
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>(r => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

describe('an unresponsive Collector never holds the process', () => {
  const script = `
    const http = require('http');
    const server = http.createServer((q, r) => r.end('x')).listen(0, '127.0.0.1', () => {
      http.get('http://127.0.0.1:' + server.address().port + '/once', res => { res.resume(); res.on('end', () => server.close()); });
    });`;

  it('a script that ends naturally exits within the flush timeout (beforeExit)', async t => {
    const endpoint = await blackHole(t);
    const started = Date.now();
    const svc = await launch({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()), OTEL_BSP_SCHEDULE_DELAY: '600000' },
      args: ['-e', script],
      waitListening: false,
    });
    t.after(() => svc.kill());
    const how = await svc.exited(6000);
    const took = Date.now() - started;
    assert.deepEqual(how, { code: 0, signal: null }, svc.stderr());
    // Without the cut-off the export would wait for OTEL_EXPORTER_OTLP_TIMEOUT (10 s).
    assert.ok(took < 4000, `exited after ${took} ms`);
    assert.match(svc.stderr(), /did not finish within 2000 ms at exit/);
  });

  it('SIGTERM still ends a server within the flush timeout', async t => {
    const endpoint = await blackHole(t);
    const svc = await launch({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()), OTEL_BSP_SCHEDULE_DELAY: '600000' },
    });
    t.after(() => svc.kill());
    assert.equal((await get(`http://127.0.0.1:${svc.port}/pending`)).status, 200);
    const sentAt = Date.now();
    svc.proc.kill('SIGTERM');
    const how = await svc.exited(6000);
    const took = Date.now() - sentAt;
    assert.deepEqual(how, { code: null, signal: 'SIGTERM' });
    assert.ok(took >= 1900 && took < 4000, `exited ${took} ms after SIGTERM (flush timeout 2000 ms)`);
  });
});

describe('process environment', () => {
  const printOptIn = 'process.stdout.write(String(process.env.OTEL_SEMCONV_STABILITY_OPT_IN))';

  it('sets OTEL_SEMCONV_STABILITY_OPT_IN=http when unset', async () => {
    const svc = await launch({ env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' }, args: ['-e', printOptIn], waitListening: false });
    await svc.exited(5000);
    assert.equal(svc.stdout(), 'http');
  });

  it("keeps the user's OTEL_SEMCONV_STABILITY_OPT_IN", async () => {
    const svc = await launch({
      env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_SEMCONV_STABILITY_OPT_IN: 'http/dup,database' },
      args: ['-e', printOptIn],
      waitListening: false,
    });
    await svc.exited(5000);
    assert.equal(svc.stdout(), 'http/dup,database');
  });

  it('starts nothing in worker threads (one SDK per process)', async () => {
    const code = `
      const { Worker } = require('worker_threads');
      const w = new Worker("require('worker_threads').parentPort.postMessage({ otel: Object.keys(require.cache).filter(k => k.includes('@opentelemetry')).length, preload: Object.keys(require.cache).some(k => k.endsWith('otel-bootstrap/dist/index.js')) })", { eval: true });
      w.on('message', m => { process.stdout.write(JSON.stringify(m)); w.terminate(); });`;
    const svc = await launch({ env: { OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()), OTEL_TRACES_EXPORTER: 'none' }, args: ['-e', code], waitListening: false });
    const how = await svc.exited(5000);
    assert.equal(how.code, 0, svc.stderr());
    assert.deepEqual(JSON.parse(svc.stdout()), { otel: 0, preload: true }, 'the worker ran the preload, which stood down');
    assert.equal(svc.stderr(), '', 'no port conflict or other complaint');
  });
});

describe('a broken installation', () => {
  it('warns once and lets the app run without telemetry', async t => {
    // A copy of the built preload whose nearest @opentelemetry/api is a package with its code
    // missing: whatever else is installed around it, that is the copy the preload resolves.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'otel-bootstrap-broken-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(path.resolve(__dirname), dir, { recursive: true, filter: src => !src.endsWith('.map') });
    const api = path.join(dir, 'node_modules', '@opentelemetry', 'api');
    mkdirSync(api, { recursive: true });
    writeFileSync(path.join(api, 'package.json'), JSON.stringify({ name: '@opentelemetry/api', version: '1.10.0', main: 'gone.js' }));
    assert.throws(() => require(require.resolve('@opentelemetry/api', { paths: [dir] })), /gone\.js|Cannot find/);
    const svc = await launch({ env: {}, preload: false, args: ['--require', path.join(dir, 'index.js'), path.join(dir, 'test-fixtures', 'server.js')] });
    t.after(() => svc.kill());
    assert.equal((await get(`http://127.0.0.1:${svc.port}/`)).status, 200);
    const lines = preloadLines(svc.stderr());
    assert.equal(lines.length, 1, svc.stderr());
    assert.match(lines[0], /failed to start; the app runs without telemetry: .*@opentelemetry\//);
  });
});

/**
 * What the preload loads before the app's code runs, and what it leaves for
 * later (start.ts): the tracer provider, the OTLP exporter and the metrics
 * pipeline at the first idle moment, each instrumentation when the app first
 * requires what it instruments. Child-process tests, probing require.cache.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, launch, startCapture } from './test-fixtures/harness';

/** Loaded at the first idle moment of a process that keeps running. */
const DEFERRED = [
  'core',
  'resources',
  'sdk-trace',
  // The trace exporter's own parts (buffered-exporter.ts); the exporter packages themselves are not loaded.
  'otlp-exporter-base',
  'otlp-transformer',
  'sdk-metrics',
  'exporter-prometheus',
  'instrumentation-host-metrics',
  'instrumentation-runtime-node',
  'instrumentation-undici',
];
/** Loaded when the app requires what they instrument. */
const ON_REQUIRE = ['instrumentation-http', 'instrumentation-express', 'instrumentation-amqplib', 'instrumentation-pg', 'instrumentation-pino'];

/** A script printing which of DEFERRED are loaded: at once (sync) or after a short wait (later). */
const probe = (when: 'sync' | 'later', packages: string[] = DEFERRED) => {
  const list = `process.stdout.write(JSON.stringify(${JSON.stringify(packages)}.filter(p => Object.keys(require.cache).some(k => k.includes('/@opentelemetry/' + p + '/')))))`;
  return when === 'sync' ? list : `setTimeout(() => { ${list} }, 200)`;
};

describe('start-up: deferred work', () => {
  it('the app starts before the OTLP exporter and the metrics pipeline are loaded; an empty script never loads them', async () => {
    const svc = await launch({
      env: { OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()) },
      args: ['-e', probe('sync')],
      waitListening: false,
    });
    const how = await svc.exited(5000);
    assert.equal(how.code, 0, svc.stderr());
    assert.deepEqual(JSON.parse(svc.stdout()), []);
    assert.equal(svc.stderr(), '');
  });

  it('an empty script loads no instrumentation; requiring http loads instrumentation-http only', async () => {
    const port = String(await freePort());
    const none = await launch({ env: { OTEL_EXPORTER_PROMETHEUS_PORT: port }, args: ['-e', probe('sync', ON_REQUIRE)], waitListening: false });
    assert.equal((await none.exited(5000)).code, 0, none.stderr());
    assert.deepEqual(JSON.parse(none.stdout()), []);
    const http = await launch({
      env: { OTEL_EXPORTER_PROMETHEUS_PORT: port },
      args: ['-e', `require('http'); ${probe('sync', ON_REQUIRE)}`],
      waitListening: false,
    });
    assert.equal((await http.exited(5000)).code, 0, http.stderr());
    assert.deepEqual(JSON.parse(http.stdout()), ['instrumentation-http']);
  });

  it('a fetch() made before the first idle moment is traced all the same', async () => {
    const capture = await startCapture();
    try {
      const script = `fetch(${JSON.stringify(capture.url)} + '/early').then(r => r.arrayBuffer(), () => {})`;
      const svc = await launch({
        env: { OTEL_METRICS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: capture.url },
        args: ['-e', script],
        waitListening: false,
      });
      assert.equal((await svc.exited(5000)).code, 0, svc.stderr());
      const early = capture.spans().filter(s => String(s.attributes['url.full'] ?? '').endsWith('/early'));
      assert.equal(early.length, 1, JSON.stringify(capture.spans().map(s => [s.name, s.attributes['url.full']])));
      assert.equal(early[0]!.kind, 3, 'a CLIENT span');
    } finally {
      await capture.close();
    }
  });

  it('they are loaded at the first idle moment of a process that keeps running', async () => {
    const capture = await startCapture();
    try {
      const svc = await launch({
        env: {
          OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
          OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        },
        args: ['-e', probe('later')],
        waitListening: false,
      });
      const how = await svc.exited(5000);
      assert.equal(how.code, 0, svc.stderr());
      assert.deepEqual(JSON.parse(svc.stdout()), DEFERRED);
    } finally {
      await capture.close();
    }
  });

  it('a short script that made spans still exports them at exit (the exporter loads on demand)', async () => {
    const capture = await startCapture();
    try {
      const script =
        "const t = require('@opentelemetry/api').trace.getTracer('probe'); t.startSpan('short-lived').end();";
      const svc = await launch({
        env: { OTEL_METRICS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: capture.url },
        args: ['-e', script],
        waitListening: false,
      });
      const how = await svc.exited(5000);
      assert.equal(how.code, 0, svc.stderr());
      assert.ok(capture.spans().some(s => s.name === 'short-lived'), `spans: ${JSON.stringify(capture.spans().map(s => s.name))}`);
    } finally {
      await capture.close();
    }
  });
});

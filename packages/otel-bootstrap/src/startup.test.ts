/**
 * What the preload loads before the app's code runs, and what it leaves for
 * the first idle moment (start.ts): the OTLP exporter and the metrics
 * pipeline. Child-process tests, probing require.cache.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, launch, startCapture } from './test-fixtures/harness';

const DEFERRED = ['exporter-trace-otlp-http', 'otlp-transformer', 'sdk-metrics', 'exporter-prometheus', 'host-metrics', 'instrumentation-runtime-node'];

/** A script printing which of DEFERRED are loaded: at once (sync) or after a short wait (later). */
const probe = (when: 'sync' | 'later') => {
  const list = `process.stdout.write(JSON.stringify(${JSON.stringify(DEFERRED)}.filter(p => Object.keys(require.cache).some(k => k.includes('/@opentelemetry/' + p + '/')))))`;
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

  it('they are loaded at the first idle moment of a process that keeps running', async () => {
    const capture = await startCapture();
    try {
      const svc = await launch({
        env: { OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()), OTEL_EXPORTER_OTLP_ENDPOINT: capture.url },
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

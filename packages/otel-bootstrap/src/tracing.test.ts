import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { buildPropagator, buildSampler, LazySpanExporter, printableUrl } from './tracing';

class ScriptedExporter implements SpanExporter {
  constructor(private readonly results: ExportResult[]) {}
  export(_spans: ReadableSpan[], cb: (r: ExportResult) => void): void {
    cb(this.results.shift() ?? { code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe('buildSampler', () => {
  it('maps every name to the SDK sampler', () => {
    assert.equal(buildSampler('always_on', 1).toString(), 'AlwaysOnSampler');
    assert.equal(buildSampler('always_off', 1).toString(), 'AlwaysOffSampler');
    assert.match(buildSampler('traceidratio', 0.5).toString(), /TraceIdRatioBased\{0\.5\}/);
    assert.match(buildSampler('parentbased_always_on', 1).toString(), /ParentBased\{root=AlwaysOnSampler/);
    assert.match(buildSampler('parentbased_always_off', 1).toString(), /ParentBased\{root=AlwaysOffSampler/);
    assert.match(buildSampler('parentbased_traceidratio', 0.1).toString(), /ParentBased\{root=TraceIdRatioBased\{0\.1\}/);
  });
});

describe('buildPropagator', () => {
  it('composes the requested W3C propagators', () => {
    assert.deepEqual(buildPropagator(['tracecontext', 'baggage'])?.fields(), ['traceparent', 'tracestate', 'baggage']);
    assert.deepEqual(buildPropagator(['baggage'])?.fields(), ['baggage']);
    assert.equal(buildPropagator([]), undefined);
  });
});

describe('printableUrl', () => {
  it('drops credentials and query strings', () => {
    assert.equal(printableUrl('https://user:secret@collector:4318/v1/traces?token=x'), 'https://collector:4318/v1/traces');
  });
});

describe('LazySpanExporter', () => {
  it('builds its exporter once, on warm() or the first export, not before', () => {
    let built = 0;
    const lazy = new LazySpanExporter(() => {
      built++;
      return new ScriptedExporter([]);
    });
    assert.equal(built, 0);
    const codes: ExportResultCode[] = [];
    lazy.export([], r => codes.push(r.code));
    lazy.warm();
    lazy.export([], r => codes.push(r.code));
    assert.equal(built, 1);
    assert.deepEqual(codes, [ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]);
  });

  it('flush and shutdown before it was built load nothing', async () => {
    let built = 0;
    const lazy = new LazySpanExporter(() => {
      built++;
      return new ScriptedExporter([]);
    });
    await lazy.forceFlush();
    await lazy.shutdown();
    assert.equal(built, 0);
  });

  it('a failure to build is reported once; every export then fails with it', () => {
    const failures: Error[] = [];
    const lazy = new LazySpanExporter(
      () => {
        throw new Error('broken install');
      },
      err => failures.push(err),
    );
    const results: ExportResult[] = [];
    lazy.export([], r => results.push(r));
    lazy.export([], r => results.push(r));
    assert.equal(failures.length, 1);
    assert.deepEqual(results.map(r => r.code), [ExportResultCode.FAILED, ExportResultCode.FAILED]);
    assert.equal(results[1]!.error, failures[0]);
  });
});

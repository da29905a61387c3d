import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { buildPropagator, buildSampler, FailureReportingExporter, LazySpanExporter, printableUrl } from './tracing';
import { Logger } from './utils';

class ScriptedExporter implements SpanExporter {
  constructor(private readonly results: ExportResult[]) {}
  export(_spans: ReadableSpan[], cb: (r: ExportResult) => void): void {
    cb(this.results.shift() ?? { code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const fail = (message: string): ExportResult => ({ code: ExportResultCode.FAILED, error: new Error(message) });
const ok: ExportResult = { code: ExportResultCode.SUCCESS };

describe('FailureReportingExporter', () => {
  it('warns once per failure streak and remembers the errors it reported', () => {
    const lines: string[] = [];
    const reported = new WeakSet<object>();
    const script = [fail('down 1'), fail('down 2'), fail('down 3'), ok, ok, fail('down again'), fail('still down')];
    const errors = script.map(r => r.error);
    const codes = script.map(r => r.code);
    const exporter = new FailureReportingExporter(
      new ScriptedExporter(script),
      'http://collector:4318/v1/traces',
      new Logger('warn', l => lines.push(l)),
      reported,
    );
    const seen: ExportResult[] = [];
    for (let i = 0; i < 7; i++) exporter.export([], r => seen.push(r));

    assert.equal(lines.length, 2, lines.join(''));
    assert.match(lines[0], /trace export to http:\/\/collector:4318\/v1\/traces failed \(down 1\)/);
    assert.match(lines[1], /down again/);
    assert.deepEqual(seen.map(r => r.code), codes, 'results are passed through unchanged');
    for (const e of errors) if (e) assert.ok(reported.has(e));
  });
});

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

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { trace, TraceFlags } from '@opentelemetry/api';
import { installTestTracing, type TestTracing } from './test-tracing';
import { activeTraceparent, formatTraceparent, parseTraceparent, withStoredTraceparent } from './trace-context';

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('traceparent format', () => {
  it('round-trips a valid value and rejects malformed or all-zero ones', () => {
    const parsed = parseTraceparent(TP);
    assert.deepEqual(parsed, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true });
    assert.equal(formatTraceparent(parsed!), TP);
    assert.equal(formatTraceparent({ ...parsed!, traceFlags: TraceFlags.NONE }), TP.replace(/01$/, '00'));
    for (const bad of [null, undefined, 42, '', 'garbage', TP.replace(/^00/, '01'), `00-${'0'.repeat(32)}-b7ad6b7169203331-01`, `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`, `${TP}-extra`]) {
      assert.equal(parseTraceparent(bad), undefined, String(bad));
    }
  });
});

describe('stored trace context', () => {
  let tracing: TestTracing;
  before(() => {
    tracing = installTestTracing();
  });
  after(async () => {
    await tracing.shutdown();
  });

  it('stores the active span and later starts children of it, not of what is active then', async () => {
    assert.equal(activeTraceparent(), null, 'no active span: nothing to store');
    let stored: string | null = null;
    const request = await tracing.inSpan('POST /orders', () => {
      stored = activeTraceparent();
    });
    assert.equal(stored, `00-${request.spanContext().traceId}-${request.spanContext().spanId}-01`);

    const tracer = trace.getTracer('test');
    let child: { traceId: string; parent?: string } | undefined;
    await tracing.inSpan('republisher tick', () =>
      withStoredTraceparent(stored, () => {
        const span = tracer.startSpan('publish');
        child = { traceId: span.spanContext().traceId, parent: (span as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId };
        span.end();
      }),
    );
    assert.deepEqual(child, { traceId: request.spanContext().traceId, parent: request.spanContext().spanId });

    let fresh: string | undefined;
    await tracing.inSpan('republisher tick', (tick) =>
      withStoredTraceparent(null, () => {
        const span = tracer.startSpan('publish');
        fresh = span.spanContext().traceId;
        assert.notEqual(fresh, tick.spanContext().traceId, 'no stored context: a new trace, not the tick\'s');
        span.end();
      }),
    );
  });
});

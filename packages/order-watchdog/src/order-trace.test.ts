import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEAD_LETTER_REASON_TAG, parseJaegerAnswer, waterfall, type JaegerSpanJson, type JaegerTraceJson } from './order-trace';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const T0 = 1_780_000_000_000_000; // µs

function span(id: string, name: string, pid: string, startMs: number, durMs: number, opts: { parent?: string; follows?: string; kind?: string; tags?: Record<string, unknown> } = {}): JaegerSpanJson {
  return {
    traceID: T,
    spanID: id,
    operationName: name,
    processID: pid,
    startTime: T0 + startMs * 1000,
    duration: durMs * 1000,
    references: [
      ...(opts.parent ? [{ refType: 'CHILD_OF', traceID: T, spanID: opts.parent }] : []),
      ...(opts.follows ? [{ refType: 'FOLLOWS_FROM', traceID: T, spanID: opts.follows }] : []),
    ],
    tags: Object.entries({ 'span.kind': opts.kind ?? 'internal', ...opts.tags }).map(([key, value]) => ({ key, value })),
  };
}

/** Shop → CRM → MES, MES dead-letters the message; plus a span linked by FOLLOWS_FROM and one whose parent is missing. Out of order, as Jaeger may give them. */
function orderTrace(): JaegerTraceJson {
  return {
    traceID: T,
    processes: { p1: { serviceName: 'shop-api' }, p2: { serviceName: 'crm-api' }, p3: { serviceName: 'mes-api' } },
    spans: [
      span('d', 'mes.production-requested process', 'p3', 40, 3, {
        parent: 'c',
        kind: 'consumer',
        tags: { error: true, 'otel.status_code': 'ERROR', 'otel.status_description': 'rejected', [DEAD_LETTER_REASON_TAG]: 'rejected' },
      }),
      span('f', 'orphan', 'p2', 5, 1, { parent: 'not-in-trace' }),
      span('c', 'crm.order-created process', 'p2', 20, 5, { parent: 'b', kind: 'consumer' }),
      span('a', 'POST /orders', 'p1', 0, 50, { kind: 'server' }),
      span('e', 'linked', 'p2', 15, 2, { follows: 'a' }),
      span('b', 'shopfloor.orders publish', 'p1', 10, 2, { parent: 'a', kind: 'producer' }),
    ],
  };
}

describe('trace waterfall (Jaeger JSON → rows)', () => {
  it('orders parents before children, siblings and roots by start, with depth, offsets, kind and service', () => {
    const w = waterfall([orderTrace()]);
    assert.deepEqual(
      w.rows.map((r) => [r.spanId, r.depth, r.service, r.kind, r.offsetMs, r.durationMs]),
      [
        ['a', 0, 'shop-api', 'server', 0, 50],
        ['b', 1, 'shop-api', 'producer', 10, 2],
        ['c', 2, 'crm-api', 'consumer', 20, 5],
        ['d', 3, 'mes-api', 'consumer', 40, 3],
        ['e', 1, 'crm-api', 'internal', 15, 2],
        ['f', 0, 'crm-api', 'internal', 5, 1],
      ],
    );
    assert.equal(w.totalMs, 50);
    assert.equal(w.startedAt, T0 / 1000);
    assert.equal(w.totalSpans, 6);
    assert.deepEqual(w.traceIds, [T]);
  });

  it('marks error spans with their status description, and the dead-letter reason of a dead-lettered message', () => {
    const rows = waterfall([orderTrace()]).rows;
    const d = rows.find((r) => r.spanId === 'd')!;
    assert.equal(d.error, true);
    assert.equal(d.statusDescription, 'rejected');
    assert.equal(d.deadLetterReason, 'rejected');
    for (const r of rows.filter((r) => r.spanId !== 'd')) {
      assert.equal(r.error, false, r.spanId);
      assert.equal(r.statusDescription, undefined);
      assert.equal(r.deadLetterReason, undefined);
    }
    // otel.status_code alone is an error too (what the consumer_error reason reads).
    const only = waterfall([{ ...orderTrace(), spans: [span('x', 'x', 'p1', 0, 1, { tags: { 'otel.status_code': 'ERROR' } })] }]).rows[0]!;
    assert.equal(only.error, true);
  });

  it('draws at most `max` rows and says how many spans there were; the same trace twice counts once', () => {
    const many: JaegerTraceJson = {
      traceID: T,
      processes: { p1: { serviceName: 's' } },
      spans: [span('root', 'root', 'p1', 0, 400), ...Array.from({ length: 349 }, (_, i) => span(`s${i}`, `op ${i}`, 'p1', i + 1, 1, { parent: 'root' }))],
    };
    const w = waterfall([many, many], 300);
    assert.equal(w.rows.length, 300);
    assert.equal(w.totalSpans, 350);
    assert.equal(w.rows[0]!.spanId, 'root');
    assert.equal(w.rows[299]!.spanId, 's298');
  });

  it('survives a reference cycle and spans without tags or references', () => {
    const t: JaegerTraceJson = {
      traceID: T,
      processes: {},
      spans: [span('x', 'x', 'p9', 0, 1, { parent: 'y' }), span('y', 'y', 'p9', 1, 1, { parent: 'x' }), { traceID: T, spanID: 'z', operationName: 'z', processID: 'p9', startTime: T0, duration: 0 }],
    };
    const w = waterfall([t]);
    assert.deepEqual(w.rows.map((r) => r.spanId).sort(), ['x', 'y', 'z']);
    assert.ok(w.rows.every((r) => r.service === '?'));
    assert.deepEqual(waterfall([]), { traceIds: [], startedAt: 0, totalMs: 0, totalSpans: 0, rows: [] });
  });

  it('cuts long names and values', () => {
    const long = 'x'.repeat(5000);
    const r = waterfall([{ ...orderTrace(), spans: [span('a', long, 'p1', 0, 1, { tags: { error: true, 'otel.status_description': long } })] }]).rows[0]!;
    assert.ok(r.operation.length <= 201 && r.statusDescription!.length <= 201);
  });

  it("reads Jaeger's answer", () => {
    assert.equal(parseJaegerAnswer(JSON.stringify({ data: [orderTrace()] }))[0]!.traceID, T);
    assert.deepEqual(parseJaegerAnswer(JSON.stringify({ data: null, errors: [{ code: 404, msg: 'trace not found' }] })), []);
    assert.throws(() => parseJaegerAnswer('<html>'));
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildLogsPayload, buildTemplate, findAll, PayloadTemplate, SPANS_PER_TRACE } from './otlp-payload';
import { judgeStep, LOGS, readingFrom } from './collector';
import { parsePrometheusText } from './promtext';

describe('findAll', () => {
  it('finds every non-overlapping occurrence', () => {
    assert.deepEqual(findAll(Buffer.from('abXabYab'), Buffer.from('ab')), [0, 3, 6]);
    assert.deepEqual(findAll(Buffer.from('aaaa'), Buffer.from('aa')), [0, 2]);
    assert.deepEqual(findAll(Buffer.from('xyz'), Buffer.from('ab')), []);
  });
});

describe('PayloadTemplate', () => {
  it('replaces each trace id at every occurrence, with the same id, and leaves the rest alone', () => {
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    const doc = `{"x":"${a}","y":"${b}","z":"${a}"}`;
    const t = new PayloadTemplate(Buffer.from(doc), 'json', [a, b], 3);
    const out = JSON.parse(t.fresh().toString()) as { x: string; y: string; z: string };
    assert.match(out.x, /^[0-9a-f]{32}$/);
    assert.notEqual(out.x, a);
    assert.equal(out.z, out.x);
    assert.notEqual(out.y, out.x);
    assert.equal(t.bytes.toString(), doc, 'the template itself is not modified');
  });

  it('a trace id missing from the payload is an error', () => {
    assert.throws(() => new PayloadTemplate(Buffer.from('{}'), 'json', ['c'.repeat(32)], 1), /not found/);
  });

  for (const encoding of ['json', 'protobuf'] as const) {
    it(`${encoding}: a real OTLP payload of order traces gets new trace ids on every copy`, () => {
      const t = buildTemplate(encoding, 3);
      assert.equal(t.items, 3 * SPANS_PER_TRACE);
      assert.equal(t.traces, 3);
      const one = t.fresh();
      const two = t.fresh();
      assert.equal(one.length, t.bytes.length);
      assert.notDeepEqual(one, two);
      if (encoding === 'json') {
        const doc = JSON.parse(one.toString()) as { resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[] };
        const ids = doc.resourceSpans.flatMap(rs => rs.scopeSpans.flatMap(ss => ss.spans.map(s => s.traceId)));
        assert.equal(ids.length, 3 * SPANS_PER_TRACE);
        assert.equal(new Set(ids).size, 3);
      }
    });
  }
});

describe('Collector steps', () => {
  const clean = {
    targetSpansPerS: 20_000,
    acceptedSpansPerS: 19_800,
    refusedSpans: 0,
    failedSpans: 0,
    httpRejected: 0,
    httpErrors: 0,
    exportFailedSpans: 0,
    enqueueFailedSpans: 0,
  };
  it('a step is sustained when nothing is refused or dropped and >= 95 % is accepted', () => {
    assert.deepEqual(judgeStep(clean), { ok: true, why: 'sustained' });
  });
  it('refusals, drops or a shortfall end the sweep, and say why', () => {
    assert.match(judgeStep({ ...clean, refusedSpans: 500 }).why, /500 spans refused/);
    assert.match(judgeStep({ ...clean, enqueueFailedSpans: 10 }).why, /export queue full/);
    assert.match(judgeStep({ ...clean, acceptedSpansPerS: 15_000 }).why, /accepted 15000\/s < 95 %/);
  });
  it('reads the Collector counters for the OTLP/HTTP receiver and the Jaeger exporter', () => {
    const r = readingFrom(
      parsePrometheusText(
        [
          'otelcol_receiver_accepted_spans{receiver="otlp",transport="http"} 100',
          'otelcol_receiver_accepted_spans{receiver="otlp",transport="grpc"} 7',
          'otelcol_receiver_refused_spans{receiver="otlp",transport="http"} 3',
          'otelcol_exporter_sent_spans{exporter="otlp_grpc/jaeger"} 90',
          'otelcol_exporter_enqueue_failed_spans{exporter="otlp_grpc/jaeger"} 2',
          'otelcol_process_memory_rss 1048576',
        ].join('\n'),
      ),
      5,
    );
    assert.equal(r.accepted, 100);
    assert.equal(r.refused, 3);
    assert.equal(r.exported, 90);
    assert.equal(r.enqueueFailed, 2);
    assert.equal(r.rssMiB, 1);
  });
  it('reads the log-record counters and the VictoriaLogs exporter for the logs signal', () => {
    const r = readingFrom(
      parsePrometheusText(
        [
          'otelcol_receiver_accepted_spans{receiver="otlp",transport="http"} 100',
          'otelcol_receiver_accepted_log_records{receiver="otlp",transport="http"} 40',
          'otelcol_exporter_sent_log_records{exporter="otlp_http/victorialogs"} 30',
          'otelcol_exporter_sent_spans{exporter="otlp_grpc/jaeger"} 90',
        ].join('\n'),
      ),
      5,
      LOGS,
    );
    assert.equal(r.accepted, 40);
    assert.equal(r.exported, 30);
  });
});

describe('buildLogsPayload', () => {
  it('serializes the asked number of records, each with a trace id, over three services', () => {
    const p = buildLogsPayload('json', 30);
    const doc = JSON.parse(p.fresh().toString()) as {
      resourceLogs: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeLogs: { logRecords: { traceId?: string }[] }[] }[];
    };
    const records = doc.resourceLogs.flatMap(rl => rl.scopeLogs.flatMap(sl => sl.logRecords));
    assert.equal(p.items, 30);
    assert.equal(records.length, 30);
    assert.ok(records.every(r => /^[0-9a-f]{32}$/.test(r.traceId ?? '')), JSON.stringify(records[0]));
    const services = doc.resourceLogs.map(rl => rl.resource.attributes.find(a => a.key === 'service.name')?.value.stringValue).sort();
    assert.deepEqual(services, ['crm-api', 'mes-api', 'shop-api']);
  });
});

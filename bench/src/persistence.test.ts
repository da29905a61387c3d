import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  alternate,
  collectorOverlay,
  jaegerOverlay,
  JAEGER_MEMORY_MAX_TRACES,
  percentile,
  perItem,
  persistenceRatios,
  portsOf,
  type CollectorPorts,
  type JaegerPorts,
} from './persistence';

const C: CollectorPorts = { otlpGrpc: 27317, otlpHttp: 27318, telemetry: 27888, spanMetrics: 27889, health: 27133 };
const J: JaegerPorts = { otlpGrpc: 27417, otlpHttp: 27418, query: 27686, queryGrpc: 27685, telemetry: 27269, health: 27134 };

/** Every string anywhere in a JSON value. */
function strings(x: unknown): string[] {
  if (typeof x === 'string') return [x];
  if (Array.isArray(x)) return x.flatMap(strings);
  if (x && typeof x === 'object') return Object.values(x).flatMap(strings);
  return [];
}

describe('collectorOverlay', () => {
  it('moves every listener of the shipped config to the given loopback ports', () => {
    const o = collectorOverlay(C, 'persistent') as any;
    assert.equal(o.extensions.health_check.endpoint, '127.0.0.1:27133');
    assert.equal(o.receivers.otlp.protocols.grpc.endpoint, '127.0.0.1:27317');
    assert.equal(o.receivers.otlp.protocols.http.endpoint, '127.0.0.1:27318');
    assert.equal(o.exporters.prometheus.endpoint, '127.0.0.1:27889');
    // The readers list replaces the shipped one whole: the same exporter settings, another port.
    assert.deepEqual(o.service.telemetry.metrics.readers, [
      { pull: { exporter: { prometheus: { host: '127.0.0.1', port: 27888, without_scope_info: true, without_units: true, without_type_suffix: true } } } },
    ]);
    for (const shipped of ['4317', '4318', '8888', '8889', '13133']) {
      assert.ok(!strings(o).some(v => v.endsWith(`:${shipped}`)), shipped);
    }
  });
  it('persistent: leaves the sending queue as shipped', () => {
    assert.equal((collectorOverlay(C, 'persistent') as any).exporters['otlp_grpc/jaeger'], undefined);
  });
  it('in-memory: clears only the trace exporter queue storage (null: the merge removes it)', () => {
    const o = collectorOverlay(C, 'in-memory') as any;
    assert.deepEqual(o.exporters['otlp_grpc/jaeger'], { sending_queue: { storage: null } });
    assert.deepEqual(JSON.parse(JSON.stringify(o)).exporters['otlp_grpc/jaeger'].sending_queue, { storage: null });
  });
});

describe('jaegerOverlay', () => {
  it('moves every listener to the given ports and the Monitor tab to the given Prometheus', () => {
    const o = jaegerOverlay(J, 'badger', 'http://127.0.0.1:27090') as any;
    assert.equal(o.extensions.healthcheckv2.http.endpoint, '127.0.0.1:27134');
    assert.equal(o.extensions.jaeger_query.http.endpoint, '127.0.0.1:27686');
    assert.equal(o.extensions.jaeger_query.grpc.endpoint, '127.0.0.1:27685');
    assert.equal(o.receivers.otlp.protocols.grpc.endpoint, '127.0.0.1:27417');
    assert.equal(o.receivers.otlp.protocols.http.endpoint, '127.0.0.1:27418');
    assert.equal(o.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port, 27269);
    assert.equal(o.extensions.jaeger_storage.metric_backends.shopfloor_span_metrics.prometheus.endpoint, 'http://127.0.0.1:27090');
    for (const shipped of ['14317', '14318', '16686', '16685', '14133', '14269']) {
      assert.ok(!strings(o).some(v => v.endsWith(`:${shipped}`)), shipped);
    }
  });
  it('badger: keeps the shipped store', () => {
    assert.equal((jaegerOverlay(J, 'badger', 'http://x') as any).extensions.jaeger_storage.backends, undefined);
  });
  it('memory: replaces Badger by the memory store, bounded', () => {
    const o = jaegerOverlay(J, 'memory', 'http://x') as any;
    assert.deepEqual(o.extensions.jaeger_storage.backends, { shopfloor_traces: { badger: null, memory: { max_traces: JAEGER_MEMORY_MAX_TRACES } } });
  });
  it('portsOf lists every port', () => {
    assert.deepEqual(portsOf(J).sort(), [27134, 27269, 27417, 27418, 27685, 27686]);
  });
});

describe('percentile', () => {
  it('nearest rank, ignoring non-finite samples; NaN for none', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    assert.equal(percentile(xs, 50), 50);
    assert.equal(percentile(xs, 99), 99);
    assert.equal(percentile(xs, 100), 100);
    assert.equal(percentile([3, NaN, 1, 2], 50), 2);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});

describe('perItem', () => {
  it('divides, NaN for no items', () => {
    assert.equal(perItem(1000, 4), 250);
    assert.ok(Number.isNaN(perItem(1000, 0)));
  });
});

describe('alternate', () => {
  it('A B, then B A, round by round', () => {
    assert.deepEqual(alternate(['a', 'b'], 3), ['a', 'b', 'b', 'a', 'a', 'b']);
    assert.deepEqual(alternate(['a', 'b'], 0), []);
  });
});

describe('persistenceRatios', () => {
  const m = (name: string, variant: string, median: number, unit = 'spans/s') => ({ name, variant, unit, median });
  it('pairs persistent/in-memory, badger/memory, collector-down/collector-up, in the order measured', () => {
    const rows = persistenceRatios([
      m('persistence.collector.accepted', 'persistent', 30),
      m('persistence.collector.accepted', 'in-memory', 40),
      m('persistence.jaeger.written', 'memory', 50),
      m('persistence.jaeger.written', 'badger', 20),
      m('persistence.jaeger.badger_bytes_per_span', 'badger', 300, 'B'),
      m('persistence.preload.rss', 'collector-up', 100, 'MiB'),
      m('persistence.preload.rss', 'collector-down', 110, 'MiB'),
      m('collector.rss_peak', 'persistent', 1),
      m('collector.rss_peak', 'in-memory', 2),
    ]);
    assert.deepEqual(rows, [
      { figure: 'persistence.collector.accepted', unit: 'spans/s', variant: 'persistent', value: 30, baseline: 'in-memory', baselineValue: 40, ratio: 0.75 },
      { figure: 'persistence.jaeger.written', unit: 'spans/s', variant: 'badger', value: 20, baseline: 'memory', baselineValue: 50, ratio: 0.4 },
      { figure: 'persistence.preload.rss', unit: 'MiB', variant: 'collector-down', value: 110, baseline: 'collector-up', baselineValue: 100, ratio: 1.1 },
    ]);
  });
  it('a zero in-memory figure gives a NaN ratio', () => {
    assert.ok(Number.isNaN(persistenceRatios([m('persistence.x', 'badger', 1), m('persistence.x', 'memory', 0)])[0]!.ratio));
  });
});

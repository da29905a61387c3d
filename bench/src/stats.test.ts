import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  interleave,
  measurement,
  ratioRows,
  relativeSpread,
  renderRatios,
  renderTable,
  round,
  summarize,
  upperMedian,
  type Measurement,
} from './stats';
import { checkTargets, throughputLoss } from './targets';
import { parsePrometheusText, sumOf } from './promtext';

describe('summarize', () => {
  it('odd count: the middle value', () => {
    assert.deepEqual(summarize([5, 1, 3]), { median: 3, min: 1, max: 5, runs: 3 });
  });
  it('even count: the mean of the two middle values', () => {
    assert.deepEqual(summarize([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, runs: 4 });
  });
  it('ignores non-finite samples (a failed run) and counts only the others', () => {
    assert.deepEqual(summarize([NaN, 2, Infinity, 4]), { median: 3, min: 2, max: 4, runs: 2 });
  });
  it('refuses an empty list', () => {
    assert.throws(() => summarize([]), /no samples/);
  });
  it('relative spread is (max - min) / median', () => {
    assert.equal(relativeSpread({ median: 10, min: 8, max: 13, runs: 3 }), 0.5);
    assert.equal(relativeSpread({ median: 0, min: 0, max: 0, runs: 1 }), 0);
  });
});

describe('upperMedian', () => {
  it('the upper of the two middle finite samples, NaN without any', () => {
    assert.equal(upperMedian([3, 1, 2]), 2);
    assert.equal(upperMedian([4, 1, 3, 2]), 3);
    assert.equal(upperMedian([NaN, 7, Infinity]), 7);
    assert.ok(Number.isNaN(upperMedian([NaN])));
  });
});

describe('interleave', () => {
  it('alternates the variants run by run', () => {
    assert.deepEqual(interleave(['A', 'B', 'C'], 2), ['A', 'B', 'C', 'A', 'B', 'C']);
  });
});

describe('ratios', () => {
  const ms: Measurement[] = [
    measurement('startup.wall', 'plain', 'ms', [100, 90, 110]),
    measurement('startup.wall', 'shopfloor', 'ms', [150, 160, 140]),
    measurement('startup.wall', 'stock', 'ms', [300, 310, 290]),
    measurement('collector.sustained', 'collector', 'spans/s', [20000]),
  ];
  it('one row per figure measured for all three variants, ratios of the medians', () => {
    const rows = ratioRows(ms);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.shopfloorRatio, 1.5);
    assert.equal(rows[0]!.stockRatio, 3);
    assert.equal(rows[0]!.overheadShare, 0.25);
  });
  it('renders a table with a ratio column per preload', () => {
    const text = renderRatios(ratioRows(ms));
    assert.match(text, /shopfloor\/plain/);
    assert.match(text, /startup\.wall\s+ms\s+100\s+150\s+300\s+1\.5\s+3$/m);
  });
});

describe('round / renderTable', () => {
  it('keeps three significant digits, at most three decimals', () => {
    assert.equal(round(1234.567), 1235);
    assert.equal(round(12.3456), 12.3);
    assert.equal(round(0.012345), 0.012);
    assert.equal(round(0), 0);
  });
  it('aligns numbers right and text left', () => {
    const t = renderTable(['a', 'n'], [['x', 1], ['long', 100]]);
    assert.equal(t, 'a       n\n----  ---\nx       1\nlong  100');
  });
});

describe('targets', () => {
  const limits = { metricsFreshnessLimitS: 10, collectorMemoryLimitMiB: 512 };
  it('throughput loss is the fraction of plain lost', () => {
    assert.equal(throughputLoss(200, 180), 0.09999999999999998);
  });
  it('judges each target from the medians', () => {
    const ms: Measurement[] = [
      measurement('startup.empty_script.wall', 'plain', 'ms', [100]),
      measurement('startup.empty_script.wall', 'shopfloor', 'ms', [200]),
      measurement('startup.empty_script.wall', 'stock', 'ms', [500]),
      measurement('startup.empty_script.peak_rss', 'plain', 'MiB', [40]),
      measurement('startup.empty_script.peak_rss', 'shopfloor', 'MiB', [50]),
      measurement('startup.empty_script.peak_rss', 'stock', 'MiB', [70]),
      measurement('orders.post.throughput', 'plain', 'req/s', [1000]),
      measurement('orders.post.throughput', 'shopfloor', 'req/s', [850]),
      measurement('orders.post.throughput', 'stock', 'req/s', [700]),
      measurement('healthz.get.throughput', 'plain', 'req/s', [1000]),
      measurement('healthz.get.throughput', 'shopfloor', 'req/s', [900]),
      measurement('healthz.get.throughput', 'stock', 'req/s', [600]),
      measurement('livez.get.throughput', 'plain', 'req/s', [2000]),
      measurement('livez.get.throughput', 'shopfloor', 'req/s', [1500]),
      measurement('livez.get.throughput', 'stock', 'req/s', [1200]),
      measurement('collector.json.highest_sustained_step', 'collector', 'spans/s', [30000]),
      measurement('collector.json.accepted_at_highest_sustained_step', 'collector', 'spans/s', [29900, 30100]),
      measurement('collector.json.first_failed_step', 'collector', 'spans/s', [40000]),
      measurement('collector.rss_peak', 'collector', 'MiB', [300, 600]),
      measurement('freshness.trace_in_jaeger', 'pipeline', 's', [1.2, 1.5, 2.5]),
      measurement('freshness.span_metrics_in_prometheus', 'pipeline', 's', [6, 9, 11]),
    ];
    const checks = checkTargets(ms, limits);
    assert.deepEqual(
      checks.map(c => c.met),
      // start-up, RSS (10 of 30 MiB), POST, /healthz, /livez (25 % vs 40 %), Collector, memory, freshness x2
      [true, false, false, true, false, true, false, true, false],
      JSON.stringify(checks, null, 1),
    );
    assert.match(checks[0]!.value, /\+100 ms vs \+400 ms = 0\.25/);
  });
});

describe('Prometheus text', () => {
  const page = [
    '# HELP otelcol_receiver_accepted_spans Number of spans successfully pushed into the pipeline.',
    '# TYPE otelcol_receiver_accepted_spans counter',
    'otelcol_receiver_accepted_spans{receiver="otlp",service_instance_id="x",transport="http"} 1200',
    'otelcol_receiver_accepted_spans{receiver="otlp",transport="grpc"} 30',
    'otelcol_receiver_refused_spans_total{receiver="otlp",transport="http"} 5',
    'otelcol_process_memory_rss{a="with \\"quote\\""} 1.2e+08',
  ].join('\n');
  const samples = parsePrometheusText(page);
  it('reads names, labels (escapes included) and values', () => {
    assert.equal(samples.length, 4);
    assert.deepEqual(samples[3], { name: 'otelcol_process_memory_rss', labels: { a: 'with "quote"' }, value: 1.2e8 });
  });
  it('sums the samples matching the labels, with or without _total', () => {
    assert.equal(sumOf(samples, 'otelcol_receiver_accepted_spans'), 1230);
    assert.equal(sumOf(samples, 'otelcol_receiver_accepted_spans', { transport: 'http' }), 1200);
    assert.equal(sumOf(samples, 'otelcol_receiver_refused_spans'), 5);
    assert.equal(sumOf(samples, 'nothing'), 0);
  });
});

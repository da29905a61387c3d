import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { prometheusUnitSuffix, withUnitSuffixes } from './metrics';

describe('prometheusUnitSuffix (OTel → Prometheus unit words)', () => {
  const cases: [string, boolean, string][] = [
    ['s', false, 'seconds'],
    ['ms', false, 'milliseconds'],
    ['By', false, 'bytes'],
    ['MiBy', false, 'mebibytes'],
    ['1', true, 'ratio'],
    ['1', false, ''],
    ['{request}', false, ''],
    ['{packet}/s', false, 'per_second'],
    ['By/s', false, 'bytes_per_second'],
    ['m/s', false, 'meters_per_second'],
    ['', false, ''],
    ['widgets', false, 'widgets'],
    ['%', true, 'percent'],
  ];
  for (const [unit, gauge, expected] of cases) {
    it(`${JSON.stringify(unit)}${gauge ? ' (gauge)' : ''} → ${JSON.stringify(expected)}`, () => {
      assert.equal(prometheusUnitSuffix(unit, gauge), expected);
    });
  }
});

describe('withUnitSuffixes', () => {
  const DPT = { HISTOGRAM: 0, GAUGE: 2, SUM: 3 };
  const metric = (name: string, unit: string, dataPointType: number, isMonotonic?: boolean) => ({
    descriptor: { name, unit, description: '', valueType: 1 },
    dataPointType,
    isMonotonic,
    dataPoints: [],
  });
  const rm = {
    resource: { attributes: {} },
    scopeMetrics: [
      {
        scope: { name: 'x' },
        metrics: [
          metric('http.server.request.duration', 's', DPT.HISTOGRAM),
          metric('process.cpu.time', 's', DPT.SUM, true),
          metric('process.memory.usage', '', DPT.GAUGE),
          metric('process.cpu.utilization', '', DPT.GAUGE),
          metric('nodejs.eventloop.utilization', '1', DPT.GAUGE),
          metric('v8js.resource.active', '{resource}', DPT.GAUGE),
          metric('already_seconds', 's', DPT.GAUGE),
          metric('app.things', '1', DPT.SUM, true),
        ],
      },
    ],
  };
  const out = withUnitSuffixes(rm, DPT);
  const names = out.scopeMetrics[0].metrics.map(m => m.descriptor.name);

  it('appends the unit word (the exporter adds _total / _bucket after it)', () => {
    assert.deepEqual(names, [
      'http.server.request.duration_seconds',
      'process.cpu.time_seconds',
      'process.memory.usage_bytes',
      'process.cpu.utilization_ratio',
      'nodejs.eventloop.utilization_ratio',
      'v8js.resource.active',
      'already_seconds',
      'app.things',
    ]);
  });
  it('fills in the units host-metrics leaves out', () => {
    assert.equal(out.scopeMetrics[0].metrics[2].descriptor.unit, 'By');
    assert.equal(out.scopeMetrics[0].metrics[3].descriptor.unit, '1');
  });
  it('does not modify its input', () => {
    assert.equal(rm.scopeMetrics[0].metrics[0].descriptor.name, 'http.server.request.duration');
    assert.equal(rm.scopeMetrics[0].metrics[2].descriptor.unit, '');
  });
});

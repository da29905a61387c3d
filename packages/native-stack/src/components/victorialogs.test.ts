import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configPaths, ports, repoRoot } from '@shopfloor/stack-contract';
import { VICTORIALOGS_RETENTION, victoriaLogs, victoriaLogsArgs, victoriaLogsOtlpEndpoint } from './victorialogs';

const flagsOf = (args: string[]) => Object.fromEntries(args.map((a) => a.replace(/^-/, '').split(/=(.*)/s).slice(0, 2) as [string, string]));

test('victoria-logs listens on loopback:9428, keeps its data in the state dir, with retention and a disk limit', () => {
  const spec = victoriaLogs('/cache/victoria-logs', '/repo/.run/e2e');
  assert.equal(spec.name, 'victorialogs');
  assert.equal(spec.command, '/cache/victoria-logs');
  assert.deepEqual(spec.ports, { http: 9428 });
  assert.deepEqual(flagsOf(spec.args), {
    httpListenAddr: '127.0.0.1:9428',
    storageDataPath: join('/repo/.run/e2e', 'victorialogs'),
    retentionPeriod: '7d',
    'retention.maxDiskSpaceUsageBytes': '2GiB',
  });
});

test('victoriaLogsArgs refuses a retention without a unit (VictoriaLogs would read months) and a size without one', () => {
  const base = { listenHost: '127.0.0.1', port: 9428, dataDir: '/d', ...VICTORIALOGS_RETENTION };
  assert.throws(() => victoriaLogsArgs({ ...base, retentionPeriod: '7' }), /retentionPeriod 7/);
  assert.throws(() => victoriaLogsArgs({ ...base, maxDiskSpaceUsage: '0' }), /maxDiskSpaceUsage 0/);
  assert.throws(() => victoriaLogsArgs({ ...base, maxDiskSpaceUsage: '2G' }), /maxDiskSpaceUsage 2G/);
  assert.deepEqual(victoriaLogsArgs({ ...base, retentionPeriod: '30d', maxDiskSpaceUsage: '512MiB' }).slice(2), [
    '-retentionPeriod=30d',
    '-retention.maxDiskSpaceUsageBytes=512MiB',
  ]);
});

test('compose runs victorialogs with the same retention flags, unpublished (the proxy publishes it behind a login), a volume and a health check', () => {
  const compose = parse(readFileSync(join(repoRoot, 'compose', 'docker-compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[]; ports?: string[]; volumes?: string[]; healthcheck?: { test: string[] }; environment?: Record<string, string>; build?: string }>;
    volumes?: Record<string, unknown>;
  };
  const vl = compose.services.victorialogs;
  assert.ok(vl, 'compose has a victorialogs service');
  const flags = flagsOf(vl.command ?? []);
  assert.equal(flags.retentionPeriod, VICTORIALOGS_RETENTION.retentionPeriod);
  assert.equal(flags['retention.maxDiskSpaceUsageBytes'], VICTORIALOGS_RETENTION.maxDiskSpaceUsage);
  assert.equal(flags.httpListenAddr, `:${ports.victoriaLogs}`);
  assert.deepEqual(vl.ports ?? [], [], 'published only through jaeger-ui (compose-file.test.ts checks the proxy)');
  const [volume] = (vl.volumes ?? [])[0]!.split(':');
  assert.equal(`${volume}`, 'victorialogs-data');
  assert.ok(compose.volumes && 'victorialogs-data' in compose.volumes, 'the named volume is declared');
  assert.equal(flags.storageDataPath, (vl.volumes ?? [])[0]!.split(':')[1]);
  assert.ok(vl.healthcheck?.test.join(' ').includes(`http://127.0.0.1:${ports.victoriaLogs}/health`), 'health check probes /health');
  const dockerfile = readFileSync(join(repoRoot, 'compose', vl.build ?? 'victorialogs', 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^FROM victoriametrics\/victoria-logs:v1\.52\.1$/m, 'built on the official image');
  for (const svc of ['shop-api', 'crm-api', 'mes-api']) {
    assert.equal(compose.services[svc]?.environment?.OTEL_LOGS_EXPORTER, 'otlp', `${svc} sends its logs over OTLP in compose`);
  }
});

test('the Collector logs pipeline goes otlp -> memory_limiter -> VictoriaLogs through a bounded disk queue retried until delivered', () => {
  const config = parse(readFileSync(configPaths.collector, 'utf8')) as {
    extensions: Record<string, any>;
    exporters: Record<string, any>;
    service: { extensions: string[]; pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> };
  };
  // No batch processor: it would hold acknowledged records in memory, lost with a kill -9.
  assert.deepEqual(config.service.pipelines.logs, {
    receivers: ['otlp'],
    processors: ['memory_limiter'],
    exporters: ['otlp_http/victorialogs'],
  });
  const exp = config.exporters['otlp_http/victorialogs'];
  assert.equal(exp.endpoint, '${env:VICTORIALOGS_OTLP_ENDPOINT:-http://victorialogs:9428/insert/opentelemetry}');
  assert.equal(exp.encoding, 'proto', 'VictoriaLogs takes OTLP protobuf only');
  assert.equal(exp.sending_queue.enabled, true);
  const storage = exp.sending_queue.storage as string;
  assert.ok(storage in config.extensions && storage.startsWith('file_storage'), `the queue is on disk: ${storage}`);
  assert.ok(config.service.extensions.includes(storage), `${storage} is enabled`);
  assert.equal(exp.sending_queue.sizer, 'bytes');
  const bound = exp.sending_queue.queue_size as number;
  assert.ok(Number.isInteger(bound) && bound > 0 && bound <= config.extensions[storage].max_size, 'bounded below the queue file\'s own cap');
  assert.equal(exp.sending_queue.block_on_overflow, false, 'the receiver (the services) is never blocked');
  assert.equal(exp.retry_on_failure.enabled, true);
  assert.equal(exp.retry_on_failure.max_elapsed_time, '0s', 'retried until delivered: the bound, not a timer, gives records up');
  assert.ok(Number(/^(\d+)s$/.exec(exp.retry_on_failure.max_interval)![1]) <= 10, 'the backlog drains soon after the store returns');
  // The native stack points the same config at loopback.
  assert.equal(victoriaLogsOtlpEndpoint, 'http://127.0.0.1:9428/insert/opentelemetry');
});

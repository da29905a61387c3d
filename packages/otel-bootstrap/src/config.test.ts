import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, INSTRUMENTATION_NAMES, parseConfig, parseResourceAttributes } from './config';
import type { Env } from './types';

function parse(env: Env) {
  return parseConfig(env);
}

/** Parses and insists on exactly one warning, for `variable`. */
function warnsOnce(env: Env, variable: string) {
  const { config, warnings } = parse(env);
  assert.equal(warnings.length, 1, `warnings: ${JSON.stringify(warnings)}`);
  assert.equal(warnings[0].variable, variable);
  assert.ok(warnings[0].message.startsWith(`${variable}=`), warnings[0].message);
  assert.match(warnings[0].message, /; using /);
  return { config, warning: warnings[0] };
}

describe('parseConfig defaults (empty environment)', () => {
  const { config, warnings } = parse({});

  it('warns about nothing', () => assert.deepEqual(warnings, []));
  it('is enabled, logs at warn', () => {
    assert.equal(config.disabled, false);
    assert.equal(config.logLevel, 'warn');
  });
  it('exports traces over OTLP/HTTP protobuf with gzip to localhost:4318/v1/traces, parentbased_always_on', () => {
    assert.deepEqual(config.traces.exporters, ['otlp']);
    assert.deepEqual(config.traces.otlp, {
      endpoint: 'http://localhost:4318/v1/traces',
      protocol: 'http/protobuf',
      timeoutMillis: 10000,
      compression: 'gzip',
    });
    assert.equal(config.traces.sampler, 'parentbased_always_on');
    assert.equal(config.traces.samplerArg, 1);
  });
  it("uses the batch span processor's own defaults", () => {
    // What the SDK does when given nothing: our defaults must not change it.
    const { BatchSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
    const sdk = new BatchSpanProcessor({ exporter: new InMemorySpanExporter() }) as unknown as Record<string, number>;
    assert.deepEqual(config.traces.batch, {
      maxQueueSize: sdk._maxQueueSize,
      maxExportBatchSize: sdk._maxExportBatchSize,
      scheduledDelayMillis: sdk._scheduledDelayMillis,
      exportTimeoutMillis: sdk._exportTimeoutMillis,
    });
  });
  it('drops health and metrics endpoints from tracing; sets no span limits of its own', () => {
    assert.deepEqual(config.traces.excludedPaths, ['/healthz', '/readyz', '/livez', '/metrics']);
    assert.deepEqual(config.traces.spanLimits, {});
  });
  it('exports no logs (they stay where the app writes them)', () => assert.equal(config.logs.export, false));
  it('propagates W3C tracecontext and baggage', () => assert.deepEqual(config.propagators, ['tracecontext', 'baggage']));
  it('serves Prometheus on all interfaces, port 9464, /metrics, and pushes nothing', () => {
    const { prometheus, push, host, port, path } = config.metrics;
    assert.deepEqual({ prometheus, push, host, port, path }, { prometheus: true, push: false, host: undefined, port: 9464, path: '/metrics' });
  });
  it('enables every instrumentation but fs, dns, net and router', () => {
    const off = INSTRUMENTATION_NAMES.filter(n => !config.instrumentations.includes(n));
    assert.deepEqual(off.sort(), ['dns', 'fs', 'net', 'router']);
  });
  it('opts into stable HTTP semantic conventions', () => assert.equal(config.semconvStabilityOptIn, 'http'));
  it('has no service name or resource attributes of its own', () => {
    assert.equal(config.serviceName, undefined);
    assert.deepEqual(config.resourceAttributes, {});
  });
});

describe('empty and whitespace-only variables count as unset', () => {
  it('produces defaults without warnings', () => {
    const { config, warnings } = parse({
      OTEL_SDK_DISABLED: '',
      OTEL_TRACES_SAMPLER: '   ',
      OTEL_EXPORTER_PROMETHEUS_PORT: '',
      OTEL_SERVICE_NAME: ' ',
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: '',
    });
    assert.deepEqual(warnings, []);
    assert.equal(config.traces.sampler, DEFAULTS.sampler);
    assert.equal(config.metrics.port, 9464);
    assert.equal(config.serviceName, undefined);
    assert.deepEqual(config.instrumentations, parse({}).config.instrumentations);
  });
});

describe('OTEL_SDK_DISABLED', () => {
  it('true (any case) disables', () => {
    assert.equal(parse({ OTEL_SDK_DISABLED: 'true' }).config.disabled, true);
    assert.equal(parse({ OTEL_SDK_DISABLED: 'TRUE' }).config.disabled, true);
    assert.equal(parse({ OTEL_SDK_DISABLED: ' True ' }).config.disabled, true);
  });
  it('false keeps it enabled, silently', () => {
    const { config, warnings } = parse({ OTEL_SDK_DISABLED: 'false' });
    assert.equal(config.disabled, false);
    assert.deepEqual(warnings, []);
  });
  it('anything else warns and keeps it enabled (only "true" disables, per spec)', () => {
    const { config, warning } = warnsOnce({ OTEL_SDK_DISABLED: '1' }, 'OTEL_SDK_DISABLED');
    assert.equal(config.disabled, false);
    assert.match(warning.message, /default false/);
  });
});

describe('OTEL_LOG_LEVEL', () => {
  it('accepts the spec levels case-insensitively', () => {
    for (const level of ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all']) {
      assert.equal(parse({ OTEL_LOG_LEVEL: level.toUpperCase() }).config.logLevel, level);
    }
  });
  it('warns on others and uses warn', () => {
    const { config } = warnsOnce({ OTEL_LOG_LEVEL: 'chatty' }, 'OTEL_LOG_LEVEL');
    assert.equal(config.logLevel, 'warn');
  });
});

describe('OTEL_TRACES_SAMPLER and _ARG', () => {
  it('accepts every supported sampler', () => {
    for (const s of ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']) {
      const { config, warnings } = parse({ OTEL_TRACES_SAMPLER: s });
      assert.equal(config.traces.sampler, s);
      assert.deepEqual(warnings, []);
    }
  });
  it('takes a ratio in [0, 1]', () => {
    assert.equal(parse({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).config.traces.samplerArg, 0.25);
    assert.equal(parse({ OTEL_TRACES_SAMPLER_ARG: '0' }).config.traces.samplerArg, 0);
    assert.equal(parse({ OTEL_TRACES_SAMPLER_ARG: '1' }).config.traces.samplerArg, 1);
  });
  it('warns on an unknown sampler, naming the default', () => {
    const { config, warning } = warnsOnce({ OTEL_TRACES_SAMPLER: 'bogus' }, 'OTEL_TRACES_SAMPLER');
    assert.equal(config.traces.sampler, 'parentbased_always_on');
    assert.match(warning.message, /"bogus"/);
    assert.match(warning.message, /parentbased_always_on/);
  });
  it('says a known-but-unshipped sampler is not supported', () => {
    const { warning } = warnsOnce({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, 'OTEL_TRACES_SAMPLER');
    assert.match(warning.message, /not supported/);
  });
  for (const bad of ['2', '-0.1', 'half', 'NaN', 'Infinity']) {
    it(`warns on OTEL_TRACES_SAMPLER_ARG=${bad} and uses 1`, () => {
      const { config } = warnsOnce({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: bad }, 'OTEL_TRACES_SAMPLER_ARG');
      assert.equal(config.traces.samplerArg, 1);
    });
  }
});

describe('OTEL_PROPAGATORS', () => {
  it('accepts tracecontext and baggage in any order, de-duplicated', () => {
    assert.deepEqual(parse({ OTEL_PROPAGATORS: 'baggage, tracecontext,baggage' }).config.propagators, ['baggage', 'tracecontext']);
  });
  it('none means no propagation', () => assert.deepEqual(parse({ OTEL_PROPAGATORS: 'none' }).config.propagators, []));
  it('ignores unknown and unsupported values with one warning', () => {
    const { config, warning } = warnsOnce({ OTEL_PROPAGATORS: 'tracecontext,b3,foo' }, 'OTEL_PROPAGATORS');
    assert.deepEqual(config.propagators, ['tracecontext']);
    assert.match(warning.message, /"foo"/);
    assert.match(warning.message, /"b3"/);
  });
  it('falls back to the default when nothing valid is left', () => {
    const { config, warning } = warnsOnce({ OTEL_PROPAGATORS: 'xray' }, 'OTEL_PROPAGATORS');
    assert.deepEqual(config.propagators, ['tracecontext', 'baggage']);
    assert.match(warning.message, /default tracecontext,baggage/);
  });
});

describe('OTLP endpoint', () => {
  it('appends v1/traces to the generic endpoint (with or without trailing slash)', () => {
    assert.equal(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).config.traces.otlp.endpoint, 'http://collector:4318/v1/traces');
    assert.equal(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c.example/otlp/' }).config.traces.otlp.endpoint, 'https://c.example/otlp/v1/traces');
  });
  it('uses the traces endpoint as-is and prefers it', () => {
    const { config } = parse({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://specific:4318/custom',
    });
    assert.equal(config.traces.otlp.endpoint, 'http://specific:4318/custom');
  });
  for (const bad of ['not a url', 'collector:4318', 'ftp://collector/', 'http://']) {
    it(`warns on OTEL_EXPORTER_OTLP_ENDPOINT=${JSON.stringify(bad)} and uses the default`, () => {
      const { config, warning } = warnsOnce({ OTEL_EXPORTER_OTLP_ENDPOINT: bad }, 'OTEL_EXPORTER_OTLP_ENDPOINT');
      assert.equal(config.traces.otlp.endpoint, 'http://localhost:4318/v1/traces');
      assert.equal(warning.value, bad);
    });
  }
  it('falls back from an invalid traces endpoint to a valid generic one', () => {
    const { config } = warnsOnce(
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'nope', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318' },
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    );
    assert.equal(config.traces.otlp.endpoint, 'http://generic:4318/v1/traces');
  });
  it('takes http/protobuf or http/json, signal-specific first; warns on grpc and unknown values', () => {
    const { config, warnings } = parse({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf' });
    assert.deepEqual(warnings, []);
    assert.equal(config.traces.otlp.protocol, 'http/json');
    assert.equal(config.metrics.otlp.protocol, 'http/json');
    assert.equal(config.logs.otlp.protocol, 'http/protobuf');
    assert.equal(warnsOnce({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL').config.traces.otlp.protocol, 'http/protobuf');
    warnsOnce({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL');
  });
  it('gives each signal its own path under the generic endpoint, or its own endpoint as-is', () => {
    const { config } = parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:9428/insert/opentelemetry/v1/logs' });
    assert.equal(config.metrics.otlp.endpoint, 'http://c:4318/v1/metrics');
    assert.equal(config.logs.otlp.endpoint, 'http://logs:9428/insert/opentelemetry/v1/logs');
  });
  it('reads timeout (traces-specific first) and compression', () => {
    const { config, warnings } = parse({
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '700',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    });
    assert.deepEqual(warnings, []);
    assert.equal(config.traces.otlp.timeoutMillis, 700);
    assert.equal(config.traces.otlp.compression, 'gzip');
    assert.equal(parse({ OTEL_EXPORTER_OTLP_TIMEOUT: '5000' }).config.traces.otlp.timeoutMillis, 5000);
  });
  it('warns on a bad timeout or compression', () => {
    assert.equal(warnsOnce({ OTEL_EXPORTER_OTLP_TIMEOUT: '0' }, 'OTEL_EXPORTER_OTLP_TIMEOUT').config.traces.otlp.timeoutMillis, 10000);
    assert.equal(warnsOnce({ OTEL_EXPORTER_OTLP_COMPRESSION: 'br' }, 'OTEL_EXPORTER_OTLP_COMPRESSION').config.traces.otlp.compression, 'gzip');
    assert.equal(parse({ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none' }).config.traces.otlp.compression, 'none');
  });
});

describe('OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER', () => {
  it('none turns traces off', () => assert.deepEqual(parse({ OTEL_TRACES_EXPORTER: 'none' }).config.traces.exporters, []));
  it('accepts otlp,console', () => assert.deepEqual(parse({ OTEL_TRACES_EXPORTER: 'otlp,console' }).config.traces.exporters, ['otlp', 'console']));
  it('warns on unsupported trace exporters', () => {
    const { config } = warnsOnce({ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER');
    assert.deepEqual(config.traces.exporters, ['otlp']);
  });
  it('none turns the Prometheus endpoint off', () => assert.equal(parse({ OTEL_METRICS_EXPORTER: 'none' }).config.metrics.prometheus, false));
  it('otlp pushes instead of serving /metrics; both can be asked for', () => {
    const only = parse({ OTEL_METRICS_EXPORTER: 'otlp' }).config.metrics;
    assert.deepEqual([only.prometheus, only.push], [false, true]);
    const both = parse({ OTEL_METRICS_EXPORTER: 'prometheus,otlp' }).config.metrics;
    assert.deepEqual([both.prometheus, both.push], [true, true]);
  });
  it('warns on console metrics (not shipped) and keeps prometheus', () => {
    const { config } = warnsOnce({ OTEL_METRICS_EXPORTER: 'console' }, 'OTEL_METRICS_EXPORTER');
    assert.deepEqual([config.metrics.prometheus, config.metrics.push], [true, false]);
  });
  it('OTEL_LOGS_EXPORTER=otlp exports logs; anything else warns', () => {
    assert.equal(parse({ OTEL_LOGS_EXPORTER: 'otlp' }).config.logs.export, true);
    assert.equal(warnsOnce({ OTEL_LOGS_EXPORTER: 'console' }, 'OTEL_LOGS_EXPORTER').config.logs.export, false);
  });
});

describe('span limits and excluded paths', () => {
  it('reads the span limits, span-specific before the general attribute limits', () => {
    const { config, warnings } = parse({
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '4096',
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '1024',
      OTEL_ATTRIBUTE_COUNT_LIMIT: '64',
      OTEL_SPAN_EVENT_COUNT_LIMIT: '10',
    });
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.traces.spanLimits, { attributeValueLengthLimit: 1024, attributeCountLimit: 64, eventCountLimit: 10 });
  });
  it('warns on a bad limit and leaves it to the SDK', () => {
    const { config } = warnsOnce({ OTEL_SPAN_LINK_COUNT_LIMIT: 'many' }, 'OTEL_SPAN_LINK_COUNT_LIMIT');
    assert.deepEqual(config.traces.spanLimits, {});
  });
  it('SHOPFLOOR_TRACES_EXCLUDED_PATHS replaces the list; none traces everything; non-paths warn', () => {
    assert.deepEqual(parse({ SHOPFLOOR_TRACES_EXCLUDED_PATHS: '/ping, /status' }).config.traces.excludedPaths, ['/ping', '/status']);
    assert.deepEqual(parse({ SHOPFLOOR_TRACES_EXCLUDED_PATHS: 'none' }).config.traces.excludedPaths, []);
    const { config } = warnsOnce({ SHOPFLOOR_TRACES_EXCLUDED_PATHS: '/ok,health' }, 'SHOPFLOOR_TRACES_EXCLUDED_PATHS');
    assert.deepEqual(config.traces.excludedPaths, ['/ok']);
  });
});

describe('OTEL_BSP_*', () => {
  it('takes valid integers', () => {
    const { config, warnings } = parse({
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50',
      OTEL_BSP_SCHEDULE_DELAY: '0',
      OTEL_BSP_EXPORT_TIMEOUT: '1000',
    });
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.traces.batch, { maxQueueSize: 100, maxExportBatchSize: 50, scheduledDelayMillis: 0, exportTimeoutMillis: 1000 });
  });
  for (const [name, bad, fallback] of [
    ['OTEL_BSP_MAX_QUEUE_SIZE', '-1', 2048],
    ['OTEL_BSP_MAX_QUEUE_SIZE', '0', 2048],
    ['OTEL_BSP_MAX_QUEUE_SIZE', '1e3', 2048],
    ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'lots', 512],
    ['OTEL_BSP_SCHEDULE_DELAY', '1.5', 5000],
    ['OTEL_BSP_EXPORT_TIMEOUT', '0', 30000],
  ] as const) {
    it(`warns on ${name}=${bad} and uses ${fallback}`, () => {
      const { config, warning } = warnsOnce({ [name]: bad }, name);
      assert.match(warning.message, new RegExp(`default ${fallback}`));
      const key = {
        OTEL_BSP_MAX_QUEUE_SIZE: 'maxQueueSize',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 'maxExportBatchSize',
        OTEL_BSP_SCHEDULE_DELAY: 'scheduledDelayMillis',
        OTEL_BSP_EXPORT_TIMEOUT: 'exportTimeoutMillis',
      }[name] as keyof typeof config.traces.batch;
      assert.equal(config.traces.batch[key], fallback);
    });
  }
  it('silently fits the default batch size into a small queue', () => {
    const { config, warnings } = parse({ OTEL_BSP_MAX_QUEUE_SIZE: '100' });
    assert.deepEqual(warnings, []);
    assert.equal(config.traces.batch.maxExportBatchSize, 100);
  });
  it('warns when an explicit batch size exceeds the queue, and clamps it', () => {
    const { config, warning } = warnsOnce({ OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500' }, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE');
    assert.equal(config.traces.batch.maxExportBatchSize, 100);
    assert.match(warning.message, /queue size 100/);
  });
});

describe('SHOPFLOOR_TRACES_BUFFER_MAX_BYTES', () => {
  it('defaults to 32 MiB', () => assert.equal(parse({}).config.traces.bufferMaxBytes, 32 * 1024 * 1024));
  it('takes a byte count', () => {
    const { config, warnings } = parse({ SHOPFLOOR_TRACES_BUFFER_MAX_BYTES: ' 8388608 ' });
    assert.deepEqual(warnings, []);
    assert.equal(config.traces.bufferMaxBytes, 8388608);
  });
  for (const bad of ['0', '-1', '64MiB', '1.5e6', 'lots']) {
    it(`warns on ${bad} and uses the default`, () => {
      const { config, warning } = warnsOnce({ SHOPFLOOR_TRACES_BUFFER_MAX_BYTES: bad }, 'SHOPFLOOR_TRACES_BUFFER_MAX_BYTES');
      assert.match(warning.message, /expected an integer >= 1\); using the default 33554432/);
      assert.equal(config.traces.bufferMaxBytes, DEFAULTS.tracesBufferMaxBytes);
    });
  }
});

describe('SHOPFLOOR_LOGS_BUFFER_MAX_BYTES', () => {
  it('defaults to 16 MiB, separate from the traces bound', () => {
    const { config } = parse({ SHOPFLOOR_TRACES_BUFFER_MAX_BYTES: '1000' });
    assert.equal(config.logs.bufferMaxBytes, 16 * 1024 * 1024);
  });
  it('takes a byte count', () => {
    const { config, warnings } = parse({ SHOPFLOOR_LOGS_BUFFER_MAX_BYTES: ' 4194304 ' });
    assert.deepEqual(warnings, []);
    assert.equal(config.logs.bufferMaxBytes, 4194304);
    assert.equal(config.traces.bufferMaxBytes, DEFAULTS.tracesBufferMaxBytes);
  });
  for (const bad of ['0', '-1', '16MiB', '1.5e6', 'lots']) {
    it(`warns on ${bad} and uses the default`, () => {
      const { config, warning } = warnsOnce({ SHOPFLOOR_LOGS_BUFFER_MAX_BYTES: bad }, 'SHOPFLOOR_LOGS_BUFFER_MAX_BYTES');
      assert.match(warning.message, /expected an integer >= 1\); using the default 16777216/);
      assert.equal(config.logs.bufferMaxBytes, DEFAULTS.logsBufferMaxBytes);
    });
  }
});

describe('Prometheus host and port', () => {
  it('takes host and port', () => {
    const { config } = parse({ OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: '9461' });
    assert.equal(config.metrics.host, '127.0.0.1');
    assert.equal(config.metrics.port, 9461);
  });
  for (const bad of ['abc', '0', '65536', '-5', '94 64', '9464x']) {
    it(`warns on port ${JSON.stringify(bad)} and uses 9464`, () => {
      const { config, warning } = warnsOnce({ OTEL_EXPORTER_PROMETHEUS_PORT: bad }, 'OTEL_EXPORTER_PROMETHEUS_PORT');
      assert.equal(config.metrics.port, 9464);
      assert.match(warning.message, /default 9464/);
    });
  }
});

describe('instrumentation selection (auto-instrumentations-node semantics)', () => {
  it('the enabled list restricts', () => {
    assert.deepEqual(parse({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg, http' }).config.instrumentations, ['http', 'pg']);
  });
  it('the disabled list removes from the defaults', () => {
    const all = parse({}).config.instrumentations;
    const less = parse({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pino,runtime-node' }).config.instrumentations;
    assert.deepEqual(less, all.filter(n => n !== 'pino' && n !== 'runtime-node'));
  });
  it('the enabled list switches on what is off by default', () => {
    assert.deepEqual(parse({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'fs,dns,net,http' }).config.instrumentations, ['dns', 'fs', 'http', 'net']);
  });
  it('the disabled list applies after the enabled list', () => {
    assert.deepEqual(
      parse({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg,express', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' }).config.instrumentations,
      ['express', 'http'],
    );
  });
  it('unknown names warn once per variable and are ignored', () => {
    const { config, warnings } = parse({
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,fastify,mysql3',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'redis-4',
    });
    assert.deepEqual(config.instrumentations, ['http']);
    assert.deepEqual(warnings.map(w => w.variable), ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'OTEL_NODE_DISABLED_INSTRUMENTATIONS']);
    assert.match(warnings[0].message, /"fastify", "mysql3"/);
  });
  it('an enabled list of only unknown names enables nothing (as auto-instrumentations does)', () => {
    const { config } = warnsOnce({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'fastify' }, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS');
    assert.deepEqual(config.instrumentations, []);
  });
});

describe('resource variables', () => {
  it('OTEL_SERVICE_NAME is taken verbatim (trimmed)', () => assert.equal(parse({ OTEL_SERVICE_NAME: ' shop-api ' }).config.serviceName, 'shop-api'));
  it('OTEL_RESOURCE_ATTRIBUTES is parsed and percent-decoded', () => {
    const { config } = parse({ OTEL_RESOURCE_ATTRIBUTES: 'service.version=1.2.3, deployment.environment.name=prod,note=a%2Cb%3Dc' });
    assert.deepEqual(config.resourceAttributes, {
      'service.version': '1.2.3',
      'deployment.environment.name': 'prod',
      note: 'a,b=c',
    });
  });
  it('a malformed OTEL_RESOURCE_ATTRIBUTES is discarded whole, with a warning', () => {
    const { config } = warnsOnce({ OTEL_RESOURCE_ATTRIBUTES: 'a=1,b' }, 'OTEL_RESOURCE_ATTRIBUTES');
    assert.deepEqual(config.resourceAttributes, {});
  });
  it('parseResourceAttributes reports bad encodings and empty keys', () => {
    assert.ok(parseResourceAttributes('a=%E0%A4%A') instanceof Error);
    assert.ok(parseResourceAttributes('=x') instanceof Error);
    assert.ok(parseResourceAttributes('a=b=c') instanceof Error);
    assert.deepEqual(parseResourceAttributes('a=,b=2'), { a: '', b: '2' });
  });
});

describe('OTEL_SEMCONV_STABILITY_OPT_IN', () => {
  it("keeps the user's value", () => assert.equal(parse({ OTEL_SEMCONV_STABILITY_OPT_IN: 'http/dup' }).config.semconvStabilityOptIn, 'http/dup'));
});

describe('warnings', () => {
  it('one per variable, each naming the variable, the value and the default', () => {
    const { warnings } = parse({
      OTEL_EXPORTER_PROMETHEUS_PORT: 'abc',
      OTEL_TRACES_SAMPLER: 'bogus',
      OTEL_TRACES_SAMPLER_ARG: '2',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url',
      OTEL_BSP_MAX_QUEUE_SIZE: '-1',
    });
    assert.deepEqual(warnings.map(w => w.variable).sort(), [
      'OTEL_BSP_MAX_QUEUE_SIZE',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_PROMETHEUS_PORT',
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
    ]);
    for (const w of warnings) assert.match(w.message, new RegExp(`^${w.variable}=".*"; using |^${w.variable}=".*" .*; using `));
  });
  it('long values are shortened in messages', () => {
    const { warning } = warnsOnce({ OTEL_TRACES_SAMPLER: 'x'.repeat(500) }, 'OTEL_TRACES_SAMPLER');
    assert.ok(warning.message.length < 400, warning.message);
  });
  it('never throws, whatever the input', () => {
    const weird: Record<string, string> = {};
    for (const name of ['OTEL_RESOURCE_ATTRIBUTES', 'OTEL_PROPAGATORS', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_NODE_ENABLED_INSTRUMENTATIONS']) {
      weird[name] = '%%%,,,===\u0000\uffff';
    }
    assert.doesNotThrow(() => parse(weird));
  });
});

/**
 * Environment → configuration, as a pure function.
 *
 * Every OTEL_* variable this preload acts on is validated here, once, so that a
 * bad value produces exactly one clear warning (naming the variable and the
 * default used) instead of an exception or a cryptic SDK message. The SDK
 * components are then given explicit, already-valid values.
 *
 * This module must stay free of run-time OpenTelemetry imports (see types.ts).
 */
import type {
  BatchConfig,
  BootstrapConfig,
  ConfigWarning,
  Env,
  InstrumentationName,
  LogLevelName,
  OtlpConfig,
  OtlpProtocol,
  ParsedConfig,
  PropagatorName,
  SamplerName,
  SpanLimitsConfig,
  TraceExporterName,
} from './types';
import { DEFAULT_INSTRUMENTATIONS, INSTRUMENTATION_NAMES } from './catalog';

export { INSTRUMENTATION_NAMES };

export const DEFAULTS = {
  logLevel: 'warn' as LogLevelName,
  otlpBase: 'http://localhost:4318',
  sampler: 'parentbased_always_on' as SamplerName,
  samplerArg: 1,
  propagators: ['tracecontext', 'baggage'] as PropagatorName[],
  prometheusPort: 9464,
  otlpTimeoutMillis: 10000,
  otlpProtocol: 'http/protobuf' as OtlpProtocol,
  // The spec's default is none; gzip shrinks span batches about tenfold for little CPU.
  otlpCompression: 'gzip' as const,
  metricExportIntervalMillis: 60000,
  // Probes and scrapes: traced, they outnumber real requests and explain nothing.
  excludedPaths: ['/healthz', '/readyz', '/livez', '/metrics'],
  semconvStabilityOptIn: 'http',
  // Half the 64 MiB a service may grow by while its Collector is away: the rest
  // covers the request being encoded or sent and allocator slack. At ~50 B per
  // span (protobuf, gzip) that is over half an hour of 300 spans/s (see the README).
  tracesBufferMaxBytes: 32 * 1024 * 1024,
  // Its own bound, so a burst of log lines cannot push spans out (or the reverse).
  // Half the traces': a service writes several times fewer log lines than spans,
  // and a line costs about as much (~45-55 B, protobuf, gzip). At that size 16 MiB
  // holds ~350,000 lines, over half an hour of 150 lines/s (30 orders/s, 5 lines
  // each); with the traces' 32 MiB the buffers stay within 48 of the 64 MiB a
  // service may grow by during an outage (see the README).
  logsBufferMaxBytes: 16 * 1024 * 1024,
  // The SDK's own defaults, restated so warnings can name them.
  batch: {
    maxQueueSize: 2048,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 5000,
    exportTimeoutMillis: 30000,
  } satisfies BatchConfig,
} as const;

const LOG_LEVELS: readonly LogLevelName[] = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];
const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
/** Spec values we know about but do not ship (they would need more packages). */
const UNSUPPORTED_SAMPLERS = ['jaeger_remote', 'parentbased_jaeger_remote', 'xray'];
const UNSUPPORTED_PROPAGATORS = ['b3', 'b3multi', 'jaeger', 'xray', 'ottrace'];

/** Longest raw value quoted back in a warning (values may be long or sensitive-ish). */
const MAX_QUOTED = 80;

/** Spec: an empty (or whitespace-only) variable is the same as an unset one. */
function read(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.trim();
}

function quote(value: string): string {
  const shown = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value;
  return JSON.stringify(shown);
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map(s => s.trim())
    .filter(s => s !== '');
}

/** Collects warnings; one per variable is the contract, so later ones for the same variable are merged. */
class Warnings {
  readonly items: ConfigWarning[] = [];
  add(variable: string, value: string, problem: string, fallback: string): void {
    if (this.items.some(w => w.variable === variable)) return;
    this.items.push({
      variable,
      value,
      message: `${variable}=${quote(value)} ${problem}; using ${fallback}`,
    });
  }
  /** Adds to the warning already given for `variable`, or starts one. */
  amend(variable: string, value: string, problem: string, fallback: string): void {
    const existing = this.items.find(w => w.variable === variable);
    if (existing) existing.message += `, then ${fallback} (${problem})`;
    else this.add(variable, value, problem, fallback);
  }
}

function parseInteger(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  w: Warnings,
): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    w.add(name, raw, `is invalid (expected ${range})`, `the default ${fallback}`);
    return fallback;
  }
  return n;
}

function parseBoolean(env: Env, name: string, w: Warnings): boolean {
  const raw = read(env, name);
  if (raw === undefined) return false;
  const v = raw.toLowerCase();
  if (v === 'true') return true;
  if (v !== 'false') w.add(name, raw, 'is invalid (expected "true" or "false")', 'the default false');
  return false;
}

function parseLogLevel(env: Env, w: Warnings): LogLevelName {
  const raw = read(env, 'OTEL_LOG_LEVEL');
  if (raw === undefined) return DEFAULTS.logLevel;
  const v = raw.toLowerCase() as LogLevelName;
  if (LOG_LEVELS.includes(v)) return v;
  w.add('OTEL_LOG_LEVEL', raw, `is invalid (expected one of ${LOG_LEVELS.join(', ')})`, `the default "${DEFAULTS.logLevel}"`);
  return DEFAULTS.logLevel;
}

/**
 * OTEL_RESOURCE_ATTRIBUTES: `key=value,key2=value2`, percent-encoded. Like the
 * SDK's env detector we discard the whole variable on any malformed entry (the
 * spec says so), but we also say so at warn level instead of debug.
 */
export function parseResourceAttributes(raw: string): Record<string, string> | Error {
  const out: Record<string, string> = {};
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const parts = entry.split('=');
    if (parts.length !== 2) return new Error(`entry ${quote(entry)} is not key=value (encode "," and "=" as %2C and %3D)`);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(parts[0].trim());
      value = decodeURIComponent(parts[1].trim());
    } catch {
      return new Error(`entry ${quote(entry)} has invalid percent-encoding`);
    }
    if (key === '') return new Error(`entry ${quote(entry)} has an empty key`);
    out[key] = value;
  }
  return out;
}

function parseTraceExporters(env: Env, w: Warnings): TraceExporterName[] {
  const raw = read(env, 'OTEL_TRACES_EXPORTER');
  if (raw === undefined) return ['otlp'];
  const values = list(raw.toLowerCase());
  if (values.includes('none')) return [];
  const good = values.filter((v): v is TraceExporterName => v === 'otlp' || v === 'console');
  const bad = values.filter(v => v !== 'otlp' && v !== 'console');
  if (bad.length > 0) {
    w.add(
      'OTEL_TRACES_EXPORTER',
      raw,
      `has unsupported value(s) ${bad.map(quote).join(', ')} (supported: otlp, console, none)`,
      good.length > 0 ? `only ${good.join(',')}` : 'the default "otlp"',
    );
  }
  return good.length > 0 ? [...new Set(good)] : ['otlp'];
}

function parseMetricsExporters(env: Env, w: Warnings): { prometheus: boolean; push: boolean } {
  const raw = read(env, 'OTEL_METRICS_EXPORTER');
  if (raw === undefined) return { prometheus: true, push: false };
  const values = list(raw.toLowerCase());
  if (values.includes('none')) return { prometheus: false, push: false };
  const prometheus = values.includes('prometheus');
  const push = values.includes('otlp');
  const bad = values.filter(v => v !== 'prometheus' && v !== 'otlp');
  if (bad.length > 0) {
    w.add(
      'OTEL_METRICS_EXPORTER',
      raw,
      `has unsupported value(s) ${bad.map(quote).join(', ')} (supported: prometheus, otlp, none)`,
      prometheus || push ? 'the others' : 'the default "prometheus"',
    );
  }
  return prometheus || push ? { prometheus, push } : { prometheus: true, push: false };
}

/** OTEL_LOGS_EXPORTER: otlp or none. Default none (the spec says otlp): logs stay where the app writes them unless asked. */
function parseLogsExporter(env: Env, w: Warnings): boolean {
  const raw = read(env, 'OTEL_LOGS_EXPORTER');
  if (raw === undefined) return false;
  const values = list(raw.toLowerCase());
  if (values.includes('none')) return false;
  const bad = values.filter(v => v !== 'otlp');
  if (bad.length > 0) {
    w.add('OTEL_LOGS_EXPORTER', raw, `has unsupported value(s) ${bad.map(quote).join(', ')} (supported: otlp, none)`, values.includes('otlp') ? '"otlp"' : '"none"');
  }
  return values.includes('otlp');
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

type Signal = 'traces' | 'metrics' | 'logs';

/**
 * Per spec the signal-specific endpoint is used as-is, while the generic one
 * gets `v1/<signal>` appended (after a single slash).
 */
function parseEndpoint(env: Env, signal: Signal, w: Warnings): string {
  const specificName = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`;
  const specific = read(env, specificName);
  if (specific !== undefined) {
    if (isHttpUrl(specific)) return specific;
    w.add(specificName, specific, 'is not a valid http(s) URL', 'OTEL_EXPORTER_OTLP_ENDPOINT or the default');
  }
  const base = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base !== undefined) {
    if (isHttpUrl(base)) return `${base.replace(/\/+$/, '')}/v1/${signal}`;
    w.add('OTEL_EXPORTER_OTLP_ENDPOINT', base, 'is not a valid http(s) URL', `the default ${DEFAULTS.otlpBase}`);
  }
  return `${DEFAULTS.otlpBase}/v1/${signal}`;
}

/** The generic variable, then the signal-specific one, each validated on its own. */
function parseSignalSetting<T>(signal: Signal, setting: string, fallback: T, parse: (name: string, fallback: T) => T): T {
  const generic = parse(`OTEL_EXPORTER_OTLP_${setting}`, fallback);
  return parse(`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_${setting}`, generic);
}

function parseOtlp(env: Env, signal: Signal, w: Warnings): OtlpConfig {
  const timeoutMillis = parseSignalSetting<number>(signal, 'TIMEOUT', DEFAULTS.otlpTimeoutMillis, (name, fallback) =>
    parseInteger(env, name, fallback, 1, Number.MAX_SAFE_INTEGER, w),
  );
  const compression = parseSignalSetting<'none' | 'gzip'>(signal, 'COMPRESSION', DEFAULTS.otlpCompression, (name, fallback) => {
    const raw = read(env, name);
    if (raw === undefined) return fallback;
    const v = raw.toLowerCase();
    if (v === 'none' || v === 'gzip') return v;
    w.add(name, raw, 'is invalid (expected gzip or none)', `"${fallback}"`);
    return fallback;
  });
  const protocol = parseSignalSetting<OtlpProtocol>(signal, 'PROTOCOL', DEFAULTS.otlpProtocol, (name, fallback) => {
    const raw = read(env, name);
    if (raw === undefined) return fallback;
    if (raw === 'http/protobuf' || raw === 'http/json') return raw;
    const problem =
      raw === 'grpc'
        ? 'is not shipped by this preload (OTLP/HTTP only; every Collector OTLP receiver has both)'
        : 'is invalid (expected http/protobuf, http/json or grpc)';
    w.add(name, raw, problem, `"${fallback}"`);
    return fallback;
  });
  const bearerTokenFile = read(env, 'SHOPFLOOR_OTLP_BEARER_TOKEN_FILE');
  return { endpoint: parseEndpoint(env, signal, w), protocol, timeoutMillis, compression, ...(bearerTokenFile ? { bearerTokenFile } : {}) };
}

/** SHOPFLOOR_TRACES_EXCLUDED_PATHS: comma list of URL paths never traced, or `none`. */
function parseExcludedPaths(env: Env, w: Warnings): string[] {
  const raw = read(env, 'SHOPFLOOR_TRACES_EXCLUDED_PATHS');
  if (raw === undefined) return [...DEFAULTS.excludedPaths];
  if (raw.toLowerCase() === 'none') return [];
  const values = list(raw);
  const bad = values.filter(v => !v.startsWith('/'));
  if (bad.length > 0) {
    w.add('SHOPFLOOR_TRACES_EXCLUDED_PATHS', raw, `has entries that are not paths ${bad.map(quote).join(', ')} (each must start with "/")`, 'the others');
  }
  return values.filter(v => v.startsWith('/'));
}

/** OTEL_SPAN_* / OTEL_ATTRIBUTE_* limits (the SDK no longer reads them itself). */
function parseSpanLimits(env: Env, w: Warnings): SpanLimitsConfig {
  const limit = (name: string, fallback?: number): number | undefined => {
    const raw = read(env, name);
    if (raw === undefined) return fallback;
    if (/^\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
    w.add(name, raw, 'is invalid (expected an integer >= 0)', fallback === undefined ? "the SDK's default" : String(fallback));
    return fallback;
  };
  const limits: SpanLimitsConfig = {
    attributeValueLengthLimit: limit('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', limit('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT')),
    attributeCountLimit: limit('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', limit('OTEL_ATTRIBUTE_COUNT_LIMIT')),
    eventCountLimit: limit('OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: limit('OTEL_SPAN_LINK_COUNT_LIMIT'),
    attributePerEventCountLimit: limit('OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT'),
    attributePerLinkCountLimit: limit('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT'),
  };
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as SpanLimitsConfig;
}

function parseSampler(env: Env, w: Warnings): { sampler: SamplerName; samplerArg: number } {
  let sampler: SamplerName = DEFAULTS.sampler;
  const raw = read(env, 'OTEL_TRACES_SAMPLER');
  if (raw !== undefined) {
    const v = raw.toLowerCase();
    if ((SAMPLERS as readonly string[]).includes(v)) {
      sampler = v as SamplerName;
    } else {
      const problem = UNSUPPORTED_SAMPLERS.includes(v)
        ? 'is not supported by this preload'
        : `is invalid (expected one of ${SAMPLERS.join(', ')})`;
      w.add('OTEL_TRACES_SAMPLER', raw, problem, `the default "${DEFAULTS.sampler}"`);
    }
  }
  // Validated whenever set, even if the chosen sampler ignores it: a typo in a
  // ratio is worth knowing about before someone switches the sampler on.
  let samplerArg: number = DEFAULTS.samplerArg;
  const rawArg = read(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (rawArg !== undefined) {
    const n = Number(rawArg);
    if (Number.isFinite(n) && n >= 0 && n <= 1) samplerArg = n;
    else w.add('OTEL_TRACES_SAMPLER_ARG', rawArg, 'is invalid (expected a number from 0 to 1)', `the default ${DEFAULTS.samplerArg}`);
  }
  return { sampler, samplerArg };
}

function parsePropagators(env: Env, w: Warnings): PropagatorName[] {
  const raw = read(env, 'OTEL_PROPAGATORS');
  if (raw === undefined) return [...DEFAULTS.propagators];
  const values = list(raw.toLowerCase());
  if (values.includes('none')) return [];
  const good = values.filter((v): v is PropagatorName => v === 'tracecontext' || v === 'baggage');
  const bad = values.filter(v => v !== 'tracecontext' && v !== 'baggage');
  if (bad.length > 0) {
    const unsupported = bad.filter(v => UNSUPPORTED_PROPAGATORS.includes(v));
    const unknown = bad.filter(v => !UNSUPPORTED_PROPAGATORS.includes(v));
    const parts: string[] = [];
    if (unknown.length > 0) parts.push(`unknown ${unknown.map(quote).join(', ')}`);
    if (unsupported.length > 0) parts.push(`not shipped by this preload ${unsupported.map(quote).join(', ')}`);
    w.add(
      'OTEL_PROPAGATORS',
      raw,
      `has values that are ignored: ${parts.join('; ')} (supported: tracecontext, baggage, none)`,
      good.length > 0 ? good.join(',') : `the default ${DEFAULTS.propagators.join(',')}`,
    );
  }
  return good.length > 0 ? [...new Set(good)] : [...DEFAULTS.propagators];
}

function parseBatch(env: Env, w: Warnings): BatchConfig {
  const d = DEFAULTS.batch;
  const max = Number.MAX_SAFE_INTEGER;
  const maxQueueSize = parseInteger(env, 'OTEL_BSP_MAX_QUEUE_SIZE', d.maxQueueSize, 1, max, w);
  let maxExportBatchSize = parseInteger(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', d.maxExportBatchSize, 1, max, w);
  const scheduledDelayMillis = parseInteger(env, 'OTEL_BSP_SCHEDULE_DELAY', d.scheduledDelayMillis, 0, max, w);
  const exportTimeoutMillis = parseInteger(env, 'OTEL_BSP_EXPORT_TIMEOUT', d.exportTimeoutMillis, 1, max, w);
  if (maxExportBatchSize > maxQueueSize) {
    // The SDK would clamp too, but with a message that names no variable. Only
    // an explicitly set batch size deserves a warning; the default is simply
    // lowered to fit a small queue.
    if (read(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE') !== undefined) w.amend(
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE?.trim() ?? String(maxExportBatchSize),
      `is larger than the queue size ${maxQueueSize}`,
      `the queue size ${maxQueueSize}`,
    );
    maxExportBatchSize = maxQueueSize;
  }
  return { maxQueueSize, maxExportBatchSize, scheduledDelayMillis, exportTimeoutMillis };
}

function parseInstrumentationList(env: Env, name: string, w: Warnings): InstrumentationName[] | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const values = list(raw);
  const known = values.filter((v): v is InstrumentationName => (INSTRUMENTATION_NAMES as readonly string[]).includes(v));
  const unknown = values.filter(v => !(INSTRUMENTATION_NAMES as readonly string[]).includes(v));
  if (unknown.length > 0) {
    w.add(
      name,
      raw,
      `names unknown instrumentation(s) ${unknown.map(quote).join(', ')} (known: ${INSTRUMENTATION_NAMES.join(', ')}), ignored`,
      known.length > 0 ? known.join(',') : 'an empty list',
    );
  }
  return known;
}

/**
 * Same semantics as @opentelemetry/auto-instrumentations-node: if
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS is set only those are candidates (all
 * otherwise), then OTEL_NODE_DISABLED_INSTRUMENTATIONS removes names.
 */
function parseInstrumentations(env: Env, w: Warnings): InstrumentationName[] {
  const enabled = parseInstrumentationList(env, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', w) ?? DEFAULT_INSTRUMENTATIONS;
  const disabled = parseInstrumentationList(env, 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', w) ?? [];
  return INSTRUMENTATION_NAMES.filter(n => enabled.includes(n) && !disabled.includes(n));
}

function parseMetrics(env: Env, w: Warnings): BootstrapConfig['metrics'] {
  return {
    ...parseMetricsExporters(env, w),
    otlp: parseOtlp(env, 'metrics', w),
    exportIntervalMillis: parseInteger(env, 'OTEL_METRIC_EXPORT_INTERVAL', DEFAULTS.metricExportIntervalMillis, 1, Number.MAX_SAFE_INTEGER, w),
    host: read(env, 'OTEL_EXPORTER_PROMETHEUS_HOST'),
    port: parseInteger(env, 'OTEL_EXPORTER_PROMETHEUS_PORT', DEFAULTS.prometheusPort, 1, 65535, w),
    path: '/metrics',
  };
}

/** Parses the environment. Never throws; problems come back as warnings. */
export function parseConfig(env: Env): ParsedConfig {
  const w = new Warnings();
  const disabled = parseBoolean(env, 'OTEL_SDK_DISABLED', w);
  const logLevel = parseLogLevel(env, w);

  let resourceAttributes: Record<string, string> = {};
  const rawAttrs = read(env, 'OTEL_RESOURCE_ATTRIBUTES');
  if (rawAttrs !== undefined) {
    const parsed = parseResourceAttributes(rawAttrs);
    if (parsed instanceof Error) {
      w.add('OTEL_RESOURCE_ATTRIBUTES', rawAttrs, `is malformed: ${parsed.message}`, 'no attributes from it (the whole variable is discarded, per spec)');
    } else {
      resourceAttributes = parsed;
    }
  }

  const config: BootstrapConfig = {
    disabled,
    logLevel,
    serviceName: read(env, 'OTEL_SERVICE_NAME'),
    resourceAttributes,
    traces: {
      exporters: parseTraceExporters(env, w),
      otlp: parseOtlp(env, 'traces', w),
      ...parseSampler(env, w),
      excludedPaths: parseExcludedPaths(env, w),
      spanLimits: parseSpanLimits(env, w),
      batch: parseBatch(env, w),
      bufferMaxBytes: parseInteger(env, 'SHOPFLOOR_TRACES_BUFFER_MAX_BYTES', DEFAULTS.tracesBufferMaxBytes, 1, Number.MAX_SAFE_INTEGER, w),
    },
    propagators: parsePropagators(env, w),
    metrics: parseMetrics(env, w),
    logs: {
      export: parseLogsExporter(env, w),
      otlp: parseOtlp(env, 'logs', w),
      bufferMaxBytes: parseInteger(env, 'SHOPFLOOR_LOGS_BUFFER_MAX_BYTES', DEFAULTS.logsBufferMaxBytes, 1, Number.MAX_SAFE_INTEGER, w),
    },
    instrumentations: parseInstrumentations(env, w),
    semconvStabilityOptIn: read(env, 'OTEL_SEMCONV_STABILITY_OPT_IN') ?? DEFAULTS.semconvStabilityOptIn,
  };
  return { config, warnings: w.items };
}

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
  ParsedConfig,
  PropagatorName,
  SamplerName,
  TraceExporterName,
} from './types';

export const INSTRUMENTATION_NAMES: readonly InstrumentationName[] = [
  'http',
  'express',
  'undici',
  'amqplib',
  'pg',
  'pino',
  'runtime-node',
];

export const DEFAULTS = {
  logLevel: 'warn' as LogLevelName,
  otlpBase: 'http://localhost:4318',
  sampler: 'parentbased_always_on' as SamplerName,
  samplerArg: 1,
  propagators: ['tracecontext', 'baggage'] as PropagatorName[],
  prometheusPort: 9464,
  otlpTimeoutMillis: 10000,
  semconvStabilityOptIn: 'http',
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

function parseMetricsExporter(env: Env, w: Warnings): boolean {
  const raw = read(env, 'OTEL_METRICS_EXPORTER');
  if (raw === undefined) return true;
  const values = list(raw.toLowerCase());
  if (values.includes('none')) return false;
  const bad = values.filter(v => v !== 'prometheus');
  if (bad.length > 0) {
    w.add(
      'OTEL_METRICS_EXPORTER',
      raw,
      `has unsupported value(s) ${bad.map(quote).join(', ')} (supported: prometheus, none)`,
      'the default "prometheus"',
    );
  }
  return true;
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Per spec the signal-specific endpoint is used as-is, while the generic one
 * gets `v1/traces` appended (after a single slash).
 */
function parseTraceEndpoint(env: Env, w: Warnings): string {
  const fallback = `${DEFAULTS.otlpBase}/v1/traces`;
  const specific = read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (specific !== undefined) {
    if (isHttpUrl(specific)) return specific;
    w.add('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', specific, 'is not a valid http(s) URL', 'OTEL_EXPORTER_OTLP_ENDPOINT or the default');
  }
  const base = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base !== undefined) {
    if (isHttpUrl(base)) return `${base.replace(/\/+$/, '')}/v1/traces`;
    w.add('OTEL_EXPORTER_OTLP_ENDPOINT', base, 'is not a valid http(s) URL', `the default ${DEFAULTS.otlpBase}`);
  }
  return fallback;
}

/** Signal-specific variable first, then the generic one, each validated on its own. */
function parseOtlpTimeout(env: Env, w: Warnings): number {
  const generic = parseInteger(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', DEFAULTS.otlpTimeoutMillis, 1, Number.MAX_SAFE_INTEGER, w);
  return parseInteger(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', generic, 1, Number.MAX_SAFE_INTEGER, w);
}

function parseCompression(env: Env, w: Warnings): 'none' | 'gzip' {
  let result: 'none' | 'gzip' = 'none';
  for (const name of ['OTEL_EXPORTER_OTLP_COMPRESSION', 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION']) {
    const raw = read(env, name);
    if (raw === undefined) continue;
    const v = raw.toLowerCase();
    if (v === 'none' || v === 'gzip') result = v;
    else w.add(name, raw, 'is invalid (expected gzip or none)', `"${result}"`);
  }
  return result;
}

function checkProtocol(env: Env, name: string, w: Warnings): void {
  const raw = read(env, name);
  if (raw === undefined || raw === 'http/json') return;
  const problem =
    raw === 'http/protobuf' || raw === 'grpc'
      ? 'is not available in this preload (it ships only the OTLP/HTTP JSON exporter, which every Collector HTTP receiver accepts)'
      : 'is invalid (expected http/json, http/protobuf or grpc)';
  w.add(name, raw, problem, '"http/json"');
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
  const enabled = parseInstrumentationList(env, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', w) ?? INSTRUMENTATION_NAMES;
  const disabled = parseInstrumentationList(env, 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', w) ?? [];
  return INSTRUMENTATION_NAMES.filter(n => enabled.includes(n) && !disabled.includes(n));
}

function parsePrometheus(env: Env, w: Warnings): BootstrapConfig['metrics'] {
  return {
    prometheus: parseMetricsExporter(env, w),
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

  checkProtocol(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', w);
  checkProtocol(env, 'OTEL_EXPORTER_OTLP_PROTOCOL', w);

  const config: BootstrapConfig = {
    disabled,
    logLevel,
    serviceName: read(env, 'OTEL_SERVICE_NAME'),
    resourceAttributes,
    traces: {
      exporters: parseTraceExporters(env, w),
      endpoint: parseTraceEndpoint(env, w),
      timeoutMillis: parseOtlpTimeout(env, w),
      compression: parseCompression(env, w),
      ...parseSampler(env, w),
      batch: parseBatch(env, w),
    },
    propagators: parsePropagators(env, w),
    metrics: parsePrometheus(env, w),
    instrumentations: parseInstrumentations(env, w),
    semconvStabilityOptIn: read(env, 'OTEL_SEMCONV_STABILITY_OPT_IN') ?? DEFAULTS.semconvStabilityOptIn,
  };
  return { config, warnings: w.items };
}

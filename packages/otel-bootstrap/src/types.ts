/**
 * Plain-data configuration types.
 *
 * Nothing here (and nothing in config.ts) may import an OpenTelemetry module at
 * run time: the preload parses its configuration before deciding whether to load
 * OpenTelemetry at all (OTEL_SDK_DISABLED=true must load nothing).
 */

/** Levels accepted by OTEL_LOG_LEVEL (spec names, lower-cased). */
export type LogLevelName = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';

/** Samplers from the SDK environment-variable spec that this preload implements. */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export type PropagatorName = 'tracecontext' | 'baggage';

export type TraceExporterName = 'otlp' | 'console';

/** Short names, as used by OTEL_NODE_ENABLED_INSTRUMENTATIONS / _DISABLED_. */
export type InstrumentationName =
  | 'http'
  | 'express'
  | 'undici'
  | 'amqplib'
  | 'pg'
  | 'pino'
  | 'runtime-node';

/** Batch span processor settings (OTEL_BSP_*). */
export interface BatchConfig {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

export interface TracesConfig {
  /** Empty when OTEL_TRACES_EXPORTER=none: no tracer provider is installed. */
  exporters: TraceExporterName[];
  /** Full OTLP/HTTP URL spans are POSTed to (…/v1/traces). */
  endpoint: string;
  /** Per-export timeout, retries included (OTEL_EXPORTER_OTLP_{TRACES_,}TIMEOUT). */
  timeoutMillis: number;
  compression: 'none' | 'gzip';
  sampler: SamplerName;
  /** Ratio for the *traceidratio samplers, in [0, 1]. */
  samplerArg: number;
  batch: BatchConfig;
}

export interface MetricsConfig {
  /** false when OTEL_METRICS_EXPORTER=none. */
  prometheus: boolean;
  /** undefined = all interfaces (the exporter's default). */
  host: string | undefined;
  port: number;
  /** Fixed: the scrape path. */
  path: '/metrics';
}

export interface BootstrapConfig {
  /** OTEL_SDK_DISABLED=true: load nothing. */
  disabled: boolean;
  logLevel: LogLevelName;
  /** OTEL_SERVICE_NAME, if set (wins over everything else). */
  serviceName: string | undefined;
  /** Parsed OTEL_RESOURCE_ATTRIBUTES (empty if unset or malformed). */
  resourceAttributes: Record<string, string>;
  traces: TracesConfig;
  /** Empty when OTEL_PROPAGATORS=none. */
  propagators: PropagatorName[];
  metrics: MetricsConfig;
  instrumentations: InstrumentationName[];
  /**
   * Value OTEL_SEMCONV_STABILITY_OPT_IN should have for the instrumentations:
   * the user's value if set, else "http" (stable HTTP semantic conventions).
   */
  semconvStabilityOptIn: string;
}

/** One problem with one environment variable. */
export interface ConfigWarning {
  variable: string;
  /** Raw value that was rejected (for de-duplicating SDK messages about it). */
  value: string;
  message: string;
}

export interface ParsedConfig {
  config: BootstrapConfig;
  warnings: ConfigWarning[];
}

/** The environment, as process.env or a test's plain object. */
export type Env = Readonly<Record<string, string | undefined>>;

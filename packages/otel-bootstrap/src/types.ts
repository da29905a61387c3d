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

export type { InstrumentationName } from './catalog';
import type { InstrumentationName } from './catalog';

/** OTLP over HTTP; `grpc` is not shipped (it would load @grpc/grpc-js, ~100 modules). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Where and how one signal goes over OTLP/HTTP (OTEL_EXPORTER_OTLP_{,<SIGNAL>_}*). */
export interface OtlpConfig {
  /** Full URL the signal is POSTed to (…/v1/traces, …/v1/metrics, …/v1/logs). */
  endpoint: string;
  protocol: OtlpProtocol;
  /** Per-export timeout, retries included. */
  timeoutMillis: number;
  compression: 'none' | 'gzip';
  /**
   * SHOPFLOOR_OTLP_BEARER_TOKEN_FILE: a file holding a bearer token sent as
   * `Authorization: Bearer <token>` (a compose secret instead of the token in
   * OTEL_EXPORTER_OTLP_HEADERS, where the container's environment shows it).
   */
  bearerTokenFile?: string;
}

/** Batch span processor settings (OTEL_BSP_*). */
export interface BatchConfig {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

/** Span limits (OTEL_SPAN_* / OTEL_ATTRIBUTE_*); unset ones are the SDK's defaults. */
export interface SpanLimitsConfig {
  attributeValueLengthLimit?: number;
  attributeCountLimit?: number;
  eventCountLimit?: number;
  linkCountLimit?: number;
  attributePerEventCountLimit?: number;
  attributePerLinkCountLimit?: number;
}

export interface TracesConfig {
  /** Empty when OTEL_TRACES_EXPORTER=none: no tracer provider is installed. */
  exporters: TraceExporterName[];
  otlp: OtlpConfig;
  sampler: SamplerName;
  /** URL paths whose incoming requests are never traced (SHOPFLOOR_TRACES_EXCLUDED_PATHS). */
  excludedPaths: string[];
  spanLimits: SpanLimitsConfig;
  /** Ratio for the *traceidratio samplers, in [0, 1]. */
  samplerArg: number;
  batch: BatchConfig;
  /**
   * SHOPFLOOR_TRACES_BUFFER_MAX_BYTES: bound on the encoded (and compressed) export
   * requests held while the Collector is unreachable, in bytes.
   */
  bufferMaxBytes: number;
}

export interface MetricsConfig {
  /** The /metrics endpoint is served (OTEL_METRICS_EXPORTER includes prometheus, the default). */
  prometheus: boolean;
  /** Metrics are pushed over OTLP (OTEL_METRICS_EXPORTER includes otlp). */
  push: boolean;
  otlp: OtlpConfig;
  /** OTEL_METRIC_EXPORT_INTERVAL: ms between OTLP pushes. */
  exportIntervalMillis: number;
  /** undefined = all interfaces (the exporter's default). */
  host: string | undefined;
  port: number;
  /** Fixed: the scrape path. */
  path: '/metrics';
}

export interface LogsConfig {
  /** OTEL_LOGS_EXPORTER=otlp: pino, winston and bunyan records go out over OTLP (default none). */
  export: boolean;
  otlp: OtlpConfig;
  /**
   * SHOPFLOOR_LOGS_BUFFER_MAX_BYTES: bound on the encoded (and compressed) log export
   * requests held while the Collector is unreachable, in bytes. Separate from the traces'.
   */
  bufferMaxBytes: number;
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
  logs: LogsConfig;
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

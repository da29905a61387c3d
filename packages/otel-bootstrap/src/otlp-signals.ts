/**
 * What differs between the signals that go through the buffered OTLP
 * exporter (buffered-exporter.ts): traces and logs. Everything else — the
 * byte-bounded buffer, the sender, retries, probes, flush deadlines, the
 * warnings' once-per-streak rule — is shared.
 *
 * Plain data, no OpenTelemetry imports: metrics.ts reads the metric names
 * without loading the exporter.
 */

export interface BufferedSignal {
  /** OTLP path segment (v1/<signal>) and the OTEL_EXPORTER_OTLP_<SIGNAL>_* infix, lower-cased. */
  readonly signal: 'traces' | 'logs';
  /** The word in messages: "<noun> export to … failed", "<noun> buffer full". */
  readonly noun: string;
  /** What a request carries, plural ("spans are kept") and counted ("3 span(s) dropped"). */
  readonly plural: string;
  readonly counted: string;
  /** The variable that bounds the buffer, named in warnings. */
  readonly maxBytesVariable: string;
  /** The OTLP exporter package the transformer and exporter-base are resolved from (its release's copies). */
  readonly exporterPackage: string;
  /** Names of the transformer's serializers. */
  readonly serializers: { protobuf: string; json: string };
  /** OTel instrument names of the buffer's metrics (Prometheus names in the comments). */
  readonly metrics: {
    /** `<buffer>.size` → <buffer>_size_bytes, `<buffer>.limit` → <buffer>_limit_bytes, `<buffer>.<held>` → <buffer>_<held>. */
    readonly buffer: string;
    readonly held: string;
    /** Unit annotation of the item counts, e.g. {span}. */
    readonly unit: string;
    /** Counter of items that will never reach the Collector, label reason → <dropped>_total. */
    readonly dropped: string;
  };
}

export const TRACES: BufferedSignal = {
  signal: 'traces',
  noun: 'trace',
  plural: 'spans',
  counted: 'span(s)',
  maxBytesVariable: 'SHOPFLOOR_TRACES_BUFFER_MAX_BYTES',
  exporterPackage: '@opentelemetry/exporter-trace-otlp-proto',
  serializers: { protobuf: 'ProtobufTraceSerializer', json: 'JsonTraceSerializer' },
  // otel_bootstrap_span_buffer_{size,limit}_bytes, otel_bootstrap_span_buffer_spans, otel_bootstrap_spans_dropped_total
  metrics: { buffer: 'otel_bootstrap.span_buffer', held: 'spans', unit: '{span}', dropped: 'otel_bootstrap.spans.dropped' },
};

export const LOGS: BufferedSignal = {
  signal: 'logs',
  noun: 'log',
  plural: 'log records',
  counted: 'log record(s)',
  maxBytesVariable: 'SHOPFLOOR_LOGS_BUFFER_MAX_BYTES',
  exporterPackage: '@opentelemetry/exporter-logs-otlp-proto',
  serializers: { protobuf: 'ProtobufLogsSerializer', json: 'JsonLogsSerializer' },
  // otel_bootstrap_log_buffer_{size,limit}_bytes, otel_bootstrap_log_buffer_records, otel_bootstrap_log_records_dropped_total
  metrics: { buffer: 'otel_bootstrap.log_buffer', held: 'records', unit: '{record}', dropped: 'otel_bootstrap.log_records.dropped' },
};

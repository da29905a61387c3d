/**
 * Metrics: a MeterProvider read by the Prometheus exporter (pull, /metrics)
 * and/or pushed over OTLP. HTTP server duration, event-loop and process
 * metrics come from the http, runtime-node and host-metrics instrumentations,
 * which record through this provider.
 */
import { metrics, type Meter } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { PrometheusExporter as PrometheusExporterType } from '@opentelemetry/exporter-prometheus';
import type { MeterProvider, MetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { createOtlpExporter } from './otlp';
import type { OtlpBufferStats } from './otlp-buffer';
import type { BufferedSignal } from './otlp-signals';
import type { MetricsConfig } from './types';
import { describeError, type Logger } from './utils';

/**
 * OpenTelemetry → Prometheus unit suffixes, per the OTel "Prometheus and
 * OpenMetrics compatibility" spec. The pinned exporter-prometheus (0.300)
 * only appends `_total`; it emits the unit as a `# UNIT` comment but not in
 * the name, so `http.server.request.duration` (s) would be served as
 * `http_server_request_duration_bucket` where Prometheus users, the
 * Collector's prometheus exporter and Prometheus's own OTLP receiver all say
 * `http_server_request_duration_seconds_bucket`.
 */
const UNIT_WORDS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tebibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};
const PER_UNIT_WORDS: Record<string, string> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

function sanitize(text: string): string {
  return text.replace(/[^a-zA-Z0-9_:]+/g, '_').replace(/^_+|_+$/g, '');
}

/** The name suffix for a UCUM unit ('' for none). `1` is "ratio", for gauges only. */
export function prometheusUnitSuffix(unit: string, isGauge: boolean): string {
  // Annotations like {request} are not units.
  const u = unit.replace(/\{[^}]*\}/g, '').trim();
  if (u === '') return '';
  if (u === '1') return isGauge ? 'ratio' : '';
  const slash = u.indexOf('/');
  if (slash >= 0) {
    const main = u.slice(0, slash);
    const per = u.slice(slash + 1);
    const mainWord = main === '' || main === '1' ? '' : (UNIT_WORDS[main] ?? main);
    const perWord = PER_UNIT_WORDS[per] ?? per;
    return sanitize(mainWord === '' ? `per_${perWord}` : `${mainWord}_per_${perWord}`);
  }
  return sanitize(UNIT_WORDS[u] ?? u);
}

/**
 * Units missing from instruments we ship, per their semantic conventions.
 * instrumentation-host-metrics creates process.memory.usage and
 * process.cpu.utilization without a unit.
 */
const MISSING_UNITS: Record<string, string> = {
  'process.memory.usage': 'By',
  'process.cpu.utilization': '1',
};

/** Minimal structural view of sdk-metrics' collection result. */
interface MetricLike {
  descriptor: { name: string; unit: string };
  dataPointType: number;
  isMonotonic?: boolean;
}
interface ResourceMetricsLike {
  scopeMetrics: { metrics: MetricLike[] }[];
}

/** Returns a copy of `rm` whose metric names carry their unit suffix. */
export function withUnitSuffixes<T>(rm: T, dataPointType: { GAUGE: number; SUM: number }): T {
  const src = rm as unknown as ResourceMetricsLike;
  return {
    ...src,
    scopeMetrics: src.scopeMetrics.map(sm => ({
      ...sm,
      metrics: sm.metrics.map(metric => {
        const unit = metric.descriptor.unit || MISSING_UNITS[metric.descriptor.name] || '';
        const isGauge =
          metric.dataPointType === dataPointType.GAUGE ||
          (metric.dataPointType === dataPointType.SUM && metric.isMonotonic === false);
        const suffix = prometheusUnitSuffix(unit, isGauge);
        const name = metric.descriptor.name;
        if (suffix === '' || sanitize(name).endsWith(`_${suffix}`)) {
          return unit === metric.descriptor.unit ? metric : { ...metric, descriptor: { ...metric.descriptor, unit } };
        }
        return { ...metric, descriptor: { ...metric.descriptor, name: `${name}_${suffix}`, unit } };
      }),
    })),
  } as unknown as T;
}

type CollectOptions = Parameters<PrometheusExporterType['collect']>[0];
type CollectResult = Awaited<ReturnType<PrometheusExporterType['collect']>>;

export interface MetricsHandle {
  meterProvider: MeterProvider;
  /** Resolves once the /metrics server listens (at once without one), or rejects if it cannot (already warned). */
  listening: Promise<void>;
  shutdown(): Promise<void>;
}

const METRIC_EXPORTERS = {
  json: '@opentelemetry/exporter-metrics-otlp-http',
  protobuf: '@opentelemetry/exporter-metrics-otlp-proto',
  className: 'OTLPMetricExporter',
};

/** The Prometheus pull endpoint, started by us so a listen error becomes one clear warning. */
function startPrometheus(
  config: MetricsConfig,
  sdk: typeof import('@opentelemetry/sdk-metrics'),
  logger: Logger,
): { reader: MetricReader; listening: Promise<void> } {
  const { PrometheusExporter } =
    require('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus');

  /** Renames at collection time; the exporter's HTTP handler serialises what collect() returns. */
  class UnitSuffixingPrometheusExporter extends PrometheusExporter {
    override async collect(options?: CollectOptions): Promise<CollectResult> {
      const result = await super.collect(options);
      return { ...result, resourceMetrics: withUnitSuffixes(result.resourceMetrics, sdk.DataPointType) };
    }
  }

  // preventServerStart: we start it ourselves to turn a listen error (port in
  // use, bad host) into one clear warning instead of an SDK error line.
  const exporter = new UnitSuffixingPrometheusExporter({
    host: config.host,
    port: config.port,
    endpoint: config.path,
    preventServerStart: true,
  });

  const where = `${config.host ?? '*'}:${config.port}${config.path}`; // * = all interfaces
  const listening = exporter.startServer().then(
    () => {
      logger.debug(`Prometheus metrics served on http://${where}`);
      // The exporter only listens for 'error' until listen succeeds; an error
      // emitted later with no listener would be thrown into the app.
      const server = (exporter as unknown as { _server?: { on?: (e: string, f: (err: unknown) => void) => void } })._server;
      server?.on?.('error', err => logger.warn(`Prometheus metrics server error: ${describeError(err)}`));
    },
    (err: unknown) => {
      logger.warn(
        `cannot serve Prometheus metrics on ${where} (${describeError(err)}); ` +
          'metrics are not exposed, the app and its traces are unaffected. Set OTEL_EXPORTER_PROMETHEUS_PORT to a free port.',
      );
      throw err;
    },
  );
  listening.catch(() => {}); // already reported; never an unhandled rejection
  return { reader: exporter, listening };
}

/** A signal's OTLP buffer, as /metrics reports it. */
export interface BufferSource {
  signal: BufferedSignal;
  stats: () => OtlpBufferStats;
}

/**
 * A signal's buffer level and losses, read at collection time, under the
 * signal's own names (otlp-signals.ts). Prometheus names, traces:
 * otel_bootstrap_span_buffer_size_bytes, otel_bootstrap_span_buffer_limit_bytes,
 * otel_bootstrap_span_buffer_spans, otel_bootstrap_spans_dropped_total{reason};
 * logs: otel_bootstrap_log_buffer_size_bytes, otel_bootstrap_log_buffer_limit_bytes,
 * otel_bootstrap_log_buffer_records, otel_bootstrap_log_records_dropped_total{reason}.
 */
export function recordBufferMetrics(meter: Meter, { signal, stats }: BufferSource): void {
  const { buffer, held, unit, dropped: droppedName } = signal.metrics;
  const size = meter.createObservableGauge(`${buffer}.size`, {
    unit: 'By',
    description: `Encoded ${signal.plural} held for the Collector, in bytes (the request being sent included).`,
  });
  const limit = meter.createObservableGauge(`${buffer}.limit`, {
    unit: 'By',
    description: `Bound of the ${signal.noun} buffer (${signal.maxBytesVariable}).`,
  });
  const items = meter.createObservableGauge(`${buffer}.${held}`, {
    unit,
    description: `${signal.plural[0]!.toUpperCase()}${signal.plural.slice(1)} held for the Collector.`,
  });
  const dropped = meter.createObservableCounter(droppedName, {
    unit,
    description: `${signal.plural[0]!.toUpperCase()}${signal.plural.slice(1)} that will never reach the Collector: reason="buffer_full" (oldest dropped at the bound) or "rejected" (refused by the Collector).`,
  });
  meter.addBatchObservableCallback(
    result => {
      const s = stats();
      result.observe(size, s.bytes);
      result.observe(limit, s.maxBytes);
      result.observe(items, s.items);
      result.observe(dropped, s.droppedItems, { reason: 'buffer_full' });
      result.observe(dropped, s.rejectedItems, { reason: 'rejected' });
    },
    [size, limit, items, dropped],
  );
}

export function startMetrics(
  config: MetricsConfig,
  resource: Resource,
  logger: Logger,
  buffers: readonly BufferSource[] = [],
): MetricsHandle {
  const sdk = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const readers: MetricReader[] = [];
  let listening = Promise.resolve();
  if (config.prometheus) {
    const prometheus = startPrometheus(config, sdk, logger);
    readers.push(prometheus.reader);
    listening = prometheus.listening;
  }
  if (config.push) {
    readers.push(
      new sdk.PeriodicExportingMetricReader({
        exporter: createOtlpExporter<PushMetricExporter>(config.otlp, METRIC_EXPORTERS, logger),
        exportIntervalMillis: config.exportIntervalMillis,
        exportTimeoutMillis: Math.min(config.otlp.timeoutMillis, config.exportIntervalMillis),
      }),
    );
  }
  const meterProvider = new sdk.MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(meterProvider);

  const { recordHttpServerMetrics } = require('./http-server-metrics') as typeof import('./http-server-metrics');
  const meter = meterProvider.getMeter('@shopfloor/otel-bootstrap');
  recordHttpServerMetrics(meter, config.prometheus ? config.port : undefined);
  for (const source of buffers) recordBufferMetrics(meter, source);

  return {
    meterProvider,
    listening,
    shutdown: () => meterProvider.shutdown(),
  };
}

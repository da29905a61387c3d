/**
 * The persistence phase's pure parts (unit-tested in persistence.test.ts): the config overlays
 * that run the shipped Collector and Jaeger configs on bench-owned ports, with the persistent
 * stores swapped for in-memory ones, and the arithmetic of the figures.
 *
 * Both binaries take several `--config` files and merge them in order (maps are merged key by
 * key, lists and scalars replaced, `null` clears a key). So the shipped files are used as they
 * are, and a small overlay, written as JSON (which is YAML) to a temporary directory, moves every
 * listener to a port of the bench's own and, for the in-memory variants, clears the store:
 *   Collector  exporters.otlp_grpc/jaeger.sending_queue.storage: null  (in-memory sending queue;
 *              same bytes sizer and bound, same batching)
 *   Jaeger     extensions.jaeger_storage.backends.shopfloor_traces: {badger: null,
 *              memory: {max_traces: 100000}}
 * The fixed ports of the shipped files (Collector 4317/4318/8888/8889/13133, Jaeger
 * 14317/14318/16686/16685/14133/14269) are never bound, so the phase runs beside a running stack.
 */

/** The Collector's listeners, all on loopback. */
export interface CollectorPorts {
  otlpGrpc: number;
  otlpHttp: number;
  /** Own telemetry (the shipped :8888). */
  telemetry: number;
  /** Span metrics exporter (the shipped :8889). */
  spanMetrics: number;
  health: number;
}

/** Jaeger's listeners, all on loopback. */
export interface JaegerPorts {
  otlpGrpc: number;
  otlpHttp: number;
  query: number;
  queryGrpc: number;
  /** Own telemetry (the shipped :14269). */
  telemetry: number;
  health: number;
}

export type CollectorQueue = 'persistent' | 'in-memory';
export type JaegerStore = 'badger' | 'memory';

/** The name of the trace exporter whose queue is compared (otel-collector/config.yaml). */
export const COLLECTOR_TRACE_EXPORTER = 'otlp_grpc/jaeger';
/** Jaeger's trace store name and its exporter (compose/jaeger/config.yaml). */
export const JAEGER_TRACE_BACKEND = 'shopfloor_traces';
export const JAEGER_TRACE_EXPORTER = 'jaeger_storage_exporter';
/** The memory store's bound in the in-memory Jaeger variant. */
export const JAEGER_MEMORY_MAX_TRACES = 100_000;

const LOOPBACK = '127.0.0.1';
const at = (port: number) => `${LOOPBACK}:${port}`;

/** The own-telemetry reader, written out as the shipped files have it (names without suffixes). */
function telemetryReaders(port: number) {
  return [
    {
      pull: {
        exporter: {
          prometheus: { host: LOOPBACK, port, without_scope_info: true, without_units: true, without_type_suffix: true },
        },
      },
    },
  ];
}

/**
 * The overlay on otel-collector/config.yaml: every listener on `ports`; for `in-memory`, the
 * trace exporter's sending queue without storage (its other settings stay the shipped ones).
 */
export function collectorOverlay(ports: CollectorPorts, queue: CollectorQueue): Record<string, unknown> {
  const overlay = {
    extensions: { health_check: { endpoint: at(ports.health) } },
    receivers: { otlp: { protocols: { grpc: { endpoint: at(ports.otlpGrpc) }, http: { endpoint: at(ports.otlpHttp) } } } },
    exporters: {
      prometheus: { endpoint: at(ports.spanMetrics) },
      ...(queue === 'in-memory' ? { [COLLECTOR_TRACE_EXPORTER]: { sending_queue: { storage: null } } } : {}),
    },
    service: { telemetry: { metrics: { readers: telemetryReaders(ports.telemetry) } } },
  };
  return overlay;
}

/**
 * The overlay on compose/jaeger/config.yaml: every listener on `ports`, the Monitor tab's
 * Prometheus at `prometheusUrl` (the bench starts none: only the Monitor tab would ask it);
 * for `memory`, the trace store in memory instead of Badger.
 */
export function jaegerOverlay(ports: JaegerPorts, store: JaegerStore, prometheusUrl: string): Record<string, unknown> {
  return {
    extensions: {
      healthcheckv2: { http: { endpoint: at(ports.health) } },
      jaeger_query: { http: { endpoint: at(ports.query) }, grpc: { endpoint: at(ports.queryGrpc) } },
      jaeger_storage: {
        ...(store === 'memory' ? { backends: { [JAEGER_TRACE_BACKEND]: { badger: null, memory: { max_traces: JAEGER_MEMORY_MAX_TRACES } } } } : {}),
        metric_backends: { shopfloor_span_metrics: { prometheus: { endpoint: prometheusUrl } } },
      },
    },
    receivers: { otlp: { protocols: { grpc: { endpoint: at(ports.otlpGrpc) }, http: { endpoint: at(ports.otlpHttp) } } } },
    service: { telemetry: { metrics: { readers: telemetryReaders(ports.telemetry) } } },
  };
}

/** Every port an overlay binds (for the check that none is a shipped one, and the report). */
export function portsOf(ports: CollectorPorts | JaegerPorts): number[] {
  return Object.values(ports);
}

/** The `p`-th percentile (0..100) of `samples`, nearest rank; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  const xs = samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * xs.length);
  return xs[Math.min(xs.length - 1, Math.max(0, rank - 1))]!;
}

/** Bytes per item, NaN when there are no items. */
export function perItem(bytes: number, items: number): number {
  return items > 0 ? bytes / items : NaN;
}

/** One line of the phase's side-by-side table: a variant against its baseline (medians). */
export interface PersistenceRatio {
  figure: string;
  unit: string;
  /** The persistent variant (persistent queue, Badger, Collector outage) and its value. */
  variant: string;
  value: number;
  /** The in-memory variant (in-memory queue, memory store, Collector up) and its value. */
  baseline: string;
  baselineValue: number;
  /** value / baselineValue. */
  ratio: number;
}

/** A measurement as far as the ratios need it (see stats.ts). */
interface Median {
  name: string;
  variant: string;
  unit: string;
  median: number;
}

/** The variant names of the comparisons: [variant, baseline]. */
export const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['persistent', 'in-memory'],
  ['badger', 'memory'],
  ['collector-down', 'collector-up'],
];

/**
 * Every `persistence.*` figure measured for both variants of a pair, as a ratio row, in the
 * order first measured.
 */
export function persistenceRatios(ms: readonly Median[]): PersistenceRatio[] {
  const names: string[] = [];
  for (const m of ms) if (m.name.startsWith('persistence.') && !names.includes(m.name)) names.push(m.name);
  const rows: PersistenceRatio[] = [];
  for (const name of names) {
    for (const [p, q] of PAIRS) {
      const a = ms.find(m => m.name === name && m.variant === p);
      const b = ms.find(m => m.name === name && m.variant === q);
      if (!a || !b) continue;
      rows.push({ figure: name, unit: a.unit, variant: p, value: a.median, baseline: q, baselineValue: b.median, ratio: b.median === 0 ? NaN : a.median / b.median });
    }
  }
  return rows;
}

/** The order the variants of one comparison run in, round by round: A B, B A, A B, ... */
export function alternate<T>(pair: readonly [T, T], rounds: number): T[] {
  const out: T[] = [];
  for (let r = 0; r < rounds; r++) out.push(...(r % 2 === 0 ? pair : [pair[1], pair[0]]));
  return out;
}

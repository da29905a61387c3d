/**
 * Traces: context manager, propagators, sampler, batch processor, OTLP/HTTP
 * (protobuf or JSON).
 */
import {
  context,
  propagation,
  ProxyTracerProvider,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanOptions,
  type TextMapPropagator,
  type Tracer,
  type TracerOptions,
  type TracerProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ExportResult } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type {
  ReadableSpan,
  Sampler,
  SamplingResult,
  SpanExporter,
  SpanProcessor,
  TracerProvider as SdkTracerProvider,
} from '@opentelemetry/sdk-trace';
import type { BufferedOtlpExporter } from './buffered-exporter';
import { idleStats, type OtlpBufferStats } from './otlp-buffer';
import { TRACES } from './otlp-signals';
import type { BootstrapConfig, PropagatorName, SamplerName, TracesConfig } from './types';
import { describeError, type Logger } from './utils';

type SdkTraceBase = typeof import('@opentelemetry/sdk-trace');
type Core = typeof import('@opentelemetry/core');

/**
 * @opentelemetry/core (with the semantic-conventions entry point it loads,
 * ~40 modules) is loaded by the first span, propagation or export, not at
 * start-up.
 */
let coreModule: Core | undefined;
export function core(): Core {
  return (coreModule ??= require('@opentelemetry/core') as Core);
}

/** sdk-trace (~35 modules) is loaded when the tracer provider is built, not at start-up. */
function sdkTraceBase(): SdkTraceBase {
  return require('@opentelemetry/sdk-trace') as SdkTraceBase;
}

export function buildSampler(name: SamplerName, ratio: number): Sampler {
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = sdkTraceBase();
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/** The path of a server span's URL, from its start attributes (stable or old HTTP conventions). */
function serverPath(attributes: Attributes): string | undefined {
  const path = attributes['url.path'];
  if (typeof path === 'string') return path;
  const target = attributes['http.target'];
  return typeof target === 'string' ? target.split('?', 1)[0] : undefined;
}

/**
 * Drops server spans of the excluded paths (health probes, scrapes) before any
 * other sampling: they are not recorded at all, and with a parent-based
 * sampler neither is anything they cause. Everything else goes to `delegate`.
 */
export class ExcludedPathsSampler implements Sampler {
  constructor(
    private readonly paths: ReadonlySet<string>,
    private readonly delegate: Sampler,
  ) {}

  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (kind === SpanKind.SERVER) {
      const path = serverPath(attributes);
      if (path !== undefined && this.paths.has(path)) return { decision: sdkTraceBase().SamplingDecision.NOT_RECORD };
    }
    return this.delegate.shouldSample(ctx, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `ExcludedPathsSampler{${[...this.paths].join(',')}; ${this.delegate.toString()}}`;
  }
}

/**
 * The configured W3C propagators, built (with @opentelemetry/core) on first
 * use: the first inject or extract.
 */
class LazyPropagator implements TextMapPropagator {
  private real: TextMapPropagator | undefined;

  constructor(private readonly names: readonly PropagatorName[]) {}

  private get propagator(): TextMapPropagator {
    if (this.real === undefined) {
      const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = core();
      this.real = new CompositePropagator({
        propagators: this.names.map(n => (n === 'tracecontext' ? new W3CTraceContextPropagator() : new W3CBaggagePropagator())),
      });
    }
    return this.real;
  }

  inject(...args: Parameters<TextMapPropagator['inject']>): void {
    this.propagator.inject(...args);
  }

  extract(...args: Parameters<TextMapPropagator['extract']>): Context {
    return this.propagator.extract(...args);
  }

  fields(): string[] {
    return this.propagator.fields();
  }
}

export function buildPropagator(names: readonly PropagatorName[]): TextMapPropagator | undefined {
  if (names.length === 0) return undefined;
  return new LazyPropagator(names);
}

/** The endpoint as safe to print: no userinfo, no query string. */
export function printableUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Builds its exporter on first use instead of at start-up. The OTLP/HTTP
 * exporter pulls in about 70 modules (otlp-exporter-base, otlp-transformer
 * with its metrics and logs serializers, sdk-logs) — over a third of what the
 * preload loads. `warm()` builds it ahead of the first export, at the first
 * idle moment (see start.ts); a process that ends before that and never
 * exported a span never loads it. If it cannot be built, `onFailure` hears
 * it once and every export fails with that error (the spans are dropped).
 */
export class LazySpanExporter implements SpanExporter {
  private inner: SpanExporter | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly create: () => SpanExporter,
    private readonly onFailure: (err: Error) => void = () => {},
  ) {}

  /** Builds the exporter now (once); undefined if that failed. */
  warm(): SpanExporter | undefined {
    if (this.inner === undefined && this.failure === undefined) {
      try {
        this.inner = this.create();
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(String(err));
        this.onFailure(this.failure);
      }
    }
    return this.inner;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const inner = this.warm();
    if (inner === undefined) {
      resultCallback({ code: core().ExportResultCode.FAILED, error: this.failure });
      return;
    }
    inner.export(spans, resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner?.shutdown() ?? Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return this.inner?.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * A tracer that resolves to the SDK's tracer the first time it starts a span (see
 * LazyTracerProvider).
 */
class LazyTracer implements Tracer {
  private tracer: Tracer | undefined;

  constructor(private readonly resolve: () => Tracer) {}

  private get real(): Tracer {
    return (this.tracer ??= this.resolve());
  }

  startSpan(name: string, options?: SpanOptions, ctx?: Context): Span {
    return this.real.startSpan(name, options, ctx);
  }

  startActiveSpan: Tracer['startActiveSpan'] = ((...args: Parameters<Tracer['startActiveSpan']>) =>
    (this.real.startActiveSpan as (...a: unknown[]) => unknown)(...args)) as Tracer['startActiveSpan'];
}

/**
 * The global tracer provider, built on first use — the first span started, or the first
 * idle moment (`build()` from start.ts), whichever comes first — so that sdk-trace-base,
 * sdk-trace and @opentelemetry/resources (about 50 modules) are not loaded before the app
 * starts. Instrumentations and the app get tracers from it at once; they resolve to the SDK's
 * tracers when it is built. If it cannot be built (or is asked for after shutdown), tracers are
 * the API's no-op ones: context still propagates, nothing is recorded, nothing is thrown.
 */
export class LazyTracerProvider implements TracerProvider {
  private provider: SdkTracerProvider | undefined;
  private failed = false;
  private closed = false;

  constructor(
    private readonly create: () => SdkTracerProvider,
    private readonly onFailure: (err: unknown) => void = () => {},
  ) {}

  /** Builds the SDK provider now (once); undefined if that failed or after shutdown. */
  build(): SdkTracerProvider | undefined {
    if (this.provider === undefined && !this.failed && !this.closed) {
      try {
        this.provider = this.create();
      } catch (err) {
        this.failed = true;
        this.onFailure(err);
      }
    }
    return this.provider;
  }

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    return new LazyTracer(
      () => this.build()?.getTracer(name, version, options) ?? new ProxyTracerProvider().getTracer(name, version, options),
    );
  }

  forceFlush(): Promise<void> {
    return this.provider?.forceFlush() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.closed = true;
    return this.provider?.shutdown() ?? Promise.resolve();
  }
}

export interface TracingHandle {
  /** undefined when OTEL_TRACES_EXPORTER=none. */
  provider: TracerProvider | undefined;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  /** Builds the tracer provider and loads what the first export will need (called at the first idle moment). */
  warm?(): void;
  /**
   * The OTLP exporter's buffer counters, for /metrics: undefined without an
   * OTLP exporter, zeros until the exporter is built.
   */
  bufferStats?(): OtlpBufferStats;
}

/**
 * The configured exporters. The OTLP one is ours (buffered-exporter.ts): it
 * encodes spans at once and holds the bytes through a Collector outage.
 * `onOtlp` hears it when it has been built.
 */
function buildExporters(
  traces: TracesConfig,
  logger: Logger,
  reported: WeakSet<object>,
  onOtlp: (exporter: BufferedOtlpExporter<ReadableSpan>) => void,
): SpanExporter[] {
  return traces.exporters.map(name => {
    if (name === 'console') return new (sdkTraceBase().ConsoleSpanExporter)();
    return new LazySpanExporter(() => {
      const { createBufferedOtlpExporter } = require('./buffered-exporter') as typeof import('./buffered-exporter');
      const otlp = createBufferedOtlpExporter<ReadableSpan>(TRACES, traces, printableUrl(traces.otlp.endpoint), logger);
      onOtlp(otlp);
      return otlp;
    }, err => {
      // Reported here once; the batch processor's copies of it are not repeated.
      reported.add(err);
      logger.warn(`traces disabled: could not load the OTLP exporter (${describeError(err)})`);
    });
  });
}

/**
 * Sets up context propagation now, and a tracer provider that is built on first use.
 * `resource` is called when the provider is built.
 */
export function startTracing(
  config: BootstrapConfig,
  resource: () => Resource,
  logger: Logger,
  reported: WeakSet<object>,
  beforeBuild: () => void = () => {},
): TracingHandle {
  // Context propagation works even with traces off: downstream services still
  // receive the caller's traceparent through non-recording spans.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const propagator = buildPropagator(config.propagators);
  if (propagator) propagation.setGlobalPropagator(propagator);

  const traces = config.traces;
  if (traces.exporters.length === 0) {
    return { provider: undefined, forceFlush: async () => {}, shutdown: async () => {} };
  }

  let exporters: SpanExporter[] = [];
  let otlpExporter: BufferedOtlpExporter<ReadableSpan> | undefined;
  const lazy = new LazyTracerProvider(
    () => {
      beforeBuild();
      const { TracerProvider, BatchSpanProcessor } = sdkTraceBase();
      exporters = buildExporters(traces, logger, reported, e => (otlpExporter = e));
      const spanProcessors: SpanProcessor[] = exporters.map(exporter => new BatchSpanProcessor({ exporter, ...traces.batch }));
      const sampler = buildSampler(traces.sampler, traces.samplerArg);
      return new TracerProvider({
        resource: resource(),
        sampler: traces.excludedPaths.length > 0 ? new ExcludedPathsSampler(new Set(traces.excludedPaths), sampler) : sampler,
        spanLimits: traces.spanLimits,
        spanProcessors,
      });
    },
    err => logger.warn(`traces disabled: could not start tracing (${describeError(err)})`),
  );
  trace.setGlobalTracerProvider(lazy);
  const idle = idleStats(traces.bufferMaxBytes);
  return {
    provider: lazy,
    // The batch processor's flush hands its spans to the exporters but does
    // not wait for them to be sent: that is the exporters' own flush.
    forceFlush: async () => {
      await lazy.forceFlush();
      await Promise.all(exporters.map(e => e.forceFlush?.()));
    },
    shutdown: () => lazy.shutdown(),
    warm: () => {
      lazy.build();
      for (const e of exporters) if (e instanceof LazySpanExporter) e.warm();
    },
    ...(traces.exporters.includes('otlp') ? { bufferStats: () => otlpExporter?.stats() ?? idle } : {}),
  };
}

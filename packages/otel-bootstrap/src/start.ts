/**
 * Wires the pieces together. Only loaded when the SDK is enabled: this is the
 * first module that loads OpenTelemetry.
 */
import { inspect } from 'util';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { createInstrumentations, LOAD_ON_FIRST_REQUIRE } from './instrumentations';
import { beforeFirstFetch, beforeFirstRequire } from './lazy-load';
import { startMetrics, type MetricsHandle } from './metrics';
import type { Resource } from '@opentelemetry/resources';
import { installShutdownHooks, type Flushable } from './shutdown';
import { core, startTracing, type TracingHandle } from './tracing';
import type { BootstrapConfig, ConfigWarning, InstrumentationName, LogLevelName } from './types';
import { describeError, type Logger } from './utils';

const DIAG_LEVEL: Record<LogLevelName, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/**
 * SDK messages that are expected in this setup and tell the operator nothing
 * actionable. host-metrics warns on every start that it is deprecated in
 * favour of @opentelemetry/instrumentation-host-metrics, which has no release
 * for the OpenTelemetry JS 2.x line we pin (see README).
 */
const KNOWN_NOISE = [/@opentelemetry\/host-metrics is deprecated/];

/** Longest SDK diagnostic argument we print (some pass whole span batches at debug). */
const MAX_ARG = 500;

function formatArg(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (arg instanceof Error) return describeError(arg);
  const text = inspect(arg, { depth: 2, breakLength: Infinity });
  return text.length > MAX_ARG ? `${text.slice(0, MAX_ARG)}…` : text;
}

/** Routes `diag` (the SDK's own logging) through our de-duplicating logger. */
export function diagAdapter(logger: Logger): DiagLogger {
  const emit =
    (severity: 'error' | 'warn' | 'info' | 'debug' | 'verbose') =>
    (message: string, ...args: unknown[]): void => {
      if (!logger.enabled(severity)) return;
      const text = [message, ...args].map(formatArg).join(' ');
      if (KNOWN_NOISE.some(re => re.test(text))) return;
      // The SDK re-validates some variables config.ts already reported.
      if (logger.isEchoOfConfigWarning(text)) return;
      logger.log(severity, text);
    };
  return { error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug'), verbose: emit('verbose') };
}

export interface Handle extends Flushable {
  /** Set at the first idle moment after start-up (undefined before, and when metrics are off or failed). */
  readonly metrics: MetricsHandle | undefined;
}

/**
 * Starts telemetry. Each subsystem fails on its own: if metrics cannot start,
 * traces still work, and vice versa.
 */
export function start(config: BootstrapConfig, warnings: readonly ConfigWarning[], logger: Logger): Handle {
  const onInstrumentationError = (name: string, err: unknown) =>
    logger.warn(`instrumentation "${name}" not loaded: ${describeError(err)}`);
  for (const w of warnings) logger.markReported(w.variable, w.value);
  diag.setLogger(diagAdapter(logger), { logLevel: DIAG_LEVEL[config.logLevel], suppressOverrideMessage: true });

  // Export errors reach here from the batch processor; the ones the exporter
  // wrapper already reported (once per failure streak) are not repeated.
  // Installed with the SDK (tracer provider or metrics), which loads
  // @opentelemetry/core anyway.
  const reported = new WeakSet<object>();
  let errorHandlerSet = false;
  const installErrorHandler = (): void => {
    if (errorHandlerSet) return;
    errorHandlerSet = true;
    core().setGlobalErrorHandler(err => {
      if (typeof err === 'object' && err !== null && reported.has(err)) return;
      logger.error(describeError(err));
    });
  };

  // Must be set before the instrumentations load: they read it at construction.
  // Kept if the user set it. (The pinned instrumentation-http already emits
  // only stable HTTP conventions; this keeps others and child processes aligned.)
  if (!process.env.OTEL_SEMCONV_STABILITY_OPT_IN?.trim()) {
    process.env.OTEL_SEMCONV_STABILITY_OPT_IN = config.semconvStabilityOptIn;
  }

  // Built when first needed (the tracer provider or the metrics), with @opentelemetry/resources.
  let resource: Resource | undefined;
  const getResource = (): Resource =>
    (resource ??= (require('./resource') as typeof import('./resource')).buildResource(config));
  let tracing: TracingHandle;
  try {
    tracing = startTracing(config, getResource, logger, reported, installErrorHandler);
  } catch (err) {
    logger.warn(`traces disabled: could not start tracing (${describeError(err)})`);
    tracing = { provider: undefined, forceFlush: async () => {}, shutdown: async () => {} };
  }

  let metricsHandle: MetricsHandle | undefined;
  let closed = false;
  const handle: Handle = {
    get metrics() {
      return metricsHandle;
    },
    forceFlush: async () => {
      await Promise.all([tracing.forceFlush(), metricsHandle?.meterProvider.forceFlush()]);
    },
    shutdown: async () => {
      closed = true;
      await Promise.all([tracing.shutdown(), metricsHandle?.shutdown()]);
    },
  };
  // Before the instrumentations: whatever happens next, queued spans get flushed.
  installShutdownHooks(handle, { logger });

  // Only the instrumentations have to be in place before the app's own code
  // runs (they hook its require() calls), and each only once the app requires
  // the library it instruments (LOAD_ON_FIRST_REQUIRE). The tracer provider
  // (built on the first span), the metrics pipeline (sdk-metrics, the
  // Prometheus exporter and its server, host-metrics with systeminformation,
  // runtime-node) and the OTLP exporter are set up at the first idle moment:
  // in a service that is while it waits for its first connections, before it
  // can serve a request. Instrumentations record metrics through the meter
  // provider handed to them then.
  const withRuntimeNode = config.metrics.prometheus && config.instrumentations.includes('runtime-node');
  const instrumentationContext = { prometheusPort: config.metrics.prometheus ? config.metrics.port : undefined };
  const instrumentations: Instrumentation[] = [];
  const register = (names: InstrumentationName[]): void => {
    try {
      const made = createInstrumentations(names, instrumentationContext, onInstrumentationError);
      if (made.length === 0) return;
      // Loaded with the first instrumentation (with require-in-the-middle and import-in-the-middle).
      const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
      registerInstrumentations({
        instrumentations: made,
        ...(tracing.provider ? { tracerProvider: tracing.provider } : {}),
        ...(metricsHandle ? { meterProvider: metricsHandle.meterProvider } : {}),
      });
      instrumentations.push(...made);
    } catch (err) {
      logger.warn(`instrumentations ${names.join(', ')} not registered: ${describeError(err)}`);
    }
  };
  // runtime-node only produces metrics: it comes with the meter provider, if any.
  const names = config.instrumentations.filter(n => n !== 'runtime-node');
  register(names.filter(n => n !== 'undici' && LOAD_ON_FIRST_REQUIRE[n] === undefined));
  for (const name of names) {
    const modules = LOAD_ON_FIRST_REQUIRE[name];
    if (modules) beforeFirstRequire(modules, () => register([name]));
  }
  const loadUndici = names.includes('undici') ? beforeFirstFetch(() => register(['undici'])) : () => {};

  const deferred = (): void => {
    if (closed) return;
    installErrorHandler();
    loadUndici();
    tracing.warm?.();
    if (!config.metrics.prometheus) return;
    try {
      metricsHandle = startMetrics(config.metrics, getResource(), logger);
    } catch (err) {
      logger.warn(`metrics disabled: could not start the Prometheus exporter (${describeError(err)})`);
      return;
    }
    const meterProvider = metricsHandle.meterProvider;
    try {
      for (const instrumentation of instrumentations) instrumentation.setMeterProvider(meterProvider);
      if (withRuntimeNode) register(['runtime-node']);
    } catch (err) {
      logger.warn(`instrumentation metrics not registered: ${describeError(err)}`);
    }
  };
  // unref'd: a script that ends before its first idle moment never pays for it.
  setImmediate(() => {
    try {
      deferred();
    } catch (err) {
      logger.warn(`telemetry set-up failed: ${describeError(err)}`);
    }
  }).unref();
  return handle;
}

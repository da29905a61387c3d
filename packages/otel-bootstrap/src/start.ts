/**
 * Wires the pieces together. Only loaded when the SDK is enabled: this is the
 * first module that loads OpenTelemetry.
 */
import { inspect } from 'util';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { createInstrumentations } from './instrumentations';
import { startMetrics, type MetricsHandle } from './metrics';
import { buildResource } from './resource';
import { installShutdownHooks, type Flushable } from './shutdown';
import { startTracing, type TracingHandle } from './tracing';
import type { BootstrapConfig, ConfigWarning, LogLevelName } from './types';
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
  const reported = new WeakSet<object>();
  setGlobalErrorHandler(err => {
    if (typeof err === 'object' && err !== null && reported.has(err)) return;
    logger.error(describeError(err));
  });

  // Must be set before the instrumentations load: they read it at construction.
  // Kept if the user set it. (The pinned instrumentation-http already emits
  // only stable HTTP conventions; this keeps others and child processes aligned.)
  if (!process.env.OTEL_SEMCONV_STABILITY_OPT_IN?.trim()) {
    process.env.OTEL_SEMCONV_STABILITY_OPT_IN = config.semconvStabilityOptIn;
  }

  const resource = buildResource(config);
  let tracing: TracingHandle;
  try {
    tracing = startTracing(config, resource, logger, reported);
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
  // runs (they hook its require() calls). The metrics pipeline (sdk-metrics,
  // the Prometheus exporter and its server, host-metrics with
  // systeminformation, runtime-node) and the OTLP exporter are set up at the
  // first idle moment instead: in a service that is while it waits for its
  // first connections, before it can serve a request. The instrumentations
  // record metrics through the meter provider handed to them then.
  const withRuntimeNode = config.metrics.prometheus && config.instrumentations.includes('runtime-node');
  let instrumentations: Instrumentation[] = [];
  try {
    // runtime-node only produces metrics: it comes with the meter provider, if any.
    const names = config.instrumentations.filter(n => n !== 'runtime-node');
    instrumentations = createInstrumentations(
      names,
      { prometheusPort: config.metrics.prometheus ? config.metrics.port : undefined },
      onInstrumentationError,
    );
    registerInstrumentations({
      instrumentations,
      ...(tracing.provider ? { tracerProvider: tracing.provider } : {}),
    });
  } catch (err) {
    logger.warn(`instrumentations not registered: ${describeError(err)}`);
  }

  const deferred = (): void => {
    if (closed) return;
    tracing.warm?.();
    if (!config.metrics.prometheus) return;
    try {
      metricsHandle = startMetrics(config.metrics, resource, logger);
    } catch (err) {
      logger.warn(`metrics disabled: could not start the Prometheus exporter (${describeError(err)})`);
      return;
    }
    const meterProvider = metricsHandle.meterProvider;
    try {
      for (const instrumentation of instrumentations) instrumentation.setMeterProvider(meterProvider);
      if (withRuntimeNode) {
        registerInstrumentations({
          instrumentations: createInstrumentations(['runtime-node'], { prometheusPort: config.metrics.port }, onInstrumentationError),
          meterProvider,
        });
      }
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

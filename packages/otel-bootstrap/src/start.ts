/**
 * Wires the pieces together. Only loaded when the SDK is enabled: this is the
 * first module that loads OpenTelemetry.
 */
import { inspect } from 'util';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { entryOf, type InstrumentationName } from './catalog';
import { createInstrumentations, type InstrumentationContext } from './instrumentations';
import { beforeFirstFetch, beforeFirstRequire, isInstalled } from './lazy-load';
import { startLogs, type LogsHandle } from './logs';
import { startMetrics, type BufferSource, type MetricsHandle } from './metrics';
import { LOGS, TRACES } from './otlp-signals';
import type { Resource } from '@opentelemetry/resources';
import { installShutdownHooks, type Flushable } from './shutdown';
import { core, startTracing, type TracingHandle } from './tracing';
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

/** Set by the ESM entry (register.mjs) before it loads this preload. */
const ESM_KEY = Symbol.for('@shopfloor/otel-bootstrap.esm');

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
  let logsHandle: LogsHandle | undefined;
  let closed = false;
  const handle: Handle = {
    get metrics() {
      return metricsHandle;
    },
    forceFlush: async () => {
      await Promise.all([tracing.forceFlush(), metricsHandle?.meterProvider.forceFlush(), logsHandle?.forceFlush()]);
    },
    shutdown: async () => {
      closed = true;
      await Promise.all([tracing.shutdown(), metricsHandle?.shutdown(), logsHandle?.shutdown()]);
    },
  };
  // Before the instrumentations: whatever happens next, queued spans get flushed.
  installShutdownHooks(handle, { logger });

  // Only the instrumentations have to be in place before the app's own code
  // runs (they hook its require() calls), and each only once the app requires
  // the library it instruments (its catalog trigger). The tracer provider
  // (built on the first span), the metrics pipeline (sdk-metrics, the
  // Prometheus exporter and its server, host-metrics, runtime-node), the logs
  // pipeline and the OTLP exporters are set up at the first idle moment: in a
  // service that is while it waits for its first connections, before it can
  // serve a request. Instrumentations record metrics through the meter
  // provider handed to them then.
  const metricsOn = config.metrics.prometheus || config.metrics.push;
  const ctx: InstrumentationContext = {
    prometheusPort: config.metrics.prometheus ? config.metrics.port : undefined,
    logsExport: config.logs.export,
  };
  const instrumentations: Instrumentation[] = [];
  const register = (names: InstrumentationName[]): void => {
    if (names.length === 0) return;
    try {
      const made = createInstrumentations(names, ctx, onInstrumentationError);
      if (made.length === 0) return;
      // Loaded with the first instrumentation (with require-in-the-middle and import-in-the-middle).
      const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
      registerInstrumentations({
        instrumentations: made,
        ...(tracing.provider ? { tracerProvider: tracing.provider } : {}),
        ...(metricsHandle ? { meterProvider: metricsHandle.meterProvider } : {}),
        ...(logsHandle ? { loggerProvider: logsHandle.provider } : {}),
      });
      instrumentations.push(...made);
    } catch (err) {
      logger.warn(`instrumentations ${names.join(', ')} not registered: ${describeError(err)}`);
    }
  };

  // Under --import (ESM) the whole module graph is linked before any code
  // runs, so a first-require trigger would come too late: the instrumentations
  // of every library the app has installed are created now instead.
  const esm = (globalThis as { [ESM_KEY]?: boolean })[ESM_KEY] === true;
  const now: InstrumentationName[] = [];
  const withMetrics: InstrumentationName[] = [];
  let loadUndici = (): void => {};
  for (const name of config.instrumentations) {
    const trigger = entryOf(name).trigger;
    if ('modules' in trigger) {
      if (!esm) beforeFirstRequire(trigger.modules, () => register([name]));
      else if (trigger.modules.some(m => isInstalled(m))) now.push(name);
    } else if ('fetch' in trigger) {
      loadUndici = beforeFirstFetch(() => register([name]));
      beforeFirstRequire(['undici'], loadUndici);
    } else if ('withMetrics' in trigger) {
      if (metricsOn) withMetrics.push(name);
    } else if (process.env._HANDLER !== undefined) {
      now.push(name); // aws-lambda: the handler module it wraps is named by _HANDLER
    }
  }
  register(now);

  const deferred = (): void => {
    if (closed) return;
    installErrorHandler();
    loadUndici();
    tracing.warm?.();
    if (config.logs.export) {
      try {
        logsHandle = startLogs(config.logs, getResource(), logger);
        for (const instrumentation of instrumentations) instrumentation.setLoggerProvider?.(logsHandle.provider);
      } catch (err) {
        logger.warn(`logs export disabled: could not start it (${describeError(err)})`);
      }
    }
    if (!metricsOn) return;
    try {
      const buffers: BufferSource[] = [];
      if (tracing.bufferStats) buffers.push({ signal: TRACES, stats: tracing.bufferStats });
      if (logsHandle) buffers.push({ signal: LOGS, stats: logsHandle.bufferStats });
      metricsHandle = startMetrics(config.metrics, getResource(), logger, buffers);
    } catch (err) {
      logger.warn(`metrics disabled: could not start them (${describeError(err)})`);
      return;
    }
    const meterProvider = metricsHandle.meterProvider;
    try {
      for (const instrumentation of instrumentations) instrumentation.setMeterProvider(meterProvider);
      register(withMetrics);
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

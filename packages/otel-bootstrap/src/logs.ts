/**
 * Logs over OTLP (OTEL_LOGS_EXPORTER=otlp): a LoggerProvider that the pino,
 * winston and bunyan instrumentations send their records to, with trace and
 * span ids. Loaded at the first idle moment, only when asked for.
 *
 * Records go out through the same buffered OTLP exporter as spans
 * (buffered-exporter.ts): encoded at once, held as bytes within
 * SHOPFLOOR_LOGS_BUFFER_MAX_BYTES while the Collector is away, sent in order.
 */
import { logs, type AnyValue } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { LogRecordExporter, LogRecordProcessor, LoggerProvider, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { OtlpBufferStats } from './otlp-buffer';
import { LOGS } from './otlp-signals';
import { printableUrl } from './tracing';
import type { LogsConfig } from './types';
import type { Logger } from './utils';

/**
 * Attribute keys whose values never leave the process: credentials a log call
 * may carry in its fields (`logger.info({ password }, …)`, a headers object).
 * pino's own `redact` option, where the app sets it, applies before this.
 */
export const SECRET_KEY = /pass(word|wd)?|secret|token|authori[sz]ation|cookie|api[-_]?key|credential|private[-_]?key/i;

export const REDACTED = '[REDACTED]';

/** `value` with every map entry under a secret-looking key replaced, at any depth. */
export function redactValue(value: AnyValue): AnyValue {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, AnyValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redactValue(v as AnyValue);
    return out;
  }
  return value;
}

/** Runs before the exporting processor: redacts attributes (and a map body) in place. */
export class RedactingLogRecordProcessor implements LogRecordProcessor {
  onEmit(record: ReadWriteLogRecord): void {
    for (const [key, value] of Object.entries(record.attributes)) {
      if (SECRET_KEY.test(key)) record.setAttribute(key, REDACTED);
      else if (value !== null && typeof value === 'object') record.setAttribute(key, redactValue(value as AnyValue));
    }
    if (record.body !== null && typeof record.body === 'object') record.setBody(redactValue(record.body));
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface LogsHandle {
  provider: LoggerProvider;
  /** Hands queued records to the exporter, then waits (at most OTEL_EXPORTER_OTLP_LOGS_TIMEOUT) until they have left its buffer. */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  /** The log buffer's counters, for /metrics. */
  bufferStats(): OtlpBufferStats;
}

/**
 * The batch processor's view of the exporter, without its flush: the
 * processor calls forceFlush() once per batch it hands over, so a flush of
 * four batches with the Collector down would wait out the deadline four
 * times. The handle's forceFlush waits once, after every batch is handed over
 * (as for traces); shutdown drains with its deadline.
 */
function withoutFlush(exporter: LogRecordExporter): LogRecordExporter {
  return {
    export: (records, resultCallback) => exporter.export(records, resultCallback),
    forceFlush: () => Promise.resolve(),
    shutdown: () => exporter.shutdown(),
  };
}

/**
 * Builds the provider and makes it the global one (the logger instrumentations emit through it).
 *
 * No feedback loop: the exporter's POSTs run with tracing suppressed (no span,
 * no http.client metric), and its warnings go to stderr through `logger`, never
 * through pino, winston or bunyan, so they never become log records themselves.
 */
export function startLogs(config: LogsConfig, resource: Resource, logger: Logger): LogsHandle {
  const sdk = require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
  const { createBufferedOtlpExporter } = require('./buffered-exporter') as typeof import('./buffered-exporter');
  const exporter = createBufferedOtlpExporter<ReadableLogRecord>(LOGS, config, printableUrl(config.otlp.endpoint), logger);
  const provider = new sdk.LoggerProvider({
    resource,
    processors: [
      new RedactingLogRecordProcessor(),
      // The queue between batches stays bounded (2048 records); a Collector outage does not fill it:
      // each batch is encoded and moved to the log buffer at once.
      new sdk.BatchLogRecordProcessor({ exporter: withoutFlush(exporter), maxQueueSize: 2048 }),
    ],
  });
  logs.setGlobalLoggerProvider(provider);
  // @opentelemetry/winston-transport (which instrumentation-winston sends
  // through) still emits via the pre-3.x @opentelemetry/api-logs global; the
  // provider's loggers accept those records as they are.
  try {
    const transportEntry = require.resolve('@opentelemetry/winston-transport');
    const legacy = require(require.resolve('@opentelemetry/api-logs', { paths: [transportEntry] })) as {
      logs: { setGlobalLoggerProvider(p: unknown): unknown };
    };
    legacy.logs.setGlobalLoggerProvider(provider);
  } catch {
    // winston-transport absent: winston records are simply not sent.
  }
  return {
    provider,
    forceFlush: async () => {
      await provider.forceFlush();
      await exporter.forceFlush();
    },
    shutdown: () => provider.shutdown(),
    bufferStats: () => exporter.stats(),
  };
}

/**
 * Logs over OTLP (OTEL_LOGS_EXPORTER=otlp): a LoggerProvider that the pino,
 * winston and bunyan instrumentations send their records to, with trace and
 * span ids. Loaded at the first idle moment, only when asked for.
 */
import { logs, type AnyValue } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { LogRecordExporter, LogRecordProcessor, LoggerProvider, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { createOtlpExporter } from './otlp';
import type { OtlpConfig } from './types';

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

const LOG_EXPORTERS = {
  json: '@opentelemetry/exporter-logs-otlp-http',
  protobuf: '@opentelemetry/exporter-logs-otlp-proto',
  className: 'OTLPLogExporter',
};

/** Builds the provider and makes it the global one (the logger instrumentations emit through it). */
export function startLogs(otlp: OtlpConfig, resource: Resource): LoggerProvider {
  const sdk = require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
  const provider = new sdk.LoggerProvider({
    resource,
    processors: [
      new RedactingLogRecordProcessor(),
      // Bounded like the span queue: when the Collector is away, records are dropped, not hoarded.
      new sdk.BatchLogRecordProcessor({ exporter: createOtlpExporter<LogRecordExporter>(otlp, LOG_EXPORTERS), maxQueueSize: 2048 }),
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
  return provider;
}

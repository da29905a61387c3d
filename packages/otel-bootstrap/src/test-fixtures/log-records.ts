/**
 * Log records made by the real logs SDK, for exporter tests: records whose
 * body is a given name, and "typical" records shaped like a pino line of the
 * fixture services under this preload (body, severity, trace context, a few
 * fields as attributes, the same resource as the test spans).
 */
import { randomBytes } from 'crypto';
import { ROOT_CONTEXT, SeverityNumber, trace, TraceFlags } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { RESOURCE } from './spans';

const memory = new InMemoryLogRecordExporter();
const provider = new LoggerProvider({ resource: RESOURCE, processors: [new SimpleLogRecordProcessor({ exporter: memory })] });

function finish(make: () => void): ReadableLogRecord[] {
  memory.reset();
  make();
  const records = memory.getFinishedLogRecords();
  memory.reset();
  return records;
}

/** One INFO record per name, its body the name; timestamps fixed so equal names encode to equal sizes. */
export function namedLogRecords(names: string[]): ReadableLogRecord[] {
  const logger = provider.getLogger('exporter-test', '1.0.0');
  const t0 = 1_796_640_334_000;
  return finish(() => {
    for (const name of names) logger.emit({ body: name, severityNumber: SeverityNumber.INFO, severityText: 'info', timestamp: t0, observedTimestamp: t0 });
  });
}

/** `count` records like `logger.info({ orderId, sku, qty, durationMs }, 'order placed')` from pino inside a request span. */
export function pinoLikeRecords(count: number): ReadableLogRecord[] {
  const logger = provider.getLogger('@opentelemetry/instrumentation-pino', '0.56.0');
  return finish(() => {
    for (let i = 0; i < count; i++) {
      const spanContext = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED };
      const attributes = {
        orderId: `ord-${randomBytes(4).toString('hex')}`,
        sku: `SKU-${1000 + (i % 200)}`,
        qty: 1 + (i % 5),
        durationMs: 3 + (i % 40),
        hostname: 'shop-api-7d9f6c5b8-x2x4q',
        pid: 28901,
      };
      logger.emit({
        body: i % 3 === 0 ? 'order placed' : i % 3 === 1 ? 'payment authorised' : 'stock reserved',
        severityNumber: SeverityNumber.INFO,
        severityText: 'info',
        attributes,
        context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
        timestamp: Date.now(),
      });
    }
  });
}

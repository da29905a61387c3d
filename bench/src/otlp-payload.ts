/**
 * OTLP/HTTP payloads for the Collector measurement, built once with the real SDK and serializer
 * (@opentelemetry/otlp-transformer): traces, re-sent with fresh trace ids so every trace the
 * Collector and Jaeger see is new, and log records like the services' own.
 */
import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, SeverityNumber, SpanKind, TraceFlags, trace, type Attributes, type Span } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

export type Encoding = 'json' | 'protobuf';

export const CONTENT_TYPE: Record<Encoding, string> = {
  json: 'application/json',
  protobuf: 'application/x-protobuf',
};

/** Every offset at which `needle` occurs in `haystack` (non-overlapping). */
export function findAll(haystack: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  let at = haystack.indexOf(needle);
  while (at !== -1) {
    out.push(at);
    at = haystack.indexOf(needle, at + needle.length);
  }
  return out;
}

/** What the Collector step sends: `items` spans or log records per request. */
export interface OtlpPayload {
  readonly encoding: Encoding;
  readonly items: number;
  fresh(): Buffer;
}

/**
 * A serialized payload and where its trace ids sit in it. `fresh()` returns a copy in which
 * each trace id is replaced (at every occurrence) by a new random one of the same encoding:
 * 16 raw bytes in protobuf, 32 lowercase hex characters in JSON.
 */
export class PayloadTemplate implements OtlpPayload {
  private readonly sites: number[][];

  constructor(
    readonly bytes: Buffer,
    readonly encoding: Encoding,
    traceIdsHex: readonly string[],
    /** Spans in the payload. */
    readonly items: number,
  ) {
    this.sites = traceIdsHex.map(hex => {
      const needle = encoding === 'json' ? Buffer.from(hex, 'latin1') : Buffer.from(hex, 'hex');
      const at = findAll(bytes, needle);
      if (at.length === 0) throw new Error(`trace id ${hex} not found in the ${encoding} payload`);
      return at;
    });
  }

  get traces(): number {
    return this.sites.length;
  }

  fresh(): Buffer {
    return this.freshWithIds().body;
  }

  /** Like fresh(), and the new trace ids (lowercase hex), e.g. to look the traces up afterwards. */
  freshWithIds(): { body: Buffer; traceIds: string[] } {
    const out = Buffer.from(this.bytes);
    const ids = randomBytes(16 * this.sites.length);
    const traceIds: string[] = [];
    this.sites.forEach((offsets, i) => {
      const id = ids.subarray(i * 16, i * 16 + 16);
      traceIds.push(id.toString('hex'));
      const replacement = this.encoding === 'json' ? Buffer.from(id.toString('hex'), 'latin1') : id;
      for (const at of offsets) replacement.copy(out, at);
    });
    return { body: out, traceIds };
  }
}

interface Shape {
  service: string;
  name: string;
  kind: SpanKind;
  /** index of the parent in the shape list, -1 for the root */
  parent: number;
  startMs: number;
  durationMs: number;
  attributes: Attributes;
}

/**
 * One order's trace as the reference services produce it (10 spans, 3 services): HTTP server,
 * Express handler, PostgreSQL, AMQP publish/consume, an outgoing HTTP call.
 */
const ORDER_TRACE: Shape[] = [
  { service: 'bench-shop', name: 'POST /orders', kind: SpanKind.SERVER, parent: -1, startMs: 0, durationMs: 12, attributes: {
    'http.request.method': 'POST', 'http.route': '/orders', 'http.response.status_code': 201, 'url.path': '/orders',
    'url.scheme': 'http', 'server.address': '127.0.0.1', 'server.port': 8081, 'network.protocol.version': '1.1',
    'user_agent.original': 'bench', 'client.address': '127.0.0.1' } },
  { service: 'bench-shop', name: 'request handler - /orders', kind: SpanKind.INTERNAL, parent: 0, startMs: 1, durationMs: 10, attributes: {
    'http.route': '/orders', 'express.name': '/orders', 'express.type': 'request_handler' } },
  { service: 'bench-shop', name: 'INSERT shop', kind: SpanKind.CLIENT, parent: 1, startMs: 2, durationMs: 3, attributes: {
    'db.system.name': 'postgresql', 'db.namespace': 'shop', 'db.query.text': 'INSERT INTO orders (id, customer, items, model_key) VALUES ($1, $2, $3, $4) RETURNING *',
    'db.operation.name': 'INSERT', 'server.address': '127.0.0.1', 'server.port': 5432 } },
  { service: 'bench-shop', name: 'publish shopfloor', kind: SpanKind.PRODUCER, parent: 1, startMs: 6, durationMs: 3, attributes: {
    'messaging.system': 'rabbitmq', 'messaging.destination': 'shopfloor', 'messaging.rabbitmq.routing_key': 'order.created',
    'messaging.protocol': 'AMQP', 'server.address': '127.0.0.1', 'server.port': 5672 } },
  { service: 'bench-crm', name: 'crm.order-created process', kind: SpanKind.CONSUMER, parent: 3, startMs: 10, durationMs: 8, attributes: {
    'messaging.system': 'rabbitmq', 'messaging.destination': 'shopfloor', 'messaging.operation': 'process',
    'messaging.rabbitmq.routing_key': 'order.created' } },
  { service: 'bench-crm', name: 'INSERT crm', kind: SpanKind.CLIENT, parent: 4, startMs: 11, durationMs: 3, attributes: {
    'db.system.name': 'postgresql', 'db.namespace': 'crm', 'db.query.text': 'INSERT INTO contracts (order_id, contract_id) VALUES ($1, $2)',
    'server.address': '127.0.0.1', 'server.port': 5432 } },
  { service: 'bench-crm', name: 'publish shopfloor', kind: SpanKind.PRODUCER, parent: 4, startMs: 15, durationMs: 2, attributes: {
    'messaging.system': 'rabbitmq', 'messaging.destination': 'shopfloor', 'messaging.rabbitmq.routing_key': 'production.requested' } },
  { service: 'bench-mes', name: 'mes.production-requested process', kind: SpanKind.CONSUMER, parent: 6, startMs: 19, durationMs: 9, attributes: {
    'messaging.system': 'rabbitmq', 'messaging.destination': 'shopfloor', 'messaging.operation': 'process',
    'messaging.rabbitmq.routing_key': 'production.requested' } },
  { service: 'bench-mes', name: 'INSERT mes', kind: SpanKind.CLIENT, parent: 7, startMs: 20, durationMs: 3, attributes: {
    'db.system.name': 'postgresql', 'db.namespace': 'mes', 'db.query.text': 'INSERT INTO jobs (order_id, job_id, price) VALUES ($1, $2, $3)',
    'server.address': '127.0.0.1', 'server.port': 5432 } },
  { service: 'bench-mes', name: 'GET', kind: SpanKind.CLIENT, parent: 7, startMs: 24, durationMs: 3, attributes: {
    'http.request.method': 'GET', 'http.response.status_code': 200, 'url.full': 'http://127.0.0.1:8083/partner/v1/jobs',
    'server.address': '127.0.0.1', 'server.port': 8083 } },
];

export const SPANS_PER_TRACE = ORDER_TRACE.length;

/** `traces` order traces (10 spans each) as ReadableSpans, and their trace ids. */
export function buildSpans(traces: number): { spans: ReadableSpan[]; traceIds: string[] } {
  const exporter = new InMemorySpanExporter();
  const providers = new Map<string, TracerProvider>();
  const tracerOf = (service: string) => {
    let p = providers.get(service);
    if (!p) {
      p = new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment.name': 'bench' }),
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      });
      providers.set(service, p);
    }
    return p.getTracer('bench');
  };
  const traceIds: string[] = [];
  const base = Date.now();
  for (let t = 0; t < traces; t++) {
    const made: Span[] = [];
    const t0 = base + t * 40;
    for (const shape of ORDER_TRACE) {
      const parentCtx = shape.parent < 0 ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, made[shape.parent]!);
      const span = tracerOf(shape.service).startSpan(
        shape.name,
        { kind: shape.kind, attributes: { ...shape.attributes, 'order.id': `order-${t}` }, startTime: t0 + shape.startMs },
        parentCtx,
      );
      made.push(span);
    }
    made.forEach((span, i) => span.end(t0 + ORDER_TRACE[i]!.startMs + ORDER_TRACE[i]!.durationMs));
    traceIds.push(made[0]!.spanContext().traceId);
  }
  return { spans: exporter.getFinishedSpans(), traceIds };
}

/** A payload of `traces` order traces, serialized as the SDK's OTLP exporters do. */
export function buildTemplate(encoding: Encoding, traces: number): PayloadTemplate {
  const { spans, traceIds } = buildSpans(traces);
  const serializer = encoding === 'json' ? JsonTraceSerializer : ProtobufTraceSerializer;
  const bytes = serializer.serializeRequest(spans);
  if (!bytes) throw new Error(`could not serialize ${spans.length} spans as ${encoding}`);
  return new PayloadTemplate(Buffer.from(bytes), encoding, traceIds, spans.length);
}

/**
 * A payload of `records` log records as a service under the preload sends them: INFO lines of an
 * order's handling, with trace and span ids, `service.name` and a few fields. Sent as it is: log
 * stores keep every record, there is no id to refresh.
 */
export function buildLogsPayload(encoding: Encoding, records: number): OtlpPayload & { bytes: Buffer } {
  const exporter = new InMemoryLogRecordExporter();
  const services = ['shop-api', 'crm-api', 'mes-api'];
  const providers = services.map(
    service =>
      new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment.name': 'bench' }),
        processors: [new SimpleLogRecordProcessor({ exporter })],
      }),
  );
  for (let i = 0; i < records; i++) {
    const spanContext = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED };
    providers[i % services.length]!.getLogger('pino').emit({
      severityNumber: SeverityNumber.INFO,
      severityText: 'info',
      body: i % 2 ? 'order published' : 'request',
      attributes: { orderId: `order-${i}`, 'http.route': '/orders', statusCode: 201, durationMs: 12.5, queue: 'crm.order-created' },
      context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
    });
  }
  const serializer = encoding === 'json' ? JsonLogsSerializer : ProtobufLogsSerializer;
  const bytes = serializer.serializeRequest(exporter.getFinishedLogRecords());
  if (!bytes) throw new Error(`could not serialize ${records} log records as ${encoding}`);
  const body = Buffer.from(bytes);
  return { encoding, items: records, bytes: body, fresh: () => body };
}

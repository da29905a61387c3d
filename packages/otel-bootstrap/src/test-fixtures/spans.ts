/**
 * Finished spans made by the real SDK, for exporter tests: plain named spans,
 * and "typical" HTTP server spans shaped like the ones instrumentation-http
 * and express produce under this preload (attributes and resource as
 * captured from the fixture server).
 */
import { randomUUID } from 'crypto';
import { SpanKind, type Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

/** The resource of a fixture service, as captured under this preload (shared with log-records.ts). */
export const RESOURCE = resourceFromAttributes({
  'service.name': 'shop-api',
  'service.instance.id': randomUUID(),
  'process.pid': 28901,
  'process.runtime.name': 'nodejs',
  'process.runtime.version': '24.22.3',
  'process.runtime.description': 'Node.js',
  'host.name': 'shop-api-7d9f6c5b8-x2x4q',
  'host.arch': 'amd64',
  'deployment.environment.name': 'staging',
  'service.version': '1.4.2',
  'telemetry.sdk.language': 'nodejs',
  'telemetry.sdk.name': 'opentelemetry',
  'telemetry.sdk.version': '3.0.0',
});

const memory = new InMemorySpanExporter();
const provider = new TracerProvider({ resource: RESOURCE, spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });

function finish(make: () => void): ReadableSpan[] {
  memory.reset();
  make();
  const spans = memory.getFinishedSpans();
  memory.reset();
  return spans;
}

/** One span per name, in order; start and end times fixed so equal names encode to equal sizes. */
export function namedSpans(names: string[]): ReadableSpan[] {
  const tracer = provider.getTracer('exporter-test', '1.0.0');
  const t0 = 1_796_640_334_000;
  return finish(() => {
    for (const name of names) tracer.startSpan(name, { startTime: t0 }).end(t0 + 15);
  });
}

/** `count` HTTP server spans of `GET /orders/:id`, as instrumentation-http (stable conventions) with express records them. */
export function httpServerSpans(count: number): ReadableSpan[] {
  const tracer = provider.getTracer('@opentelemetry/instrumentation-http', '0.300.0');
  return finish(() => {
    for (let i = 0; i < count; i++) {
      const id = randomUUID().slice(0, 8);
      const attributes: Attributes = {
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'server.address': 'shop-api',
        'network.peer.address': '10.42.0.17',
        'network.peer.port': 40000 + (i % 20000),
        'network.protocol.version': '1.1',
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
        'url.path': `/orders/${id}`,
        'client.address': '10.42.0.17',
        'server.port': 8080,
        'http.route': '/orders/:id',
        'http.response.status_code': 200,
      };
      const start = Date.now();
      tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER, attributes, startTime: start }).end(start + 3 + (i % 40));
    }
  });
}

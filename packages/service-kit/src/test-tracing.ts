/**
 * Test helper (compiled with the package, used only by *.test.ts): an in-memory OpenTelemetry
 * tracer with an AsyncLocalStorage context manager, so code under test sees an active span the
 * way it does under the preload. @opentelemetry/sdk-trace and context-async-hooks are resolved
 * from the workspace root's node_modules.
 */
import { context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

export interface TestTracing {
  /** Runs `fn` inside a new active span, ends the span, and returns it as exported. */
  inSpan(name: string, fn: (span: Span) => unknown): Promise<ReadableSpan>;
  /** Every finished span so far. */
  finished(): ReadableSpan[];
  shutdown(): Promise<void>;
}

export function installTestTracing(): TestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer('service-kit-test');
  return {
    async inSpan(name, fn) {
      const span = tracer.startSpan(name);
      try {
        await context.with(trace.setSpan(context.active(), span), () => fn(span));
      } finally {
        span.end();
      }
      await provider.forceFlush();
      const exported = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === span.spanContext().spanId);
      if (exported === undefined) throw new Error(`span ${name} was not exported`);
      return exported;
    },
    finished: () => exporter.getFinishedSpans(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

/** Everything a span exports that could carry data: name, attributes, events, links, status. */
export function exportedText(span: ReadableSpan): string {
  return JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    links: span.links,
    status: span.status,
  });
}

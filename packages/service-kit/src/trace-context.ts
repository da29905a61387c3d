import { context, isSpanContextValid, ROOT_CONTEXT, type SpanContext, trace, TraceFlags } from '@opentelemetry/api';

/**
 * W3C trace context as stored with a record (e.g. the shop's order), so that work done later
 * (the republisher, a replay) continues the record's original trace. Only through
 * @opentelemetry/api: without the preload there is no active span and nothing is stored.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** `00-<trace id>-<span id>-<flags>` of a valid span context. */
export function formatTraceparent(spanContext: SpanContext): string | undefined {
  if (!isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** A remote span context from a version-00 `traceparent`; undefined for anything malformed or all-zero. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (match === null) return undefined;
  const spanContext: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The active span's `traceparent` (to store with a record), or null when there is none. */
export function activeTraceparent(): string | null {
  const span = trace.getActiveSpan();
  return (span && formatTraceparent(span.spanContext())) ?? null;
}

/**
 * Runs `fn` with the stored `traceparent` as the parent context, so spans started inside (e.g. the
 * amqplib publish span) are its children; a missing or malformed value runs `fn` in a fresh root
 * context (a new trace), never inside whatever happened to be active.
 */
export function withStoredTraceparent<T>(traceparent: string | null | undefined, fn: () => T): T {
  const parent = parseTraceparent(traceparent);
  return context.with(parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent), fn);
}

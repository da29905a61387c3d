/**
 * Business and messaging metrics the preload cannot know, recorded through @opentelemetry/api:
 * the preload's MeterProvider serves them on /metrics; without the preload they are no-ops.
 * Names follow the messaging semantic conventions where one exists; `messaging.queue.wait.duration`
 * has no semconv equivalent yet (deviation noted in docs/metrics.md).
 */
import { metrics, SpanStatusCode, trace, type Counter, type Histogram } from '@opentelemetry/api';
import { errorType } from './errors';

const SCOPE = '@shopfloor/service-kit';
/** 1 ms … 5 min: a healthy queue is drained in milliseconds, a stuck one in minutes. */
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];

// Created on first use, so the preload has registered its MeterProvider by then.
let instruments: { queueWait: Histogram; sent: Counter; deadLettered: Counter } | undefined;
function get() {
  instruments ??= (() => {
    const meter = metrics.getMeter(SCOPE);
    return {
      queueWait: meter.createHistogram('messaging.queue.wait.duration', {
        unit: 's',
        description: 'Time a message waited in its queue: from publish to the start of processing.',
        advice: { explicitBucketBoundaries: WAIT_BUCKETS },
      }),
      sent: meter.createCounter('messaging.client.sent.messages', {
        unit: '{message}',
        description: 'Messages the service published; failed ones carry error.type.',
      }),
      deadLettered: meter.createCounter('shopfloor.messaging.dead_lettered', {
        unit: '{message}',
        description: 'Messages this consumer dead-lettered, by queue and bounded reason class.',
      }),
    };
  })();
  return instruments;
}

export function recordQueueWait(queue: string, waitMs: number): void {
  get().queueWait.record(waitMs / 1000, { 'messaging.system': 'rabbitmq', 'messaging.destination.name': queue });
}

/** Counts a publish; `error` makes it an unsent message (the "unsent to sent" ratio of the plans). */
export function recordPublish(exchange: string, error?: unknown): void {
  get().sent.add(1, {
    'messaging.system': 'rabbitmq',
    'messaging.operation.name': 'publish',
    'messaging.destination.name': exchange || '(default)',
    ...(error === undefined ? {} : { 'error.type': errorType(error) }),
  });
}

/**
 * A dead-lettered message: counted by queue and bounded reason class, and its consumer span
 * marked failed (status description = the reason class, `shopfloor.dead_letter.reason` = the
 * class) so span-derived consumer error ratios see rejects. Call it before the message is acked:
 * the amqplib instrumentation ends the consume span on ack.
 */
export function recordDeadLetter(queue: string, reason: DeadLetterReason, err: unknown): void {
  get().deadLettered.add(1, { 'messaging.system': 'rabbitmq', 'messaging.destination.name': queue, reason });
  trace.getActiveSpan()?.setAttribute(DEAD_LETTER_REASON_ATTRIBUTE, reason);
  recordServerError(err, reason);
}

/** Span attribute of a dead-lettered message's consumer span: the bounded reason class. */
export const DEAD_LETTER_REASON_ATTRIBUTE = 'shopfloor.dead_letter.reason';

/** Bounded reason classes of dead letters (the `reason` label and the span status description). */
export type DeadLetterReason = 'invalid_message' | 'rejected' | 'retries_exhausted';

/**
 * Marks the active span as failed by `err`: `error.type` (which the Collector's span metrics turn
 * into the `error_type` label of 5xx counts), an `exception` event with `exception.type` only, and
 * status ERROR described by `description` or the exception class. Only the class, never the
 * message or stack: a message can quote input (a JSON.parse error quotes the body it failed on).
 */
export function recordServerError(err: unknown, description?: string): void {
  // Also used for consumer spans (a dead-lettered message): "server" as in the receiving side.
  const span = trace.getActiveSpan();
  if (span === undefined) return;
  const type = errorType(err);
  span.setAttribute('error.type', type);
  span.addEvent('exception', { 'exception.type': type });
  span.setStatus({ code: SpanStatusCode.ERROR, message: description ?? type });
}

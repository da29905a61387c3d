import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage, MessagePropertyHeaders } from 'amqplib';
import { z } from 'zod';
import { type Broker, DEAD_LETTER_EXCHANGE, deadLetterQueueName } from './broker';
import { describeError, describeIssues, formatIssues, InvalidMessageError, PermanentError, ValidationError } from './errors';
import type { Logger } from './logger';
import { backoffDelay, sleep } from './retry';
import { type DeadLetterReason, recordDeadLetter, recordQueueWait } from './telemetry';

/** Human-readable reason why a message was dead-lettered. */
export const REASON_HEADER = 'x-shopfloor-reason';
/** ISO-8601 time of dead-lettering. */
export const FAILED_AT_HEADER = 'x-shopfloor-failed-at';
/** Work queue the dead letter came from. */
export const ORIGIN_QUEUE_HEADER = 'x-shopfloor-queue';
/** How many times a transient failure was retried (set on each republish). */
export const RETRY_HEADER = 'x-shopfloor-retries';
/** Last transient error (on retried messages). */
export const LAST_ERROR_HEADER = 'x-shopfloor-last-error';

export type FailureKind = 'permanent' | 'transient';

/**
 * Permanent: retrying cannot help (invalid JSON, schema violation, business rule → PermanentError).
 * Everything else (DB down, broker down, timeouts, unexpected bugs) is transient and retried a
 * bounded number of times, so nothing loops forever and nothing is dropped.
 */
export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof PermanentError || err instanceof ValidationError || err instanceof z.ZodError) return 'permanent';
  if (err instanceof SyntaxError) return 'permanent';
  return 'transient';
}

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Why a message was dead-lettered, as a bounded class (the `reason` label of the metric). */
export type DeadLetterClass = DeadLetterReason;

export type FailureDecision =
  | { action: 'dead-letter'; reason: string; reasonClass: DeadLetterClass }
  | { action: 'retry'; retry: number; delayMs: number; error: string };

/** What to do with a message whose handling failed after `retriesSoFar` earlier retries. */
export function decideOnFailure(err: unknown, retriesSoFar: number, policy: RetryPolicy): FailureDecision {
  const error = describeError(err);
  if (classifyFailure(err) === 'permanent') {
    const reasonClass = err instanceof PermanentError && !(err instanceof InvalidMessageError) ? 'rejected' : 'invalid_message';
    return { action: 'dead-letter', reason: error, reasonClass };
  }
  if (retriesSoFar >= policy.maxRetries) {
    return { action: 'dead-letter', reason: `retries exhausted after ${retriesSoFar} retries: ${error}`, reasonClass: 'retries_exhausted' };
  }
  const retry = retriesSoFar + 1;
  return { action: 'retry', retry, delayMs: backoffDelay(retry, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs }), error };
}

/** The retry count carried in the headers (0 when absent or garbage). */
export function readRetryCount(headers: MessagePropertyHeaders | undefined): number {
  const value = headers?.[RETRY_HEADER];
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** Original headers (incl. W3C `traceparent`) plus the dead-letter reason. */
export function deadLetterHeaders(
  original: MessagePropertyHeaders | undefined,
  queue: string,
  reason: string,
  now: Date,
): MessagePropertyHeaders {
  return {
    ...(original ?? {}),
    [REASON_HEADER]: reason,
    [FAILED_AT_HEADER]: now.toISOString(),
    [ORIGIN_QUEUE_HEADER]: queue,
  };
}

export function retryHeaders(original: MessagePropertyHeaders | undefined, retry: number, error: string): MessagePropertyHeaders {
  return { ...(original ?? {}), [RETRY_HEADER]: retry, [LAST_ERROR_HEADER]: error };
}

/** Decodes and validates a message body; throws PermanentError with a clear reason. */
export function parseMessage<S extends z.ZodType>(content: Buffer, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch (err) {
    throw new InvalidMessageError(`invalid JSON: ${describeError(err, 200)}`);
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new InvalidMessageError(`schema violation: ${describeIssues(formatIssues(result.error.issues))}`);
  return result.data;
}

/** Milliseconds the message waited since it was first published (from the `timestamp` property, ms epoch). */
export function queueWaitMs(timestamp: unknown, now: number): number | undefined {
  return typeof timestamp === 'number' && Number.isFinite(timestamp) && timestamp > 0 ? Math.max(0, now - timestamp) : undefined;
}

export interface MessageContext {
  messageId: string | undefined;
  type: string | undefined;
  headers: MessagePropertyHeaders;
  redelivered: boolean;
  retries: number;
  /** Aborted on shutdown. */
  signal: AbortSignal;
}

export interface ConsumerOptions<S extends z.ZodType> {
  queue: string;
  schema: S;
  /** Resolve → ack. Throw PermanentError → dead letter. Throw anything else → bounded retries. */
  handler: (payload: z.output<S>, context: MessageContext) => Promise<void>;
  prefetch?: number;
  retry: RetryPolicy;
}

/**
 * Consumes one work queue with manual acks and prefetch. Outcomes:
 * - success → ack;
 * - permanent failure → publish original content + headers + reason to `shopfloor.dlx` (routing key = queue),
 *   wait for the confirm, then ack;
 * - transient failure → wait (backoff), republish to the queue with `x-shopfloor-retries` + 1, confirm, ack;
 *   after `maxRetries` → dead letter "retries exhausted after N retries: <error>".
 * If the broker cannot take the dead letter / retry, the original is nacked with requeue (never dropped).
 */
export class Consumer<S extends z.ZodType> {
  private readonly channel: ChannelWrapper;
  /** The amqplib channel of the current connection (set in setup, before consumers are attached). */
  private current: ConfirmChannel | undefined;
  private readonly abort = new AbortController();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
    private readonly options: ConsumerOptions<S>,
  ) {
    this.channel = broker.createChannel(`consumer:${options.queue}`, (ch) => {
      this.current = ch;
    });
  }

  async start(): Promise<void> {
    await this.channel.consume(this.options.queue, (msg) => void this.onMessage(msg), {
      prefetch: this.options.prefetch ?? 16,
      noAck: false,
    });
    this.logger.info({ queue: this.options.queue, prefetch: this.options.prefetch ?? 16 }, 'consumer registered');
  }

  /** Stops consuming, lets in-flight messages finish (up to `timeoutMs`), closes the channel. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.channel.cancelAll();
    } catch (err) {
      this.logger.debug({ error: describeError(err) }, 'cancelling the consumer failed');
    }
    this.abort.abort();
    if (this.inFlight > 0) {
      const idle = new AbortController();
      this.idleWaiters.push(() => idle.abort());
      const timedOut = await sleep(timeoutMs, idle.signal);
      if (timedOut) this.logger.warn({ queue: this.options.queue, inFlight: this.inFlight }, 'in-flight messages did not finish; the broker will redeliver them');
    }
    try {
      await this.channel.close();
    } catch (err) {
      this.logger.debug({ error: describeError(err) }, 'closing the consumer channel failed');
    }
  }

  private async onMessage(msg: ConsumeMessage): Promise<void> {
    const channel = this.current;
    const { queue } = this.options;
    const started = Date.now();
    const headers = msg.properties.headers ?? {};
    const retries = readRetryCount(headers);
    const meta = {
      queue,
      messageId: msg.properties.messageId as string | undefined,
      messageType: msg.properties.type as string | undefined,
      retries,
      redelivered: msg.fields.redelivered,
      queueWaitMs: queueWaitMs(msg.properties.timestamp, started),
    };
    if (meta.queueWaitMs !== undefined) recordQueueWait(queue, meta.queueWaitMs);
    this.inFlight += 1;
    try {
      let failure: FailureDecision | undefined;
      let failedWith: unknown;
      try {
        const payload = parseMessage(msg.content, this.options.schema);
        await this.options.handler(payload, {
          messageId: meta.messageId,
          type: meta.messageType,
          headers,
          redelivered: msg.fields.redelivered,
          retries,
          signal: this.abort.signal,
        });
      } catch (err) {
        failedWith = err;
        failure = decideOnFailure(err, retries, this.options.retry);
      }
      if (failure === undefined) {
        this.settle(channel, msg, 'ack');
        this.logger.info({ ...meta, durationMs: Date.now() - started }, 'message processed');
      } else if (failure.action === 'dead-letter') {
        await this.broker.publishRaw(DEAD_LETTER_EXCHANGE, queue, msg.content, {
          ...republishProperties(msg),
          headers: deadLetterHeaders(headers, queue, failure.reason, new Date()),
        });
        // Before the ack: the amqplib instrumentation ends the consume span on ack/nack, and an
        // ended span ignores its status ("Cannot execute the operation on ended Span").
        recordDeadLetter(queue, failure.reasonClass, failedWith);
        this.settle(channel, msg, 'ack');
        this.logger.warn({ ...meta, reason: failure.reason, deadLetterQueue: deadLetterQueueName(queue) }, 'message dead-lettered');
      } else {
        this.logger.warn({ ...meta, error: failure.error, retry: failure.retry, delayMs: failure.delayMs }, 'transient failure; will retry');
        const waited = await sleep(failure.delayMs, this.abort.signal);
        if (!waited) {
          this.settle(channel, msg, 'requeue');
          return;
        }
        await this.broker.publishRaw('', queue, msg.content, {
          ...republishProperties(msg),
          headers: retryHeaders(headers, failure.retry, failure.error),
        });
        this.settle(channel, msg, 'ack');
      }
    } catch (err) {
      // The broker could not take the dead letter or the retry copy: give the message back.
      this.logger.error({ ...meta, error: describeError(err) }, 'could not settle message; requeueing it');
      this.settle(channel, msg, 'requeue');
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    }
  }

  /** Ack / nack on the channel that delivered the message; after a reconnect the broker redelivers anyway. */
  private settle(channel: ConfirmChannel | undefined, msg: ConsumeMessage, how: 'ack' | 'requeue'): void {
    if (channel === undefined || channel !== this.current) {
      this.logger.debug({ queue: this.options.queue }, 'channel was replaced; the broker will redeliver the message');
      return;
    }
    try {
      if (how === 'ack') channel.ack(msg);
      else channel.nack(msg, false, true);
    } catch (err) {
      this.logger.debug({ queue: this.options.queue, error: describeError(err) }, 'channel closed before settling; the broker will redeliver the message');
    }
  }
}

/** Keeps the original identity/timing properties when re-publishing a consumed message. */
function republishProperties(msg: ConsumeMessage): {
  contentType?: string;
  contentEncoding?: string;
  messageId?: string;
  correlationId?: string;
  timestamp?: number;
  type?: string;
  appId?: string;
} {
  const p = msg.properties;
  return {
    contentType: p.contentType ?? 'application/json',
    contentEncoding: p.contentEncoding,
    messageId: p.messageId,
    correlationId: p.correlationId,
    timestamp: p.timestamp,
    type: p.type,
    appId: p.appId,
  };
}

export async function startConsumer<S extends z.ZodType>(
  broker: Broker,
  logger: Logger,
  options: ConsumerOptions<S>,
): Promise<Consumer<S>> {
  const consumer = new Consumer(broker, logger, options);
  await consumer.start();
  return consumer;
}

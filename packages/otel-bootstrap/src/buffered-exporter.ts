/**
 * The trace exporter: encodes each batch to OTLP bytes at once and reports
 * success to the batch processor, so span objects are freed and its queue
 * (OTEL_BSP_MAX_QUEUE_SIZE) never fills while the Collector is away. The
 * bytes wait in a FIFO bounded in bytes (span-buffer.ts) and are POSTed in
 * order, one request at a time (otlp-sender.ts); the request at the head is
 * retried until the Collector takes it, so a Collector that refuses
 * connections, hangs or restarts costs no span as long as the buffer holds.
 *
 * Loaded with the exporter, on first use (see LazySpanExporter).
 */
import { createRequire } from 'module';
import { gzip, gzipSync } from 'zlib';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base/node-http';
import { OtlpHttpSender, type Sender, type SendOutcome } from './otlp-sender';
import { SpanBuffer, type EncodedRequest, type SpanBufferStats } from './span-buffer';
import type { TracesConfig } from './types';
import { describeError, type Logger } from './utils';

/** Logger key of the export-failure streak: warned at its start, forgotten when an export succeeds. */
export const EXPORT_FAILURE_KEY = 'otlp-trace-export-failure';
/** Logger key of the buffer-full streak: warned at its start, forgotten when the buffer has drained. */
export const BUFFER_FULL_KEY = 'otlp-trace-buffer-full';

/** Backoff between attempts at the head request: doubling from min to max (±20 % jitter). */
export const DEFAULT_BACKOFF = { minMillis: 500, maxMillis: 5000 };
/** A Collector's Retry-After is honoured up to this (a longer one would only let the buffer overflow). */
const MAX_RETRY_AFTER_MS = 30_000;

export interface BufferedExporterOptions {
  /** Spans → one OTLP request body (the transformer's serializer); undefined or a throw = cannot encode. */
  encode(spans: ReadableSpan[]): Uint8Array | undefined;
  /** Compress each request when it is buffered (it is then held and sent compressed). */
  gzip: boolean;
  sender: Sender;
  maxBytes: number;
  /** Deadline of forceFlush() and shutdown(). */
  flushTimeoutMillis: number;
  /** The endpoint as printed in warnings. */
  target: string;
  logger: Logger;
  backoff?: { minMillis: number; maxMillis: number };
}

interface Waiter {
  /** Done once every request up to this seq has left the buffer. */
  seq: number;
  resolve(drained: boolean): void;
}

function exportResultCode(): typeof import('@opentelemetry/core').ExportResultCode {
  // Loaded already: the tracer provider that calls this exporter needs it.
  return (require('@opentelemetry/core') as typeof import('@opentelemetry/core')).ExportResultCode;
}

export class BufferedSpanExporter implements SpanExporter {
  private readonly buffer: SpanBuffer;
  private readonly backoff: { minMillis: number; maxMillis: number };
  private sentSpans = 0;
  private droppedSpans = 0;
  private rejectedSpans = 0;
  /** Requests handed to export() so far, and how many of them have been compressed and buffered (or dropped). */
  private exportedSeq = 0;
  private bufferedSeq = 0;
  /** Compression runs one request at a time, so requests enter the buffer in export order. */
  private compressing: Promise<void> = Promise.resolve();
  private compressingBytes = 0;
  private sending = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Consecutive failed attempts at the head request. */
  private failures = 0;
  /**
   * After a timeout, an empty request goes first and the head only once it is
   * answered. A hung Collector (SIGSTOP, a stalled pod) still holds the
   * timed-out request in its socket and will process it when it resumes;
   * resending the full head at every timeout would deliver it once per attempt.
   */
  private probeFirst = false;
  private probeBody: Uint8Array | undefined;
  /** Spans dropped at the bound since the buffer last drained (the streak the warning is about). */
  private droppedInStreak = 0;
  private waiters: Waiter[] = [];
  private closing: Promise<void> | undefined;
  /** After shutdown: nothing is sent any more. */
  private stopped = false;

  constructor(private readonly options: BufferedExporterOptions) {
    this.buffer = new SpanBuffer(options.maxBytes);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  stats(): SpanBufferStats {
    return {
      bytes: this.buffer.bytes,
      spans: this.buffer.spans,
      maxBytes: this.buffer.maxBytes,
      sentSpans: this.sentSpans,
      droppedSpans: this.droppedSpans,
      rejectedSpans: this.rejectedSpans,
    };
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const code = exportResultCode();
    if (this.closing !== undefined) {
      resultCallback({ code: code.FAILED, error: new Error('the trace exporter is shut down') });
      return;
    }
    let raw: Uint8Array | undefined;
    try {
      raw = this.options.encode(spans);
    } catch (err) {
      // The SDK's error handler reports it (once per distinct message).
      resultCallback({ code: code.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      return;
    }
    if (raw === undefined) {
      resultCallback({ code: code.FAILED, error: new Error(`could not encode ${spans.length} span(s) to OTLP`) });
      return;
    }
    // The spans are bytes now: the batch processor may let go of them.
    resultCallback({ code: code.SUCCESS });
    if (spans.length === 0) return;
    this.add(raw, spans.length);
  }

  /**
   * Resolves once every span exported before the call has left the buffer
   * (delivered, or dropped), or after flushTimeoutMillis. Never rejects.
   */
  async forceFlush(): Promise<void> {
    await this.drain();
  }

  /** Drains like forceFlush, then stops; what is still buffered at the deadline is lost (one warning). */
  shutdown(): Promise<void> {
    this.closing ??= this.drain().then(drained => {
      this.stopped = true;
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.options.sender.abort();
      const lost = this.buffer.clear();
      if (!drained && lost > 0) {
        this.options.logger.warn(
          `${lost} buffered span(s) were not delivered to ${this.options.target} within ${this.options.flushTimeoutMillis} ms of shutdown; they are lost.`,
        );
      }
      this.settleWaiters();
    });
    return this.closing;
  }

  private add(raw: Uint8Array, spans: number): void {
    const seq = ++this.exportedSeq;
    if (!this.options.gzip) {
      this.admit({ body: raw, spans, seq });
      return;
    }
    // Spans waiting for compression count against the bound too (only a CPU starved for seconds piles them up).
    const overBound = this.compressingBytes + raw.byteLength > this.buffer.maxBytes;
    if (!overBound) this.compressingBytes += raw.byteLength;
    this.compressing = this.compressing.then(
      () =>
        new Promise<void>(resolve => {
          if (overBound) {
            this.admit({ body: raw, spans, seq }, true);
            resolve();
            return;
          }
          // Off the event loop (libuv's pool), like the stock exporter's gzip stream.
          gzip(raw, (err, body) => {
            this.compressingBytes -= raw.byteLength;
            // A failed compression (out of memory) loses this request only; it is counted as dropped.
            this.admit({ body: err ? raw : body, spans, seq }, err !== null);
            resolve();
          });
        }),
    );
  }

  /** Puts a request into the buffer (or counts it dropped), then wakes the sender. */
  private admit(request: EncodedRequest, drop = false): void {
    this.bufferedSeq = request.seq;
    if (this.stopped) return;
    const dropped = drop ? [request] : this.buffer.push(request);
    if (dropped.length > 0) this.onDropped(dropped);
    this.settleWaiters();
    this.pump();
  }

  private onDropped(dropped: EncodedRequest[]): void {
    const spans = dropped.reduce((n, r) => n + r.spans, 0);
    this.droppedSpans += spans;
    this.droppedInStreak += spans;
    this.options.logger.warn(
      `trace buffer full (SHOPFLOOR_TRACES_BUFFER_MAX_BYTES=${this.buffer.maxBytes}) while ${this.options.target} does not take spans: ` +
        'dropping the oldest buffered spans to make room for new ones. Further drops are not reported until the buffer has drained.',
      BUFFER_FULL_KEY,
    );
  }

  /** Sends the head request unless one is on its way or waiting out a backoff. */
  private pump(): void {
    if (this.sending || this.retryTimer !== undefined || this.stopped) return;
    const request = this.buffer.next();
    if (request === undefined) {
      this.onDrained();
      return;
    }
    this.sending = true;
    const probing = this.probeFirst;
    this.options.sender
      .send(probing ? this.probe() : request.body)
      .catch((error: unknown): SendOutcome => ({ kind: 'retry', error: error instanceof Error ? error : new Error(String(error)) }))
      .then(outcome => {
        this.sending = false;
        if (this.stopped) return;
        if (probing && outcome.kind !== 'retry') {
          // The Collector answers again: now the head request itself.
          this.probeFirst = false;
          this.pump();
          return;
        }
        this.onOutcome(request, outcome);
      });
  }

  /** An export request without spans (what the probe sends). */
  private probe(): Uint8Array {
    if (this.probeBody === undefined) {
      const empty = this.options.encode([]) ?? new Uint8Array(0);
      this.probeBody = this.options.gzip ? gzipSync(empty) : empty;
    }
    return this.probeBody;
  }

  private onOutcome(request: EncodedRequest, outcome: SendOutcome): void {
    const { logger, target } = this.options;
    switch (outcome.kind) {
      case 'sent':
        this.buffer.done();
        this.sentSpans += request.spans;
        this.failures = 0;
        logger.forget(EXPORT_FAILURE_KEY);
        break;
      case 'rejected':
        // Sending it again would get the same answer: drop this one, go on with the next.
        this.buffer.done();
        this.rejectedSpans += request.spans;
        this.failures = 0;
        logger.warn(
          `trace export to ${target} failed (${describeError(outcome.error)}); ${request.spans} span(s) dropped. ` +
            'Further failures are not reported until an export succeeds.',
          EXPORT_FAILURE_KEY,
        );
        break;
      case 'retry': {
        this.failures++;
        if (outcome.timedOut) this.probeFirst = true;
        logger.warn(
          `trace export to ${target} failed (${describeError(outcome.error)}); spans are kept and retried in order ` +
            `(up to SHOPFLOOR_TRACES_BUFFER_MAX_BYTES=${this.buffer.maxBytes} bytes). Further failures are not reported until an export succeeds.`,
          EXPORT_FAILURE_KEY,
        );
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, this.retryDelay(outcome.retryAfterMillis));
        // A backoff never keeps the process alive; a flush retries at once anyway.
        this.retryTimer.unref();
        return;
      }
    }
    this.settleWaiters();
    this.pump();
  }

  private retryDelay(retryAfterMillis: number | undefined): number {
    const { minMillis, maxMillis } = this.backoff;
    // Never sooner than the shortest backoff: "Retry-After: 0" must not become a busy loop.
    if (retryAfterMillis !== undefined) return Math.max(minMillis, Math.min(retryAfterMillis, MAX_RETRY_AFTER_MS));
    const base = Math.min(maxMillis, minMillis * 2 ** Math.min(this.failures - 1, 30));
    return base * (0.8 + 0.4 * Math.random());
  }

  private onDrained(): void {
    if (this.droppedInStreak === 0) return;
    this.options.logger.info(`trace buffer drained; ${this.droppedInStreak} span(s) were dropped while it was full.`);
    this.droppedInStreak = 0;
    this.options.logger.forget(BUFFER_FULL_KEY);
  }

  /** Every request up to `seq` is out of the buffer (delivered or dropped)? */
  private isOut(seq: number): boolean {
    return this.stopped || (this.bufferedSeq >= seq && this.buffer.oldestSeq > seq);
  }

  private drain(): Promise<boolean> {
    const seq = this.exportedSeq;
    if (this.isOut(seq)) return Promise.resolve(true);
    return new Promise<boolean>(resolve => {
      const timer = setTimeout(() => finish(false), this.options.flushTimeoutMillis);
      timer.unref();
      const waiter: Waiter = { seq, resolve: drained => finish(drained) };
      const finish = (drained: boolean): void => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(waiter);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        if (this.waiters.length === 0) this.options.sender.keepProcessAlive(false);
        resolve(drained);
      };
      this.waiters.push(waiter);
      // Someone is waiting: the POST must not let the process end under it.
      this.options.sender.keepProcessAlive(true);
      // Try now rather than after the backoff: the Collector may be back, and an exit does not wait long.
      if (this.retryTimer !== undefined) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        this.pump();
      }
    });
  }

  private settleWaiters(): void {
    for (const w of [...this.waiters]) if (this.isOut(w.seq)) w.resolve(true);
  }
}

/**
 * The exporter for the configured endpoint and protocol. The serializers and
 * the HTTP configuration come from the packages the OTLP trace exporter this
 * preload depends on was released with (resolved from its location, so an app's
 * own copies elsewhere in node_modules cannot get in the way).
 */
export function createBufferedOtlpExporter(traces: TracesConfig, target: string, logger: Logger): BufferedSpanExporter {
  const { otlp } = traces;
  const fromExporter = createRequire(require.resolve('@opentelemetry/exporter-trace-otlp-proto'));
  const transformer = fromExporter('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
  const nodeHttp = fromExporter('@opentelemetry/otlp-exporter-base/node-http') as typeof import('@opentelemetry/otlp-exporter-base/node-http');
  const json = otlp.protocol === 'http/json';
  const serializer = json ? transformer.JsonTraceSerializer : transformer.ProtobufTraceSerializer;
  // The same call the OTLP exporters make: OTEL_EXPORTER_OTLP_{,TRACES_}HEADERS, the certificate files, keep-alive.
  const config: OTLPExporterNodeConfigBase = { url: otlp.endpoint };
  const http = nodeHttp.convertLegacyHttpOptions(config, 'TRACES', 'v1/traces', {
    'Content-Type': json ? 'application/json' : 'application/x-protobuf',
  });
  const sender = new OtlpHttpSender({
    url: http.url,
    headers: http.headers,
    agent: Promise.resolve(http.agentFactory(new URL(http.url).protocol)),
    gzip: otlp.compression === 'gzip',
    timeoutMillis: otlp.timeoutMillis,
  });
  return new BufferedSpanExporter({
    encode: spans => serializer.serializeRequest(spans),
    gzip: otlp.compression === 'gzip',
    sender,
    maxBytes: traces.bufferMaxBytes,
    flushTimeoutMillis: otlp.timeoutMillis,
    target,
    logger,
  });
}

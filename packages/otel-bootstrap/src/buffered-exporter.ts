/**
 * The OTLP exporter of traces and of logs: encodes each batch (spans or log
 * records) to OTLP bytes at once and reports success to the batch processor,
 * so the objects are freed and its queue (OTEL_BSP_MAX_QUEUE_SIZE, the log
 * processor's 2048 records) never fills while the Collector is away. The
 * bytes wait in a FIFO bounded in bytes (otlp-buffer.ts), one per signal, and
 * are POSTed in order, one request at a time (otlp-sender.ts); the request at
 * the head is retried until the Collector takes it, so a Collector that
 * refuses connections, hangs or restarts costs no span and no log line as
 * long as the buffer holds. What differs between the signals (serializer,
 * endpoint, names in messages and metrics) is in otlp-signals.ts.
 *
 * Loaded with the exporter, on first use (see LazySpanExporter, startLogs).
 */
import { createRequire } from 'module';
import { gzip, gzipSync } from 'zlib';
import type { ExportResult } from '@opentelemetry/core';
import type { OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base/node-http';
import { authHeaders } from './otlp';
import { OtlpBuffer, type EncodedRequest, type OtlpBufferStats } from './otlp-buffer';
import { OtlpHttpSender, type Sender, type SendOutcome } from './otlp-sender';
import type { BufferedSignal } from './otlp-signals';
import type { OtlpConfig } from './types';
import { describeError, type Logger } from './utils';

/** Logger key of a signal's export-failure streak: warned at its start, forgotten when an export succeeds. */
export const exportFailureKey = (s: BufferedSignal): string => `otlp-${s.signal}-export-failure`;
/** Logger key of a signal's buffer-full streak: warned at its start, forgotten when the buffer has drained. */
export const bufferFullKey = (s: BufferedSignal): string => `otlp-${s.signal}-buffer-full`;

/** Backoff between attempts at the head request: doubling from min to max (±20 % jitter). */
export const DEFAULT_BACKOFF = { minMillis: 500, maxMillis: 5000 };
/** A Collector's Retry-After is honoured up to this (a longer one would only let the buffer overflow). */
const MAX_RETRY_AFTER_MS = 30_000;

export interface BufferedExporterOptions<T> {
  /** Which signal: names in messages and logger keys. */
  signal: BufferedSignal;
  /** Items (spans, log records) → one OTLP request body (the transformer's serializer); undefined or a throw = cannot encode. */
  encode(items: T[]): Uint8Array | undefined;
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
  // Loaded already: the tracer or logger provider that calls this exporter needs it.
  return (require('@opentelemetry/core') as typeof import('@opentelemetry/core')).ExportResultCode;
}

/**
 * A SpanExporter for T = ReadableSpan, a LogRecordExporter for T =
 * ReadableLogRecord (both have this shape).
 */
export class BufferedOtlpExporter<T> {
  private readonly buffer: OtlpBuffer;
  private readonly backoff: { minMillis: number; maxMillis: number };
  private readonly signal: BufferedSignal;
  private readonly exportFailureKey: string;
  private readonly bufferFullKey: string;
  private sentItems = 0;
  private droppedItems = 0;
  private rejectedItems = 0;
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
  /** Items dropped at the bound since the buffer last drained (the streak the warning is about). */
  private droppedInStreak = 0;
  private waiters: Waiter[] = [];
  private closing: Promise<void> | undefined;
  /** After shutdown: nothing is sent any more. */
  private stopped = false;

  constructor(private readonly options: BufferedExporterOptions<T>) {
    this.buffer = new OtlpBuffer(options.maxBytes);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.signal = options.signal;
    this.exportFailureKey = exportFailureKey(options.signal);
    this.bufferFullKey = bufferFullKey(options.signal);
  }

  stats(): OtlpBufferStats {
    return {
      bytes: this.buffer.bytes,
      items: this.buffer.items,
      maxBytes: this.buffer.maxBytes,
      sentItems: this.sentItems,
      droppedItems: this.droppedItems,
      rejectedItems: this.rejectedItems,
    };
  }

  export(items: T[], resultCallback: (result: ExportResult) => void): void {
    const code = exportResultCode();
    if (this.closing !== undefined) {
      resultCallback({ code: code.FAILED, error: new Error(`the ${this.signal.noun} exporter is shut down`) });
      return;
    }
    let raw: Uint8Array | undefined;
    try {
      raw = this.options.encode(items);
    } catch (err) {
      // The SDK's error handler reports it (once per distinct message).
      resultCallback({ code: code.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      return;
    }
    if (raw === undefined) {
      resultCallback({ code: code.FAILED, error: new Error(`could not encode ${items.length} ${this.signal.counted} to OTLP`) });
      return;
    }
    // The items are bytes now: the batch processor may let go of them.
    resultCallback({ code: code.SUCCESS });
    if (items.length === 0) return;
    this.add(raw, items.length);
  }

  /**
   * Resolves once every item exported before the call has left the buffer
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
          `${lost} buffered ${this.signal.counted} were not delivered to ${this.options.target} within ${this.options.flushTimeoutMillis} ms of shutdown; they are lost.`,
        );
      }
      this.settleWaiters();
    });
    return this.closing;
  }

  private add(raw: Uint8Array, items: number): void {
    const seq = ++this.exportedSeq;
    if (!this.options.gzip) {
      this.admit({ body: raw, items, seq });
      return;
    }
    // Items waiting for compression count against the bound too (only a CPU starved for seconds piles them up).
    const overBound = this.compressingBytes + raw.byteLength > this.buffer.maxBytes;
    if (!overBound) this.compressingBytes += raw.byteLength;
    this.compressing = this.compressing.then(
      () =>
        new Promise<void>(resolve => {
          if (overBound) {
            this.admit({ body: raw, items, seq }, true);
            resolve();
            return;
          }
          // Off the event loop (libuv's pool), like the stock exporter's gzip stream.
          gzip(raw, (err, body) => {
            this.compressingBytes -= raw.byteLength;
            // A failed compression (out of memory) loses this request only; it is counted as dropped.
            this.admit({ body: err ? raw : body, items, seq }, err !== null);
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
    const items = dropped.reduce((n, r) => n + r.items, 0);
    this.droppedItems += items;
    this.droppedInStreak += items;
    const { noun, plural, maxBytesVariable } = this.signal;
    this.options.logger.warn(
      `${noun} buffer full (${maxBytesVariable}=${this.buffer.maxBytes}) while ${this.options.target} does not take ${plural}: ` +
        `dropping the oldest buffered ${plural} to make room for new ones. Further drops are not reported until the buffer has drained.`,
      this.bufferFullKey,
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

  /** An export request without items (what the probe sends). */
  private probe(): Uint8Array {
    if (this.probeBody === undefined) {
      const empty = this.options.encode([]) ?? new Uint8Array(0);
      this.probeBody = this.options.gzip ? gzipSync(empty) : empty;
    }
    return this.probeBody;
  }

  private onOutcome(request: EncodedRequest, outcome: SendOutcome): void {
    const { logger, target } = this.options;
    const { noun, plural, counted, maxBytesVariable } = this.signal;
    switch (outcome.kind) {
      case 'sent':
        this.buffer.done();
        this.sentItems += request.items;
        this.failures = 0;
        logger.forget(this.exportFailureKey);
        break;
      case 'rejected':
        // Sending it again would get the same answer: drop this one, go on with the next.
        this.buffer.done();
        this.rejectedItems += request.items;
        this.failures = 0;
        logger.warn(
          `${noun} export to ${target} failed (${describeError(outcome.error)}); ${request.items} ${counted} dropped. ` +
            'Further failures are not reported until an export succeeds.',
          this.exportFailureKey,
        );
        break;
      case 'retry': {
        this.failures++;
        if (outcome.timedOut) this.probeFirst = true;
        logger.warn(
          `${noun} export to ${target} failed (${describeError(outcome.error)}); ${plural} are kept and retried in order ` +
            `(up to ${maxBytesVariable}=${this.buffer.maxBytes} bytes). Further failures are not reported until an export succeeds.`,
          this.exportFailureKey,
        );
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, this.retryDelay(outcome.retryAfterMillis));
        // A backoff keeps the process alive only while someone awaits a flush (holdProcess): nobody
        // waiting, a Collector that refuses must not keep a finished process running; someone waiting
        // (the beforeExit flush), the retries must go on until the flush deadline rather than the
        // process ending under the flush with nothing left to run.
        if (this.waiters.length === 0) this.retryTimer.unref();
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
    const { logger } = this.options;
    // Under its own key, forgotten at once: one line per streak, not once per process (digits do not make it new).
    const key = `${this.bufferFullKey}-drained`;
    logger.info(`${this.signal.noun} buffer drained; ${this.droppedInStreak} ${this.signal.counted} were dropped while it was full.`, key);
    logger.forget(key);
    this.droppedInStreak = 0;
    logger.forget(this.bufferFullKey);
  }

  /** Every request up to `seq` is out of the buffer (delivered or dropped)? */
  private isOut(seq: number): boolean {
    return this.stopped || (this.bufferedSeq >= seq && this.buffer.oldestSeq > seq);
  }

  private drain(): Promise<boolean> {
    const seq = this.exportedSeq;
    if (this.isOut(seq)) return Promise.resolve(true);
    return new Promise<boolean>(resolve => {
      // Ref'd, like all the work while someone waits (holdProcess): the flush settles by its deadline
      // even when nothing else is pending (a backoff, headers not resolved yet), instead of the
      // process ending with the flush's promise forever pending. Cleared as soon as it settles.
      const timer = setTimeout(() => finish(false), this.options.flushTimeoutMillis);
      const waiter: Waiter = { seq, resolve: drained => finish(drained) };
      const finish = (drained: boolean): void => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(waiter);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        if (this.waiters.length === 0) this.holdProcess(false);
        resolve(drained);
      };
      this.waiters.push(waiter);
      // Someone is waiting: the POST and the backoff must not let the process end under it.
      this.holdProcess(true);
      // Try now rather than after the backoff: the Collector may be back, and an exit does not wait long.
      if (this.retryTimer !== undefined) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        this.pump();
      }
    });
  }

  /**
   * While someone awaits a flush or shutdown, the work towards it (the POST's
   * socket, a backoff) keeps the process alive; otherwise it never does.
   */
  private holdProcess(on: boolean): void {
    this.options.sender.keepProcessAlive(on);
    if (on) this.retryTimer?.ref();
    else this.retryTimer?.unref();
  }

  private settleWaiters(): void {
    for (const w of [...this.waiters]) if (this.isOut(w.seq)) w.resolve(true);
  }
}

/** Where and how a signal goes, and its bound: TracesConfig and LogsConfig both have these. */
export interface BufferedSignalConfig {
  otlp: OtlpConfig;
  bufferMaxBytes: number;
}

/**
 * The exporter of `signal` for the configured endpoint and protocol. The
 * serializers and the HTTP configuration come from the packages the signal's
 * OTLP exporter (a dependency of this preload) was released with, resolved
 * from its location, so an app's own copies elsewhere in node_modules cannot
 * get in the way. T is the signal's item type (ReadableSpan, ReadableLogRecord).
 */
export function createBufferedOtlpExporter<T>(
  signal: BufferedSignal,
  settings: BufferedSignalConfig,
  target: string,
  logger: Logger,
): BufferedOtlpExporter<T> {
  const { otlp } = settings;
  const fromExporter = createRequire(require.resolve(signal.exporterPackage));
  const transformer = fromExporter('@opentelemetry/otlp-transformer') as Record<string, unknown>;
  const nodeHttp = fromExporter('@opentelemetry/otlp-exporter-base/node-http') as typeof import('@opentelemetry/otlp-exporter-base/node-http');
  const json = otlp.protocol === 'http/json';
  const serializer = transformer[json ? signal.serializers.json : signal.serializers.protobuf] as {
    serializeRequest(items: T[]): Uint8Array | undefined;
  };
  // The same call the OTLP exporters make: OTEL_EXPORTER_OTLP_{,<SIGNAL>_}HEADERS, the certificate files, keep-alive.
  const config: OTLPExporterNodeConfigBase = { url: otlp.endpoint, headers: authHeaders(otlp, logger) };
  const http = nodeHttp.convertLegacyHttpOptions(config, signal.signal.toUpperCase(), `v1/${signal.signal}`, {
    'Content-Type': json ? 'application/json' : 'application/x-protobuf',
  });
  const sender = new OtlpHttpSender({
    url: http.url,
    headers: http.headers,
    agent: Promise.resolve(http.agentFactory(new URL(http.url).protocol)),
    gzip: otlp.compression === 'gzip',
    timeoutMillis: otlp.timeoutMillis,
  });
  return new BufferedOtlpExporter<T>({
    signal,
    encode: items => serializer.serializeRequest(items),
    gzip: otlp.compression === 'gzip',
    sender,
    maxBytes: settings.bufferMaxBytes,
    flushTimeoutMillis: otlp.timeoutMillis,
    target,
    logger,
  });
}

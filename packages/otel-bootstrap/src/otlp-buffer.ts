/**
 * A FIFO of encoded OTLP export requests, bounded in bytes: what lets the
 * preload ride out a Collector that is down, restarting or hung without
 * keeping span or log record objects (a few KiB each on the heap) or growing
 * without limit. One per signal (traces, logs), each with its own bound.
 *
 * At the bound the OLDEST requests are dropped. The buffer then always holds
 * the most recent stretch of telemetry, so what arrives when the Collector is
 * back joins up with the live traffic without a gap, and nothing older than
 * the buffer's span of time is delivered (a backlog of hours-old spans or log
 * lines helps no one during an incident and may fall outside a backend's
 * ingestion window).
 *
 * "Items" are what a request carries: spans, or log records.
 *
 * No OpenTelemetry imports: plain data, unit-testable on its own.
 */

export interface EncodedRequest {
  /** The request body exactly as it will be POSTed (compressed if configured). */
  readonly body: Uint8Array;
  /** How many items (spans, log records) it carries, to count what is delivered or dropped. */
  readonly items: number;
  /** Position in export order, for flushes to know when their items are out. */
  readonly seq: number;
}

/** Counters and levels, as the /metrics endpoint and tests read them. */
export interface OtlpBufferStats {
  /** Bytes held, the request being sent included. */
  bytes: number;
  /** Items held, the request being sent included. */
  items: number;
  maxBytes: number;
  /** Items delivered (the Collector answered 2xx). */
  sentItems: number;
  /** Items dropped to keep the buffer within its bound (oldest first). */
  droppedItems: number;
  /** Items the Collector refused for good (a 4xx other than 429, or another non-retryable answer). */
  rejectedItems: number;
}

/** The stats of a buffer that holds nothing yet (its exporter is not built). */
export function idleStats(maxBytes: number): OtlpBufferStats {
  return { bytes: 0, items: 0, maxBytes, sentItems: 0, droppedItems: 0, rejectedItems: 0 };
}

export class OtlpBuffer {
  /** Queued requests; the live ones are queue[head..]. A moving head keeps shift() O(1). */
  private queue: EncodedRequest[] = [];
  private head = 0;
  /** The request being sent (taken from the queue, still counted against the bound). */
  private current: EncodedRequest | undefined;
  private heldBytes = 0;
  private heldItems = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.heldBytes;
  }

  get items(): number {
    return this.heldItems;
  }

  get isEmpty(): boolean {
    return this.current === undefined && this.head === this.queue.length;
  }

  /** seq of the oldest request still held; Infinity when empty. */
  get oldestSeq(): number {
    return this.current?.seq ?? this.queue[this.head]?.seq ?? Infinity;
  }

  /**
   * Appends `request`, dropping the oldest queued requests until it fits (never
   * the one being sent). A request larger than all the room there can be is
   * dropped itself, leaving the others. Returns the dropped requests.
   */
  push(request: EncodedRequest): EncodedRequest[] {
    const size = request.body.byteLength;
    if (size > this.maxBytes - (this.current?.body.byteLength ?? 0)) return [request];
    const dropped: EncodedRequest[] = [];
    while (this.heldBytes + size > this.maxBytes) {
      const oldest = this.shift();
      if (oldest === undefined) break; // unreachable: the size check above leaves room once the queue is empty
      this.release(oldest);
      dropped.push(oldest);
    }
    this.queue.push(request);
    this.heldBytes += size;
    this.heldItems += request.items;
    return dropped;
  }

  /** The request to send next: the one already being sent (a retry), else the oldest queued. */
  next(): EncodedRequest | undefined {
    return (this.current ??= this.shift());
  }

  /** The request being sent is done with (delivered or refused for good). */
  done(): EncodedRequest | undefined {
    const finished = this.current;
    if (finished !== undefined) this.release(finished);
    this.current = undefined;
    return finished;
  }

  /** Empties the buffer; returns how many items it held. */
  clear(): number {
    const items = this.heldItems;
    this.queue = [];
    this.head = 0;
    this.current = undefined;
    this.heldBytes = 0;
    this.heldItems = 0;
    return items;
  }

  private shift(): EncodedRequest | undefined {
    if (this.head === this.queue.length) return undefined;
    const first = this.queue[this.head]!;
    this.queue[this.head] = undefined as unknown as EncodedRequest; // let it be collected
    this.head++;
    // Compact once the dead prefix dominates: amortised O(1), no unbounded array.
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return first;
  }

  private release(request: EncodedRequest): void {
    this.heldBytes -= request.body.byteLength;
    this.heldItems -= request.items;
  }
}

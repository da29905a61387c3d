import { randomUUID } from 'node:crypto';
import { connect, type ChannelModel, type ConfirmChannel, type GetMessage, type Options } from 'amqplib';
import { orderIdOf } from './broker';

/** Headers a replay drops: the failure's record (reason, retries, RabbitMQ's own death record). */
const FAILURE_HEADERS = [/^x-shopfloor-(reason|failed-at|queue|retries|last-error)$/, /^x-death$/, /^x-first-death-/, /^x-last-death-/];
/** Header a replayed message carries: the replay's id (the audit's), so a copy can be told apart. */
export const REPLAY_HEADER = 'x-shopfloor-replay-id';

/** Where a kept message goes back to. */
export interface Destination {
  exchange: string;
  routingKey: string;
}

function text(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : '';
}

/**
 * Where a message taken from a dead-letter or unroutable queue goes back to. A dead letter goes
 * back into the queue it was dead-lettered from (service-kit's `x-shopfloor-queue` header, else
 * RabbitMQ's newest `x-death` entry), through the default exchange: that queue is the one fact
 * both record (service-kit re-publishes retries to the queue directly, so the original exchange
 * is not always known). An unroutable message is sent again to the exchange and routing key it
 * was published with (RabbitMQ delivers it from the alternate exchange's queue with those).
 */
export function destinationOf(msg: Pick<GetMessage, 'fields' | 'properties'>, kind: 'dead-letter' | 'unroutable'): Destination | undefined {
  const headers = msg.properties.headers ?? {};
  if (kind === 'unroutable') return msg.fields.exchange ? { exchange: msg.fields.exchange, routingKey: msg.fields.routingKey } : undefined;
  const own = text(headers['x-shopfloor-queue']);
  if (own) return { exchange: '', routingKey: own };
  const deaths = headers['x-death'];
  const queue = Array.isArray(deaths) ? text((deaths[0] as unknown as Record<string, unknown> | undefined)?.queue) : '';
  return queue ? { exchange: '', routingKey: queue } : undefined;
}

/** The message's properties for the replay: its own (trace context, order id, ids, timestamp), minus the failure's record. */
export function replayProperties(msg: Pick<GetMessage, 'properties'>, replayId: string): Options.Publish {
  const p = msg.properties;
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.headers ?? {})) if (!FAILURE_HEADERS.some((re) => re.test(k))) headers[k] = v;
  headers[REPLAY_HEADER] = replayId;
  const out: Options.Publish = { headers, persistent: true, mandatory: true };
  if (p.contentType) out.contentType = p.contentType;
  if (p.contentEncoding) out.contentEncoding = p.contentEncoding;
  if (p.messageId) out.messageId = p.messageId;
  if (p.type) out.type = p.type;
  if (p.timestamp) out.timestamp = p.timestamp;
  if (p.correlationId) out.correlationId = p.correlationId;
  if (p.appId) out.appId = p.appId;
  return out;
}

export interface MoveResult {
  /** Order id → how many of its messages were sent back (confirmed, then removed from `source`). */
  moved: Map<string, number>;
  /** Order id → why its message stayed where it was. */
  kept: Map<string, string>;
}

export interface MoveOptions {
  kind: 'dead-letter' | 'unroutable';
  /** Most messages read from `source` in one pass. */
  limit: number;
  orderIdHeader: string;
  jsonField?: string;
  /** Queue of the alternate exchange: a copy found there was not routed (its binding is missing). */
  unroutableQueue?: string;
  /** Least time between two sends (pacing). */
  minIntervalMs: number;
}

/**
 * Moves the messages of some orders out of a dead-letter or unroutable queue and back on their
 * way. Each message is sent again on a confirm channel and removed from `source` only once the
 * broker confirmed the copy, so a crash in between leaves two copies (the consumers are
 * idempotent: one contract, one job), never none. A copy the alternate exchange caught (its
 * binding still missing) is taken back out and the original stays.
 */
export class MessageMover {
  private model?: ChannelModel;

  constructor(private readonly url: string) {}

  private async connection(): Promise<ChannelModel> {
    if (this.model) return this.model;
    const model = await connect(this.url, { clientProperties: { connection_name: 'order-watchdog replay' } });
    model.on('error', () => {});
    model.on('close', () => {
      if (this.model === model) this.model = undefined;
    });
    this.model = model;
    return model;
  }

  private async channel(): Promise<ConfirmChannel> {
    const ch = await (await this.connection()).createConfirmChannel();
    ch.on('error', () => {});
    return ch;
  }

  async move(source: string, orderIds: Set<string>, opts: MoveOptions): Promise<MoveResult> {
    const result: MoveResult = { moved: new Map(), kept: new Map() };
    const ch = await this.channel();
    const returned = new Set<string>();
    ch.on('return', (msg: GetMessage) => returned.add(text(msg.properties.headers?.[REPLAY_HEADER])));
    try {
      const sent: { msg: GetMessage; orderId: string; replayId: string }[] = [];
      const sentIds = new Set<string>();
      const unrouted = new Set<string>();
      let last = 0;
      for (let i = 0; i < opts.limit; i++) {
        const msg = await ch.get(source, { noAck: false });
        if (msg === false) break;
        // A copy of this pass back in the queue being read, never sent once more: from the
        // unroutable queue, no binding took it (taken out again; its original stays); in a
        // dead-letter queue, the consumer refused it again (it stays there, dead-lettered).
        const copyOf = text(msg.properties.headers?.[REPLAY_HEADER]);
        if (copyOf && sentIds.has(copyOf)) {
          if (opts.kind === 'unroutable') {
            unrouted.add(copyOf);
            ch.ack(msg);
          }
          continue;
        }
        const orderId = orderIdOf(msg, opts.orderIdHeader, opts.jsonField);
        if (!orderId || !orderIds.has(orderId)) continue; // stays unacknowledged: given back below
        const to = destinationOf(msg, opts.kind);
        if (!to) {
          result.kept.set(orderId, `cannot tell where its message in ${source} came from`);
          continue;
        }
        const wait = last + opts.minIntervalMs - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        last = Date.now();
        const replayId = randomUUID();
        ch.publish(to.exchange, to.routingKey, msg.content, replayProperties(msg, replayId));
        await ch.waitForConfirms();
        sent.push({ msg, orderId, replayId });
        sentIds.add(replayId);
      }
      const missing = new Set([...sentIds].filter((id) => !unrouted.has(id)));
      if (opts.unroutableQueue && missing.size) for (const id of await this.takeBackUnrouted(opts.unroutableQueue, missing, opts.limit)) unrouted.add(id);
      for (const s of sent) {
        if (returned.has(s.replayId) || unrouted.has(s.replayId)) {
          result.kept.set(s.orderId, returned.has(s.replayId) ? 'no queue took its copy' : `no binding routes it: its copy reached ${opts.unroutableQueue}`);
          continue; // the original stays (given back below)
        }
        ch.ack(s.msg);
        result.moved.set(s.orderId, (result.moved.get(s.orderId) ?? 0) + 1);
      }
    } finally {
      ch.nackAll(true);
      await ch.close().catch(() => {});
    }
    return result;
  }

  /** Removes the copies with these replay ids from the alternate exchange's queue; returns the ids found. */
  private async takeBackUnrouted(queue: string, replayIds: Set<string>, limit: number): Promise<Set<string>> {
    const found = new Set<string>();
    const ch = await this.channel();
    try {
      for (let i = 0; i < limit && found.size < replayIds.size; i++) {
        const msg = await ch.get(queue, { noAck: false });
        if (msg === false) break;
        const id = text(msg.properties.headers?.[REPLAY_HEADER]);
        if (replayIds.has(id)) {
          found.add(id);
          ch.ack(msg);
        }
      }
    } finally {
      ch.nackAll(true);
      await ch.close().catch(() => {});
    }
    return found;
  }

  async close(): Promise<void> {
    await this.model?.close().catch(() => {});
  }
}

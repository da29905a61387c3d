import { connect, type Channel, type ChannelModel, type Message } from 'amqplib';
import type { QueueStats, Unknown } from './explain';
import { authHeaders, splitCredentials, type AuthedUrl } from './http-auth';

/** The order id of a message: its header, else a field of its JSON body. */
export function orderIdOf(message: Pick<Message, 'content' | 'properties'>, header: string, jsonField?: string): string | undefined {
  const fromHeader = message.properties.headers?.[header];
  if (typeof fromHeader === 'string' && fromHeader) return fromHeader;
  if (!jsonField) return undefined;
  try {
    const body = JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
    const value = body?.[jsonField];
    return typeof value === 'string' && value ? value : undefined;
  } catch {
    return undefined;
  }
}

function headerText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

/**
 * Why a message is a dead letter: the consumer's reason header (service-kit writes
 * `x-shopfloor-reason` when it gives up), else what RabbitMQ itself wrote when it dead-lettered
 * the message (TTL expired, queue length limit, a consumer's reject without requeue): the newest
 * `x-death` entry's reason and queue, else `x-first-death-reason`.
 */
export function deadLetterReason(headers: Record<string, unknown> | undefined, reasonHeader: string): string {
  const own = headerText(headers?.[reasonHeader]);
  if (own) return own;
  const deaths = headers?.['x-death'];
  const latest = Array.isArray(deaths) ? (deaths[0] as Record<string, unknown> | undefined) : undefined;
  const reason = headerText(latest?.reason) || headerText(headers?.['x-first-death-reason']);
  if (!reason) return '';
  const queue = headerText(latest?.queue) || headerText(headers?.['x-first-death-queue']);
  return queue ? `${reason} (dead-lettered by RabbitMQ from ${queue})` : `${reason} (dead-lettered by RabbitMQ)`;
}

function describe(err: unknown): string {
  const e = err as { code?: number; message?: string };
  if (e?.code === 404) return 'the queue does not exist';
  return e?.message?.split('\n')[0] ?? String(err);
}

/**
 * What RabbitMQ says about the queues between stages: consumers and messages (checkQueue), and
 * which orders' messages wait in a dead-letter or unroutable queue. Reading those is
 * non-destructive: messages are taken unacknowledged with `get` and all given back with
 * `nackAll(requeue)` (they keep their place; RabbitMQ marks them redelivered).
 */
export class BrokerObserver {
  private model?: ChannelModel;
  private connecting?: Promise<ChannelModel>;

  private readonly metrics?: AuthedUrl;

  constructor(private readonly url: string, metricsUrl?: string) {
    if (metricsUrl) this.metrics = splitCredentials(metricsUrl);
  }

  private async connection(): Promise<ChannelModel> {
    if (this.model) return this.model;
    this.connecting ??= connect(this.url, { clientProperties: { connection_name: 'order-watchdog' } }).then(
      (model) => {
        model.on('error', () => {});
        model.on('close', () => {
          if (this.model === model) this.model = undefined;
        });
        this.model = model;
        this.connecting = undefined;
        return model;
      },
      (err: unknown) => {
        this.connecting = undefined;
        throw err;
      },
    );
    return this.connecting;
  }

  /** A throw-away channel: a missing queue closes the channel, never the connection. */
  private async withChannel<T>(work: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await (await this.connection()).createChannel();
    ch.on('error', () => {});
    try {
      return await work(ch);
    } finally {
      await ch.close().catch(() => {});
    }
  }

  async queueStats(queues: Iterable<string>): Promise<Map<string, QueueStats | Unknown>> {
    const out = new Map<string, QueueStats | Unknown>();
    const unacked = await this.unackedByQueue().catch(() => undefined);
    for (const queue of queues) {
      try {
        const q = await this.withChannel((ch) => ch.checkQueue(queue));
        const stats: QueueStats = { consumers: q.consumerCount, ready: q.messageCount };
        const u = unacked?.get(queue);
        if (u !== undefined) stats.unacked = u;
        out.set(queue, stats);
      } catch (err) {
        out.set(queue, { unknown: describe(err) });
      }
    }
    return out;
  }

  /** Order id → reason header of the messages in `queue` (at most `limit` read). */
  async peek(queue: string, limit: number, orderIdHeader: string, jsonField: string | undefined, reasonHeader: string): Promise<Map<string, string> | Unknown> {
    try {
      return await this.withChannel(async (ch) => {
        const found = new Map<string, string>();
        try {
          for (let i = 0; i < limit; i++) {
            const msg = await ch.get(queue, { noAck: false });
            if (msg === false) break;
            const id = orderIdOf(msg, orderIdHeader, jsonField);
            if (id && !found.has(id)) found.set(id, deadLetterReason(msg.properties.headers, reasonHeader));
          }
        } finally {
          ch.nackAll(true);
        }
        return found;
      });
    } catch (err) {
      return { unknown: describe(err) };
    }
  }

  /** rabbitmq_queue_messages_unacked per queue from RabbitMQ's Prometheus endpoint (per-object metrics on). */
  private async unackedByQueue(): Promise<Map<string, number> | undefined> {
    if (!this.metrics) return undefined;
    const res = await fetch(this.metrics.url, { headers: authHeaders(this.metrics), signal: AbortSignal.timeout(3000) });
    if (!res.ok) return undefined;
    return parseUnacked(await res.text());
  }

  async close(): Promise<void> {
    await this.model?.close().catch(() => {});
  }
}

export function parseUnacked(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('rabbitmq_queue_messages_unacked{')) continue;
    const queue = /queue="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (queue !== undefined && Number.isFinite(value)) out.set(queue, (out.get(queue) ?? 0) + value);
  }
  return out;
}

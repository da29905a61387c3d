import { connect, type Channel, type ChannelModel, type Message } from 'amqplib';
import { isUnknown, type QueueStats, type Unknown } from './explain';
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
    const unacked = await this.unackedByQueue();
    for (const queue of queues) {
      try {
        const q = await this.withChannel((ch) => ch.checkQueue(queue));
        out.set(queue, { consumers: q.consumerCount, ready: q.messageCount, unacked: unackedOf(unacked, queue) });
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

  /**
   * rabbitmq_queue_messages_unacked per queue from RabbitMQ's Prometheus endpoint (per-object
   * metrics on); unknown, with the reason, without the endpoint or when reading it fails (the
   * reason names the URL without its credentials).
   */
  async unackedByQueue(): Promise<Map<string, number> | Unknown> {
    if (!this.metrics) return { unknown: NO_METRICS_URL };
    try {
      const res = await fetch(this.metrics.url, { headers: authHeaders(this.metrics), signal: AbortSignal.timeout(3000) });
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        return { unknown: `RabbitMQ metrics ${this.metrics.url}: HTTP ${res.status}` };
      }
      return parseUnacked(await res.text());
    } catch (err) {
      return { unknown: `RabbitMQ metrics ${this.metrics.url}: ${fetchFailure(err)}` };
    }
  }

  async close(): Promise<void> {
    await this.model?.close().catch(() => {});
  }
}

export const NO_METRICS_URL = 'no RabbitMQ metrics URL configured (WATCHDOG_RABBITMQ_METRICS_URL)';

/** fetch() says "fetch failed"; the cause (ECONNREFUSED, ENOTFOUND, ...) says why. */
function fetchFailure(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

/** One queue's unacknowledged count, or why it is not known. */
export function unackedOf(byQueue: Map<string, number> | Unknown, queue: string): number | Unknown {
  if (isUnknown(byQueue)) return byQueue;
  // With per-object metrics on, RabbitMQ lists every queue (0 included): a missing one means they
  // are off (totals only), or the queue is newer than RabbitMQ's last collection.
  return byQueue.get(queue) ?? { unknown: `${queue} not in RabbitMQ's metrics (needs prometheus.return_per_object_metrics = true)` };
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

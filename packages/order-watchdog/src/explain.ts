import { deadLetterQueue, type Journey } from './journey';
import type { Flag, OpenOrder, Reason } from './order';
import { progress, queueAhead } from './progress';

/** An observation that could not be made (queue missing, broker or Jaeger unreachable, ...). */
export interface Unknown {
  unknown: string;
}

export function isUnknown(v: unknown): v is Unknown {
  return typeof v === 'object' && v !== null && 'unknown' in v;
}

export interface QueueStats {
  consumers: number;
  ready: number;
  /**
   * Delivered to a consumer, not acknowledged yet (RabbitMQ's Prometheus endpoint). Unknown, with
   * the reason, when that endpoint is not configured or not readable: never taken for 0 (a message
   * held by a stuck consumer would look vanished).
   */
  unacked: number | Unknown;
}

export interface ErrorSpan {
  service: string;
  operation: string;
  message: string;
}

/** What the broker and the traces say, gathered once per check for all overdue orders. */
export interface Observations {
  /** Order ids in the unroutable queue. */
  unroutable: Set<string> | Unknown;
  /** Dead-letter queue name → order id → dead-letter reason. */
  deadLetters: Map<string, Map<string, string> | Unknown>;
  queues: Map<string, QueueStats | Unknown>;
  /** Order id → its first error span, null when its traces have none. Missing: not asked yet. */
  errorSpans: Map<string, ErrorSpan | null | Unknown>;
}

export type Explanation = Omit<Flag, 'flaggedAt'> & {
  /** Checks that could not be made on the way to this reason. */
  undetermined: string[];
  /** Stages shown reached by this explanation's evidence (a dead letter proves the message was sent). */
  evidence?: Record<string, string>;
};

/** The queues whose state explains the overdue orders. */
export function queuesToObserve(journey: Journey, orders: OpenOrder[]): Set<string> {
  const queues = new Set<string>();
  for (const order of orders) {
    const { awaiting } = progress(journey, order);
    if (awaiting === undefined) continue;
    const ahead = queueAhead(journey, awaiting);
    if (ahead) queues.add(ahead.queue);
  }
  return queues;
}

/**
 * Why an overdue order stopped, checked in this order: not published (its record says so),
 * unroutable, dead-lettered (with the dead letter's reason), no consumer on the queue, waiting in
 * a backlog, consumer error (an error span of the order), vanished. Returns 'trace' when the
 * answer depends on the order's error spans and those were not looked up yet.
 */
export function explain(journey: Journey, order: OpenOrder, obs: Observations): Explanation | 'trace' | undefined {
  const at = progress(journey, order);
  if (at.awaiting === undefined) return undefined;
  const stages = journey.stages;
  const undetermined: string[] = [];
  const result = (reason: Reason, detail: string, stoppedAt = at.stoppedAt, awaiting = at.awaiting!, evidence?: Record<string, string>): Explanation => ({
    stage: stages[stoppedAt]!.id,
    awaiting: stages[awaiting]!.id,
    reason,
    detail: undetermined.length ? `${detail} (could not check: ${undetermined.join('; ')})` : detail,
    service: stages[awaiting]!.service,
    undetermined,
    ...(evidence ? { evidence } : {}),
  });

  const awaited = stages[at.awaiting]!;
  if (awaited.publishes && awaited.record) {
    return result('not_published', `${awaited.title}: no record of it in ${awaited.record.database}`);
  }

  const ahead = queueAhead(journey, at.awaiting);
  if (journey.messages.unroutable_queue) {
    const q = journey.messages.unroutable_queue;
    if (isUnknown(obs.unroutable)) undetermined.push(`unroutable (${q}: ${obs.unroutable.unknown})`);
    else if (obs.unroutable.has(order.orderId)) return result('unroutable', `its message is in ${q}: no binding routed it`);
  } else {
    undetermined.push('unroutable (the journey names no unroutable queue)');
  }

  if (ahead) {
    const dlq = deadLetterQueue(journey, ahead.queue);
    const letters = obs.deadLetters.get(dlq);
    if (letters === undefined || isUnknown(letters)) undetermined.push(`dead letters (${dlq}: ${letters?.unknown ?? 'not read'})`);
    else if (letters.has(order.orderId)) {
      // The message reached the queue: every stage before the queued one was reached.
      const evidence: Record<string, string> = {};
      for (let i = at.stoppedAt + 1; i < ahead.stage; i++) evidence[stages[i]!.id] = `message in ${dlq}`;
      return result('dead_lettered', `in ${dlq}: ${letters.get(order.orderId) || '(no reason header)'}`, ahead.stage - 1, ahead.stage, evidence);
    }

    const stats = obs.queues.get(ahead.queue);
    if (stats === undefined || isUnknown(stats)) undetermined.push(`queue ${ahead.queue} (${stats?.unknown ?? 'not read'})`);
    else {
      if (stats.consumers === 0) return result('no_consumer', `no consumer on ${ahead.queue} (${stats.ready} messages waiting)`);
      if (isUnknown(stats.unacked)) {
        if (stats.ready > 0) return result('backlog', `${stats.ready} ready messages in ${ahead.queue} (${stats.consumers} consumers; unacknowledged not known)`);
        // Nothing ready, but the message may be held unacknowledged by a stuck consumer.
        undetermined.push(`unacknowledged messages in ${ahead.queue} (${stats.unacked.unknown})`);
      } else if (stats.ready + stats.unacked > 0) {
        return result('backlog', `${stats.ready} ready and ${stats.unacked} unacknowledged messages in ${ahead.queue} (${stats.consumers} consumers)`);
      }
    }
  }

  const span = obs.errorSpans.get(order.orderId);
  if (span === undefined) return 'trace';
  if (isUnknown(span)) undetermined.push(`error spans (${span.unknown})`);
  else if (span) return result('consumer_error', `error span ${span.service} "${span.operation}": ${span.message}`);

  if (undetermined.length) return result('undetermined', `${awaited.title} not reached and no trace of why`);
  return result('vanished', `${awaited.title} not reached, and its message is in no queue, dead letter or error span`);
}

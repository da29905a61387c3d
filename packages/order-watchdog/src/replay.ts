import type { ReplayAudit, ReplayRecord } from './audit';
import { isUnknown, type QueueStats, type Unknown } from './explain';
import { deadLetterQueue, type Journey } from './journey';
import type { MessageMover } from './mover';
import type { Flag, OpenOrder, Reason } from './order';
import type { RecordRepublisher } from './republish';
import { queueAhead } from './progress';
import type { WatchdogState } from './state';
import type { Log } from './watchdog';

/** Most orders one bulk replay takes. */
export const BULK_MAX = 1000;

export interface ReplayOutcome {
  orderId: string;
  outcome: ReplayRecord['outcome'];
  stage: string;
  reason: string;
  detail: string;
}

/** What a replay would do for a flag, or why it cannot act. */
export type ReplayPlan =
  /** The message is kept (a dead letter, an unroutable message): moved back where it goes. */
  | { kind: 'dead-letter' | 'unroutable'; source: string; queue: string; stage: string; reason: Reason }
  /** The message is gone: the owning service sends it again from its record (the stage's `republish`). */
  | { kind: 'republish'; queue: string; stage: string; reason: Reason; service: string }
  | { refused: string; stage: string; reason: string };
type Plan = Exclude<ReplayPlan, { refused: string }>;

/** Pure: what a replay of an order with this flag would do. */
export function planFlag(journey: Journey, flag: Flag): ReplayPlan {
  const { stage, reason } = flag;
  const refuse = (why: string): ReplayPlan => ({ refused: why, stage, reason });
  const awaiting = journey.stages.findIndex((s) => s.id === flag.awaiting);
  const ahead = awaiting < 0 ? undefined : queueAhead(journey, awaiting);
  switch (reason) {
    case 'dead_lettered':
      if (!ahead) return refuse(`no queue lies ahead of stage "${flag.awaiting}" in the journey`);
      return { source: deadLetterQueue(journey, ahead.queue), kind: 'dead-letter', queue: ahead.queue, stage, reason };
    case 'unroutable':
      if (!ahead || !journey.messages.unroutable_queue) return refuse('the journey names no unroutable queue or no queue ahead');
      return { source: journey.messages.unroutable_queue, kind: 'unroutable', queue: ahead.queue, stage, reason };
    case 'vanished': {
      const from = journey.stages.find((s) => s.id === stage);
      if (!from?.republish || !ahead) {
        return refuse(`its message is gone, and the journey names no way to have stage "${stage}" sent again (republish): see docs/runbooks.md, OrderStalled`);
      }
      return { kind: 'republish', queue: ahead.queue, stage, reason, service: from.service ?? from.record!.database };
    }
    case 'no_consumer':
      return refuse(`its message waits in ${ahead?.queue ?? 'the queue ahead'} with no consumer: start ${flag.service ?? 'the consumer'}, and the order moves on by itself`);
    case 'backlog':
      return refuse(`its message waits in ${ahead?.queue ?? 'the queue ahead'}: the consumer will take it`);
    case 'not_published':
      return refuse(`its record is stored and ${flag.service ?? 'its service'} republishes it by itself (its republisher) once RabbitMQ confirms: nothing to move`);
    default:
      return refuse(`a ${reason} order has no kept message to send again, and its cause is not one a replay removes (docs/runbooks.md, OrderStalled)`);
  }
}

/** Pure: what a replay of this order would do, from the watchdog's view of it. */
export function planReplay(journey: Journey, order: OpenOrder | undefined): ReplayPlan {
  if (!order) return { refused: 'not an open order the watchdog follows (completed, unknown or forgotten)', stage: '', reason: '' };
  if (!order.flag) return { refused: 'not flagged: the order is on its way', stage: '', reason: '' };
  return planFlag(journey, order.flag);
}

/**
 * Pure: the orders a bulk replay takes: flagged with `reason` at `stage` and not replayed since,
 * oldest first, at most `limit`. A replayed order keeps its flag until the watchdog sees it move
 * on; replaying it again is a deliberate act on that one order.
 */
export function selectForBulk(state: WatchdogState, reason: string, stage: string, limit: number): string[] {
  return Object.values(state.open)
    .filter((o) => o.flag?.reason === reason && o.flag.stage === stage && o.replayedAt === undefined)
    .sort((a, b) => a.acceptedAt - b.acceptedAt)
    .slice(0, Math.max(0, Math.min(limit, BULK_MAX)))
    .map((o) => o.orderId);
}

export interface ReplayerDeps {
  journey: Journey;
  state: () => WatchdogState;
  mover: Pick<MessageMover, 'move'>;
  republisher: Pick<RecordRepublisher, 'republish'>;
  queueStats: (queues: string[]) => Promise<Map<string, QueueStats | Unknown>>;
  audit: Pick<ReplayAudit, 'write'>;
  log: Log;
  /** Least time between two messages sent (pacing of bulk replays). */
  minIntervalMs: number;
}

/**
 * Puts flagged orders back on their way: the kept message of each (a dead letter, an unroutable
 * message) sent again where it came from, or, when it is gone, the owning service asked to send it
 * again from its record; after checking that the cause no longer holds (the queue ahead exists and
 * has a consumer). Every order asked for gets an audit record and a log line.
 */
export class Replayer {
  constructor(private readonly deps: ReplayerDeps) {}

  async replay(orderIds: string[], actor: string): Promise<ReplayOutcome[]> {
    const { journey, mover } = this.deps;
    const state = this.deps.state();
    const outcomes: ReplayOutcome[] = [];
    const groups = new Map<string, { plan: Plan; ids: Set<string> }>();
    for (const orderId of new Set(orderIds)) {
      const plan = planReplay(journey, state.open[orderId]);
      if ('refused' in plan) {
        outcomes.push({ orderId, outcome: 'refused', stage: plan.stage, reason: plan.reason, detail: plan.refused });
        continue;
      }
      const key = `${plan.kind === 'republish' ? plan.stage : plan.source}\u0000${plan.queue}`;
      const group = groups.get(key) ?? { plan, ids: new Set<string>() };
      group.ids.add(orderId);
      groups.set(key, group);
    }
    for (const { plan, ids } of groups.values()) {
      const each = (outcome: ReplayOutcome['outcome'], detail: string, only?: Iterable<string>) => {
        for (const orderId of only ?? ids) outcomes.push({ orderId, outcome, stage: state.open[orderId]?.flag?.stage ?? plan.stage, reason: plan.reason, detail });
      };
      const stats = (await this.deps.queueStats([plan.queue]).catch((err: unknown) => new Map([[plan.queue, { unknown: (err as Error).message }]]))).get(plan.queue);
      if (!stats || isUnknown(stats)) {
        each('refused', `queue ${plan.queue}: ${stats?.unknown ?? 'not read'}`);
        continue;
      }
      if (stats.consumers === 0) {
        each('refused', `no consumer on ${plan.queue}: the cause still holds; start its consumer first`);
        continue;
      }
      if (plan.kind === 'republish') {
        await this.republish(plan, ids, each);
        continue;
      }
      try {
        const m = journey.messages;
        const moved = await mover.move(plan.source, ids, {
          kind: plan.kind,
          limit: m.peek_limit,
          orderIdHeader: m.order_id_header,
          ...(m.order_id_json_field ? { jsonField: m.order_id_json_field } : {}),
          ...(plan.kind === 'unroutable' ? { unroutableQueue: plan.source } : {}),
          minIntervalMs: this.deps.minIntervalMs,
        });
        for (const orderId of ids) {
          const n = moved.moved.get(orderId);
          if (n) each('replayed', `${n} message${n > 1 ? 's' : ''} sent from ${plan.source} back to ${plan.queue}`, [orderId]);
          else each('refused', moved.kept.get(orderId) ?? `no message of the order in ${plan.source} (read up to ${m.peek_limit}): it moved on or was removed`, [orderId]);
        }
      } catch (err) {
        each('failed', `RabbitMQ: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    const at = Date.now();
    for (const o of outcomes) {
      const open = state.open[o.orderId];
      if (o.outcome === 'replayed' && open) open.replayedAt = at;
      this.deps.log(o.outcome === 'replayed' ? 'info' : 'warn', `order replay ${o.outcome}`, { orderId: o.orderId, actor, stage: o.stage, reason: o.reason, detail: o.detail });
      await this.deps.audit.write({ at, actor, ...o }).catch((err: unknown) => {
        this.deps.log('error', 'writing the replay audit failed', { orderId: o.orderId, error: (err as Error).message });
      });
    }
    return outcomes;
  }

  /** Asks the owning service to send each order again (its record's mark cleared), paced. */
  private async republish(
    plan: Extract<Plan, { kind: 'republish' }>,
    ids: Set<string>,
    each: (outcome: ReplayOutcome['outcome'], detail: string, only: Iterable<string>) => void,
  ): Promise<void> {
    const stage = this.deps.journey.stages.find((s) => s.id === plan.stage)!;
    let first = true;
    for (const orderId of ids) {
      if (!first && this.deps.minIntervalMs > 0) await new Promise((r) => setTimeout(r, this.deps.minIntervalMs));
      first = false;
      try {
        if (await this.deps.republisher.republish(stage, orderId)) {
          each('replayed', `${plan.service}'s record of "${stage.title}" marked unsent: its republisher sends the order to ${plan.queue} again, in its trace`, [orderId]);
        } else {
          each('refused', `${plan.service}'s record of "${stage.title}" is not marked sent: the order moved on, or a replay asked already`, [orderId]);
        }
      } catch (err) {
        each('failed', `${stage.record!.database} database: ${(err as Error).message.split('\n')[0]}`, [orderId]);
      }
    }
  }
}

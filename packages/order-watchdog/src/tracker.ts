import { alertFor, resolvedAlert, type AlertRecord, type Links } from './alerts';
import type { Explanation } from './explain';
import type { Journey } from './journey';
import type { ClosedOrder, OpenOrder } from './order';
import { isComplete, isOverdue, progress } from './progress';
import { CLOSED_KEPT, type WatchdogState } from './state';

/**
 * The incremental bookkeeping, pure (no I/O): new orders after the cursor, stage records of
 * the open orders, completion, flags and their alerts. The cost of a check depends on the new
 * and the open orders only.
 */

export interface StageRow {
  orderId: string;
  at: number;
  /** The same time in microseconds, as the database keeps it (the cursor needs that precision). */
  atUs?: number;
  /** The trace id from the record's optional `traceparent` column (W3C traceparent or a bare trace id). */
  traceId?: string;
}

/** Adds the orders found after the cursor (sorted by time, then id) and moves the cursor. */
export function addNewOrders(state: WatchdogState, rows: StageRow[], acceptedStage: string, canaries: Set<string> = new Set()): OpenOrder[] {
  const added: OpenOrder[] = [];
  for (const row of rows) {
    // Compared in microseconds, as the database orders them: two orders in one millisecond are
    // two distinct times (a cursor in milliseconds skipped the second when its id was smaller).
    const rowUs = row.atUs ?? row.at * 1000;
    const cursorUs = state.cursor.atUs ?? state.cursor.at * 1000;
    const after = rowUs > cursorUs || (rowUs === cursorUs && row.orderId > state.cursor.id);
    if (!after) continue;
    state.cursor = { at: row.at, id: row.orderId, ...(row.atUs !== undefined ? { atUs: row.atUs } : {}) };
    if (state.open[row.orderId]) continue;
    const order: OpenOrder = { orderId: row.orderId, acceptedAt: row.at, ...(row.traceId ? { traceId: row.traceId } : {}), reached: { [acceptedStage]: row.at } };
    if (canaries.has(row.orderId)) order.canary = true;
    state.open[row.orderId] = order;
    added.push(order);
  }
  return added;
}

/** Records that these open orders reached `stageId`. */
export function applyStageRows(state: WatchdogState, stageId: string, rows: StageRow[]): void {
  for (const row of rows) {
    const order = state.open[row.orderId];
    if (order && order.reached[stageId] === undefined) order.reached[stageId] = row.at;
  }
}

/** The open orders still missing `stageId`'s record, oldest first: the ids its query is asked for. */
export function ordersMissing(state: WatchdogState, stageId: string): string[] {
  return Object.values(state.open)
    .filter((o) => o.reached[stageId] === undefined)
    .map((o) => o.orderId);
}

export interface CheckEvents {
  completed: ClosedOrder[];
  flagged: OpenOrder[];
  /** Alerts to resolve (the order completed, or moved past the stage it was flagged at). */
  resolved: AlertRecord[];
}

function flagKey(stage: string, reason: string): string {
  return `${stage}/${reason}`;
}

/**
 * Closes completed orders (resolving their alert, counting them late when they were flagged or
 * finished after the last deadline), lifts flags of orders that moved on, and forgets orders
 * open longer than `forgetAfterMs`.
 */
export function settle(journey: Journey, state: WatchdogState, now: number, links: Links, opts: { resolvedResendMs: number; forgetAfterMs: number }): CheckEvents {
  const events: CheckEvents = { completed: [], flagged: [], resolved: [] };
  const finalDeadline = journey.stages[journey.stages.length - 1]!.deadline ?? 0;
  const lastStage = journey.stages[journey.stages.length - 1]!.id;
  for (const order of Object.values(state.open)) {
    const complete = isComplete(journey, order);
    if (complete || now - order.acceptedAt > opts.forgetAfterMs) {
      const completedAt = complete ? order.reached[lastStage]! : now;
      // Late: flagged (now, or at an earlier stage it has since moved past), or past the last deadline.
      const wasFlagged = order.flag ?? order.liftedFlag;
      const late = complete && (wasFlagged !== undefined || completedAt - order.acceptedAt > finalDeadline);
      if (order.flag) events.resolved.push(resolvedAlert(alertFor(journey, order, order.flag, links), now, opts.resolvedResendMs));
      const closed: ClosedOrder = {
        orderId: order.orderId,
        acceptedAt: order.acceptedAt,
        completedAt,
        ...(order.traceId ? { traceId: order.traceId } : {}),
        reached: order.reached,
        late,
        ...(order.canary ? { canary: true } : {}),
        ...(wasFlagged ? { flag: wasFlagged } : {}),
      };
      delete state.open[order.orderId];
      if (complete) {
        // Canaries stay out of the order figures: they have their own counters.
        if (!order.canary) {
          state.counters.completed++;
          if (late) state.counters.late++;
        } else {
          state.counters.canaryCompleted++;
          state.canaryLastCompletedAt = Math.max(state.canaryLastCompletedAt ?? 0, completedAt);
        }
        state.telemetryPending.push({ orderId: order.orderId, completedAt, attempts: 0, acceptedAt: order.acceptedAt, ...(order.traceId ? { traceId: order.traceId } : {}) });
        events.completed.push(closed);
      } else {
        state.counters.forgotten++;
      }
      state.closed.push(closed);
      continue;
    }
    if (order.flag) {
      const stoppedAt = progress(journey, order).stoppedAt;
      const flaggedAt = journey.stages.findIndex((s) => s.id === order.flag!.stage);
      if (stoppedAt > flaggedAt) {
        events.resolved.push(resolvedAlert(alertFor(journey, order, order.flag, links), now, opts.resolvedResendMs));
        order.liftedFlag = order.flag;
        delete order.flag;
        delete order.replayedAt; // a later flag is a new one, for bulk replays too
      }
    }
  }
  if (state.closed.length > CLOSED_KEPT) state.closed.splice(0, state.closed.length - CLOSED_KEPT);
  state.resolved.push(...events.resolved);
  return events;
}

/**
 * Open orders past their awaited stage's deadline and not flagged yet, except those that reached
 * their last stage less than `messages.hop_grace` ago (by its record): their message is in flight.
 */
export function newlyOverdue(journey: Journey, state: WatchdogState, now: number): OpenOrder[] {
  const grace = journey.messages.hop_grace;
  return Object.values(state.open).filter((o) => {
    if (o.flag || !isOverdue(journey, o, now)) return false;
    const last = journey.stages[progress(journey, o).stoppedAt]!;
    const reachedAt = last === journey.stages[0] ? undefined : o.reached[last.id];
    return reachedAt === undefined || now - reachedAt >= grace;
  });
}

/** Flags an order with its explanation (once per stage: the flag stays until the order moves on). */
export function flagOrder(state: WatchdogState, order: OpenOrder, explanation: Explanation, now: number): void {
  if (explanation.evidence) order.evidence = { ...order.evidence, ...explanation.evidence };
  order.flag = {
    stage: explanation.stage,
    awaiting: explanation.awaiting,
    reason: explanation.reason,
    detail: explanation.detail,
    ...(explanation.service ? { service: explanation.service } : {}),
    flaggedAt: now,
  };
  const key = flagKey(explanation.stage, explanation.reason);
  state.counters.flagged[key] = (state.counters.flagged[key] ?? 0) + 1;
}

/** The alerts of every flagged open order. */
export function activeAlerts(journey: Journey, state: WatchdogState, links: Links): AlertRecord[] {
  return Object.values(state.open)
    .filter((o) => o.flag)
    .map((o) => alertFor(journey, o, o.flag!, links));
}

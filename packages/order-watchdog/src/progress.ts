import type { Journey, Stage } from './journey';
import type { OpenOrder } from './order';

export interface Progress {
  /** Index of the last stage reached (by record, by evidence, or implied by a later stage). */
  stoppedAt: number;
  /** Index of the first stage not reached; undefined when the order completed. */
  awaiting?: number;
}

function reachedDirectly(order: OpenOrder, stage: Stage): boolean {
  return order.reached[stage.id] !== undefined || order.evidence?.[stage.id] !== undefined;
}

/**
 * Where the order is. A stage counts as reached when its record (or other evidence) says so, or
 * when any later stage is reached: a job in MES proves the contract, whatever else is missing.
 */
export function progress(journey: Journey, order: OpenOrder): Progress {
  const stages = journey.stages;
  let last = 0;
  for (let i = stages.length - 1; i > 0; i--) {
    if (reachedDirectly(order, stages[i]!)) {
      last = i;
      break;
    }
  }
  return last === stages.length - 1 ? { stoppedAt: last } : { stoppedAt: last, awaiting: last + 1 };
}

export function isComplete(journey: Journey, order: OpenOrder): boolean {
  return order.reached[journey.stages[journey.stages.length - 1]!.id] !== undefined;
}

/** The awaited stage's deadline has passed: the order is overdue. */
export function isOverdue(journey: Journey, order: OpenOrder, now: number): boolean {
  const { awaiting } = progress(journey, order);
  if (awaiting === undefined) return false;
  const deadline = journey.stages[awaiting]!.deadline ?? 0;
  return now - order.acceptedAt > deadline;
}

/** The time, from acceptance, at which the order becomes overdue unless it moves on. */
export function dueAt(journey: Journey, order: OpenOrder): number | undefined {
  const { awaiting } = progress(journey, order);
  if (awaiting === undefined) return undefined;
  return order.acceptedAt + (journey.stages[awaiting]!.deadline ?? 0);
}

/**
 * The queue the order's message waits in while it awaits stage `awaiting`: the queue of the
 * first stage from `awaiting` on that has one, if only record-less (implied) stages lie between.
 */
export function queueAhead(journey: Journey, awaiting: number): { queue: string; stage: number } | undefined {
  for (let i = awaiting; i < journey.stages.length; i++) {
    const stage = journey.stages[i]!;
    if (stage.queue) return { queue: stage.queue, stage: i };
    if (stage.record) return undefined;
  }
  return undefined;
}

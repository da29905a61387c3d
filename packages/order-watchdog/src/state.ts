import type { ClosedOrder, OpenOrder } from './order';
import type { AlertRecord } from './alerts';

/** A completed order whose trace is still to be checked (telemetry loss). */
export interface PendingTelemetry {
  orderId: string;
  completedAt: number;
  attempts: number;
  /** Its trace id (the stored trace context) and acceptance, when known: the look-up fetches that trace, or searches from then. */
  traceId?: string;
  acceptedAt?: number;
}

/** Everything the watchdog must keep across a restart (saved after every check, state-store.ts). */
export interface WatchdogState {
  version: 1;
  journey: string;
  /** The last accepted order read: the next check reads the orders after it. */
  cursor: { at: number; id: string; atUs?: number };
  open: Record<string, OpenOrder>;
  /** Recently closed orders, newest last (bounded): the page's late orders and look-ups. */
  closed: ClosedOrder[];
  /** Resolved alerts still re-sent to Alertmanager for a while, as Prometheus does. */
  resolved: AlertRecord[];
  /** Completed orders whose trace is checked once the grace period has passed. */
  telemetryPending: PendingTelemetry[];
  /** When the last canary order completed (epoch ms). */
  canaryLastCompletedAt?: number;
  counters: Counters;
}

export interface Counters {
  completed: number;
  late: number;
  /** Completed orders whose trace lacks at least one stage. */
  telemetryIncomplete: number;
  /** Per stage: completed orders whose trace lacks that stage's span. */
  telemetryMissingStage: Record<string, number>;
  /** Completed orders whose trace could not be checked (Jaeger unreachable for too long). */
  telemetryUnchecked: number;
  /** Open orders dropped after WATCHDOG_FORGET_AFTER_MS without completing. */
  forgotten: number;
  /** Orders flagged, by stage and reason (each order once per stage). */
  flagged: Record<string, number>;
  canarySent: number;
  canaryFailed: number;
  canaryCompleted: number;
}

export const CLOSED_KEPT = 500;

export function emptyState(journey: string, cursorAt: number): WatchdogState {
  return {
    version: 1,
    journey,
    cursor: { at: cursorAt, id: '' },
    open: {},
    closed: [],
    resolved: [],
    telemetryPending: [],
    counters: {
      completed: 0,
      late: 0,
      telemetryIncomplete: 0,
      telemetryMissingStage: {},
      telemetryUnchecked: 0,
      forgotten: 0,
      flagged: {},
      canarySent: 0,
      canaryFailed: 0,
      canaryCompleted: 0,
    },
  };
}

/**
 * The state as stored (`undefined`: none yet) made current: none starts fresh with the cursor at
 * `freshCursorAt`; counters added since it was written start at 0. A state of another journey or
 * version is refused, never silently reset (alerts would repeat or get lost).
 */
export function restoreState(stored: unknown, journey: string, freshCursorAt: number): WatchdogState {
  const fresh = emptyState(journey, freshCursorAt);
  if (stored === undefined || stored === null) return fresh;
  if (typeof stored !== 'object' || Array.isArray(stored)) throw new Error('the stored state is not an object');
  const state = stored as Partial<WatchdogState>;
  if (state.version !== 1) throw new Error(`state version ${String(state.version)} is not 1`);
  if (state.journey !== journey) throw new Error(`the stored state is of journey "${String(state.journey)}", not "${journey}"`);
  return { ...fresh, ...state, counters: { ...fresh.counters, ...state.counters } } as WatchdogState;
}

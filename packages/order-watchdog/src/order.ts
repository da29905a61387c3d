/** What the watchdog knows about one order it follows. Times are epoch milliseconds. */
export interface OpenOrder {
  orderId: string;
  acceptedAt: number;
  /** Its trace id, when the first stage's record holds its trace context (`traceparent`). */
  traceId?: string;
  /** Stage id → time its record says it was reached (records are the ground truth). */
  reached: Record<string, number>;
  /** Stages seen reached through other evidence (e.g. its message among a queue's dead letters). */
  evidence?: Record<string, string>;
  /** A canary order the watchdog sent itself. */
  canary?: boolean;
  /** Set once the order missed a deadline: it stays until the order completes or moves on. */
  flag?: Flag;
  /** Its last flag, lifted when it moved on: it still completes late. */
  liftedFlag?: Flag;
  /** When a replay last sent its kept message on (bulk replays leave it out: one replay per flag). */
  replayedAt?: number;
}

export type Reason =
  | 'not_published'
  | 'unroutable'
  | 'dead_lettered'
  | 'no_consumer'
  | 'backlog'
  | 'consumer_error'
  | 'vanished'
  | 'undetermined';

export const REASONS: readonly Reason[] = [
  'not_published',
  'unroutable',
  'dead_lettered',
  'no_consumer',
  'backlog',
  'consumer_error',
  'vanished',
  'undetermined',
];

export interface Flag {
  /** The last stage the order reached: where it stopped. */
  stage: string;
  /** The stage whose deadline it missed. */
  awaiting: string;
  reason: Reason;
  /** One line for people: the dead letter's reason, the queue, the error span, ... */
  detail: string;
  /** The service expected to act (the awaited stage's service). */
  service?: string;
  flaggedAt: number;
}

/** An order that completed (or was given up on), kept for the page's list of late orders. */
export interface ClosedOrder {
  orderId: string;
  acceptedAt: number;
  completedAt: number;
  traceId?: string;
  reached: Record<string, number>;
  late: boolean;
  canary?: boolean;
  flag?: Flag;
  /** Stages its trace lacks (telemetry loss), once checked. */
  telemetryMissing?: string[];
}

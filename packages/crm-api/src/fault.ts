import { HttpError, type RequestHandler } from '@shopfloor/service-kit';

/** The deliberate failure of the test hook; its class name becomes the spans' error.type. */
export class InjectedFault extends HttpError {
  constructor() {
    super(500, 'injected fault (CRM_FAULT_ERROR_RATE)');
  }
}

/** True for a `rate` fraction of calls (0 → never, 1 → always). */
export function shouldInjectFault(rate: number, random: () => number = Math.random): boolean {
  return rate > 0 && random() < rate;
}

/**
 * Test hook (CRM_FAULT_ERROR_RATE, off by default): answers 500 for that fraction of requests,
 * so the "CRM 5xx > 5%" alert can be proven end to end.
 */
export function faultInjection(rate: number, random: () => number = Math.random): RequestHandler {
  return (_req, _res, next) => {
    next(shouldInjectFault(rate, random) ? new InjectedFault() : undefined);
  };
}

/**
 * A test hook acting on the next n messages of the consumer:
 * - CRM_FAULT_DROP_AFTER_STORE=<n>: it stores the contract, then acknowledges the message without
 *   publishing `production.requested` — what a failed publish whose requeued message was then
 *   purged amounts to. The contract stays without `production_requested_at`: the order watchdog
 *   reports it `not_published`, and the republisher requests production once the contract is
 *   older than CRM_REPUBLISH_MIN_AGE_MS.
 * - CRM_FAULT_DROP_BEFORE_STORE=<n>: it acknowledges the message without storing anything — a
 *   consumer that lost the message (a crash between ack and store, a purge): the order watchdog
 *   reports it `vanished` after "published", and only a replay brings it back.
 */
export class NextMessagesFault {
  private dropped = 0;

  constructor(private readonly count: number) {}

  /** Whether to drop the next message (called once its contract is stored). */
  next(): boolean {
    if (this.dropped >= this.count) return false;
    this.dropped++;
    return true;
  }

  /** Messages still to be dropped. */
  get remaining(): number {
    return Math.max(0, this.count - this.dropped);
  }
}

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

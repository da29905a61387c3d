import type { RequestHandler } from '@shopfloor/service-kit';

/** True for a `rate` fraction of calls (0 → never, 1 → always). */
export function shouldInjectFault(rate: number, random: () => number = Math.random): boolean {
  return rate > 0 && random() < rate;
}

/**
 * Test hook (CRM_FAULT_ERROR_RATE, off by default): answers 500 for that fraction of requests,
 * so the "CRM 5xx > 5%" alert can be proven end to end.
 */
export function faultInjection(rate: number, random: () => number = Math.random): RequestHandler {
  return (_req, res, next) => {
    if (shouldInjectFault(rate, random)) {
      res.status(500).json({ error: 'injected fault (CRM_FAULT_ERROR_RATE)' });
      return;
    }
    next();
  };
}

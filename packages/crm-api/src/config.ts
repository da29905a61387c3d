import { env, loadConfig } from '@shopfloor/service-kit';

export function loadCrmConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig({
    defaultPort: 8082,
    env: source,
    extra: {
      /** How often contracts whose production request was not confirmed are requested again (as the shop's SHOP_REPUBLISH_INTERVAL_MS). */
      CRM_REPUBLISH_INTERVAL_MS: env.int({ min: 100, max: 600_000, default: 5000 }),
      /**
       * Contracts younger than this are left to the consumer that stored them: its publish waits up
       * to 5 s for the confirm (the broker's default publish timeout), so 5 s + 1 s, as the shop's
       * publish timeout + 1 s.
       */
      CRM_REPUBLISH_MIN_AGE_MS: env.int({ min: 1000, max: 3_600_000, default: 6000 }),
      /** Test hook, off by default: this fraction (0..1) of requests to /contracts/* answer 500. */
      CRM_FAULT_ERROR_RATE: env.number({ min: 0, max: 1, default: 0 }),
      /**
       * Test hook, off by default: for the next N messages, store the contract, then acknowledge the
       * message without requesting production (a lost publish); the republisher repairs them.
       */
      CRM_FAULT_DROP_AFTER_STORE: env.int({ min: 0, max: 100_000, default: 0 }),
      /** Test hook, off by default: acknowledge the next N messages without storing anything (a lost message). */
      CRM_FAULT_DROP_BEFORE_STORE: env.int({ min: 0, max: 100_000, default: 0 }),
    },
  });
}

export type CrmConfig = ReturnType<typeof loadCrmConfig>;

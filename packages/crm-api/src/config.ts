import { env, loadConfig } from '@shopfloor/service-kit';

export function loadCrmConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig({
    defaultPort: 8082,
    env: source,
    extra: {
      /** Test hook, off by default: this fraction (0..1) of requests to /contracts/* answer 500. */
      CRM_FAULT_ERROR_RATE: env.number({ min: 0, max: 1, default: 0 }),
    },
  });
}

export type CrmConfig = ReturnType<typeof loadCrmConfig>;

import { env, loadConfig, z } from '@shopfloor/service-kit';
import { parsePartnerKeys, PartnerKeysError } from './partners';

const partnerKeys = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    try {
      return parsePartnerKeys(raw);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof PartnerKeysError ? err.message : 'is invalid' });
      return z.NEVER;
    }
  });

export function loadMesConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig({
    defaultPort: 8083,
    env: source,
    secrets: ['MES_PARTNER_KEYS'],
    extra: {
      /** `partnerId:key,partnerId2:key2`; empty → the partner API answers 401 to everyone. */
      MES_PARTNER_KEYS: partnerKeys,
      /** Test hook, off by default: delay added to HTTP handlers and to message processing. */
      MES_FAULT_DELAY_MS: env.int({ min: 0, max: 600_000, default: 0 }),
      /** Test hook, off by default: dead-letter every message with reason "rejected by fault injection". */
      MES_FAULT_REJECT: env.bool(false),
      /**
       * Test hook, off by default: acknowledge the next N messages without storing their jobs,
       * then crash (SIGKILL): those orders vanish. A supervisor restarts the service (with the
       * same hook: it is meant for one burst of N orders).
       */
      MES_FAULT_ACK_THEN_CRASH: env.int({ min: 0, max: 100_000, default: 0 }),
    },
  });
}

export type MesConfig = ReturnType<typeof loadMesConfig>;

import { env, loadConfig } from '@shopfloor/service-kit';

export function loadShopConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig({
    defaultPort: 8081,
    env: source,
    extra: {
      CRM_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:8082'),
      MES_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:8083'),
      /** How long POST /orders waits for the broker's confirm before answering 202 accepted. */
      SHOP_PUBLISH_TIMEOUT_MS: env.int({ min: 100, max: 60_000, default: 3000 }),
      /** How often unpublished orders are re-published. */
      SHOP_REPUBLISH_INTERVAL_MS: env.int({ min: 100, max: 600_000, default: 5000 }),
      /** Timeout of the CRM / MES look-ups in GET /orders/:id. */
      SHOP_DOWNSTREAM_TIMEOUT_MS: env.int({ min: 100, max: 60_000, default: 2000 }),
    },
  });
}

export type ShopConfig = ReturnType<typeof loadShopConfig>;

import { env, loadConfig } from '@shopfloor/service-kit';

export function loadShopConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig({
    defaultPort: 8081,
    env: source,
    secrets: ['S3_SECRET_ACCESS_KEY'],
    extra: {
      CRM_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:8082'),
      MES_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:8083'),
      /** How long POST /orders waits for the broker's confirm before answering 202 accepted. */
      SHOP_PUBLISH_TIMEOUT_MS: env.int({ min: 100, max: 60_000, default: 3000 }),
      /** How often unpublished orders are re-published. */
      SHOP_REPUBLISH_INTERVAL_MS: env.int({ min: 100, max: 600_000, default: 5000 }),
      /** Timeout of the CRM / MES look-ups in GET /orders/:id. */
      SHOP_DOWNSTREAM_TIMEOUT_MS: env.int({ min: 100, max: 60_000, default: 2000 }),
      /** S3-compatible storage of the customers' 3D model files. */
      S3_ENDPOINT: env.url(['http:', 'https:'], 'http://127.0.0.1:9000'),
      S3_BUCKET: env.string('shop-models'),
      S3_REGION: env.string('us-east-1'),
      S3_ACCESS_KEY_ID: env.string('shopfloor'),
      S3_SECRET_ACCESS_KEY: env.string('shopfloor-dev-secret'),
      /** Largest accepted model upload. */
      SHOP_MODEL_MAX_BYTES: env.int({ min: 1, max: 1_073_741_824, default: 52_428_800 }),
    },
  });
}

export type ShopConfig = ReturnType<typeof loadShopConfig>;

import { runMain, serveHttp, startService } from '@shopfloor/service-kit';
import { loadShopConfig } from './config';
import { ModelStore } from './models';
import { OrderPublisher, orderRepublisher } from './publisher';
import { MIGRATION, ModelKeyRepository, OrderRepository } from './repository';
import { shopRoutes } from './routes';

runMain(async () => {
  const config = loadShopConfig();
  const base = await startService({
    service: 'shop-api',
    config,
    migration: MIGRATION,
    publishTimeoutMs: config.SHOP_PUBLISH_TIMEOUT_MS,
  });
  const { broker, logger, lifecycle } = base;

  const orders = new OrderRepository(base.pool);
  const publisher = new OrderPublisher(broker, orders, logger);
  const republisher = orderRepublisher(publisher, orders, broker, logger, {
    intervalMs: config.SHOP_REPUBLISH_INTERVAL_MS,
    minAgeMs: config.SHOP_PUBLISH_TIMEOUT_MS + 1000,
  });
  republisher.start();
  const models = new ModelStore({
    endpoint: config.S3_ENDPOINT,
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
  });
  lifecycle.defer('model store', async () => models.close());
  lifecycle.defer('republisher', () => republisher.stop());

  await serveHttp(base, config.PORT, (app) => {
    app.use(
      shopRoutes({
        orders,
        publisher,
        logger,
        crmUrl: config.CRM_URL,
        mesUrl: config.MES_URL,
        downstreamTimeoutMs: config.SHOP_DOWNSTREAM_TIMEOUT_MS,
        models,
        modelKeys: new ModelKeyRepository(base.pool),
        modelMaxBytes: config.SHOP_MODEL_MAX_BYTES,
      }),
    );
  });
});

import { runMain, serveHttp, startService } from '@shopfloor/service-kit';
import { loadShopConfig } from './config';
import { OrderPublisher, Republisher } from './publisher';
import { MIGRATION, OrderRepository } from './repository';
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
  const republisher = new Republisher(publisher, orders, broker, logger, {
    intervalMs: config.SHOP_REPUBLISH_INTERVAL_MS,
    minAgeMs: config.SHOP_PUBLISH_TIMEOUT_MS + 1000,
  });
  republisher.start();
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
      }),
    );
  });
});

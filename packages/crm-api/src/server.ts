import { runMain, serveHttp, startService } from '@shopfloor/service-kit';
import { loadCrmConfig } from './config';
import { startOrderCreatedConsumer } from './consumer';
import { NextMessagesFault } from './fault';
import { ProductionRequester, productionRepublisher } from './publisher';
import { ContractRepository, MIGRATION } from './repository';
import { crmRoutes } from './routes';

runMain(async () => {
  const config = loadCrmConfig();
  const base = await startService({ service: 'crm-api', config, migration: MIGRATION });
  const { broker, logger, lifecycle } = base;
  const contracts = new ContractRepository(base.pool);
  const requester = new ProductionRequester(broker, contracts, logger);

  if (config.CRM_FAULT_ERROR_RATE > 0) {
    logger.warn({ rate: config.CRM_FAULT_ERROR_RATE }, 'fault injection on: some /contracts requests will answer 500');
  }
  if (config.CRM_FAULT_DROP_AFTER_STORE > 0) {
    logger.warn(
      { dropAfterStore: config.CRM_FAULT_DROP_AFTER_STORE },
      'fault injection on: the next messages are acknowledged after storing their contracts, without requesting production',
    );
  }

  if (config.CRM_FAULT_DROP_BEFORE_STORE > 0) {
    logger.warn({ dropBeforeStore: config.CRM_FAULT_DROP_BEFORE_STORE }, 'fault injection on: the next messages are acknowledged without storing their contracts');
  }

  const republisher = productionRepublisher(requester, contracts, broker, logger, {
    intervalMs: config.CRM_REPUBLISH_INTERVAL_MS,
    minAgeMs: config.CRM_REPUBLISH_MIN_AGE_MS,
  });
  republisher.start();
  lifecycle.defer('republisher', () => republisher.stop());

  await startOrderCreatedConsumer(base, contracts, requester, {
    dropAfterStore: new NextMessagesFault(config.CRM_FAULT_DROP_AFTER_STORE),
    dropBeforeStore: new NextMessagesFault(config.CRM_FAULT_DROP_BEFORE_STORE),
  });

  await serveHttp(base, config.PORT, (app) => {
    app.use(crmRoutes({ contracts, faultErrorRate: config.CRM_FAULT_ERROR_RATE }));
  });
});

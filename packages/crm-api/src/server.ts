import { runMain, serveHttp, startService } from '@shopfloor/service-kit';
import { loadCrmConfig } from './config';
import { startOrderCreatedConsumer } from './consumer';
import { ContractRepository, MIGRATION } from './repository';
import { crmRoutes } from './routes';

runMain(async () => {
  const config = loadCrmConfig();
  const base = await startService({ service: 'crm-api', config, migration: MIGRATION });
  const contracts = new ContractRepository(base.pool);

  await startOrderCreatedConsumer(base, contracts);

  if (config.CRM_FAULT_ERROR_RATE > 0) {
    base.logger.warn({ rate: config.CRM_FAULT_ERROR_RATE }, 'fault injection on: some /contracts requests will answer 500');
  }
  await serveHttp(base, config.PORT, (app) => {
    app.use(crmRoutes({ contracts, faultErrorRate: config.CRM_FAULT_ERROR_RATE }));
  });
});

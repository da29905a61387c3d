import { runMain, serveHttp, startService } from '@shopfloor/service-kit';
import { loadMesConfig } from './config';
import { startProductionRequestedConsumer } from './consumer';
import { JobRepository, MIGRATION } from './repository';
import { mesRoutes } from './routes';

runMain(async () => {
  const config = loadMesConfig();
  const base = await startService({ service: 'mes-api', config, migration: MIGRATION });
  const { logger } = base;
  const jobs = new JobRepository(base.pool);

  if (config.MES_FAULT_DELAY_MS > 0 || config.MES_FAULT_REJECT || config.MES_FAULT_ACK_THEN_CRASH > 0) {
    logger.warn({ delayMs: config.MES_FAULT_DELAY_MS, reject: config.MES_FAULT_REJECT, ackThenCrash: config.MES_FAULT_ACK_THEN_CRASH }, 'fault injection on');
  }
  logger.info({ partners: config.MES_PARTNER_KEYS.map((p) => p.id) }, 'partner API configured');

  await startProductionRequestedConsumer(base, jobs, { delayMs: config.MES_FAULT_DELAY_MS, reject: config.MES_FAULT_REJECT, ackThenCrash: config.MES_FAULT_ACK_THEN_CRASH });

  await serveHttp(base, config.PORT, (app) => {
    app.use(mesRoutes({ jobs, partners: config.MES_PARTNER_KEYS, logger, faultDelayMs: config.MES_FAULT_DELAY_MS }));
  });
});

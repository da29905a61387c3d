#!/usr/bin/env node
import { readConfig } from './config';
import { loadJourney } from './journey';
import { createWatchdogServer } from './server';
import { Watchdog, type Log } from './watchdog';

/** `order-watchdog`: checks the journey of WATCHDOG_JOURNEY, serves the page and /metrics. */
async function main(): Promise<void> {
  const log: Log = (level, msg, fields = {}) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  const config = readConfig();
  const journey = loadJourney(config.journeyPath);
  const watchdog = new Watchdog(journey, config, log);
  const lookup = async (orderId: string) => {
    const reached: Record<string, number> = {};
    let traceId: string | undefined;
    for (const stage of journey.stages) {
      const rows = await watchdog.lookupStage(stage, orderId);
      for (const row of rows) {
        reached[stage.id] = row.at;
        traceId ??= row.traceId;
      }
    }
    return { reached, traceId };
  };
  const server = createWatchdogServer(watchdog, lookup);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  log('info', 'order watchdog listening', { journey: journey.name, stages: journey.stages.map((s) => s.id), url: `http://${config.host}:${config.port}/`, stateFile: config.stateFile });
  watchdog.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log('info', 'stopping', { signal });
    server.close();
    server.closeAllConnections();
    watchdog.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`order-watchdog: ${(err as Error).message}\n`);
  process.exit(1);
});

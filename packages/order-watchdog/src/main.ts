#!/usr/bin/env node
import { journeyPathOf, readConfig, readSecrets } from './config';
import { redactUrl } from './http-auth';
import { loadJourney } from './journey';
import { recordLookup } from './lookup';
import { openReplayAudit } from './audit';
import { MessageMover } from './mover';
import { OperatorGate } from './operator';
import { Replayer } from './replay';
import { RecordRepublisher } from './republish';
import { createWatchdogServer, type RecordLookup } from './server';
import { openStateStore } from './state-store';
import { Watchdog, type Log } from './watchdog';

/** `order-watchdog`: checks the journey of WATCHDOG_JOURNEY, serves the page and /metrics. */
async function main(): Promise<void> {
  const log: Log = (level, msg, fields = {}) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  const journey = loadJourney(journeyPathOf());
  const env = readSecrets(process.env, Object.values(journey.databases).map((d) => d.url_env));
  const config = readConfig(env);
  if (process.env.WATCHDOG_STATE_FILE) log('warn', 'WATCHDOG_STATE_FILE is no longer read: the state is kept in WATCHDOG_STATE_DATABASE_URL');
  const stateDatabase = redactUrl(config.stateDatabaseUrl);
  const store = openStateStore(config.stateDatabaseUrl, journey.name);
  // Unreadable or foreign state stops the start (as before): starting fresh would repeat alerts.
  const state = await store.load(Date.now() - config.startLookbackMs).catch(async (err: unknown) => {
    await store.close().catch(() => {});
    // 3D000: the database does not exist (a data directory older than it).
    const hint = (err as { code?: string }).code === '3D000' ? ' (compose/postgres/watchdog-role.sql creates it)' : '';
    throw new Error(`loading the state from ${stateDatabase}: ${(err as Error).message}${hint}`);
  });
  const watchdog = new Watchdog(journey, config, log, store, state, env);
  const readRecords = recordLookup(journey, (stage, orderId) => watchdog.lookupStage(stage, orderId));
  // The page says only "unavailable" (503); why goes to the log (pg's messages hold no password).
  const lookup: RecordLookup = (orderId) =>
    readRecords(orderId).catch((err: unknown) => {
      log('warn', 'looking up an order in the stage records failed', { error: (err as Error).message });
      throw err;
    });
  const audit = openReplayAudit(config.stateDatabaseUrl, journey.name);
  const mover = new MessageMover(config.amqpUrl);
  const republisher = new RecordRepublisher(journey, env);
  const replayer = new Replayer({
    journey,
    state: () => watchdog.state,
    mover,
    republisher,
    queueStats: (queues) => watchdog.queueStats(queues),
    audit,
    log,
    minIntervalMs: 1000 / config.replayRatePerS,
  });
  const gate = new OperatorGate(config.operatorToken);
  if (!gate.enabled) log('info', 'replay is off: no WATCHDOG_OPERATOR_TOKEN (the page is read-only)');
  const server = createWatchdogServer(watchdog, lookup, { journey, state: () => watchdog.state, replayer, gate, audit });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  log('info', 'order watchdog listening', { journey: journey.name, stages: journey.stages.map((s) => s.id), url: `http://${config.host}:${config.port}/`, stateDatabase });
  watchdog.start();
  let stopping = false;
  const stop = (why: string, code = 0) => {
    if (stopping) process.exit(1);
    stopping = true;
    log('info', 'stopping', { why });
    server.close();
    server.closeAllConnections();
    Promise.all([watchdog.stop(), mover.close(), republisher.close(), audit.close()]).then(
      () => process.exit(code),
      () => process.exit(1),
    );
  };
  // Another instance took the state over: exit non-zero, loudly (a supervisor restarting this one
  // makes it load the newer state).
  watchdog.onSuperseded = () => stop('state written by another instance', 1);
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`order-watchdog: ${(err as Error).message}\n`);
  process.exit(1);
});

import type { Server } from 'node:http';
import { Broker } from './broker';
import type { BaseConfig } from './config';
import type { RetryPolicy } from './consumer';
import { createPool, migrate, pingDatabase, type Pool } from './db';
import { closeServer, createApp, type Express, listen } from './http';
import { Lifecycle } from './lifecycle';
import { createLogger, type Logger } from './logger';

/** What every service has once started: logger, shutdown lifecycle, migrated pool, broker. */
export interface ServiceBase {
  service: string;
  logger: Logger;
  lifecycle: Lifecycle;
  pool: Pool;
  broker: Broker;
  /** Consumer retry policy from CONSUMER_MAX_RETRIES / CONSUMER_RETRY_DELAY_MS. */
  retry: RetryPolicy;
}

export interface StartServiceOptions {
  service: string;
  config: BaseConfig;
  /** Idempotent DDL run at start (retried until PostgreSQL is reachable). */
  migration: string;
  publishTimeoutMs?: number;
}

/**
 * Logger, SIGTERM/SIGINT handling, pg pool, RabbitMQ connection (topology on every connect),
 * then the migration. Shutdown closes the broker, then the pool (they are registered first,
 * so they close after everything registered later: HTTP server, consumers, timers).
 */
export async function startService(options: StartServiceOptions): Promise<ServiceBase> {
  const { service, config } = options;
  const logger = createLogger({ service, level: config.LOG_LEVEL });
  const lifecycle = new Lifecycle(logger);
  lifecycle.installSignalHandlers();

  const pool = createPool(config.DATABASE_URL, logger);
  lifecycle.defer('postgres pool', () => pool.end());
  const broker = new Broker({ url: config.AMQP_URL, logger, service, publishTimeoutMs: options.publishTimeoutMs });
  lifecycle.defer('rabbitmq', () => broker.close());

  await migrate(pool, options.migration, logger, { lockName: `${service}.migrate`, signal: lifecycle.signal });

  return {
    service,
    logger,
    lifecycle,
    pool,
    broker,
    retry: { maxRetries: config.CONSUMER_MAX_RETRIES, baseDelayMs: config.CONSUMER_RETRY_DELAY_MS, maxDelayMs: 10_000 },
  };
}

/** Builds the app (with /healthz over postgres + rabbitmq), listens, and closes it first on shutdown. */
export async function serveHttp(base: ServiceBase, port: number, routes: (app: Express) => void): Promise<Server> {
  const app = createApp({
    logger: base.logger,
    health: [
      { name: 'postgres', check: () => pingDatabase(base.pool) },
      { name: 'rabbitmq', check: () => base.broker.isConnected() },
    ],
    routes,
  });
  const server = await listen(app, port, base.logger);
  base.lifecycle.defer('http server', () => closeServer(server));
  return server;
}

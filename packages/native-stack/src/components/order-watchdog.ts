import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpHealthy, LOOPBACK, ports, repoRoot } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';
import { PG_PASSWORD, PG_USER } from './postgres';
import { amqpUrl } from './rabbitmq';
import { serviceUrl } from './services';
import { victoriaLogsUrl } from './victorialogs';

/**
 * The watchdog's role of compose/postgres/watchdog-role.sql (its password: WATCHDOG_DB_PASSWORD,
 * default below): read-only on the services' databases, owner of its state database.
 */
export const WATCHDOG_DB_USER = 'watchdog';
export const WATCHDOG_DB_PASSWORD = process.env.WATCHDOG_DB_PASSWORD || 'watchdog-dev';

/** Without the password: the watchdog puts WATCHDOG_DB_PASSWORD into each of these URLs itself. */
export function watchdogDatabaseUrl(db: string): string {
  return `postgres://${WATCHDOG_DB_USER}@${LOOPBACK}:${ports.postgres}/${db}`;
}

/** The watchdog's own database, where it keeps its state (created by watchdog-role.sql). */
export const WATCHDOG_STATE_DB = 'watchdog';

export const orderWatchdogUrl = `http://${LOOPBACK}:${ports.orderWatchdog}`;

/**
 * The order watchdog (packages/order-watchdog) on the shipped journey
 * (journeys/shopfloor.yaml), its state in the stack's PostgreSQL (database `watchdog`, which goes
 * with the data directory: a fresh stack starts the watchdog fresh).
 * `extraEnv` overrides any of its variables (tests: a journey with short deadlines, a faster check).
 */
export function orderWatchdog(extraEnv: Record<string, string> = {}): ComponentSpec {
  return {
    name: 'order-watchdog',
    command: process.execPath,
    args: [join(repoRoot, 'packages', 'order-watchdog', 'dist', 'main.js')],
    cwd: repoRoot,
    env: {
      WATCHDOG_HOST: LOOPBACK,
      WATCHDOG_PORT: String(ports.orderWatchdog),
      WATCHDOG_PUBLIC_URL: orderWatchdogUrl,
      WATCHDOG_DB_PASSWORD,
      WATCHDOG_STATE_DATABASE_URL: watchdogDatabaseUrl(WATCHDOG_STATE_DB),
      WATCHDOG_SHOP_DATABASE_URL: watchdogDatabaseUrl('shop'),
      WATCHDOG_CRM_DATABASE_URL: watchdogDatabaseUrl('crm'),
      WATCHDOG_MES_DATABASE_URL: watchdogDatabaseUrl('mes'),
      WATCHDOG_AMQP_URL: amqpUrl,
      WATCHDOG_RABBITMQ_METRICS_URL: `http://${LOOPBACK}:${ports.rabbitmqPrometheus}/metrics`,
      WATCHDOG_JAEGER_URL: `http://${LOOPBACK}:${ports.jaegerQuery}`,
      // The order page's log lines (LogsQL by trace id).
      WATCHDOG_VICTORIALOGS_URL: victoriaLogsUrl,
      WATCHDOG_ALERTMANAGER_URL: `http://${LOOPBACK}:${ports.alertmanager}`,
      WATCHDOG_CANARY_URL: `${serviceUrl('shop-api')}/orders`,
      WATCHDOG_CANARY_INTERVAL_MS: '30000',
      // Replay of lost orders: on when the user sets a token for `npm start` (else read-only).
      ...(process.env.WATCHDOG_OPERATOR_TOKEN ? { WATCHDOG_OPERATOR_TOKEN: process.env.WATCHDOG_OPERATOR_TOKEN } : {}),
      // The passwords are the ones above: a password or secret file the supervisor's own
      // environment holds (children inherit it) would be a second source, refused at start.
      // Empty counts as unset.
      ...Object.fromEntries(['WATCHDOG_DB_PASSWORD_FILE', 'WATCHDOG_AMQP_PASSWORD', 'WATCHDOG_AMQP_PASSWORD_FILE', 'WATCHDOG_ALERTMANAGER_PASSWORD', 'WATCHDOG_ALERTMANAGER_PASSWORD_FILE'].map((name) => [name, ''])),
      ...extraEnv,
    },
    ports: { http: ports.orderWatchdog },
    // The role and its state database, also in data directories initialized before they existed (idempotent).
    async prepare() {
      await promisify(execFile)(
        'psql',
        ['-h', LOOPBACK, '-p', String(ports.postgres), '-U', PG_USER, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-f', join(repoRoot, 'compose', 'postgres', 'watchdog-role.sql')],
        { env: { ...process.env, PGPASSWORD: PG_PASSWORD, WATCHDOG_DB_PASSWORD } },
      );
    },
    healthy: () => httpHealthy(`${orderWatchdogUrl}/healthz`),
  };
}

import { Pool, type PoolClient } from 'pg';
import { redactUrl } from './config';
import { describeError } from './errors';
import type { Logger } from './logger';
import { backoffDelay, FailureStreak, ShutdownInProgressError, sleep } from './retry';

export type { Pool, PoolClient } from 'pg';

/** Node network error codes meaning "PostgreSQL is (momentarily) not reachable". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** SQLSTATEs that a retry can fix: connection exceptions, server shutting down/starting, resource or concurrency trouble. */
const TRANSIENT_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / recovering)
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '3D000', // invalid_catalog_name: the database may still be being created by an init script
]);

const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection timeout/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection/i,
];

/** True when the error means "PostgreSQL is unavailable right now" rather than "this query is wrong". */
export function isTransientDbError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || TRANSIENT_SQLSTATES.has(code)) return true;
    if (code.startsWith('08')) return true; // connection_exception class
  }
  return TRANSIENT_MESSAGES.some((pattern) => pattern.test(err.message));
}

export interface PoolOptions {
  max?: number;
  connectionTimeoutMillis?: number;
}

/**
 * A pg Pool that survives PostgreSQL restarts: errors of idle clients are logged instead of
 * crashing the process, and broken clients are discarded by the pool itself.
 */
export function createPool(url: string, logger: Logger, options: PoolOptions = {}): Pool {
  const pool = new Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 3000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  pool.on('error', (err) => {
    logger.warn({ error: describeError(err) }, 'idle PostgreSQL client failed; it was removed from the pool');
  });
  logger.debug({ database: redactUrl(url) }, 'PostgreSQL pool created');
  return pool;
}

export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

export interface MigrateOptions {
  /** Names the advisory lock that serialises concurrent migrations of the same database. */
  lockName: string;
  /** Aborting stops the retry loop (shutdown during start-up). */
  signal?: AbortSignal;
  backoff?: { baseMs: number; maxMs: number };
}

/**
 * Runs idempotent DDL (CREATE ... IF NOT EXISTS) in one transaction under an advisory lock.
 * Retries with bounded backoff while PostgreSQL is unreachable; a non-transient error
 * (e.g. bad SQL, authentication) fails at once.
 */
export async function migrate(pool: Pool, sql: string, logger: Logger, options: MigrateOptions): Promise<void> {
  const streak = new FailureStreak(logger, 'connecting to PostgreSQL');
  const backoff = options.backoff ?? { baseMs: 250, maxMs: 5000 };
  for (let attempt = 1; ; attempt++) {
    try {
      await withTransaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [options.lockName]);
        await client.query(sql);
      });
      streak.success();
      logger.info('database schema ready');
      return;
    } catch (err) {
      if (!isTransientDbError(err)) throw err;
      streak.failure(describeError(err));
      const completed = await sleep(backoffDelay(attempt, backoff), options.signal);
      if (!completed) throw new ShutdownInProgressError('migration aborted by shutdown');
    }
  }
}

/** `SELECT 1` bounded by `timeoutMs`; false on any failure. */
export async function pingDatabase(pool: Pool, timeoutMs = 1500): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([pool.query('SELECT 1').then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

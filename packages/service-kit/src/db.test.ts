import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createPool, isTransientDbError, migrate, pingDatabase } from './db';
import { createLogger } from './logger';
import { ShutdownInProgressError } from './retry';
import { unusedPort } from './test-amqp-server';
import { startFakePostgres } from './test-postgres-server';
import { waitUntil } from './test-wait';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isTransientDbError', () => {
  it('treats unreachable / restarting PostgreSQL as transient', () => {
    assert.equal(isTransientDbError(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')), true);
    assert.equal(isTransientDbError(withCode('the database system is starting up', '57P03')), true);
    assert.equal(isTransientDbError(withCode('terminating connection due to administrator command', '57P01')), true);
    assert.equal(isTransientDbError(withCode('connection failure', '08006')), true);
    assert.equal(isTransientDbError(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isTransientDbError(new Error('timeout exceeded when trying to connect')), true);
  });

  it('treats query errors as not transient', () => {
    assert.equal(isTransientDbError(withCode('syntax error at or near "SELEC"', '42601')), false);
    assert.equal(isTransientDbError(withCode('duplicate key value violates unique constraint', '23505')), false);
    assert.equal(isTransientDbError(withCode('password authentication failed', '28P01')), false);
    assert.equal(isTransientDbError('ECONNREFUSED'), false);
  });
});

const DDL = 'CREATE TABLE IF NOT EXISTS orders (id uuid PRIMARY KEY)';
const FAST = { baseMs: 20, maxMs: 80 };

function capturingLogger(): { logger: ReturnType<typeof createLogger>; logs: () => Array<{ msg: string; failedAttempts?: number }> } {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'test',
    level: 'info',
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  return { logger, logs: () => lines.map((l) => JSON.parse(l) as { msg: string }) };
}

describe('migrate against a real socket (a minimal PostgreSQL server)', () => {
  it('retries while nobody listens and runs the DDL under the advisory lock, in one transaction, once PostgreSQL appears', async () => {
    const port = await unusedPort();
    const { logger, logs } = capturingLogger();
    const pool = createPool(`postgres://shop:pw@127.0.0.1:${port}/shop`, logger, { connectionTimeoutMillis: 1000 });
    let settled = false;
    const migration = migrate(pool, DDL, logger, { lockName: 'shop-api.migrate', backoff: FAST }).finally(() => {
      settled = true;
    });
    try {
      await waitUntil('migrate to log its failure streak', () => logs().some((l) => l.msg === 'connecting to PostgreSQL failed; retrying'));
      await new Promise((resolve) => setTimeout(resolve, 200)); // several more refused attempts
      assert.equal(settled, false, 'migrate keeps retrying while PostgreSQL is unreachable');
      const server = await startFakePostgres({ port });
      try {
        await migration;
        assert.deepEqual(server.statements, ['BEGIN', 'SELECT pg_advisory_xact_lock(hashtext($1)) -- ["shop-api.migrate"]', DDL, 'COMMIT']);
        const failures = logs().filter((l) => l.msg === 'connecting to PostgreSQL failed; retrying');
        assert.equal(failures.length, 1, 'one warning per failure streak');
        const recovered = logs().find((l) => l.msg === 'connecting to PostgreSQL recovered');
        assert.ok(recovered && (recovered.failedAttempts ?? 0) >= 3, `recovery logged with the failed attempts: ${JSON.stringify(recovered)}`);
        assert.ok(logs().some((l) => l.msg === 'database schema ready'));
        assert.equal(await pingDatabase(pool), true);
      } finally {
        await pool.end();
        await server.close();
      }
    } finally {
      await migration.catch(() => undefined);
    }
  });

  it('retries while PostgreSQL answers "starting up" (57P03)', async () => {
    let refusals = 3;
    const server = await startFakePostgres({
      refuseStartup: () => (refusals-- > 0 ? { code: '57P03', message: 'the database system is starting up' } : undefined),
    });
    const { logger } = capturingLogger();
    const pool = createPool(`postgres://shop:pw@127.0.0.1:${server.port}/shop`, logger);
    try {
      await migrate(pool, DDL, logger, { lockName: 'l', backoff: FAST });
      assert.equal(refusals, -1, 'three refused connections, then one that worked');
      assert.ok(server.statements.includes(DDL));
    } finally {
      await pool.end();
      await server.close();
    }
  });

  it('fails at once on an error a retry cannot fix, and rolls the transaction back', async () => {
    const server = await startFakePostgres({
      answer: (sql) => (sql === DDL ? { code: '42601', message: 'syntax error at or near "TABLE"' } : undefined),
    });
    const { logger } = capturingLogger();
    const pool = createPool(`postgres://shop:pw@127.0.0.1:${server.port}/shop`, logger);
    try {
      await assert.rejects(migrate(pool, DDL, logger, { lockName: 'l', backoff: FAST }), (err: Error & { code?: string }) => err.code === '42601');
      assert.deepEqual(server.statements, ['BEGIN', 'SELECT pg_advisory_xact_lock(hashtext($1)) -- ["l"]', DDL, 'ROLLBACK'], 'one attempt only');
    } finally {
      await pool.end();
      await server.close();
    }
  });

  it('stops retrying when shutdown aborts it', async () => {
    const port = await unusedPort();
    const { logger, logs } = capturingLogger();
    const pool = createPool(`postgres://shop:pw@127.0.0.1:${port}/shop`, logger);
    const controller = new AbortController();
    const migration = migrate(pool, DDL, logger, { lockName: 'l', signal: controller.signal, backoff: { baseMs: 60_000, maxMs: 60_000 } });
    try {
      await waitUntil('the first failed attempt', () => logs().some((l) => l.msg === 'connecting to PostgreSQL failed; retrying'));
      const aborted = Date.now();
      controller.abort();
      await assert.rejects(migration, ShutdownInProgressError);
      assert.ok(Date.now() - aborted < 1000, 'the 60 s backoff was cut short');
    } finally {
      await pool.end();
    }
  });
});

import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { readConfig } from './config';
import { emptyState, restoreState } from './state';
import { conflictOwner, openStateStore, PgStateStore, SQL, StateConflictError, type Queryable, type StateStore } from './state-store';
import { testJourney } from './test-journey';
import { Watchdog, type Log } from './watchdog';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL for this file: a fresh cluster in a temporary directory, reachable only
 * through a unix socket in that directory (no TCP: nothing to collide with a running stack), with
 * the role and database of compose/postgres/watchdog-role.sql (the role read-only by default, the
 * database `watchdog` its own). Uses Debian's server binaries, installed by `npm run setup`.
 */
class ThrowawayPostgres {
  private running = true;
  private readonly stopAtExit = () => this.stopNow();

  private constructor(
    private readonly bin: string,
    /** The temporary directory: the data directory, the server's log and its socket. */
    readonly dir: string,
    readonly port: number,
    private readonly asServer: { uid?: number; gid?: number },
  ) {
    process.on('exit', this.stopAtExit); // the after hook never ran (e.g. the run was cut short)
  }

  static async start(): Promise<ThrowawayPostgres> {
    const bin = serverBinaries();
    const asServer = serverUser();
    const dir = mkdtempSync(join(tmpdir(), 'order-watchdog-pg-'));
    try {
      if (asServer.uid !== undefined) chownSync(dir, asServer.uid, asServer.gid!);
      const port = await freePort();
      const data = join(dir, 'data');
      const opts = { ...asServer, cwd: dir };
      await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], opts);
      const server = new ThrowawayPostgres(bin, dir, port, asServer);
      try {
        await run(join(bin, 'pg_ctl'), ['start', '-D', data, '-w', '-t', '30', '-l', join(dir, 'server.log'),
          '-o', `-p ${port} -k '${dir}' -c listen_addresses='' -c fsync=off`], opts);
      } catch (err) {
        const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '(no log)';
        server.stop();
        throw new Error(`pg_ctl start failed: ${(err as Error).message}\n${log}`);
      }
      return server;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The URL of `database` as `user`, over the socket (pg: `host` a directory is a socket's). */
  url(database: string, user = 'watchdog'): string {
    return `postgres://${user}@localhost/${database}?host=${encodeURIComponent(this.dir)}&port=${this.port}`;
  }

  /** Stops the server at once (its data is thrown away) and removes the directory. */
  stop(): void {
    process.off('exit', this.stopAtExit);
    this.stopNow();
  }

  private stopNow(): void {
    try {
      if (this.running) execFileSync(join(this.bin, 'pg_ctl'), ['stop', '-D', join(this.dir, 'data'), '-m', 'immediate', '-w'], { ...this.asServer, cwd: this.dir, stdio: 'ignore' });
    } finally {
      this.running = false;
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** The newest PostgreSQL under Debian's /usr/lib/postgresql/<version>/bin. */
function serverBinaries(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server under ${root}/<version>/bin (initdb, pg_ctl): run \`npm run setup\`, which installs it`);
  return join(root, newest, 'bin');
}

/** PostgreSQL refuses to run as root: when we are root, it runs as Debian's `postgres` user. */
function serverUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root but there is no `postgres` user: run `npm run setup`, which installs PostgreSQL');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A port no one listens on (it only names the socket file: the server has no TCP). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * The real pool, but the answer to one write is lost after the write committed: what a
 * connection dropping between the commit and the reply looks like to the store.
 */
class AnswerLost implements Queryable {
  loseNextAnswer = false;
  constructor(private readonly pool: Pool) {}

  async query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }> {
    const result = await this.pool.query(text, values); // one statement, so committed once answered
    if (this.loseNextAnswer && (text === SQL.insert || text === SQL.update)) {
      this.loseNextAnswer = false;
      throw new Error('Connection terminated unexpectedly');
    }
    return result;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

describe('restoring the stored state', () => {
  it('none: fresh, the cursor at the look-back', () => {
    assert.deepEqual(restoreState(undefined, 'test', 42), emptyState('test', 42));
  });

  it('merges counters added since it was written with their defaults, keeps the rest as stored', () => {
    const stored = emptyState('test', 7) as unknown as Record<string, unknown>;
    const counters = { ...(stored.counters as Record<string, unknown>) };
    delete counters.canarySent;
    const back = restoreState({ ...stored, counters: { ...counters, completed: 3 } }, 'test', 99);
    assert.equal(back.counters.canarySent, 0);
    assert.equal(back.counters.completed, 3);
    assert.deepEqual(back.cursor, { at: 7, id: '' });
  });

  it('refuses the state of another journey or version, and what is not a state', () => {
    assert.throws(() => restoreState(emptyState('other', 0), 'test', 0), /of journey "other", not "test"/);
    assert.throws(() => restoreState({ ...emptyState('test', 0), version: 2 }, 'test', 0), /state version 2 is not 1/);
    assert.throws(() => restoreState('text', 'test', 0), /not an object/);
  });
});

describe('whose write a save ran into', () => {
  const me = 'host/1/aaaa';
  it('ours: a newer generation this instance wrote (the answer to its save was lost)', () => {
    assert.equal(conflictOwner(4, { generation: 5, writtenBy: me, updatedAt: '' }, me), 'ours');
  });
  it('theirs: another writer, a row that is gone, or a generation not newer', () => {
    assert.equal(conflictOwner(4, { generation: 5, writtenBy: 'host/2/bbbb', updatedAt: '' }, me), 'theirs');
    assert.equal(conflictOwner(4, undefined, me), 'theirs');
    assert.equal(conflictOwner(4, { generation: 4, writtenBy: me, updatedAt: '' }, me), 'theirs');
  });
});

describe('the PostgreSQL store (against a throwaway PostgreSQL)', () => {
  let server: ThrowawayPostgres | undefined;
  /** The superuser on `watchdog`: drops the table between tests, reads what was stored. */
  let admin: Pool | undefined;
  let stores: PgStateStore[] = [];

  before(async () => {
    server = await ThrowawayPostgres.start();
    const setup = new Pool({ connectionString: server.url('postgres', 'postgres'), max: 1 });
    try {
      await setup.query('CREATE ROLE watchdog LOGIN');
      await setup.query('ALTER ROLE watchdog SET default_transaction_read_only = on');
      await setup.query('CREATE DATABASE watchdog OWNER watchdog');
      await setup.query('REVOKE ALL ON DATABASE watchdog FROM PUBLIC');
    } finally {
      await setup.end();
    }
    admin = new Pool({ connectionString: server.url('watchdog', 'postgres'), max: 1 });
  });

  after(async () => {
    try {
      await Promise.all(stores.map((s) => s.close().catch(() => {})));
      await admin?.end();
    } finally {
      server?.stop();
    }
  });

  beforeEach(async () => {
    await admin!.query('DROP TABLE IF EXISTS watchdog_state'); // each test from no table at all
  });

  afterEach(async () => {
    const open = stores;
    stores = [];
    await Promise.all(open.map((s) => s.close()));
  });

  /** An instance of the watchdog on the throwaway database, as main.ts opens it. */
  const instance = (journey = 'test'): PgStateStore => {
    const store = openStateStore(server!.url('watchdog'), journey);
    stores.push(store);
    return store;
  };

  const stored = async (journey = 'test') => {
    const row = (await admin!.query('SELECT generation, state::text AS json, written_by FROM watchdog_state WHERE journey = $1', [journey])).rows[0] as
      | { generation: string; json: string; written_by: string }
      | undefined;
    assert.ok(row, `a row for journey "${journey}"`);
    return { generation: Number(row.generation), json: row.json, writtenBy: row.written_by };
  };

  it('load → save → load in another instance: the same state; each save one generation more', async () => {
    const a = instance();
    const s = await a.load(42);
    assert.deepEqual(s, emptyState('test', 42));
    await a.save(s);
    s.counters.completed = 2;
    await a.save(s);
    const row = await stored();
    assert.equal(row.generation, 2);
    assert.equal(row.writtenBy, a.writer);
    assert.equal(row.json, JSON.stringify(s), 'json keeps the state as written');
    const b = instance();
    assert.deepEqual(await b.load(99_999), s, 'a restart picks up the saved state, not a fresh one');
  });

  it('a save after another instance wrote fails loudly and leaves the other state as it is', async () => {
    const a = instance();
    const s = await a.load(0);
    await a.save(s);
    const b = instance();
    const taken = await b.load(0);
    taken.counters.completed = 9;
    await b.save(taken);
    s.counters.completed = 1;
    await assert.rejects(a.save(s), (err: unknown) => err instanceof StateConflictError && /generation 2, written by .*last loaded or wrote generation 1: another instance took over/.test(err.message));
    const row = await stored();
    assert.equal(row.generation, 2);
    assert.equal(row.writtenBy, b.writer);
    assert.equal((JSON.parse(row.json) as typeof s).counters.completed, 9);
  });

  it('two fresh instances at once: one inserts the first row, the other fails', async () => {
    const a = instance();
    const b = instance();
    // Both create the table at once, then both insert the first row at once.
    const [sa, sb] = await Promise.all([a.load(0), b.load(0)]);
    sa.counters.completed = 1;
    sb.counters.completed = 2;
    const results = await Promise.allSettled([a.save(sa), b.save(sb)]);
    const won = results.findIndex((r) => r.status === 'fulfilled');
    const lost = results.find((r) => r.status === 'rejected');
    assert.ok(won >= 0 && lost, `one save succeeds, one fails: ${results.map((r) => r.status).join(', ')}`);
    assert.ok(lost.reason instanceof StateConflictError, String(lost.reason));
    const row = await stored();
    assert.equal(row.generation, 1);
    assert.equal(row.writtenBy, [a, b][won]!.writer);
    assert.equal((JSON.parse(row.json) as typeof sa).counters.completed, won + 1);
  });

  it('a save whose answer was lost is not taken for another instance: the next save goes on', async () => {
    const db = new AnswerLost(new Pool({ connectionString: server!.url('watchdog'), max: 1, options: '-c default_transaction_read_only=off' }));
    const a = new PgStateStore(db, 'test');
    stores.push(a);
    const s = await a.load(0);
    await a.save(s);
    db.loseNextAnswer = true;
    await assert.rejects(a.save(s), /Connection terminated/);
    assert.equal((await stored()).generation, 2, 'committed, unbeknown to the store');
    s.counters.late = 1;
    await a.save(s);
    const row = await stored();
    assert.equal(row.generation, 3);
    assert.equal((JSON.parse(row.json) as typeof s).counters.late, 1);
  });
});

describe('the watchdog saving its state', () => {
  const journey = testJourney();
  const config = readConfig({ WATCHDOG_STATE_DATABASE_URL: 'postgres://watchdog:secret@127.0.0.1:1/watchdog' });
  const env = { DB_ONE: 'postgres://watchdog@127.0.0.1:1/one' };
  const logs: string[] = [];
  const log: Log = (level, msg) => logs.push(`${level} ${msg}`);

  it('a database outage: logged and counted, the state kept in memory and saved at the next try', async () => {
    const saved: string[] = [];
    let down = true;
    const store: StateStore = {
      load: async () => emptyState('test', 0),
      save: async (state) => {
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        saved.push(JSON.stringify(state));
      },
      close: async () => {},
    };
    const wd = new Watchdog(journey, config, log, store, emptyState('test', 0), env);
    wd.state.counters.completed = 5;
    await wd.saveState();
    assert.equal(wd.health.stateSaveFailures, 1);
    assert.match(logs.at(-1)!, /^error saving the state failed: kept in memory/);
    down = false;
    await wd.saveState();
    assert.equal((JSON.parse(saved[0]!) as { counters: { completed: number } }).counters.completed, 5);
    assert.ok(wd.health.lastStateSaveAt);
    await wd.stop();
  });

  it('another instance wrote: this one says so, stops and never saves again', async () => {
    let saves = 0;
    const store: StateStore = {
      load: async () => emptyState('test', 0),
      save: async () => {
        saves++;
        throw new StateConflictError('test', 1, { generation: 3, writtenBy: 'other', updatedAt: 'now' });
      },
      close: async () => {},
    };
    const wd = new Watchdog(journey, config, log, store, emptyState('test', 0), env);
    let superseded: StateConflictError | undefined;
    wd.onSuperseded = (err) => (superseded = err);
    await wd.saveState();
    assert.ok(superseded);
    assert.match(logs.at(-1)!, /^error the state was written by another instance/);
    await wd.saveState();
    await wd.stop();
    assert.equal(saves, 1, 'no save after the conflict, not even the last one at stop');
  });
});

describe('WATCHDOG_STATE_DATABASE_URL', () => {
  it('is required, a postgres:// URL naming a database, and its password is never repeated', () => {
    assert.throws(() => readConfig({}), /WATCHDOG_STATE_DATABASE_URL is required/);
    for (const bad of ['http://watchdog:s3cret@db/watchdog', 'postgres://watchdog:s3cret@db', 'postgres://watchdog:s3cret@db:x/watchdog']) {
      assert.throws(
        () => readConfig({ WATCHDOG_STATE_DATABASE_URL: bad }),
        (err: unknown) => err instanceof Error && /WATCHDOG_STATE_DATABASE_URL/.test(err.message) && !err.message.includes('s3cret'),
        bad,
      );
    }
    assert.equal(readConfig({ WATCHDOG_STATE_DATABASE_URL: 'postgresql://watchdog:s3cret@db:5432/watchdog' }).stateDatabaseUrl, 'postgresql://watchdog:s3cret@db:5432/watchdog');
  });
});

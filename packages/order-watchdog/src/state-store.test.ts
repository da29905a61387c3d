import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readConfig } from './config';
import { emptyState, restoreState } from './state';
import { conflictOwner, PgStateStore, SQL, StateConflictError, type Queryable, type StateStore } from './state-store';
import { testJourney } from './test-journey';
import { Watchdog, type Log } from './watchdog';

/**
 * The table `watchdog_state` in memory, answering the store's statements as PostgreSQL does
 * (bigint as text, json parsed). The real database is the e2e suite's (README.md, "Tests").
 */
class FakeTable implements Queryable {
  rows = new Map<string, { generation: number; json: string; writtenBy: string }>();
  /** The next write commits but its answer is lost (the connection drops after the commit). */
  loseNextAnswer = false;

  async query(text: string, values: unknown[] = []): Promise<{ rows: Record<string, unknown>[] }> {
    const journey = String(values[0]);
    const row = this.rows.get(journey);
    const answer = (rows: Record<string, unknown>[]) => {
      if (this.loseNextAnswer) {
        this.loseNextAnswer = false;
        throw new Error('Connection terminated unexpectedly');
      }
      return { rows };
    };
    switch (text) {
      case SQL.schema:
        return { rows: [] };
      case SQL.load:
        return { rows: row ? [{ generation: String(row.generation), state: JSON.parse(row.json) as unknown }] : [] };
      case SQL.insert:
        if (row) return { rows: [] };
        this.rows.set(journey, { generation: 1, json: String(values[1]), writtenBy: String(values[2]) });
        return answer([{ generation: '1' }]);
      case SQL.update:
        if (!row || row.generation !== Number(values[3])) return { rows: [] };
        this.rows.set(journey, { generation: row.generation + 1, json: String(values[1]), writtenBy: String(values[2]) });
        return answer([{ generation: String(row.generation + 1) }]);
      case SQL.version:
        return { rows: row ? [{ generation: String(row.generation), written_by: row.writtenBy, updated_at: '2026-01-01T00:00:00.000Z' }] : [] };
      default:
        throw new Error(`unexpected statement: ${text}`);
    }
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

describe('the PostgreSQL store (against a stand-in of its table)', () => {
  it('load → save → load in another instance: the same state; each save one generation more', async () => {
    const table = new FakeTable();
    const a = new PgStateStore(table, 'test');
    const s = await a.load(42);
    assert.deepEqual(s, emptyState('test', 42));
    await a.save(s);
    s.counters.completed = 2;
    await a.save(s);
    assert.equal(table.rows.get('test')!.generation, 2);
    const b = new PgStateStore(table, 'test');
    assert.deepEqual(await b.load(99_999), s, 'a restart picks up the saved state, not a fresh one');
  });

  it('a save after another instance wrote fails loudly and leaves the other state as it is', async () => {
    const table = new FakeTable();
    const a = new PgStateStore(table, 'test');
    const s = await a.load(0);
    await a.save(s);
    const b = new PgStateStore(table, 'test');
    const taken = await b.load(0);
    taken.counters.completed = 9;
    await b.save(taken);
    s.counters.completed = 1;
    await assert.rejects(a.save(s), (err: unknown) => err instanceof StateConflictError && /generation 2, written by .*last loaded or wrote generation 1: another instance took over/.test(err.message));
    assert.equal((JSON.parse(table.rows.get('test')!.json) as typeof s).counters.completed, 9);
  });

  it('two fresh instances: the second to insert the first row fails', async () => {
    const table = new FakeTable();
    const a = new PgStateStore(table, 'test');
    const b = new PgStateStore(table, 'test');
    const sa = await a.load(0);
    const sb = await b.load(0);
    await a.save(sa);
    await assert.rejects(b.save(sb), StateConflictError);
  });

  it('a save whose answer was lost is not taken for another instance: the next save goes on', async () => {
    const table = new FakeTable();
    const a = new PgStateStore(table, 'test');
    const s = await a.load(0);
    await a.save(s);
    table.loseNextAnswer = true;
    await assert.rejects(a.save(s), /Connection terminated/);
    assert.equal(table.rows.get('test')!.generation, 2, 'committed, unbeknown to the store');
    s.counters.late = 1;
    await a.save(s);
    assert.equal(table.rows.get('test')!.generation, 3);
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

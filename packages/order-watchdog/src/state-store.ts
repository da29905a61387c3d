import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Pool } from 'pg';
import { restoreState, type WatchdogState } from './state';

/** Where the state lives between checks and across restarts. */
export interface StateStore {
  /** The journey's stored state, or a fresh one with the cursor at `freshCursorAt`. */
  load(freshCursorAt: number): Promise<WatchdogState>;
  /** Replaces the stored state; throws StateConflictError when another instance wrote since the load. */
  save(state: WatchdogState): Promise<void>;
  close(): Promise<void>;
}

/** Another instance wrote the state after this one loaded it: this one must not overwrite it. */
export class StateConflictError extends Error {
  constructor(
    readonly journey: string,
    readonly expected: number,
    readonly found?: StoredVersion,
  ) {
    super(
      found
        ? `the state of journey "${journey}" is at generation ${found.generation}, written by ${found.writtenBy} at ${found.updatedAt}; this instance last loaded or wrote generation ${expected}: another instance took over`
        : `the state of journey "${journey}" (generation ${expected} when loaded) was deleted by someone else`,
    );
    this.name = 'StateConflictError';
  }
}

/** The version of the stored row: its generation and who wrote it. */
export interface StoredVersion {
  generation: number;
  writtenBy: string;
  updatedAt: string;
}

/**
 * A save that changed no row (the row is not at the generation this instance last wrote or
 * loaded): `ours` when the row's newer generation is this instance's own write whose answer was
 * lost (e.g. the connection dropped after the commit), so saving over it is safe; else `theirs`.
 */
export function conflictOwner(expected: number, found: StoredVersion | undefined, me: string): 'ours' | 'theirs' {
  return found !== undefined && found.writtenBy === me && found.generation > expected ? 'ours' : 'theirs';
}

/** What the store needs of pg (a Pool; a test's stand-in). */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * The table, created by the watchdog itself (it owns its database): the schema lives beside the
 * code that reads it, and needs nothing but the database from an init script. One row per
 * journey; `generation` grows by one with every save. `json`, not `jsonb`: the state is read and
 * written whole, and json keeps it as written (jsonb reorders keys, and `open` is kept in
 * acceptance order: oldest first; jsonb also refuses U+0000, which a dead letter's header may hold).
 */
export const SQL = {
  // One simple query, so one implicit transaction: the lock keeps two instances starting at once
  // from colliding while both create the table.
  schema: `SELECT pg_advisory_xact_lock(hashtext('order-watchdog: watchdog_state'));
CREATE TABLE IF NOT EXISTS watchdog_state (
  journey    text PRIMARY KEY,
  generation bigint NOT NULL CHECK (generation > 0),
  state      json NOT NULL,
  written_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`,
  load: `SELECT generation, state FROM watchdog_state WHERE journey = $1`,
  insert: `INSERT INTO watchdog_state (journey, generation, state, written_by) VALUES ($1, 1, $2::json, $3)
ON CONFLICT (journey) DO NOTHING RETURNING generation`,
  update: `UPDATE watchdog_state SET generation = generation + 1, state = $2::json, written_by = $3, updated_at = now()
WHERE journey = $1 AND generation = $4 RETURNING generation`,
  version: `SELECT generation, written_by, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at
FROM watchdog_state WHERE journey = $1`,
} as const;

/**
 * The state as one row of `watchdog_state` per journey, with optimistic concurrency: a save
 * replaces the row only at the generation this instance loaded or last wrote, in one statement
 * (one transaction), so a second instance can take over without either overwriting the other.
 */
export class PgStateStore implements StateStore {
  /** Generation of the row as this instance last loaded or wrote it (0: no row yet). */
  private generation = 0;
  /** Tells this instance's writes from another's (the conflict check). */
  readonly writer = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly db: Queryable & { end?(): Promise<void> },
    readonly journey: string,
  ) {}

  async load(freshCursorAt: number): Promise<WatchdogState> {
    await this.db.query(SQL.schema);
    const row = (await this.db.query(SQL.load, [this.journey])).rows[0];
    this.generation = row ? Number(row.generation) : 0;
    try {
      return restoreState(row?.state, this.journey, freshCursorAt);
    } catch (err) {
      throw new Error(`watchdog_state, journey "${this.journey}": ${(err as Error).message}`);
    }
  }

  async save(state: WatchdogState): Promise<void> {
    const json = JSON.stringify(state);
    for (let attempt = 0; attempt < 2; attempt++) {
      const rows = this.generation === 0
        ? (await this.db.query(SQL.insert, [this.journey, json, this.writer])).rows
        : (await this.db.query(SQL.update, [this.journey, json, this.writer, this.generation])).rows;
      if (rows[0]) {
        this.generation = Number(rows[0].generation);
        return;
      }
      const found = await this.version();
      if (conflictOwner(this.generation, found, this.writer) === 'theirs') throw new StateConflictError(this.journey, this.generation, found);
      this.generation = found!.generation;
    }
    throw new StateConflictError(this.journey, this.generation, await this.version());
  }

  private async version(): Promise<StoredVersion | undefined> {
    const row = (await this.db.query(SQL.version, [this.journey])).rows[0];
    return row ? { generation: Number(row.generation), writtenBy: String(row.written_by), updatedAt: String(row.updated_at) } : undefined;
  }

  async close(): Promise<void> {
    await this.db.end?.();
  }
}

/**
 * A pool whose sessions may write, unlike the record readers' (default_transaction_read_only=on
 * for the role): on the watchdog's own database (`watchdog`, owned by its role), and a replay's
 * republish request on a service's (republish.ts; what it may write there is the service's grant).
 */
export function writablePool(url: string, applicationName: string, max: number): Pool {
  const pool = new Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    application_name: applicationName,
    statement_timeout: 10_000,
    options: '-c default_transaction_read_only=off',
  });
  pool.on('error', () => {}); // an idle client's connection dropped: the next query reconnects
  return pool;
}

/** The store on `url`, the watchdog's own database. */
export function openStateStore(url: string, journey: string): PgStateStore {
  return new PgStateStore(writablePool(url, `order-watchdog/${journey}/state`, 1), journey);
}

import { Pool, types } from 'pg';

const TIMESTAMPTZ = 1184;
const TIMESTAMP = 1114;
/**
 * Timestamps as PostgreSQL's text, not as JS Dates: a Date keeps milliseconds, PostgreSQL
 * microseconds, and a cursor rounded to the millisecond skips orders (two orders in the same
 * millisecond, the second with a smaller id, looked older than the cursor and were never followed).
 */
const rawTimestamps = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ || oid === TIMESTAMP ? (value: string) => value : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
};
import type { Journey, Stage } from './journey';
import type { StageRow } from './tracker';

/**
 * The stages' records, read from the services' own databases with the read-only role whose
 * URLs the journey names (`databases.<name>.url_env`). One small pool per database.
 */
export class RecordReader {
  private readonly pools = new Map<string, Pool>();
  /** Time spent waiting for the databases' answers (ms), and the number of queries, since start. */
  readonly spent = { queryMs: 0, queries: 0 };

  constructor(private readonly journey: Journey, env: NodeJS.ProcessEnv = process.env) {
    for (const [name, db] of Object.entries(journey.databases)) {
      const url = env[db.url_env];
      if (!url) throw new Error(`journey ${journey.name}: database "${name}" needs its URL in ${db.url_env}`);
      const pool = new Pool({
        connectionString: url,
        max: 2,
        connectionTimeoutMillis: 5000,
        idleTimeoutMillis: 30_000,
        application_name: `order-watchdog/${journey.name}`,
        statement_timeout: 10_000,
        types: rawTimestamps,
        // Belt and braces: the role is read-only already (compose/postgres/init.sql).
        options: '-c default_transaction_read_only=on',
      });
      pool.on('error', () => {}); // an idle client's connection dropped: the next query reconnects
      this.pools.set(name, pool);
    }
  }

  private pool(stage: Stage): Pool {
    return this.pools.get(stage.record!.database)!;
  }

  /** Orders accepted after the cursor, oldest first. */
  async newOrders(cursor: { at: number; id: string; atUs?: number }, limit: number): Promise<StageRow[]> {
    const first = this.journey.stages[0]!;
    const at = cursor.atUs !== undefined ? isoMicros(cursor.atUs) : new Date(cursor.at).toISOString();
    const rows = await this.timed(() => this.pool(first).query(first.record!.new_orders!, [at, cursor.id, limit]));
    return rows.map(toRow);
  }

  /** Which of `orderIds` reached `stage` (by its record), and when. */
  async reached(stage: Stage, orderIds: string[]): Promise<StageRow[]> {
    if (!stage.record || !orderIds.length) return [];
    const rows = await this.timed(() => this.pool(stage).query(stage.record!.query, [orderIds]));
    return rows.map(toRow);
  }

  private async timed<R extends { rows: { order_id: unknown; at: unknown; traceparent?: unknown }[] }>(query: () => Promise<R>): Promise<R['rows']> {
    const t0 = performance.now();
    try {
      return (await query()).rows;
    } finally {
      this.spent.queryMs += performance.now() - t0;
      this.spent.queries++;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end()));
  }
}

function toRow(row: { order_id: unknown; at: unknown; traceparent?: unknown }): StageRow {
  const atUs = row.at instanceof Date ? row.at.getTime() * 1000 : parsePgTimestampMicros(String(row.at));
  const traceId = traceIdOf(row.traceparent);
  return { orderId: String(row.order_id), at: Math.floor(atUs / 1000), atUs, ...(traceId ? { traceId } : {}) };
}

/**
 * Microseconds since the epoch of PostgreSQL's text output of a timestamp
 * (`2026-11-28 21:51:18.510759+00`; without an offset it is local time, as pg reads it).
 */
export function parsePgTimestampMicros(text: string): number {
  const m = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?|Z)?$/.exec(text.trim());
  if (!m) {
    const ms = new Date(text).getTime();
    if (!Number.isFinite(ms)) throw new Error(`not a timestamp: ${text}`);
    return ms * 1000;
  }
  const [, y, mo, d, h, mi, s, frac = '', sign, oh, om, os] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  const hasOffset = sign !== undefined || text.trim().endsWith('Z');
  let ms = hasOffset ? Date.UTC(...fields) : new Date(...fields).getTime();
  if (sign !== undefined) ms -= (sign === '-' ? -1 : 1) * ((Number(oh) * 60 + Number(om ?? 0)) * 60 + Number(os ?? 0)) * 1000;
  return ms * 1000 + Number(frac.padEnd(6, '0'));
}

/** ISO 8601 with microseconds, UTC: what `$1::timestamptz` reads back exactly. */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, 23)}${String(us - ms * 1000).padStart(3, '0')}Z`;
}

/** The trace id of a W3C `traceparent` (00-<trace id>-<span id>-<flags>) or of a bare 32-hex trace id. */
export function traceIdOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(?:[0-9a-f]{2}-)?([0-9a-f]{32})(?:-[0-9a-f]{16}-[0-9a-f]{2})?$/.exec(value.trim().toLowerCase());
  return m && !/^0+$/.test(m[1]!) ? m[1] : undefined;
}

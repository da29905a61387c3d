import { Pool } from 'pg';
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
  async newOrders(cursor: { at: number; id: string }, limit: number): Promise<StageRow[]> {
    const first = this.journey.stages[0]!;
    const rows = await this.timed(() => this.pool(first).query(first.record!.new_orders!, [new Date(cursor.at), cursor.id, limit]));
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
  const at = row.at instanceof Date ? row.at.getTime() : new Date(String(row.at)).getTime();
  const traceId = traceIdOf(row.traceparent);
  return { orderId: String(row.order_id), at, ...(traceId ? { traceId } : {}) };
}

/** The trace id of a W3C `traceparent` (00-<trace id>-<span id>-<flags>) or of a bare 32-hex trace id. */
export function traceIdOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(?:[0-9a-f]{2}-)?([0-9a-f]{32})(?:-[0-9a-f]{16}-[0-9a-f]{2})?$/.exec(value.trim().toLowerCase());
  return m && !/^0+$/.test(m[1]!) ? m[1] : undefined;
}

import { writablePool, type Queryable } from './state-store';

/** One replay asked for one order: who, when, from which stage, and what came of it. */
export interface ReplayRecord {
  at: number;
  actor: string;
  orderId: string;
  /** The stage the order had stopped at, and the flag's reason, when asked. */
  stage: string;
  reason: string;
  outcome: 'replayed' | 'refused' | 'failed';
  detail: string;
}

export const AUDIT_SQL = {
  // Under the same advisory lock as the state's table: two instances starting at once.
  schema: `SELECT pg_advisory_xact_lock(hashtext('order-watchdog: order_replays'));
CREATE TABLE IF NOT EXISTS order_replays (
  id       bigserial PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  journey  text NOT NULL,
  actor    text NOT NULL,
  order_id text NOT NULL,
  stage    text NOT NULL,
  reason   text NOT NULL,
  outcome  text NOT NULL CHECK (outcome IN ('replayed', 'refused', 'failed')),
  detail   text NOT NULL
);
CREATE INDEX IF NOT EXISTS order_replays_order_idx ON order_replays (order_id)`,
  insert: `INSERT INTO order_replays (at, journey, actor, order_id, stage, reason, outcome, detail)
VALUES (to_timestamp($1::double precision / 1000), $2, $3, $4, $5, $6, $7, $8)`,
  recent: `SELECT (extract(epoch FROM at) * 1000)::float8 AS at, actor, order_id, stage, reason, outcome, detail
FROM order_replays WHERE journey = $1 AND ($2::text IS NULL OR order_id = $2) ORDER BY id DESC LIMIT $3`,
} as const;

/** The replay audit: a table in the watchdog's own database, created by the watchdog. */
export class ReplayAudit {
  private ready?: Promise<unknown>;

  constructor(
    private readonly db: Queryable & { end?(): Promise<void> },
    readonly journey: string,
  ) {}

  private schema(): Promise<unknown> {
    this.ready ??= this.db.query(AUDIT_SQL.schema).catch((err: unknown) => {
      this.ready = undefined; // asked again next time (the database may be back)
      throw err;
    });
    return this.ready;
  }

  async write(r: ReplayRecord): Promise<void> {
    await this.schema();
    await this.db.query(AUDIT_SQL.insert, [r.at, this.journey, r.actor, r.orderId, r.stage, r.reason, r.outcome, r.detail]);
  }

  /** Newest first; of one order when `orderId` is given. */
  async recent(limit: number, orderId?: string): Promise<ReplayRecord[]> {
    await this.schema();
    const rows = (await this.db.query(AUDIT_SQL.recent, [this.journey, orderId ?? null, limit])).rows;
    return rows.map((r) => ({
      at: Number(r.at),
      actor: String(r.actor),
      orderId: String(r.order_id),
      stage: String(r.stage),
      reason: String(r.reason),
      outcome: r.outcome as ReplayRecord['outcome'],
      detail: String(r.detail),
    }));
  }

  async close(): Promise<void> {
    await this.db.end?.();
  }
}

export function openReplayAudit(url: string, journey: string): ReplayAudit {
  return new ReplayAudit(writablePool(url, `order-watchdog/${journey}/audit`, 2), journey);
}

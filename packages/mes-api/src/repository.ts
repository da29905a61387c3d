import { randomUUID } from 'node:crypto';
import { type OrderItem, type Pool, type ProductionRequested, withTransaction } from '@shopfloor/service-kit';
import type { JobStatus } from './schema';
import { PRICE_LIST } from './pricing';

export const MIGRATION = `
CREATE TABLE IF NOT EXISTS jobs (
  id              uuid        PRIMARY KEY,
  order_id        uuid        NOT NULL UNIQUE,
  contract_id     uuid        NOT NULL,
  items           jsonb       NOT NULL,
  model_key       text        NULL,
  price_cents     bigint      NOT NULL,
  scheduled_start timestamptz NOT NULL,
  scheduled_end   timestamptz NOT NULL,
  status          text        NOT NULL DEFAULT 'scheduled',
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS jobs_created_at_idx ON jobs (created_at DESC);
CREATE INDEX IF NOT EXISTS jobs_status_created_at_idx ON jobs (status, created_at DESC);
`;

export interface Job {
  jobId: string;
  orderId: string;
  contractId: string;
  items: OrderItem[];
  modelKey: string | null;
  priceCents: number;
  currency: string;
  scheduledStart: string;
  scheduledEnd: string;
  status: JobStatus;
  createdAt: string;
}

interface JobRow {
  id: string;
  order_id: string;
  contract_id: string;
  items: OrderItem[];
  model_key: string | null;
  price_cents: string;
  scheduled_start: Date;
  scheduled_end: Date;
  status: JobStatus;
  created_at: Date;
}

const COLUMNS = 'id, order_id, contract_id, items, model_key, price_cents, scheduled_start, scheduled_end, status, created_at';

function toJob(row: JobRow): Job {
  return {
    jobId: row.id,
    orderId: row.order_id,
    contractId: row.contract_id,
    items: row.items,
    modelKey: row.model_key,
    priceCents: Number(row.price_cents),
    currency: PRICE_LIST.currency,
    scheduledStart: row.scheduled_start.toISOString(),
    scheduledEnd: row.scheduled_end.toISOString(),
    status: row.status,
    createdAt: row.created_at.toISOString(),
  };
}

export interface JobPlan {
  priceCents: number;
  start: Date;
  end: Date;
}

export class JobRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Idempotent and serialised: under an advisory lock, returns the existing job for the order,
   * or plans a new one after the line's last busy slot (`plan(busyUntil)`) and stores it.
   */
  async createJob(request: ProductionRequested, plan: (busyUntil: Date | null) => JobPlan): Promise<{ job: Job; created: boolean }> {
    return withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['mes-api.schedule']);
      const existing = await client.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE order_id = $1`, [request.orderId]);
      if (existing.rows[0]) return { job: toJob(existing.rows[0]), created: false };
      const busy = await client.query<{ busy_until: Date | null }>(
        `SELECT max(scheduled_end) AS busy_until FROM jobs WHERE status IN ('scheduled', 'in_progress')`,
      );
      const { priceCents, start, end } = plan(busy.rows[0]?.busy_until ?? null);
      const inserted = await client.query<JobRow>(
        `INSERT INTO jobs (id, order_id, contract_id, items, model_key, price_cents, scheduled_start, scheduled_end, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'scheduled')
         RETURNING ${COLUMNS}`,
        [randomUUID(), request.orderId, request.contractId, JSON.stringify(request.items), request.modelKey, priceCents, start, end],
      );
      return { job: toJob(inserted.rows[0] as JobRow), created: true };
    });
  }

  async findByOrderId(orderId: string): Promise<Job | null> {
    const { rows } = await this.pool.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE order_id = $1`, [orderId]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** Latest 100 jobs, optionally of one status. */
  async list(status: JobStatus | undefined): Promise<Job[]> {
    const { rows } =
      status === undefined
        ? await this.pool.query<JobRow>(`SELECT ${COLUMNS} FROM jobs ORDER BY created_at DESC LIMIT 100`)
        : await this.pool.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE status = $1 ORDER BY created_at DESC LIMIT 100`, [status]);
    return rows.map(toJob);
  }
}

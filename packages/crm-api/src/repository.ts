import { randomUUID } from 'node:crypto';
import type { Customer, OrderCreated, OrderItem, Pool } from '@shopfloor/service-kit';

export const MIGRATION = `
CREATE SCHEMA IF NOT EXISTS crm;
CREATE TABLE IF NOT EXISTS crm.contracts (
  id         uuid        PRIMARY KEY,
  order_id   uuid        NOT NULL UNIQUE,
  customer   jsonb       NOT NULL,
  items      jsonb       NOT NULL,
  model_key  text        NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- W3C traceparent of the consume span that stored the contract: a later publish (the
-- republisher) continues the order's trace.
ALTER TABLE crm.contracts ADD COLUMN IF NOT EXISTS traceparent text NULL;
-- When the broker confirmed production.requested; NULL = not yet, and the republisher sends it.
-- Contracts stored before this column existed are given the epoch ("requested before this column
-- existed"), not NULL: the consumer acknowledged their order only after the confirm, so nearly
-- all of them were requested, and NULL would republish the whole history on upgrade. The default
-- fills only the rows present when the column is added (a constant default: no table rewrite);
-- on later boots ADD COLUMN IF NOT EXISTS is skipped, and dropping the default at once makes new
-- contracts start NULL.
ALTER TABLE crm.contracts ADD COLUMN IF NOT EXISTS production_requested_at timestamptz DEFAULT '1970-01-01T00:00:00Z';
ALTER TABLE crm.contracts ALTER COLUMN production_requested_at DROP DEFAULT;
-- The republisher's look-up: the few contracts still waiting for their production request.
CREATE INDEX IF NOT EXISTS contracts_production_pending_idx ON crm.contracts (created_at) WHERE production_requested_at IS NULL;
-- The order watchdog's replay of an order whose production request vanished clears
-- production_requested_at, and the republisher sends it again: its role (read-only otherwise) may
-- update that one column.
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'watchdog') THEN GRANT UPDATE (production_requested_at) ON crm.contracts TO watchdog; END IF;
END $$;
`;

export interface Contract {
  contractId: string;
  orderId: string;
  customer: Customer;
  items: OrderItem[];
  modelKey: string | null;
  createdAt: string;
  /** When the broker confirmed `production.requested` (null: not yet; the republisher sends it). */
  productionRequestedAt: string | null;
  /** W3C traceparent of the consume span that stored the contract (null without tracing). */
  traceparent: string | null;
}

interface ContractRow {
  id: string;
  order_id: string;
  customer: Customer;
  items: OrderItem[];
  model_key: string | null;
  created_at: Date;
  production_requested_at: Date | null;
  traceparent: string | null;
}

const COLUMNS = 'id, order_id, customer, items, model_key, created_at, production_requested_at, traceparent';

function toContract(row: ContractRow): Contract {
  return {
    contractId: row.id,
    orderId: row.order_id,
    customer: row.customer,
    items: row.items,
    modelKey: row.model_key,
    createdAt: row.created_at.toISOString(),
    productionRequestedAt: row.production_requested_at?.toISOString() ?? null,
    traceparent: row.traceparent,
  };
}

export class ContractRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Idempotent: a redelivered order returns the contract stored the first time (with the
   * traceparent stored then).
   */
  async createForOrder(order: OrderCreated, traceparent: string | null): Promise<{ contract: Contract; created: boolean }> {
    const inserted = await this.pool.query<ContractRow>(
      `INSERT INTO crm.contracts (id, order_id, customer, items, model_key, traceparent)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (order_id) DO NOTHING
       RETURNING ${COLUMNS}`,
      [randomUUID(), order.orderId, JSON.stringify(order.customer), JSON.stringify(order.items), order.modelKey, traceparent],
    );
    if (inserted.rows[0]) return { contract: toContract(inserted.rows[0]), created: true };
    const existing = await this.findByOrderId(order.orderId);
    if (existing === null) throw new Error(`contract for order ${order.orderId} vanished after a conflicting insert`);
    return { contract: existing, created: false };
  }

  async findByOrderId(orderId: string): Promise<Contract | null> {
    const { rows } = await this.pool.query<ContractRow>(`SELECT ${COLUMNS} FROM crm.contracts WHERE order_id = $1`, [orderId]);
    return rows[0] ? toContract(rows[0]) : null;
  }

  async markProductionRequested(orderId: string): Promise<void> {
    await this.pool.query(
      `UPDATE crm.contracts SET production_requested_at = now() WHERE order_id = $1 AND production_requested_at IS NULL`,
      [orderId],
    );
  }

  /**
   * Oldest contracts whose production request was not confirmed, stored more than `minAgeMs` ago
   * (younger ones may still be publishing). Index: contracts_production_pending_idx.
   */
  async findProductionPending(minAgeMs: number, limit: number): Promise<Contract[]> {
    const { rows } = await this.pool.query<ContractRow>(
      `SELECT ${COLUMNS} FROM crm.contracts
       WHERE production_requested_at IS NULL AND created_at < now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY created_at
       LIMIT $2`,
      [minAgeMs, limit],
    );
    return rows.map(toContract);
  }
}

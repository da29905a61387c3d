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
`;

export interface Contract {
  contractId: string;
  orderId: string;
  customer: Customer;
  items: OrderItem[];
  modelKey: string | null;
  createdAt: string;
}

interface ContractRow {
  id: string;
  order_id: string;
  customer: Customer;
  items: OrderItem[];
  model_key: string | null;
  created_at: Date;
}

const COLUMNS = 'id, order_id, customer, items, model_key, created_at';

function toContract(row: ContractRow): Contract {
  return {
    contractId: row.id,
    orderId: row.order_id,
    customer: row.customer,
    items: row.items,
    modelKey: row.model_key,
    createdAt: row.created_at.toISOString(),
  };
}

export class ContractRepository {
  constructor(private readonly pool: Pool) {}

  /** Idempotent: a redelivered order returns the contract stored the first time. */
  async createForOrder(order: OrderCreated): Promise<{ contract: Contract; created: boolean }> {
    const inserted = await this.pool.query<ContractRow>(
      `INSERT INTO crm.contracts (id, order_id, customer, items, model_key)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (order_id) DO NOTHING
       RETURNING ${COLUMNS}`,
      [randomUUID(), order.orderId, JSON.stringify(order.customer), JSON.stringify(order.items), order.modelKey],
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
}

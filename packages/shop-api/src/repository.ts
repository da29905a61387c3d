import type { Customer, OrderItem, Pool } from '@shopfloor/service-kit';

export const MIGRATION = `
CREATE TABLE IF NOT EXISTS orders (
  id           uuid        PRIMARY KEY,
  customer     jsonb       NOT NULL,
  items        jsonb       NOT NULL,
  model_key    text        NULL,
  status       text        NOT NULL DEFAULT 'stored',
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz NULL
);
CREATE INDEX IF NOT EXISTS orders_unpublished_idx ON orders (created_at) WHERE published_at IS NULL;
`;

export type OrderStatus = 'stored' | 'published';

export interface Order {
  orderId: string;
  customer: Customer;
  items: OrderItem[];
  modelKey: string | null;
  status: OrderStatus;
  createdAt: string;
  publishedAt: string | null;
}

interface OrderRow {
  id: string;
  customer: Customer;
  items: OrderItem[];
  model_key: string | null;
  status: OrderStatus;
  created_at: Date;
  published_at: Date | null;
}

const COLUMNS = 'id, customer, items, model_key, status, created_at, published_at';

function toOrder(row: OrderRow): Order {
  return {
    orderId: row.id,
    customer: row.customer,
    items: row.items,
    modelKey: row.model_key,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    publishedAt: row.published_at?.toISOString() ?? null,
  };
}

export class OrderRepository {
  constructor(private readonly pool: Pool) {}

  async insert(order: { orderId: string; customer: Customer; items: OrderItem[]; modelKey: string | null }): Promise<Order> {
    const { rows } = await this.pool.query<OrderRow>(
      `INSERT INTO orders (id, customer, items, model_key, status)
       VALUES ($1, $2, $3, $4, 'stored')
       RETURNING ${COLUMNS}`,
      [order.orderId, JSON.stringify(order.customer), JSON.stringify(order.items), order.modelKey],
    );
    return toOrder(rows[0] as OrderRow);
  }

  async markPublished(orderId: string): Promise<void> {
    await this.pool.query(
      `UPDATE orders SET published_at = now(), status = 'published' WHERE id = $1 AND published_at IS NULL`,
      [orderId],
    );
  }

  async findById(orderId: string): Promise<Order | null> {
    const { rows } = await this.pool.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1`, [orderId]);
    return rows[0] ? toOrder(rows[0]) : null;
  }

  /** Oldest unpublished orders created more than `minAgeMs` ago (younger ones may still be publishing). */
  async findUnpublished(minAgeMs: number, limit: number): Promise<Order[]> {
    const { rows } = await this.pool.query<OrderRow>(
      `SELECT ${COLUMNS} FROM orders
       WHERE published_at IS NULL AND created_at < now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY created_at
       LIMIT $2`,
      [minAgeMs, limit],
    );
    return rows.map(toOrder);
  }
}

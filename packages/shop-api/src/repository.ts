import { type Customer, type OrderItem, type Pool, withTransaction } from '@shopfloor/service-kit';

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
-- The order watchdog reads new orders by (created_at, id) after its cursor: packages/order-watchdog.
CREATE INDEX IF NOT EXISTS orders_created_at_idx ON orders (created_at, id);
-- W3C traceparent of the request that accepted the order: a later publish continues its trace.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS traceparent text NULL;
-- The order watchdog's replay of an order whose message vanished clears published_at, and the
-- republisher sends the order again: its role (read-only otherwise) may update that one column.
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'watchdog') THEN GRANT UPDATE (published_at) ON orders TO watchdog; END IF;
END $$;
-- Idempotency-Key of POST /orders: one order per key; request_hash = SHA-256 of the canonical JSON body.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key             text        PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 255),
  request_hash    text        NOT NULL,
  order_id        uuid        NOT NULL,
  response_status smallint    NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
-- Keys POST /models issued: an order's model.s3Key must be one of them.
CREATE TABLE IF NOT EXISTS model_keys (
  s3_key     text        PRIMARY KEY,
  bytes      bigint      NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
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
  /** W3C traceparent of the accepting request (null without tracing). */
  traceparent: string | null;
}

interface OrderRow {
  id: string;
  customer: Customer;
  items: OrderItem[];
  model_key: string | null;
  status: OrderStatus;
  created_at: Date;
  published_at: Date | null;
  traceparent: string | null;
}

const COLUMNS = 'id, customer, items, model_key, status, created_at, published_at, traceparent';

function toOrder(row: OrderRow): Order {
  return {
    orderId: row.id,
    customer: row.customer,
    items: row.items,
    modelKey: row.model_key,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    publishedAt: row.published_at?.toISOString() ?? null,
    traceparent: row.traceparent,
  };
}

export interface NewOrder {
  orderId: string;
  customer: Customer;
  items: OrderItem[];
  modelKey: string | null;
  traceparent: string | null;
}

/** What an Idempotency-Key insert found: a new order, the key's earlier order (same body), or another body. */
export type IdempotentInsert =
  | { kind: 'created'; order: Order }
  | { kind: 'replay'; order: Order; responseStatus: number | null }
  | { kind: 'conflict' };

const INSERT_ORDER = `INSERT INTO orders (id, customer, items, model_key, status, traceparent)
       VALUES ($1, $2, $3, $4, 'stored', $5)
       RETURNING ${COLUMNS}`;

function insertParams(order: NewOrder): unknown[] {
  return [order.orderId, JSON.stringify(order.customer), JSON.stringify(order.items), order.modelKey, order.traceparent];
}

export class OrderRepository {
  constructor(private readonly pool: Pool) {}

  async insert(order: NewOrder): Promise<Order> {
    const { rows } = await this.pool.query<OrderRow>(INSERT_ORDER, insertParams(order));
    return toOrder(rows[0] as OrderRow);
  }

  /**
   * Inserts the key and the order in one transaction, or finds the key's earlier order. A
   * concurrent request with the same key waits on the key's row until the first commits, then
   * finds it: one order per key, never two.
   */
  async insertIdempotent(order: NewOrder, key: string, requestHash: string): Promise<IdempotentInsert> {
    return withTransaction(this.pool, async (client) => {
      const claimed = await client.query(
        `INSERT INTO idempotency_keys (key, request_hash, order_id) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING key`,
        [key, requestHash, order.orderId],
      );
      if (claimed.rowCount === 1) {
        const { rows } = await client.query<OrderRow>(INSERT_ORDER, insertParams(order));
        return { kind: 'created', order: toOrder(rows[0] as OrderRow) };
      }
      const { rows } = await client.query<OrderRow & { request_hash: string; response_status: number | null }>(
        `SELECT k.request_hash, k.response_status, ${COLUMNS.split(', ').map((c) => `o.${c}`).join(', ')}
         FROM idempotency_keys k JOIN orders o ON o.id = k.order_id WHERE k.key = $1`,
        [key],
      );
      const row = rows[0];
      if (row === undefined) throw new Error('idempotency key without its order');
      if (row.request_hash !== requestHash) return { kind: 'conflict' };
      return { kind: 'replay', order: toOrder(row), responseStatus: row.response_status };
    });
  }

  /** The status the first request with this key answered, so a retry gets the same answer. */
  async recordIdempotentResponse(key: string, status: number): Promise<void> {
    await this.pool.query(`UPDATE idempotency_keys SET response_status = $2 WHERE key = $1 AND response_status IS NULL`, [key, status]);
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

/** Keys POST /models issued (an order may reference only those). */
export class ModelKeyRepository {
  constructor(private readonly pool: Pool) {}

  async record(s3Key: string, bytes: number): Promise<void> {
    await this.pool.query(`INSERT INTO model_keys (s3_key, bytes) VALUES ($1, $2) ON CONFLICT (s3_key) DO NOTHING`, [s3Key, bytes]);
  }

  async isIssued(s3Key: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM model_keys WHERE s3_key = $1`, [s3Key]);
    return rowCount === 1;
  }
}

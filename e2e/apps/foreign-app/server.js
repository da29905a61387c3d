'use strict';
// A small cart service written the way a Node team outside shopfloor would write it: plain
// CommonJS, fastify + ioredis + mysql2 + winston, configured by environment variables, and not a
// line of OpenTelemetry. Run it under the preload:
//
//   REDIS_URL=redis://127.0.0.1:6379 MYSQL_URL=mysql://user:pw@127.0.0.1:3306/foreign PORT=3000 \
//   node --require @shopfloor/otel-bootstrap server.js
//
// POST /carts/:id/items  {"sku": "...", "quantity": n}  stores the item in MariaDB, then caches
//                        the cart (all its items) in Redis for 5 minutes; answers 201 with the cart.
// GET  /carts/:id        reads the cart from Redis; on a miss from MariaDB (and caches it).

const fastify = require('fastify');
const Redis = require('ioredis');
const mysql = require('mysql2/promise');
const winston = require('winston');

const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || '127.0.0.1';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const MYSQL_URL = process.env.MYSQL_URL;
const CACHE_TTL_S = 300;

const logger = winston.createLogger({
  level: process.env.LOG_LEVEL || 'info',
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  defaultMeta: { service: 'foreign-app' },
  transports: [new winston.transports.Console()],
});

if (!MYSQL_URL) {
  logger.error('MYSQL_URL is not set');
  process.exit(2);
}

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
redis.on('error', (err) => logger.warn('redis error', { error: err.message }));
const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 5 });

const cacheKey = (cartId) => `foreign-app:cart:${cartId}`;

async function loadCart(cartId) {
  const [rows] = await pool.query(
    'SELECT sku, quantity FROM cart_items WHERE cart_id = ? ORDER BY id',
    [cartId],
  );
  return { cartId, items: rows.map((r) => ({ sku: r.sku, quantity: r.quantity })) };
}

const app = fastify({ logger: false });

app.post('/carts/:id/items', async (request, reply) => {
  const cartId = request.params.id;
  const { sku, quantity } = request.body || {};
  if (typeof sku !== 'string' || !sku || !Number.isInteger(quantity) || quantity < 1) {
    logger.warn('bad item', { cartId });
    return reply.code(400).send({ error: 'sku (string) and quantity (integer >= 1) are required' });
  }
  await pool.execute('INSERT INTO cart_items (cart_id, sku, quantity) VALUES (?, ?, ?)', [cartId, sku, quantity]);
  const cart = await loadCart(cartId);
  await redis.set(cacheKey(cartId), JSON.stringify(cart), 'EX', CACHE_TTL_S);
  logger.info('item added to cart', { cartId, sku, quantity, items: cart.items.length });
  return reply.code(201).send(cart);
});

app.get('/carts/:id', async (request, reply) => {
  const cartId = request.params.id;
  const cached = await redis.get(cacheKey(cartId));
  if (cached) {
    logger.info('cart read', { cartId, source: 'cache' });
    return reply.send({ ...JSON.parse(cached), source: 'cache' });
  }
  const cart = await loadCart(cartId);
  await redis.set(cacheKey(cartId), JSON.stringify(cart), 'EX', CACHE_TTL_S);
  logger.info('cart read', { cartId, source: 'db' });
  return reply.send({ ...cart, source: 'db' });
});

async function main() {
  await pool.query(`CREATE TABLE IF NOT EXISTS cart_items (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    cart_id VARCHAR(64) NOT NULL,
    sku VARCHAR(64) NOT NULL,
    quantity INT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    INDEX cart_items_cart_id (cart_id)
  )`);
  await redis.ping();
  await app.listen({ port: PORT, host: HOST });
  logger.info('listening', { host: HOST, port: app.server.address().port });
}

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  logger.info('stopping', { signal });
  try {
    await app.close();
    await redis.quit();
    await pool.end();
  } catch (err) {
    logger.error('error while stopping', { error: err.message });
  }
  // Nothing left open: the process ends on its own (and the preload gets to flush its spans).
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

main().catch((err) => {
  logger.error('failed to start', { error: err.message, stack: err.stack });
  setImmediate(() => process.exit(1));
});

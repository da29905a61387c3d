'use strict';
/**
 * The logic of the module-system parity app, shared word for word by its two
 * entries: app.mjs (an ES module: `import`s express, pg and amqplib) and
 * app.cjs (CommonJS: `require`s them). Only how the instrumented libraries
 * are loaded differs, which is what the e2e compares. This file loads no
 * instrumented library itself; it is handed the modules.
 *
 * GET /notes/:id inserts a row (pg), publishes the id to the app's own queue
 * (amqplib) and answers 201. The consumer reads the row back (pg) and acks.
 *
 * Environment: DATABASE_URL, AMQP_URL, PARITY_QUEUE (this app's queue).
 * Listens on 127.0.0.1, port 0, and prints `LISTENING <port>` once its
 * database table, queue and consumer are ready.
 */

const TABLE = 'parity_notes';

/**
 * @param {{ express: any, pg: any, amqp: any }} libs
 */
async function main({ express, pg, amqp }) {
  const queue = process.env.PARITY_QUEUE;
  if (!queue) throw new Error('PARITY_QUEUE is not set');
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  await pool.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id text PRIMARY KEY, queue text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);

  const connection = await amqp.connect(process.env.AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: false, autoDelete: true });
  await channel.consume(queue, async msg => {
    if (!msg) return;
    try {
      await pool.query(`SELECT id, created_at FROM ${TABLE} WHERE id = $1`, [msg.content.toString('utf8')]);
    } finally {
      channel.ack(msg);
    }
  });

  const app = express();
  app.get('/notes/:id', async (req, res) => {
    try {
      await pool.query(`INSERT INTO ${TABLE} (id, queue) VALUES ($1, $2)`, [req.params.id, queue]);
      channel.sendToQueue(queue, Buffer.from(req.params.id, 'utf8'));
      res.status(201).json({ id: req.params.id });
    } catch (err) {
      res.status(500).json({ error: String(err) });
    }
  });

  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${server.address().port}\n`);
  });
}

module.exports = { main };

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrokerObserver, unackedOf } from './broker';
import { isUnknown } from './explain';

// Never connected to: the tests read only RabbitMQ's metrics endpoint (a stand-in).
const AMQP = 'amqp://127.0.0.1:1';

const METRICS = `# TYPE rabbitmq_queue_messages_unacked gauge
rabbitmq_queue_messages_unacked{vhost="/",queue="mes.production-requested"} 3
rabbitmq_queue_messages_unacked{vhost="/",queue="crm.order-created"} 0
`;

describe("unacknowledged messages from RabbitMQ's Prometheus endpoint", () => {
  let server: Server;
  let base = '';
  let status = 200;
  let seen: IncomingHttpHeaders = {};
  before(async () => {
    server = createServer((req, res) => {
      seen = req.headers;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? METRICS : 'down\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('without WATCHDOG_RABBITMQ_METRICS_URL: unknown, saying so (never 0)', async () => {
    const counts = await new BrokerObserver(AMQP).unackedByQueue();
    assert.deepEqual(counts, { unknown: 'no RabbitMQ metrics URL configured (WATCHDOG_RABBITMQ_METRICS_URL)' });
    assert.deepEqual(unackedOf(counts, 'mes.production-requested'), counts);
  });

  it('read: the count per queue (0 included), with basic auth; a queue not listed is unknown', async () => {
    status = 200;
    const counts = await new BrokerObserver(AMQP, `http://watchdog:s3cret@${base}/metrics`).unackedByQueue();
    assert.equal(seen.authorization, `Basic ${Buffer.from('watchdog:s3cret').toString('base64')}`);
    assert.equal(unackedOf(counts, 'mes.production-requested'), 3);
    assert.equal(unackedOf(counts, 'crm.order-created'), 0);
    const missing = unackedOf(counts, 'other');
    assert.ok(isUnknown(missing), JSON.stringify(missing));
    assert.match(missing.unknown, /other not in RabbitMQ's metrics/);
  });

  it('a failing or unreachable endpoint: unknown with the reason, without the credentials', async () => {
    status = 503;
    const failing = await new BrokerObserver(AMQP, `http://watchdog:s3cret@${base}/metrics`).unackedByQueue();
    assert.ok(isUnknown(failing), JSON.stringify(failing));
    assert.equal(failing.unknown, `RabbitMQ metrics http://${base}/metrics: HTTP 503`);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await new BrokerObserver(AMQP, `http://watchdog:s3cret@127.0.0.1:${port}/metrics`).unackedByQueue();
    assert.ok(isUnknown(unreachable), JSON.stringify(unreachable));
    assert.match(unreachable.unknown, /^RabbitMQ metrics http:\/\/127\.0\.0\.1:\d+\/metrics: ECONNREFUSED$/);
    assert.doesNotMatch(failing.unknown + unreachable.unknown, /s3cret/);
  });
});

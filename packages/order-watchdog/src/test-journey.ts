import { parseJourney, type Journey } from './journey';

/** A small journey for tests: a → b (publishes; republish) → c (queue q1) → d (implied) → e (queue q2). */
export function testJourney(overrides: Record<string, unknown> = {}): Journey {
  return parseJourney({
    name: 'test',
    databases: { one: { url_env: 'DB_ONE' } },
    messages: { order_id_json_field: 'orderId', unroutable_queue: 'unroutable' },
    stages: [
      { id: 'a', title: 'accepted', record: { database: 'one', query: 'q', new_orders: 'n' }, span: { service: 's1', kind: 'server' } },
      { id: 'b', title: 'published', service: 's1', publishes: true, record: { database: 'one', query: 'q' }, republish: { query: 'r' }, deadline: '10s', span: { service: 's1', kind: 'producer' } },
      { id: 'c', title: 'contract', service: 's2', queue: 'q1', record: { database: 'one', query: 'q' }, deadline: '20s', span: { service: 's2', kind: 'consumer' } },
      { id: 'd', title: 'requested', service: 's2', deadline: '30s', span: { service: 's2', kind: 'producer' } },
      { id: 'e', title: 'job', service: 's3', queue: 'q2', record: { database: 'one', query: 'q' }, deadline: '40s', span: { service: 's3', kind: 'consumer' } },
    ],
    ...overrides,
  });
}

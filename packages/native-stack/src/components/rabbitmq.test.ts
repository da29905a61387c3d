import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { configPaths } from '@shopfloor/stack-contract';
import { rabbitmqDefinitions, renderRabbitmqConf } from './rabbitmq';

test('the shared rabbitmq.conf is rendered with load_definitions pointing at the repository file, nothing else changed', () => {
  const source = readFileSync(configPaths.rabbitmqConf, 'utf8');
  assert.match(source, /^load_definitions = \/etc\/rabbitmq\/definitions\.json$/m, 'compose loads the mounted file');
  const rendered = renderRabbitmqConf(source);
  assert.match(rendered, new RegExp(`^load_definitions = ${rabbitmqDefinitions.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
  assert.deepEqual(
    rendered.split('\n').filter((l) => !l.startsWith('load_definitions')),
    source.split('\n').filter((l) => !l.startsWith('load_definitions')),
  );
  assert.throws(() => renderRabbitmqConf('listeners.tcp.default = 5672\n'), /no load_definitions line/);
});

test('the definitions keep guest/guest (RabbitMQ seeds no user when definitions are loaded) and set the alternate exchange by policy', () => {
  const defs = JSON.parse(readFileSync(rabbitmqDefinitions, 'utf8'));
  const guest = defs.users.find((u: { name: string }) => u.name === 'guest');
  assert.equal(guest.hashing_algorithm, 'rabbit_password_hashing_sha256');
  const hash = Buffer.from(guest.password_hash, 'base64');
  const salt = hash.subarray(0, 4);
  assert.deepEqual(hash.subarray(4), createHash('sha256').update(Buffer.concat([salt, Buffer.from('guest')])).digest(), 'the hash is of "guest"');
  assert.deepEqual(defs.permissions, [{ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' }]);

  const [policy] = defs.policies;
  assert.equal(policy['apply-to'], 'exchanges');
  assert.deepEqual(policy.definition, { 'alternate-exchange': 'shopfloor.unroutable' });
  const pattern = new RegExp(policy.pattern);
  for (const name of ['shopfloor.orders', 'shopfloor.dlx']) assert.ok(pattern.test(name), `the policy covers ${name}`);
  for (const name of ['shopfloor.unroutable', 'shopfloor.ordersX', 'amq.topic']) assert.ok(!pattern.test(name), `the policy leaves ${name} alone`);
  assert.deepEqual(defs.exchanges.map((e: { name: string; type: string }) => `${e.name} ${e.type}`), ['shopfloor.unroutable fanout']);
  assert.deepEqual(defs.queues.map((q: { name: string; durable: boolean }) => `${q.name} ${q.durable}`), ['shopfloor.unroutable true']);
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runHealthChecks } from './http';

describe('runHealthChecks', () => {
  it('reports ok when every dependency is up', async () => {
    assert.deepEqual(await runHealthChecks([{ name: 'postgres', check: () => true }, { name: 'rabbitmq', check: async () => true }]), {
      status: 'ok',
      checks: { postgres: 'up', rabbitmq: 'up' },
    });
  });

  it('names the dependencies that are down (false or throwing)', async () => {
    const report = await runHealthChecks([
      { name: 'postgres', check: async () => { throw new Error('boom'); } },
      { name: 'rabbitmq', check: () => false },
    ]);
    assert.deepEqual(report, { status: 'unavailable', checks: { postgres: 'down', rabbitmq: 'down' }, down: ['postgres', 'rabbitmq'] });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Republisher, type RepublisherOptions } from './republisher';
import { installTestTracing, type TestTracing } from './test-tracing';
import { activeTraceparent } from './trace-context';
import { waitUntil } from './test-wait';

interface Item {
  id: string;
  traceparent: string | null;
}

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** Stand-ins for the broker, the repository and the logger, recording what the republisher did. */
function setup(overrides: Partial<RepublisherOptions<Item>> & { pending?: Item[]; failOn?: string } = {}) {
  const state = { connected: true, pending: overrides.pending ?? [{ id: 'a', traceparent: null }, { id: 'b', traceparent: null }], failOn: overrides.failOn };
  const published: string[] = [];
  const queries: Array<{ minAgeMs: number; limit: number }> = [];
  const logs: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
  const logger = {
    info: (obj: object, msg: string) => logs.push({ level: 'info', msg, obj: obj as Record<string, unknown> }),
    warn: (obj: object, msg: string) => logs.push({ level: 'warn', msg, obj: obj as Record<string, unknown> }),
  };
  const republisher = new Republisher<Item>({ isConnected: () => state.connected }, logger, {
    names: { pending: 'unpublished things', published: 'things' },
    intervalMs: 10,
    minAgeMs: 4000,
    findPending: async (minAgeMs, limit) => {
      queries.push({ minAgeMs, limit });
      return state.pending.slice(0, limit);
    },
    publish: async (item) => {
      if (item.id === state.failOn) throw new Error(`broker did not confirm ${item.id}`);
      published.push(item.id);
      // Published and recorded: no longer pending.
      state.pending = state.pending.filter((p) => p.id !== item.id);
    },
    traceparentOf: (item) => item.traceparent,
    ...overrides,
  });
  return { state, published, queries, logs, republisher };
}

describe('Republisher', () => {
  it('publishes the pending records oldest first, asking for those older than minAgeMs, 100 at most', async () => {
    const { republisher, published, queries, logs } = setup();
    assert.equal(await republisher.tick(), 2);
    assert.deepEqual(published, ['a', 'b']);
    assert.deepEqual(queries, [{ minAgeMs: 4000, limit: 100 }]);
    assert.deepEqual(logs, [{ level: 'info', msg: 'republished things', obj: { published: 2 } }]);
    assert.equal(await republisher.tick(), 0, 'nothing pending any more');
    assert.equal(logs.length, 1, 'an empty pass logs nothing');
  });

  it('honours batchSize', async () => {
    const { republisher, published, queries } = setup({ batchSize: 1 });
    assert.equal(await republisher.tick(), 1);
    assert.deepEqual(published, ['a']);
    assert.deepEqual(queries, [{ minAgeMs: 4000, limit: 1 }]);
  });

  it('skips the pass while the broker is disconnected, without asking the repository', async () => {
    const { republisher, state, published, queries } = setup();
    state.connected = false;
    assert.equal(await republisher.tick(), 0);
    assert.deepEqual(queries, []);
    assert.deepEqual(published, []);
  });

  it('stops at the first failure, logs it once per streak, and logs the recovery', async () => {
    const { republisher, state, published, logs } = setup({
      pending: [{ id: 'a', traceparent: null }, { id: 'b', traceparent: null }, { id: 'c', traceparent: null }],
      failOn: 'b',
    });
    assert.equal(await republisher.tick(), 1);
    assert.deepEqual(published, ['a'], 'c is not tried after b failed');
    assert.equal(await republisher.tick(), 0);
    assert.deepEqual(
      logs.map((l) => [l.level, l.msg, l.obj]),
      [['warn', 'republishing unpublished things failed; retrying', { published: 1, error: 'broker did not confirm b', attempt: 1 }]],
      'the failure names how many were published before it; the second one, same error, is not logged again',
    );
    state.failOn = undefined;
    assert.equal(await republisher.tick(), 2);
    assert.deepEqual(published, ['a', 'b', 'c']);
    assert.deepEqual(logs.slice(1).map((l) => [l.level, l.msg, l.obj]), [
      ['info', 'republishing unpublished things recovered', { failedAttempts: 2 }],
      ['info', 'republished things', { published: 2 }],
    ]);
  });

  it('counts a failing repository query as a failure too (never throws)', async () => {
    const { republisher, logs } = setup({
      findPending: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      },
    });
    assert.equal(await republisher.tick(), 0);
    assert.equal(logs[0]?.msg, 'republishing unpublished things failed; retrying');
    assert.equal(logs[0]?.obj.error, 'connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('runs every intervalMs once started, and stop() waits for the running pass and ends the timer', async () => {
    const { republisher, state, published } = setup({ pending: [] });
    republisher.start();
    state.pending.push({ id: 'late', traceparent: null });
    await waitUntil('the timer to publish the record', () => published.length === 1, 2000);
    let releasePublish: () => void = () => {};
    let publishing = false;
    const slowPublished: string[] = [];
    const slow = setup({
      pending: [{ id: 'x', traceparent: null }, { id: 'y', traceparent: null }],
      publish: async (item) => {
        publishing = true;
        await new Promise<void>((resolve) => {
          releasePublish = resolve;
        });
        slowPublished.push(item.id);
      },
    });
    slow.republisher.start();
    await waitUntil('a pass to be publishing', () => publishing, 2000);
    let stopped = false;
    const stopping = slow.republisher.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(stopped, false, 'stop() waits for the record being published');
    releasePublish();
    await stopping;
    assert.deepEqual(slowPublished, ['x'], 'the rest of the batch is left for the next start');
    await republisher.stop();
    const queried = slow.queries.length;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(slow.queries.length, queried, 'no pass after stop()');
  });
});

describe('Republisher trace context', () => {
  let tracing: TestTracing;
  before(() => {
    tracing = installTestTracing();
  });
  after(async () => {
    await tracing.shutdown();
  });

  it('publishes each record in its stored trace, and one without a stored trace in a new one', async () => {
    const seen: Array<string | null> = [];
    const { republisher } = setup({
      pending: [{ id: 'traced', traceparent: TP }, { id: 'untraced', traceparent: null }],
      publish: async () => {
        seen.push(activeTraceparent());
      },
    });
    // Run inside another span: neither publish may become its child.
    await tracing.inSpan('unrelated', () => republisher.tick());
    assert.deepEqual(seen, [TP, null]);
  });
});

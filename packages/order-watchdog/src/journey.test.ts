import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { deadLetterQueue, JourneyError, loadJourney, parseJourneyYaml } from './journey';
import { parseDuration } from './duration';
import { testJourney } from './test-journey';

describe('journey config', () => {
  it('loads the shipped shopfloor journey: five stages, deadlines within the 2-minute budget', () => {
    const j = loadJourney(join(__dirname, '..', 'journeys', 'shopfloor.yaml'));
    assert.deepEqual(j.stages.map((s) => s.id), ['accepted', 'published', 'contract', 'production-requested', 'job']);
    assert.equal(j.stages.at(-1)!.deadline, 90_000);
    assert.ok(j.stages.at(-1)!.deadline! + 10_000 < 120_000, 'last deadline + check interval inside 120 s');
    assert.equal(deadLetterQueue(j, 'crm.order-created'), 'crm.order-created.dlq');
    assert.equal(j.messages.unroutable_queue, 'shopfloor.unroutable');
    assert.ok(j.canary, 'ships a canary');
  });

  it('parses durations', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('soon'), undefined);
    assert.equal(testJourney().stages[1]!.deadline, 10_000);
  });

  it('names every bad field with its path', () => {
    const bad = `
name: Bad Name
databases: { one: { url_env: DB_ONE } }
stages:
  - { id: a, title: accepted, record: { database: one, query: q }, deadline: 5s }
  - { id: a, title: again, record: { database: two, query: q }, deadline: never }
  - { id: c, title: last, deadline: 1s, colour: blue }
`;
    assert.throws(() => parseJourneyYaml(bad, 'bad.yaml'), (err: unknown) => {
      assert.ok(err instanceof JourneyError);
      const m = err.message;
      assert.match(m, /^bad\.yaml is not a valid journey:/);
      assert.match(m, /name: lower-case letters/);
      assert.match(m, /stages\.1\.deadline: not a positive duration: "never"/);
      assert.match(m, /stages\.2: Unrecognized key.*colour/);
      return true;
    });
    const semantic = `
name: semantic
databases: { one: { url_env: DB_ONE } }
stages:
  - { id: a, title: accepted, record: { database: one, query: q }, deadline: 5s }
  - { id: a, title: again, record: { database: two, query: q }, deadline: 30s }
  - { id: c, title: last, deadline: 10s }
`;
    assert.throws(() => parseJourneyYaml(semantic, 'semantic.yaml'), (err: unknown) => {
      const m = (err as Error).message;
      assert.match(m, /stages\.0\.record\.new_orders: the first stage \(acceptance\) needs record\.new_orders/);
      assert.match(m, /stages\.0\.deadline: the first stage starts the clock/);
      assert.match(m, /stages\.1\.id: stage id "a" appears twice/);
      assert.match(m, /stages\.1\.record\.database: unknown database "two"; defined: one/);
      assert.match(m, /stages\.2\.deadline: deadlines count from acceptance/);
      assert.match(m, /stages\.2\.record: the last stage \(completion\) needs a record/);
      return true;
    });
    assert.throws(() => parseJourneyYaml('stages: [', 'broken.yaml'), /broken\.yaml is not valid YAML/);
  });
});

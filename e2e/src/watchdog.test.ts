import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { chromium, type Browser } from 'playwright-core';
import amqp from 'amqplib';
import { Client } from 'pg';
import { repoRoot, type Stack } from '@shopfloor/stack-contract';
import { requestJson } from './clients/http';
import { flatten, JaegerClient } from './clients/jaeger';
import { fetchUrl, splitLogin } from './clients/credentials';
import { PrometheusClient } from './clients/prometheus';
import { eventually } from './eventually';
import { placeOrder } from './orders';
import { stackUp } from './stack';

/**
 * The order watchdog against real faults, each injected into FAULTY orders among normal traffic:
 * every faulty order is flagged exactly once, at the right stage with the right reason, within
 * 120 s of its acceptance; no healthy order is flagged. The journey is the shipped one with short
 * deadlines (the shipped file keeps the 2-minute budget), the watchdog checks every second.
 */
const run = promisify(execFile);
const FAULTY = 20;
const DETECTION_BUDGET_MS = 120_000;
// Names from service-kit's topology (packages/service-kit/README.md).
const ORDERS_EXCHANGE = 'shopfloor.orders';
const UNROUTABLE_QUEUE = 'shopfloor.unroutable';
const CRM_QUEUE = 'crm.order-created';
const ORDER_CREATED = 'order.created';
const OPERATOR_HEADER = 'x-shopfloor-operator-token';
const OPERATOR_TOKEN = 'e2e-operator-token-0123456789';

interface Flag { stage: string; awaiting: string; reason: string; detail: string; flaggedAt: number }
interface Stalled { orderId: string; acceptedAt: number; flag?: Flag }
interface Closed { orderId: string; acceptedAt: number; completedAt: number; late: boolean; flag?: Flag }
interface ReplayOutcome { orderId: string; outcome: string; stage: string; reason: string; detail: string }
interface AmAlert { labels: Record<string, string>; startsAt: string; status: { state: string } }

/** The shipped journey with deadlines of seconds, written to a temporary file. */
function fastJourney(): string {
  const journey = parse(readFileSync(join(repoRoot, 'packages', 'order-watchdog', 'journeys', 'shopfloor.yaml'), 'utf8')) as {
    stages: { id: string; deadline?: string }[];
    trace: { grace: string };
  };
  const deadlines: Record<string, string> = { published: '6s', contract: '10s', 'production-requested': '12s', job: '15s' };
  for (const stage of journey.stages) if (deadlines[stage.id]) stage.deadline = deadlines[stage.id];
  journey.trace.grace = '5s';
  return stringify(journey);
}

describe('order watchdog: stalled orders found with stage and reason', { concurrency: false }, () => {
  let stack: Stack;
  let wd: string;
  const healthy = new Set<string>();
  /** Every flag the test saw, per order (the watchdog must never flag an order twice at one stage). */
  const seen = new Map<string, Flag[]>();

  before(async () => {
    stack = await stackUp({
      watchdogJourney: fastJourney(),
      watchdogEnv: {
        WATCHDOG_CHECK_INTERVAL_MS: '1000',
        WATCHDOG_ALERT_RESEND_MS: '5000',
        WATCHDOG_CANARY_INTERVAL_MS: '0',
        WATCHDOG_START_LOOKBACK_MS: '0',
        WATCHDOG_OPERATOR_TOKEN: OPERATOR_TOKEN,
      },
    });
    wd = stack.endpoints.orderWatchdog;
  });


  async function stalled(): Promise<{ stalled: Stalled[]; late: Closed[] }> {
    const res = await requestJson<{ stalled: Stalled[]; late: Closed[] }>(`${wd}/api/stalled`);
    assert.equal(res.status, 200);
    for (const s of res.body.stalled) {
      const flags = seen.get(s.orderId) ?? [];
      if (!flags.some((f) => f.flaggedAt === s.flag!.flaggedAt && f.stage === s.flag!.stage)) flags.push(s.flag!);
      seen.set(s.orderId, flags);
    }
    return res.body;
  }

  /** Healthy orders, and their jobs in MES before the next fault is injected. */
  async function normalTraffic(n: number): Promise<void> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await placeOrder(stack.endpoints.shopApi)).orderId);
    for (const id of ids) healthy.add(id);
    await eventually(`${n} healthy orders to reach MES`, async () => {
      for (const id of ids) {
        const res = await requestJson(`${stack.endpoints.mesApi}/jobs/${id}`);
        if (res.status !== 200) throw new Error(`GET /jobs/${id} answered ${res.status}`);
      }
    }, 60_000);
  }

  async function faultyOrders(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (let i = 0; i < FAULTY; i++) ids.add((await placeOrder(stack.endpoints.shopApi)).orderId);
    return ids;
  }

  /** Waits until every order of `ids` is flagged, then checks stage, reason and detection time. */
  async function expectFlagged(ids: Set<string>, stage: string, reason: string, detail?: RegExp): Promise<Stalled[]> {
    const found = await eventually(`${ids.size} orders flagged ${stage}/${reason}`, async () => {
      const { stalled: list } = await stalled();
      const mine = list.filter((s) => ids.has(s.orderId));
      if (mine.length < ids.size) throw new Error(`${mine.length} of ${ids.size} flagged so far: ${JSON.stringify(mine.slice(0, 2))}`);
      return mine;
    }, DETECTION_BUDGET_MS + 30_000);
    for (const s of found) {
      assert.equal(s.flag!.stage, stage, `order ${s.orderId}: ${JSON.stringify(s.flag)}`);
      assert.equal(s.flag!.reason, reason, `order ${s.orderId}: ${JSON.stringify(s.flag)}`);
      if (detail) assert.match(s.flag!.detail, detail);
      assert.ok(s.flag!.flaggedAt - s.acceptedAt <= DETECTION_BUDGET_MS, `order ${s.orderId} flagged ${s.flag!.flaggedAt - s.acceptedAt} ms after acceptance`);
    }
    return found;
  }

  /** Waits until every order of `ids` has completed and counts as late; with `alertsResolved`, also until none of their alerts is active. */
  async function expectCompletedLate(ids: Set<string>, what: string, timeoutMs: number, alertsResolved: boolean): Promise<void> {
    await eventually(what, async () => {
      const { late } = await stalled();
      const done = late.filter((c) => ids.has(c.orderId));
      if (done.length !== ids.size) throw new Error(`${done.length} of ${ids.size} completed late`);
      if (!alertsResolved) return;
      const active = (await orderAlerts()).filter((a) => ids.has(a.labels.order_id!) && a.status.state === 'active');
      if (active.length) throw new Error(`${active.length} alerts still active`);
    }, timeoutMs);
  }

  /** The watchdog's check and alert-posting counters and its last warnings, for a failure's message. */
  async function watchdogHealth(): Promise<string> {
    const res = await fetchUrl(`${wd}/metrics`).catch((err: unknown) => ({ ok: false, status: 0, text: async () => (err as Error).message }));
    const figures = (await res.text()).split('\n').filter((l) => /^shopfloor_watchdog_(alert|check|state|last)/.test(l));
    const logs = await stack.serviceStdout('order-watchdog').catch((err: unknown) => (err as Error).message);
    const warnings = logs.split('\n').filter((l) => (/"level":"(warn|error)"/.test(l) && !l.includes('order stalled')) || l.includes('order watchdog listening')).slice(-10);
    return [`GET /metrics ${res.status}`, ...figures, 'its last starts and warnings:', ...warnings.map((l) => l.slice(0, 400))].join('\n');
  }

  async function orderAlerts(): Promise<AmAlert[]> {
    const res = await requestJson<AmAlert[]>(`${stack.endpoints.alertmanager}/api/v2/alerts?filter=${encodeURIComponent('alertname="OrderStalled"')}`);
    assert.equal(res.status, 200);
    return res.body;
  }

  it('CRM consumer stopped: its orders stall after "published", reason no consumer; resolved and late once CRM is back', async () => {
    await normalTraffic(5);
    await stack.stopComponent('crm-api');
    const faulty = await faultyOrders();
    await expectFlagged(faulty, 'published', 'no_consumer', /no consumer on crm\.order-created/);
    await eventually('one OrderStalled alert per faulty order in Alertmanager', async () => {
      const alerts = (await orderAlerts()).filter((a) => faulty.has(a.labels.order_id!));
      if (alerts.length !== FAULTY) throw new Error(`${alerts.length} alerts`);
      for (const a of alerts) assert.deepEqual([a.labels.stage, a.labels.reason, a.labels.service], ['published', 'no_consumer', 'crm-api']);
    });
    await stack.startComponent('crm-api');
    await expectCompletedLate(faulty, 'the faulty orders to complete, late, their alerts resolved', 90_000, true);
    await normalTraffic(5);
  });

  it('MES rejecting messages: dead-lettered with the rejection reason; a watchdog restart mid-fault neither loses nor repeats an alert', async () => {
    await stack.restartService('mes-api', { MES_FAULT_REJECT: 'true' });
    let rejected: string[] = [];
    try {
      const faulty = await faultyOrders();
      const first = await expectFlagged(faulty, 'production-requested', 'dead_lettered', /mes\.production-requested\.dlq: rejected by fault injection/);
      await eventually('their alerts in Alertmanager', async () => {
        const n = (await orderAlerts()).filter((a) => faulty.has(a.labels.order_id!)).length;
        if (n !== FAULTY) throw new Error(`${n} alerts`);
      });
      const before = new Map((await orderAlerts()).filter((a) => faulty.has(a.labels.order_id!)).map((a) => [a.labels.order_id!, a.startsAt]));

      // The page shows a stalled order's stage and reason, in a real browser.
      await showsStalledOrder(first[0]!.orderId);

      // Restart the watchdog while the fault is on, with more faulty orders placed meanwhile.
      await stack.stopComponent('order-watchdog');
      const during = await faultyOrders();
      await stack.startComponent('order-watchdog');
      await expectFlagged(during, 'production-requested', 'dead_lettered');
      const again = await expectFlagged(faulty, 'production-requested', 'dead_lettered');
      for (const s of again) assert.equal(s.flag!.flaggedAt, first.find((f) => f.orderId === s.orderId)!.flag!.flaggedAt, 'the same flag after the restart');
      // The restarted watchdog posts its alerts again (Alertmanager drops one not re-sent within
      // its endsAt); one per order, the earlier ones with their first start.
      const alerts = await eventually('one alert per faulty order in Alertmanager after the restart', async () => {
        const mine = (await orderAlerts()).filter((a) => faulty.has(a.labels.order_id!) || during.has(a.labels.order_id!));
        if (mine.length !== 2 * FAULTY) throw new Error(`${mine.length} of ${2 * FAULTY} alerts`);
        return mine;
      }, 60_000).catch(async (err: unknown) => assert.fail(`${(err as Error).message}\nthe watchdog:\n${await watchdogHealth()}`));
      for (const a of alerts) if (before.has(a.labels.order_id!)) assert.equal(a.startsAt, before.get(a.labels.order_id!), 'the same alert (same start) after the restart');
      rejected = [...faulty, ...during];
    } finally {
      await stack.restartService('mes-api');
    }
    await replaysDeadLetters(rejected);
    await normalTraffic(5);
  });

  it('MES slowed beyond the deadline: flagged, then resolved and counted late when the jobs arrive', async () => {
    await stack.restartService('mes-api', { MES_FAULT_DELAY_MS: '20000' });
    try {
      // Jaeger hung meanwhile: the watchdog's trace look-ups time out, and its flags must not
      // wait on them (a check asks a failing Jaeger once, not once per completed order).
      await stack.freezeComponent('jaeger', true);
      let faulty: Set<string>;
      try {
        faulty = await faultyOrders();
        // CRM requested production (its record says so); the message waits, unacknowledged, at
        // the slow MES consumer.
        const flagged = await expectFlagged(faulty, 'production-requested', 'backlog', /mes\.production-requested/);
        assert.ok(flagged.every((s) => s.flag!.awaiting === 'job'));
      } finally {
        await stack.freezeComponent('jaeger', false);
      }
      await expectCompletedLate(faulty, 'the slow orders to complete, counted late', 120_000, false);
    } finally {
      await stack.restartService('mes-api'); // a failure here must not leave MES slow for the next scenarios
    }
  });

  it('a queue unbound: its orders stall after "published", reason unroutable; a replay is refused while the binding is missing, then puts them back on their way', async () => {
    await normalTraffic(5);
    const connection = await amqp.connect(stack.endpoints.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      let faulty: Set<string>;
      await channel.unbindQueue(CRM_QUEUE, ORDERS_EXCHANGE, ORDER_CREATED);
      try {
        faulty = await faultyOrders();
        await expectFlagged(faulty, 'published', 'unroutable', /shopfloor\.unroutable/);
        await eventually('one OrderStalled alert per unroutable order', async () => {
          const alerts = (await orderAlerts()).filter((a) => faulty.has(a.labels.order_id!));
          if (alerts.length !== FAULTY) throw new Error(`${alerts.length} alerts`);
          for (const a of alerts) assert.deepEqual([a.labels.stage, a.labels.reason, a.labels.awaiting], ['published', 'unroutable', 'contract']);
        });
        // The cause still holds: refused with the reason, and the message stays where it was.
        const [first] = faulty;
        const refused = await replayOne(first!);
        assert.equal(refused.status, 409, JSON.stringify(refused.body));
        assert.match(refused.body.outcomes[0]!.detail, /no binding routes it/);
        const kept = await channel.checkQueue(UNROUTABLE_QUEUE);
        assert.ok(kept.messageCount >= FAULTY, `the unroutable messages stay: ${kept.messageCount} in ${UNROUTABLE_QUEUE}`);
      } finally {
        await channel.bindQueue(CRM_QUEUE, ORDERS_EXCHANGE, ORDER_CREATED);
      }
      // Bound again: one bulk replay of every order flagged unroutable after "published".
      const bulk = await requestJson<{ outcomes: ReplayOutcome[] }>(`${wd}/api/replay`, { method: 'POST', headers: operator, body: { reason: 'unroutable', stage: 'published', limit: 100 } });
      assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
      const replayed = new Set(bulk.body.outcomes.filter((o) => o.outcome === 'replayed').map((o) => o.orderId));
      assert.deepEqual([...faulty].filter((id) => !replayed.has(id)), [], `every faulty order replayed: ${JSON.stringify(bulk.body.outcomes.slice(0, 3))}`);
      await expectCompletedLate(faulty, 'the replayed orders to complete, late, their alerts resolved', 90_000, true);
    } finally {
      await connection.close().catch(() => undefined);
    }
    await normalTraffic(5);
  });

  it('a message expiring in a queue (a TTL policy, MES down): dead-lettered by RabbitMQ as expired', async () => {
    await normalTraffic(5);
    await stack.stopComponent('mes-api');
    // An operator's policy: messages older than 1 s in mes.production-requested expire, and the
    // queue's dead-letter exchange (service-kit's topology) takes them to its .dlq, x-death: expired.
    await stack.rabbitmqctl(['set_policy', '--apply-to', 'queues', 'e2e-expire', '^mes\\.production-requested$', '{"message-ttl":1000}']);
    try {
      const faulty = await faultyOrders();
      await expectFlagged(faulty, 'production-requested', 'dead_lettered', /mes\.production-requested\.dlq: expired \(dead-lettered by RabbitMQ from mes\.production-requested\)/);
    } finally {
      await stack.rabbitmqctl(['clear_policy', 'e2e-expire']);
      await stack.startComponent('mes-api');
    }
    await normalTraffic(5);
  });

  it('MES acknowledging, then crashing before it stores the job: vanished; a replay has CRM send them again from its records', async () => {
    await normalTraffic(5);
    // Acknowledges the next FAULTY messages without a job, then SIGKILLs itself; the supervisor
    // restarts it (with the same hook: no message reaches it until it is restarted below).
    await stack.restartService('mes-api', { MES_FAULT_ACK_THEN_CRASH: String(FAULTY) });
    let faulty = new Set<string>();
    try {
      faulty = await faultyOrders();
      await expectFlagged(faulty, 'production-requested', 'vanished', /job in MES not reached, and its message is in no queue, dead letter or error span/);
    } finally {
      await stack.restartService('mes-api');
    }
    // Their messages are gone: one replayed through the API, the rest in bulk with the CLI. CRM's
    // record of each is marked unsent, and CRM's republisher sends it again, in its first trace.
    const [first, ...rest] = [...faulty];
    const one = await replayOne(first!);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.deepEqual(one.body.outcomes.map((o) => o.outcome), ['replayed'], JSON.stringify(one.body));
    assert.match(one.body.outcomes[0]!.detail, /crm-api's record of "production requested" marked unsent/);
    const byCli = await cliReplay('vanished', 'production-requested');
    assert.deepEqual(rest.filter((id) => !byCli.has(id)), [], 'every other order replayed by the CLI');
    await expectCompletedLate(faulty, 'the replayed orders to complete, late, their alerts resolved', 120_000, true);
    for (const id of faulty) assert.equal((await requestJson(`${stack.endpoints.mesApi}/jobs/${id}`)).status, 200, `order ${id} has its job in MES`);
    await auditedOnce(faulty);
    await eventually('the replayed order\'s MES span in its first trace', () => continuesFirstTrace(first!), 60_000);
    await normalTraffic(5);
  });

  it('CRM acknowledging messages without storing them: vanished after "published"; a replay has the shop send them again from its records', async () => {
    await normalTraffic(5);
    const LOST = 5;
    await stack.restartService('crm-api', { CRM_FAULT_DROP_BEFORE_STORE: String(LOST) });
    const lost = new Set<string>();
    try {
      for (let i = 0; i < LOST; i++) lost.add((await placeOrder(stack.endpoints.shopApi)).orderId);
      await expectFlagged(lost, 'published', 'vanished', /contract in CRM not reached, and its message is in no queue, dead letter or error span/);
    } finally {
      await stack.restartService('crm-api');
    }
    const res = await requestJson<{ outcomes: ReplayOutcome[] }>(`${wd}/api/replay`, { method: 'POST', headers: operator, body: { reason: 'vanished', stage: 'published', limit: 100 } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.outcomes.filter((o) => o.outcome === 'replayed').map((o) => o.orderId).sort(), [...lost].sort(), JSON.stringify(res.body));
    assert.match(res.body.outcomes[0]!.detail, /shop-api's record of "published to RabbitMQ" marked unsent/);
    await expectCompletedLate(lost, 'the orders the shop sent again to complete, late, their alerts resolved', 120_000, true);
    for (const id of lost) assert.equal((await requestJson(`${stack.endpoints.mesApi}/jobs/${id}`)).status, 200, `order ${id} has its job in MES`);
    await auditedOnce(lost);
    await eventually('a replayed order\'s MES span in its first trace', () => continuesFirstTrace([...lost][0]!), 60_000);
    await normalTraffic(5);
  });

  it('CRM storing contracts without requesting production: not_published after the contract; CRM\'s republisher sends them, in their first trace', async () => {
    await normalTraffic(5);
    // Each contract stored, its message then acknowledged unpublished (as when the requeued copy
    // was purged); CRM's republisher held off past the deadline so the watchdog sees the gap.
    await stack.restartService('crm-api', { CRM_FAULT_DROP_AFTER_STORE: String(FAULTY), CRM_REPUBLISH_MIN_AGE_MS: '3600000' });
    let faulty = new Set<string>();
    try {
      faulty = await faultyOrders();
      await expectFlagged(faulty, 'contract', 'not_published', /production requested: no record of it in crm/);
      const refused = await replayOne([...faulty][0]!);
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.match(refused.body.outcomes[0]!.detail, /crm-api republishes it by itself/);
    } finally {
      await stack.restartService('crm-api');
    }
    await expectCompletedLate(faulty, 'the republished orders to complete, late, their alerts resolved', 90_000, true);
    const [id] = faulty;
    await eventually('the republished order\'s MES span in its first trace', () => continuesFirstTrace(id!), 60_000);
    await normalTraffic(5);
  });

  it('the Collector stopped: orders complete, zero order alerts, telemetry loss counted', async () => {
    const metric = async () => {
      const text = await (await fetchUrl(`${wd}/metrics`)).text();
      return Number(/^shopfloor_watchdog_orders_telemetry_incomplete_total\{[^}]*\} (\S+)$/m.exec(text)?.[1] ?? NaN);
    };
    const lostBefore = await metric();
    await stack.stopComponent('otel-collector');
    const orders = new Set<string>();
    for (let i = 0; i < FAULTY; i++) orders.add((await placeOrder(stack.endpoints.shopApi)).orderId);
    await eventually('telemetry loss counted for those orders', async () => {
      const lost = await metric();
      if (lost - lostBefore < FAULTY) throw new Error(`telemetry incomplete ${lost - lostBefore} of ${FAULTY}`);
    }, 90_000);
    await stack.startComponent('otel-collector');
    const { stalled: list } = await stalled();
    assert.deepEqual(list.filter((s) => orders.has(s.orderId)), [], 'no order of the Collector outage flagged');
    for (const id of orders) healthy.add(id);
  });

  it('no healthy order was ever flagged, and no order was flagged twice at one stage', async () => {
    await stalled();
    const flaggedHealthy = [...healthy].filter((id) => seen.has(id));
    assert.deepEqual(flaggedHealthy, []);
    for (const [id, flags] of seen) assert.equal(new Set(flags.map((f) => f.stage)).size, flags.length, `order ${id}: ${JSON.stringify(flags)}`);
  });

  const operator = { [OPERATOR_HEADER]: OPERATOR_TOKEN };
  const replayOne = (id: string, headers: Record<string, string> = operator) => requestJson<{ outcomes: ReplayOutcome[] }>(`${wd}/api/orders/${encodeURIComponent(id)}/replay`, { method: 'POST', headers, body: {} });

  /**
   * Fails unless MES's consumer span of the order is in a trace the shop began for that order (a
   * replayed or republished order continues its first trace). Only the consumer span counts: the
   * test's own GET /jobs/<id> requests make traces of their own that carry the order id.
   */
  async function continuesFirstTrace(orderId: string): Promise<void> {
    const traces = await new JaegerClient(stack.endpoints.jaeger).findTraces('mes-api', { 'order.id': orderId });
    const spans = traces.flatMap(flatten).filter((s) => s.tags['order.id'] === orderId);
    const consumed = spans.filter((s) => s.service === 'mes-api' && s.kind === 'consumer');
    if (!consumed.length) throw new Error(`no mes-api consumer span of order ${orderId} yet`);
    // The shop's span of the order (its POST handler sets the order id) in the same trace.
    const shop = new Set(spans.filter((s) => s.service === 'shop-api').map((s) => s.traceId));
    for (const c of consumed) assert.ok(shop.has(c.traceId), `order ${orderId}: MES consumed it in trace ${c.traceId}, which holds no shop-api span of the order`);
  }

  /**
   * The rejection lifted, an operator replays the dead-lettered orders: five one by one through
   * the API, the rest in bulk with the CLI. Each completes (late) with one job, in its first trace.
   */
  async function replaysDeadLetters(ids: string[]): Promise<void> {
    assert.equal(ids.length, 2 * FAULTY);
    const [first] = ids;
    assert.equal((await replayOne(first!, {})).status, 403, 'no operator token: refused');
    assert.equal((await replayOne(first!, { [OPERATOR_HEADER]: `${OPERATOR_TOKEN}-forged` })).status, 403, 'a forged token: refused');
    await operatorReplaysInBrowser(first!);
    for (const id of ids.slice(1, 5)) {
      const res = await replayOne(id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.outcomes.map((o) => [o.orderId, o.outcome]), [[id, 'replayed']], JSON.stringify(res.body));
    }
    const replayedByCli = await cliReplay('dead_lettered', 'production-requested');
    assert.deepEqual(ids.slice(5).filter((id) => !replayedByCli.has(id)), [], 'every other order replayed by the CLI');
    const all = new Set(ids);
    await expectCompletedLate(all, 'the replayed orders to complete, late, their alerts resolved', 120_000, true);
    for (const id of ids) {
      const job = await requestJson(`${stack.endpoints.mesApi}/jobs/${id}`);
      assert.equal(job.status, 200, `order ${id} has its job in MES`);
    }
    // Twice is refused: the order completed (and the consumers are idempotent anyway).
    const again = await replayOne(first!);
    assert.equal(again.status, 409);
    assert.match(again.body.outcomes[0]!.detail, /not an open order/);
    const audited = await auditedOnce(all);
    assert.deepEqual(audited.filter((r) => !/\((token|page)\)$/.test(r.actor)), [], 'each replay names how its operator was let in');
    assert.ok(audited.some((r) => r.orderId === first && /\(page\)$/.test(r.actor)), 'the replay from the page');
    await eventually('the replayed orders\' MES spans in their first trace', async () => {
      for (const id of [ids[0]!, ids[5]!, ids.at(-1)!]) await continuesFirstTrace(id);
    }, 60_000);
  }

  /** A bulk replay with the CLI (`shopfloor-watchdog replay --reason --stage`); the orders it replayed. */
  async function cliReplay(reason: string, stage: string): Promise<Set<string>> {
    const cli = await run(process.execPath, [join(repoRoot, 'packages', 'order-watchdog', 'dist', 'cli.js'), 'replay', '--reason', reason, '--stage', stage, '--limit', '100', '--url', wd], {
      env: { ...process.env, WATCHDOG_OPERATOR_TOKEN: OPERATOR_TOKEN },
    }).catch((err: { stdout?: string; stderr?: string; message: string }) => assert.fail(`the CLI failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`));
    return new Set(cli.stdout.split('\n').filter((l) => l.split('\t')[1] === 'replayed').map((l) => l.split('\t')[0]!));
  }

  /** The audit holds exactly one `replayed` record per order of `ids`; returns them. */
  async function auditedOnce(ids: Set<string>): Promise<{ orderId: string; outcome: string; actor: string }[]> {
    const audit = await requestJson<{ replays: { orderId: string; outcome: string; actor: string }[] }>(`${wd}/api/replays?limit=200`);
    assert.equal(audit.status, 200);
    const audited = audit.body.replays.filter((r) => ids.has(r.orderId) && r.outcome === 'replayed');
    assert.equal(audited.length, ids.size, 'one audit record per replay');
    return audited;
  }

  /** An operator signs in on the order's page with the token and replays it with its button. */
  async function operatorReplaysInBrowser(orderId: string): Promise<void> {
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
      const { url: pageUrl, login } = splitLogin(`${wd}/`);
      const page = await browser.newPage(login ? { httpCredentials: login } : {});
      await page.goto(`${pageUrl}orders?id=${encodeURIComponent(orderId)}`);
      assert.equal(await page.locator('#replay').count(), 0, 'no replay action before signing in');
      await page.fill('#token', OPERATOR_TOKEN);
      await page.click('#operator-sign-in button[type=submit]');
      await page.waitForSelector('#replay');
      await page.click('#replay button[type=submit]');
      await page.waitForSelector('#replay-result');
      assert.equal(await page.textContent(`#replay-result tr[data-order="${orderId}"] .outcome`), 'replayed');
    } finally {
      await browser?.close();
    }
  }

  async function showsStalledOrder(orderId: string): Promise<void> {
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
      // The containers stack's page is behind the proxy's basic auth: the login goes to the browser context.
      const { url: pageUrl, login } = splitLogin(`${wd}/`);
      const page = await browser.newPage(login ? { httpCredentials: login } : {});
      await page.goto(pageUrl);
      const row = page.locator(`#stalled tr[data-order="${orderId}"]`);
      assert.match((await row.textContent()) ?? '', /dead lettered/);
      await page.fill('#id', orderId);
      await page.click('button[type=submit]');
      await page.waitForSelector('#flag');
      assert.equal(await page.textContent('#status'), 'stalled');
      assert.equal(await page.textContent('#flag-stage'), 'production requested');
      assert.equal(await page.textContent('#flag-reason'), 'dead lettered');
      assert.match((await page.textContent('#flag-detail')) ?? '', /rejected by fault injection/);
      assert.equal(await page.locator('#replay').count(), 0, 'a read-only user sees no replay action');
      // Its trace drawn on the page (no Jaeger UI natively): MES's consume span in error with the
      // dead letter's reason; and its log lines from VictoriaLogs, the dead-lettering among them.
      await eventually('the waterfall and the log lines on the order page', async () => {
        await page.reload();
        const failing = (await page.locator('#trace tr.err').allTextContents()).join('\n');
        if (!/mes-api[\s\S]*dead-lettered \(rejected\)/.test(failing)) throw new Error(`no mes-api span in error with its dead-letter reason: ${failing.slice(0, 300) || (await page.locator('#trace, #trace-note').first().textContent())?.slice(0, 300)}`);
        const logs = await page.locator('#logs, #logs-note, #logs-none').first().textContent();
        if (!/message dead-lettered/.test(logs ?? '')) throw new Error(`no "message dead-lettered" log line: ${String(logs).slice(0, 300)}`);
      }, 60_000);
      // The order's own trace (the traceparent the shop stored with it), not a search.
      const href = (await page.getAttribute('#trace-link', 'href')) ?? '';
      const traceId = /\/trace\/([0-9a-f]{32})$/.exec(href)?.[1];
      assert.ok(traceId, `the trace link goes to the order's trace: ${href}`);
      const trace = await requestJson<{ data: { spans: { tags: { key: string; value: unknown }[] }[] }[] }>(`${stack.endpoints.jaeger}/api/traces/${traceId}`);
      assert.equal(trace.status, 200, `Jaeger has trace ${traceId}`);
      assert.ok(trace.body.data[0]!.spans.some((s) => s.tags.some((t) => t.key === 'order.id' && t.value === orderId)), 'it is the order\'s trace');
    } finally {
      await browser?.close();
    }
  }
});

/**
 * The canary: a marked order the watchdog sends at its pace (here every 2 s), kept out of the
 * business figures by its marker, completing like any order; when canaries stop completing, the
 * watchdog flags them (OrderStalled, canary=true) and Prometheus fires OrderCanaryNotCompleting.
 */
describe('order watchdog: the canary', { concurrency: false }, () => {
  const CANARY_MS = 2000;
  const CANARY_EMAIL = '%@canary.shopfloor.invalid';
  let stack: Stack;
  let wd: string;

  before(async () => {
    stack = await stackUp({
      fastAlerting: true,
      watchdogJourney: fastJourney(),
      watchdogEnv: {
        WATCHDOG_CHECK_INTERVAL_MS: '1000',
        WATCHDOG_ALERT_RESEND_MS: '5000',
        WATCHDOG_CANARY_INTERVAL_MS: String(CANARY_MS),
        WATCHDOG_START_LOOKBACK_MS: '0',
        // Unset, as a user may leave it: the stuck-consumer scenario below.
        WATCHDOG_RABBITMQ_METRICS_URL: '',
      },
    });
    wd = stack.endpoints.orderWatchdog;
  });


  async function metric(name: string): Promise<number> {
    const text = await (await fetchUrl(`${wd}/metrics`)).text();
    return Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  }

  async function sql<T>(db: 'shop' | 'crm' | 'mes', text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: stack.endpoints.databaseUrl(db) });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  it('is sent at its pace, completes, and stays out of the business figures', async () => {
    const sent0 = await metric('shopfloor_watchdog_canary_sent_total');
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 20_000));
    const sent = (await metric('shopfloor_watchdog_canary_sent_total')) - sent0;
    const expected = (Date.now() - t0) / CANARY_MS;
    assert.ok(sent >= expected - 2 && sent <= expected + 1, `${sent} canaries in ${Date.now() - t0} ms at one per ${CANARY_MS} ms`);
    assert.equal(await metric('shopfloor_watchdog_canary_interval_seconds'), CANARY_MS / 1000);

    // In the shop: marked by the customer e-mail, one every CANARY_MS.
    const canaries = await sql<{ id: string; at: Date }>('shop', `SELECT id::text, created_at AS at FROM orders WHERE customer->>'email' LIKE $1 ORDER BY created_at`, [CANARY_EMAIL]);
    assert.ok(canaries.length >= sent, `${canaries.length} canary orders in the shop`);
    const gaps = canaries.slice(1).map((c, i) => c.at.getTime() - canaries[i]!.at.getTime()).sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)]!;
    assert.ok(Math.abs(median - CANARY_MS) < 500, `median gap between canaries ${median} ms`);

    // They complete: jobs in MES, counted as completed canaries, not as orders.
    await eventually('canaries to complete', async () => {
      const completed = await metric('shopfloor_watchdog_canary_completed_total');
      if (!(completed >= sent - 3)) throw new Error(`${completed} canaries completed of ${sent + sent0} sent`);
    }, 60_000);
    assert.equal(await metric('shopfloor_watchdog_orders_completed_total'), 0, 'no business order was placed, so no order completed: canaries are not orders');
    const { stalled } = (await requestJson<{ stalled: { orderId: string }[] }>(`${wd}/api/stalled`)).body;
    assert.deepEqual(stalled, [], 'no canary stalled');

    // Business figures with the documented filters (docs/metrics.md) see none of them; real orders count.
    const real = (await placeOrder(stack.endpoints.shopApi)).orderId;
    await eventually('the real order to reach MES', async () => {
      if ((await requestJson(`${stack.endpoints.mesApi}/jobs/${real}`)).status !== 200) throw new Error('no job yet');
    }, 60_000);
    const shop = await sql<{ id: string }>('shop', `SELECT id::text FROM orders WHERE customer->>'email' NOT LIKE $1`, [CANARY_EMAIL]);
    assert.deepEqual(shop.map((r) => r.id), [real]);
    const crm = await sql<{ id: string }>('crm', `SELECT order_id::text AS id FROM crm.contracts WHERE customer->>'email' NOT LIKE $1`, [CANARY_EMAIL]);
    assert.deepEqual(crm.map((r) => r.id), [real]);
    const mes = await sql<{ id: string; canary: boolean }>('mes', `SELECT order_id::text AS id, items @> '[{"sku":"CANARY"}]' AS canary FROM jobs`);
    assert.deepEqual(mes.filter((r) => !r.canary).map((r) => r.id), [real]);
    assert.ok(mes.filter((r) => r.canary).length >= sent - 3, 'the canaries are jobs in MES, marked by their SKU');
  });

  it('canaries that do not complete: flagged with canary=true by the watchdog, and OrderCanaryNotCompleting fires', async () => {
    await stack.stopComponent('crm-api');
    try {
      await eventually('an OrderStalled alert of a canary in Alertmanager', async () => {
        const res = await requestJson<AmAlert[]>(`${stack.endpoints.alertmanager}/api/v2/alerts?filter=${encodeURIComponent('alertname="OrderStalled"')}&filter=${encodeURIComponent('canary="true"')}`);
        const alert = res.body.find((a) => a.labels.reason === 'no_consumer');
        if (!alert) throw new Error(`${res.body.length} canary alerts: ${JSON.stringify(res.body.slice(0, 1))}`);
        assert.equal(alert.labels.stage, 'published');
      }, 60_000);
      const prometheus = new PrometheusClient(stack.endpoints.prometheus);
      await eventually('OrderCanaryNotCompleting firing in Prometheus', async () => {
        const firing = await prometheus.query('ALERTS{alertname="OrderCanaryNotCompleting",alertstate="firing"}');
        if (firing.length !== 1) throw new Error(`${firing.length} firing; pending: ${(await prometheus.query('ALERTS{alertname="OrderCanaryNotCompleting"}')).length}`);
        assert.equal(firing[0]!.metric.journey, 'shopfloor');
        assert.equal(firing[0]!.metric.severity, 'critical');
      }, 180_000);
    } finally {
      await stack.startComponent('crm-api');
    }
    const prometheus = new PrometheusClient(stack.endpoints.prometheus);
    await eventually('OrderCanaryNotCompleting resolved once canaries complete again', async () => {
      const n = (await prometheus.query('ALERTS{alertname="OrderCanaryNotCompleting"}')).length;
      if (n) throw new Error(`${n} OrderCanaryNotCompleting series`);
    }, 120_000);
  });

  it('a consumer holding messages unacknowledged, no RabbitMQ metrics URL: backlog or undetermined with the reason, never vanished', async () => {
    // MES takes each message and sits on it (unacknowledged) past the job deadline; without the
    // metrics endpoint the watchdog cannot count unacknowledged messages.
    await stack.restartService('mes-api', { MES_FAULT_DELAY_MS: '30000' });
    try {
      const ids = new Set<string>();
      for (let i = 0; i < 3; i++) ids.add((await placeOrder(stack.endpoints.shopApi)).orderId);
      const flagged = await eventually('the held orders flagged', async () => {
        const { stalled } = (await requestJson<{ stalled: Stalled[] }>(`${wd}/api/stalled`)).body;
        const mine = stalled.filter((s) => ids.has(s.orderId) && s.flag);
        if (mine.length < ids.size) throw new Error(`${mine.length} of ${ids.size} flagged: ${JSON.stringify(mine.slice(0, 1))}`);
        return mine;
      }, 90_000);
      for (const { orderId, flag } of flagged) {
        assert.ok(['backlog', 'undetermined'].includes(flag!.reason), `order ${orderId}: ${JSON.stringify(flag)}`);
        if (flag!.reason === 'undetermined') assert.match(flag!.detail, /could not check: unacknowledged messages in mes\.production-requested \(no RabbitMQ metrics URL configured/);
      }
    } finally {
      await stack.restartService('mes-api');
    }
  });
});

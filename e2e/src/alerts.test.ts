import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_PARTNER, type Stack } from '@shopfloor/stack-contract';
import { AlertReceiver, type DeliveredAlert, type Notification } from './clients/alert-receiver';
import { requestJson } from './clients/http';
import { PrometheusClient } from './clients/prometheus';
import { DASHBOARD } from './dashboard';
import { eventually } from './eventually';
import { injectServiceFaults, undoServiceFaults } from './faults';
import { placeOrder } from './orders';
import { stackUp, testServerAddress } from './stack';

/**
 * Real faults through the services' fault hooks, and the proof that the matching alert is
 * DELIVERED by Alertmanager to a webhook receiver this test runs, on the receiver its route
 * names, and that the dashboard query of docs/metrics.md shows the fault. The rule files are the
 * shipped ones (thresholds and `for:`); only Prometheus' evaluation interval (5 s) and
 * Alertmanager's group_wait (1 s) are shortened. The three faults are injected together (one
 * restart of crm-api, one of mes-api) and the scenarios wait in parallel: about 2 minutes in all.
 */
const ALERT_DEADLINE_MS = 5 * 60_000;
const ALERTS = ['CrmApiHighErrorRatio', 'MesApiHighLatency', 'DeadLettersWaiting'];

describe('alerts reach the webhook when real faults are injected', { concurrency: true }, () => {
  let stack: Stack;
  let prom: PrometheusClient;
  const receiver = new AlertReceiver();
  let traffic: Traffic | undefined;
  let faultsAt = 0;
  let faultsInjected = false;

  before(async () => {
    const webhookBase = await receiver.start(await testServerAddress());
    stack = await stackUp({ alertWebhookBase: webhookBase, fastAlerting: true });
    prom = new PrometheusClient(stack.endpoints.prometheus);

    // Baseline: normal traffic end to end, rules evaluated over it, none of the alerts active.
    const { orderId } = await placeOrder(stack.endpoints.shopApi);
    await eventually(`order ${orderId} to reach MES before any fault`, async () => {
      const res = await requestJson(`${stack.endpoints.mesApi}/jobs/${orderId}`);
      if (res.status !== 200) throw new Error(`GET /jobs/${orderId} answered ${res.status}`);
    });
    assert.equal((await requestJson(`${stack.endpoints.crmApi}/contracts/${orderId}`)).status, 200);
    await eventually('Prometheus to evaluate the alert rules over the baseline traffic', async () => {
      const r = await prom.query('count(service:http_server_requests:rate1m{service="mes-api"}) and count(queue:rabbitmq_messages:count)');
      if (!r.length) throw new Error('no recorded RED / queue series yet');
    });
    const active = await prom.query(`ALERTS{alertname=~"${ALERTS.join('|')}"}`);
    assert.deepEqual(active.map((s) => s.metric.alertname), [], 'no fault, no alert');

    // The faults: CRM fails half of /contracts requests; MES is slow (800 ms per request and per
    // message) and its consumer dead-letters every message.
    faultsInjected = true;
    await injectServiceFaults(stack);
    faultsAt = Date.now();
    traffic = new Traffic(stack, ALERT_DEADLINE_MS + 60_000);
    traffic.start();
  });

  after(async () => {
    await traffic?.stop();
    // The stack as found, for the next scenario (its webhook serves one that asks for none).
    if (faultsInjected) await undoServiceFaults(stack);
    await receiver.close();
  });

  /** Waits for Alertmanager to deliver the alert to the receiver its route names. */
  async function delivered(labels: Record<string, string>, receiverName: string): Promise<{ notification: Notification; alert: DeliveredAlert }> {
    const found = await eventually(
      `alert ${JSON.stringify(labels)} to be delivered to the webhook (receiver ${receiverName})`,
      async () => {
        const hit = receiver.find(labels);
        if (!hit) {
          const state = await prom.query(`ALERTS{alertname="${labels.alertname}"}`).catch(() => []);
          throw new Error(
            `not delivered yet; Prometheus has it ${state.map((s) => s.metric.alertstate).join('/') || 'inactive'}; ` +
              `delivered so far: ${receiver.summary()}; traffic: ${traffic?.describe()}`,
          );
        }
        return hit;
      },
      ALERT_DEADLINE_MS,
    );
    process.stderr.write(`# ${labels.alertname} delivered ${((found.notification.at - faultsAt) / 1000).toFixed(0)} s after the fault\n`);
    assert.equal(found.notification.receiver, receiverName, `${labels.alertname} routed to ${receiverName}`);
    assert.equal(found.notification.path, `/${receiverName}`);
    for (const key of ['summary', 'description', 'runbook_url']) assert.ok(found.alert.annotations[key], `${labels.alertname} has a ${key}`);
    assert.match(found.alert.annotations.runbook_url!, new RegExp(`^docs/runbooks.md#${labels.alertname!.toLowerCase()}$`));
    return found;
  }

  /**
   * The dashboard query, as written in docs/metrics.md, until its series for `label=value`
   * satisfies `ok` (a 5 m rate needs two scrapes of a new series).
   */
  async function dashboard(query: string, label: string, value: string, ok: (v: number) => boolean, what: string): Promise<number> {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'metrics.md'), 'utf8');
    assert.ok(doc.includes(query), `docs/metrics.md shows the dashboard query ${query}`);
    return eventually(`the dashboard query to show ${what}`, async () => {
      const result = await prom.query(query);
      const sample = result.find((s) => s.metric[label] === value);
      if (!sample) throw new Error(`${query} has no series with ${label}="${value}": ${JSON.stringify(result.map((s) => s.metric))}`);
      const v = Number(sample.value[1]);
      if (!ok(v)) throw new Error(`${query} is ${v} for ${label}="${value}"`);
      return v;
    }, 60_000);
  }

  it('CRM API failing more than 5 % of requests: CrmApiHighErrorRatio reaches support', async () => {
    const { alert } = await delivered({ alertname: 'CrmApiHighErrorRatio', service: 'crm-api', severity: 'warning' }, 'support');
    assert.match(alert.annotations.description!, /of crm-api HTTP requests failed with 5xx/);
    await dashboard(DASHBOARD.http5xxRatio, 'service', 'crm-api', (v) => v > 0.05, 'a crm-api 5xx ratio above 5 %');
  });

  it('MES slower than 500 ms at p95: MesApiHighLatency reaches developers as a ticket', async () => {
    const { alert } = await delivered({ alertname: 'MesApiHighLatency', service: 'mes-api', severity: 'ticket' }, 'developers');
    assert.match(alert.annotations.description!, /95th percentile of mes-api HTTP request duration is/);
    await dashboard(DASHBOARD.httpP95Ms, 'service', 'mes-api', (v) => v > 500, 'a mes-api p95 above 500 ms');
  });

  it('MES consumer rejecting messages: DeadLettersWaiting for mes.production-requested.dlq reaches operations', async () => {
    const { alert } = await delivered(
      { alertname: 'DeadLettersWaiting', service: 'mes-api', queue: 'mes.production-requested.dlq', severity: 'warning' },
      'operations',
    );
    assert.match(alert.annotations.description!, /wait in dead-letter queue mes.production-requested.dlq/);
    await dashboard(DASHBOARD.deadLettersWaiting, 'queue', 'mes.production-requested.dlq', (v) => v > 0, 'dead letters waiting in mes.production-requested.dlq');
    await dashboard(DASHBOARD.deadLettersPublished, 'service', 'mes-api', (v) => v > 0, 'mes-api publishing dead letters');
  });
});

/**
 * Bounded background traffic while the faults are on: orders into the shop (they end as MES
 * dead letters), CRM contract look-ups (half of them 500), MES operator and partner requests
 * (each 800 ms). A few requests per second; stops by itself after `maxMs`.
 */
class Traffic {
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly counts = { orders: 0, crm: 0, crm5xx: 0, mes: 0, failed: 0 };

  constructor(private readonly stack: Stack, private readonly maxMs: number) {}

  start(): void {
    const until = Date.now() + this.maxMs;
    const loop = async (pauseMs: number, step: () => Promise<void>) => {
      while (!this.stopped && Date.now() < until) {
        await step().catch(() => void this.counts.failed++);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    };
    const e = this.stack.endpoints;
    this.loops = [
      loop(500, async () => {
        await placeOrder(e.shopApi);
        this.counts.orders++;
      }),
      ...[0, 1].map(() =>
        loop(150, async () => {
          const res = await requestJson(`${e.crmApi}/contracts/${randomUUID()}`);
          this.counts.crm++;
          if (res.status >= 500) this.counts.crm5xx++;
        }),
      ),
      ...[0, 1].map(() =>
        loop(100, async () => {
          await requestJson(`${e.mesApi}/jobs`);
          this.counts.mes++;
        }),
      ),
      loop(200, async () => {
        await requestJson(`${e.mesApi}/partner/v1/jobs/${randomUUID()}`, { headers: { 'x-api-key': DEV_PARTNER.key } });
        this.counts.mes++;
      }),
    ];
  }

  describe(): string {
    const c = this.counts;
    return `${c.orders} orders, ${c.crm} CRM requests (${c.crm5xx} 5xx), ${c.mes} MES requests, ${c.failed} failed to send`;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

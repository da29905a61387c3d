import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import {
  allPanels, allValues, exemplarTraceIdLabel, expressions, loadDashboards, regexValue, substitute, variablePromQL, variableQuery,
  type Dashboard, type DashboardFile, type Variable,
} from '@shopfloor/compose-stack';
import { DEV_PARTNER, repoRoot, type Stack } from '@shopfloor/stack-contract';
import { REQUEST_TIMEOUT_MS, requestJson } from './clients/http';
import { JaegerClient } from './clients/jaeger';
import { PrometheusClient, type Sample } from './clients/prometheus';
import { eventually } from './eventually';
import { injectServiceFaults, undoServiceFaults } from './faults';
import { placeOrder } from './orders';
import { stackUp } from './stack';

/**
 * The Grafana dashboards of compose/grafana (Grafana itself runs only in compose) against the
 * real Prometheus of the running stack with traffic: every query of every panel must return data,
 * and the panels that stay empty (or at 0) without a fault are listed with the fault that lights
 * them up and checked under it. A panel in neither list fails, so a new one cannot slip through.
 * The files themselves (structure, data source references, units) are checked by the unit tests
 * of packages/compose-stack (src/dashboards.test.ts).
 */

/** The panel whose target has exemplars (a dot opens its trace in Jaeger). */
const EXEMPLAR_PANEL_PREFIX = 'p99 latency with exemplars';

/** One Prometheus query of a dashboard: a panel target or an annotation. */
interface Query {
  /** `<dashboard uid> › <panel title> › <refId>`, or `<dashboard uid> › annotation <name>`. */
  key: string;
  dashboard: Dashboard;
  panel?: string;
  refId?: string;
  expr: string;
  legend?: string;
}

function queries(files: DashboardFile[]): Query[] {
  return files.flatMap(({ dashboard }) => [
    ...allPanels(dashboard).flatMap((p) =>
      (p.targets ?? [])
        .filter((t) => (t.datasource?.uid ?? p.datasource?.uid) === 'prometheus' && t.expr !== undefined)
        .map((t) => ({ key: `${dashboard.uid} › ${p.title} › ${t.refId}`, dashboard, panel: p.title, refId: t.refId, expr: t.expr!, legend: t.legendFormat })),
    ),
    ...(dashboard.annotations?.list ?? [])
      .filter((a) => a.datasource?.uid === 'prometheus' && a.expr)
      .map((a) => ({ key: `${dashboard.uid} › annotation ${a.name}`, dashboard, panel: `annotation ${a.name}`, expr: a.expr! })),
  ]);
}

/**
 * The faults that light up the panels listed below, all injected by the last scenario. The
 * service hooks are the alert scenarios' (e2e/src/faults.ts).
 */
const FAULTS = {
  'crm-5xx': 'crm-api answers 500 to half of its /contracts requests (CRM_FAULT_ERROR_RATE=0.5)',
  'mes-rejecting': 'mes-api is slow (800 ms) and its consumer dead-letters every message (MES_FAULT_DELAY_MS, MES_FAULT_REJECT)',
  'client-errors': 'clients call MES\'s partner API with a wrong key (401) and ask CRM for unknown contracts (404)',
  'pg-locks': 'a session waits for an advisory lock another holds, and two sessions deadlock, in database shop',
  'broker-down': 'RabbitMQ stopped: publishes fail, its target is down',
  alerts: 'the alerts the faults above raise, pending during their `for:` and then firing',
} as const;
type Fault = keyof typeof FAULTS;

interface Listed { dashboard: string; panel: string; refIds?: string[] }
/**
 * Only the series of a query whose label matches: for a panel that shows the fault's series
 * beside series that ordinary traffic may raise above 0 for a moment.
 */
interface SeriesFilter { label: string; pattern: RegExp; why: string }
/**
 * Queries that are empty, or stay at 0, without a fault: checked to show a value above 0 under
 * it instead of "some data" without it. Error ratios are here although they show 0 without a
 * fault: 0 says nothing about whether the query can see an error.
 */
const LIT_BY_FAULT: (Listed & { fault: Fault; series?: SeriesFilter })[] = [
  { dashboard: 'shopfloor-order-flow-red', panel: '5xx ratio', fault: 'crm-5xx' },
  { dashboard: 'shopfloor-order-flow-red', panel: '5xx ratio by route', refIds: ['A'], fault: 'crm-5xx' },
  { dashboard: 'shopfloor-order-flow-red', panel: '5xx by error type', fault: 'crm-5xx' },
  { dashboard: 'shopfloor-order-flow-red', panel: '4xx: refused and unknown (401, 403, 404)', fault: 'client-errors' },
  { dashboard: 'shopfloor-order-flow-red', panel: 'Consumer failure ratio per queue', fault: 'mes-rejecting' },
  {
    dashboard: 'shopfloor-order-flow-red', panel: 'Queue wait time', refIds: ['B'], fault: 'mes-rejecting',
    // A work queue's head message is seconds old whenever its consumer is a little behind (2.3 s
    // for crm.order-created on a busy 2-core machine); only a dead-letter queue stays empty without a fault.
    series: { label: 'queue', pattern: /[.]dlq$/, why: 'dead-letter queues' },
  },
  { dashboard: 'shopfloor-order-flow-red', panel: 'Dead letters waiting by queue', fault: 'mes-rejecting' },
  { dashboard: 'shopfloor-order-flow-red', panel: 'Dead letters by queue and reason', fault: 'mes-rejecting' },
  { dashboard: 'shopfloor-order-flow-red', panel: 'Unsent / sent ratio', fault: 'broker-down' },
  { dashboard: 'shopfloor-order-flow-red', panel: 'annotation Firing alerts', fault: 'alerts' },
  { dashboard: 'shopfloor-mes', panel: 'Refused partner calls (401, 403, 429)', fault: 'client-errors' },
  { dashboard: 'shopfloor-mes', panel: 'annotation Firing alerts', fault: 'alerts' },
  { dashboard: 'shopfloor-infrastructure-use', panel: 'Locks held and waiting', refIds: ['B'], fault: 'pg-locks' },
  { dashboard: 'shopfloor-infrastructure-use', panel: 'Deadlocks (last hour)', fault: 'pg-locks' },
  { dashboard: 'shopfloor-infrastructure-use', panel: 'annotation Firing alerts', fault: 'alerts' },
  { dashboard: 'shopfloor-alerts', panel: 'Firing alerts', fault: 'alerts' },
  { dashboard: 'shopfloor-alerts', panel: 'Pending alerts', fault: 'alerts' },
  { dashboard: 'shopfloor-alerts', panel: 'Targets down', fault: 'broker-down' },
  { dashboard: 'shopfloor-alerts', panel: 'Firing by severity', fault: 'alerts' },
  { dashboard: 'shopfloor-alerts', panel: 'Firing now', fault: 'alerts' },
  { dashboard: 'shopfloor-alerts', panel: 'Pending', fault: 'alerts' },
  { dashboard: 'shopfloor-alerts', panel: 'Alert history', fault: 'alerts' },
];

/** A network namespace with nothing but loopback (e.g. `unshare -n`): node_exporter leaves lo out. */
function loopbackOnly(): boolean {
  const devices = readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean);
  return devices.every((d) => d === 'lo');
}

/**
 * Queries this test cannot make return data, each with why. `when` limits an entry to the
 * condition it names (otherwise the query is checked like any other).
 */
const NOT_CHECKED: (Listed & { reason: string; when?: () => boolean; collectorMetric?: string })[] = [
  {
    dashboard: 'shopfloor-infrastructure-use', panel: 'Collector: spans accepted, refused, dropped', refIds: ['D'], collectorMetric: 'otelcol_processor_memory_limiter_refused_spans',
    reason: 'otelcol_processor_memory_limiter_refused_spans exists only once the Collector refused spans for memory (above 384 MiB of its 512 MiB limit): not injectable in test time',
  },
  {
    dashboard: 'shopfloor-infrastructure-use', panel: 'Collector: spans accepted, refused, dropped', refIds: ['E'], collectorMetric: 'otelcol_exporter_send_failed_spans',
    reason: 'otelcol_exporter_send_failed_spans exists only once an export failed for good: a permanent error, since the exporter retries a reachable-again Jaeger without a time limit (retry_on_failure max_elapsed_time 0s, docs/persistence.md)',
  },
  {
    dashboard: 'shopfloor-infrastructure-use', panel: 'Collector: spans accepted, refused, dropped', refIds: ['F'], collectorMetric: 'otelcol_exporter_enqueue_failed_spans',
    reason: 'otelcol_exporter_enqueue_failed_spans exists only once the sending queue (1000 batches) overflowed: not injectable in test time',
  },
  {
    dashboard: 'shopfloor-infrastructure-use', panel: 'Network',
    reason: 'this network namespace has only loopback, which node_exporter leaves out (give the namespace an interface to check it, e.g. `ip link add veth0 type veth peer name veth1; ip link set veth0 up`)',
    when: loopbackOnly,
  },
];

function matches(entry: Listed, q: Query): boolean {
  return entry.dashboard === q.dashboard.uid && entry.panel === q.panel && (!entry.refIds || (q.refId !== undefined && entry.refIds.includes(q.refId)));
}

/** The series of a query listed with a fault that its entry watches (all of them without a filter). */
function faultSeries(q: Query, samples: Sample[]): Sample[] {
  const filter = LIT_BY_FAULT.find((e) => matches(e, q))?.series;
  return filter ? samples.filter((s) => filter.pattern.test(s.metric[filter.label] ?? '')) : samples;
}

/** Labels a legend shows: `{{label}}`. */
function legendLabels(legend: string | undefined): string[] {
  return [...(legend ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!);
}

/**
 * Labels a legend may show although no series has them without a fault. Any other label of a
 * legend must be on a series: a label renamed upstream (say `process_cpu_state` to `cpu_mode`)
 * in a `sum by (...)` still returns data, one series without the label, and a blank legend.
 */
const OPTIONAL_LEGEND_LABELS: Record<string, string> = {
  error_type: 'set only on failed operations (a publish that failed, a 5xx)',
};

function describeSamples(samples: Sample[]): string {
  if (!samples.length) return 'no series';
  return `${samples.length} series: ${samples.slice(0, 3).map((s) => `${JSON.stringify(s.metric)}=${s.value[1]}`).join('; ')}`.slice(0, 400);
}

/** `items` through `fn`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

/**
 * Polls every query with `probe` (undefined = passed) until each has passed once or the deadline
 * is over; returns the last problem of each query that never passed.
 */
async function untilEachPasses(
  what: string,
  list: Query[],
  timeoutMs: number,
  probe: (q: Query) => Promise<string | undefined>,
  beforeRound: () => void = () => undefined,
): Promise<Map<string, string>> {
  const started = Date.now();
  const left = new Map(list.map((q) => [q.key, 'not queried']));
  const byKey = new Map(list.map((q) => [q.key, q]));
  for (;;) {
    beforeRound();
    await eachLimited([...left.keys()], 8, async (key) => {
      const problem = await probe(byKey.get(key)!).catch((err: Error) => `query failed: ${err.message}`);
      if (problem === undefined) left.delete(key);
      else left.set(key, problem);
    });
    if (!left.size || Date.now() - started > timeoutMs) break;
    await sleep(2000);
  }
  process.stderr.write(`# ${what}: ${list.length - left.size} of ${list.length} queries passed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return left;
}

function report(left: Map<string, string>, list: Query[]): string {
  const exprs = new Map(list.map((q) => [q.key, q.expr]));
  return [...left].map(([key, problem]) => `\n  ${key}: ${problem}\n    ${exprs.get(key)}`).join('');
}

/**
 * Traffic through every API, a few requests per second, as the panels need it: orders (with a
 * model upload, for the S3 panels), CRM contract look-ups, MES operators' and a partner's job
 * look-ups. `clientErrors` adds requests that are refused (401) or ask for what does not exist (404).
 */
class Traffic {
  clientErrors = false;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly orderIds: string[] = [];
  private readonly counts = { orders: 0, requests: 0, failed: 0 };

  constructor(private readonly stack: Stack) {}

  /**
   * An order placed about 5 s ago: its contract and job exist by now, so looking it up is no
   * client error (404) before `clientErrors` asks for them.
   */
  private recentOrder(): string | undefined {
    return this.orderIds.length > 10 ? this.orderIds[this.orderIds.length - 10] : undefined;
  }

  async start(): Promise<void> {
    const e = this.stack.endpoints;
    const model = await fetch(`${e.shopApi}/models?name=dashboard.stl`, {
      method: 'POST',
      headers: { 'content-type': 'model/stl' },
      body: 'solid dashboard\nendsolid dashboard\n',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    assert.equal(model.status, 201, `POST /models answered ${model.status}`);
    const loop = async (pauseMs: number, step: () => Promise<void>) => {
      while (!this.stopped) {
        await step().catch(() => void this.counts.failed++);
        await sleep(pauseMs);
      }
    };
    const get = async (url: string, headers: Record<string, string> = {}) => {
      await requestJson(url, { headers });
      this.counts.requests++;
    };
    this.loops = [
      loop(500, async () => {
        this.orderIds.push((await placeOrder(e.shopApi)).orderId);
        this.counts.orders++;
      }),
      loop(300, async () => {
        const id = this.recentOrder();
        if (id) await get(`${e.crmApi}/contracts/${id}`);
        if (this.clientErrors) await get(`${e.crmApi}/contracts/${randomUUID()}`);
      }),
      loop(300, async () => {
        await get(`${e.mesApi}/jobs`);
        const id = this.recentOrder();
        if (id) await get(`${e.mesApi}/jobs/${id}`);
      }),
      loop(300, async () => {
        const id = this.recentOrder();
        if (id) await get(`${e.mesApi}/partner/v1/jobs/${id}`, { 'x-api-key': DEV_PARTNER.key });
        if (this.clientErrors) await get(`${e.mesApi}/partner/v1/jobs/${id ?? randomUUID()}`, { 'x-api-key': 'not-a-partner-key' });
      }),
    ];
  }

  describe(): string {
    return `${this.counts.orders} orders, ${this.counts.requests} look-ups, ${this.counts.failed} failed to send`;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

/**
 * Lock saturation and a deadlock in database `shop`, with advisory locks (no table of the
 * services is touched): one session holds a lock another waits for until `stop`; two more
 * sessions deadlock once, and PostgreSQL aborts one of them.
 */
class PgLockFault {
  private readonly clients: Client[] = [];
  private waiting?: Promise<unknown>;
  private static readonly HELD = 7_411_001;
  private static readonly CROSSED = [7_411_002, 7_411_003] as const;

  constructor(private readonly url: string) {}

  private async connect(): Promise<Client> {
    const c = new Client({ connectionString: this.url, application_name: 'e2e-dashboards' });
    c.on('error', () => undefined);
    await c.connect();
    this.clients.push(c);
    return c;
  }

  async start(): Promise<void> {
    const [holder, waiter, a, b] = [await this.connect(), await this.connect(), await this.connect(), await this.connect()];
    await holder.query('SELECT pg_advisory_lock($1)', [PgLockFault.HELD]);
    this.waiting = waiter.query('SELECT pg_advisory_lock($1)', [PgLockFault.HELD]).catch(() => undefined);
    const [k1, k2] = PgLockFault.CROSSED;
    await a.query('BEGIN');
    await b.query('BEGIN');
    await a.query('SELECT pg_advisory_xact_lock($1)', [k1]);
    await b.query('SELECT pg_advisory_xact_lock($1)', [k2]);
    const crossed = await Promise.allSettled([a.query('SELECT pg_advisory_xact_lock($1)', [k2]), b.query('SELECT pg_advisory_xact_lock($1)', [k1])]);
    const codes = crossed.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'ok'));
    assert.ok(codes.includes('40P01'), `one of two crossed lock requests ends in a deadlock (40P01): ${codes.join(', ')}`);
    await Promise.all([a.query('ROLLBACK'), b.query('ROLLBACK')]);
  }

  async stop(): Promise<void> {
    await this.clients[0]?.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await this.waiting;
    await Promise.all(this.clients.map((c) => c.end().catch(() => undefined)));
  }
}

// Needs no stack: the lists above must name queries of the dashboards before a stack is started for them.
describe('Grafana dashboard queries: the lists of the live check', () => {
  const files = loadDashboards();

  it('list with a fault or a reason only queries that exist, each once (the live check runs every other query)', () => {
    const all = queries(files);
    for (const entry of [...LIT_BY_FAULT, ...NOT_CHECKED]) {
      const hit = all.filter((q) => matches(entry, q));
      assert.ok(hit.length, `listed ${JSON.stringify(entry)} matches no query of the dashboards`);
      for (const r of entry.refIds ?? []) assert.ok(hit.some((q) => q.refId === r), `listed ${entry.panel} has no target ${r}`);
    }
    for (const q of all) {
      const n = [...LIT_BY_FAULT, ...NOT_CHECKED].filter((e) => matches(e, q)).length;
      assert.ok(n <= 1, `${q.key} is listed ${n} times`);
    }
    for (const e of LIT_BY_FAULT) assert.ok(e.fault in FAULTS, `${e.panel}: fault ${e.fault}`);
  });
});

describe('Grafana dashboard queries against the running stack', () => {
  const files = loadDashboards();
  const all = queries(files);
  let stack: Stack;
  let prom: PrometheusClient;
  let traffic: Traffic | undefined;
  let pgLocks: PgLockFault | undefined;

  before(async () => {
    // Pristine: the panels listed with a fault must be dark before it, with no earlier scenario's.
    stack = await stackUp({ fastAlerting: true, pristine: true });
    prom = new PrometheusClient(stack.endpoints.prometheus);
    traffic = new Traffic(stack);
    await traffic.start();
  });

  let brokerStopped = false;
  let faultsInjected = false;

  after(async () => {
    await traffic?.stop();
    await pgLocks?.stop();
    // The stack as found, for the next scenario: the broker back, the services without faults.
    if (brokerStopped) await stack.startComponent('rabbitmq');
    if (faultsInjected) await undoServiceFaults(stack);
  });

  /** Runs every expression with the given variable values; returns "where: error" per rejected one. */
  async function rejected(file: DashboardFile, values: Record<string, string>): Promise<string[]> {
    const failures: string[] = [];
    for (const { where, expr } of expressions(file.dashboard)) {
      const promql = substitute(expr, values);
      assert.doesNotMatch(promql, /\$[A-Za-z_{]|\[\[/, `${file.file}: ${where}: variables left after substitution: ${promql}`);
      try {
        await prom.query(promql);
      } catch (err) {
        failures.push(`${file.file}: ${where}: ${(err as Error).message}`);
      }
    }
    return failures;
  }

  /**
   * The values each variable of a dashboard offers now, as Grafana lists them in its dropdown
   * (a variable's query sees the values selected for the variables before it).
   */
  async function offered(d: Dashboard, selected: (v: Variable, values: string[]) => string): Promise<{ values: Record<string, string>; offers: Record<string, string[]> }> {
    const values: Record<string, string> = {};
    const offers: Record<string, string[]> = {};
    for (const v of d.templating?.list ?? []) {
      const label = /,\s*(\w+)\s*\)$/.exec(variableQuery(v) ?? '')?.[1] ?? v.name;
      offers[v.name] = (await prom.query(substitute(variablePromQL(v), values))).map((s) => s.metric[label]).filter((x): x is string => !!x);
      values[v.name] = selected(v, offers[v.name]!);
    }
    return { values, offers };
  }

  /**
   * Two selections a user can make: every variable at "All" (what Grafana sends: allValue, .*),
   * and every variable with all the values it offers ticked (what Grafana sends: (a|b|c)), which
   * only matches series that do carry the label.
   */
  async function selections(d: Dashboard): Promise<Array<{ name: string; values: Record<string, string> }>> {
    if (!d.templating?.list.length) return [{ name: 'no variables', values: {} }];
    const every = await offered(d, (_v, values) => (values.length === 1 ? regexValue(values[0]!) : `(${values.map(regexValue).join('|')})`));
    const empty = Object.entries(every.offers).filter(([, values]) => !values.length).map(([name]) => `$${name}`);
    if (empty.length) throw new Error(`${empty.join(', ')} offer no value`);
    return [
      { name: '"All"', values: allValues(d) },
      { name: 'every offered value', values: every.values },
    ];
  }

  it('Prometheus accepts every expression with every variable at "All"', async () => {
    const failures = (await Promise.all(files.map((f) => rejected(f, allValues(f.dashboard))))).flat();
    const count = files.reduce((n, f) => n + expressions(f.dashboard).length, 0);
    assert.deepEqual(failures, [], `${failures.length} of ${count} expressions rejected`);
  });

  it('the variables offer shop-api and its /orders route', async () => {
    const red = files.find((f) => f.dashboard.uid === 'shopfloor-order-flow-red');
    assert.ok(red, 'the Order flow / RED dashboard exists');
    await eventually('the $service and $route variables to offer shop-api and /orders', async () => {
      const want: Record<string, string> = { service: 'shop-api', route: '/orders' };
      const { offers } = await offered(red.dashboard, (v) => regexValue(want[v.name] ?? '.*'));
      for (const [name, value] of Object.entries(want)) {
        if (!offers[name]?.includes(value)) throw new Error(`$${name} offers [${offers[name]?.join(', ')}], not ${value}`);
      }
    }, 120_000);
  });

  it('every query of every panel returns data with traffic and no fault (variables at "All" and at every value they offer)', async () => {
    const checked = all.filter((q) => !LIT_BY_FAULT.some((e) => matches(e, q)) && !NOT_CHECKED.some((e) => matches(e, q) && (e.when?.() ?? true)));
    for (const e of NOT_CHECKED.filter((x) => x.when?.() ?? true)) {
      process.stderr.write(`# not checked: ${e.dashboard} › ${e.panel}${e.refIds ? ` › ${e.refIds.join(',')}` : ''}: ${e.reason}\n`);
    }
    // Variable values once per round and dashboard (routes appear as traffic reaches them).
    const selectionsOf = new Map<Dashboard, ReturnType<typeof selections>>();
    const probe = async (q: Query): Promise<string | undefined> => {
      if (!selectionsOf.has(q.dashboard)) selectionsOf.set(q.dashboard, selections(q.dashboard));
      for (const { name, values } of await selectionsOf.get(q.dashboard)!) {
        const samples = await prom.query(substitute(q.expr, values));
        const finite = samples.filter((s) => Number.isFinite(Number(s.value[1])));
        if (!finite.length) return `with ${name}: no number (${describeSamples(samples)})`;
        const missing = legendLabels(q.legend).filter((l) => !(l in OPTIONAL_LEGEND_LABELS) && !finite.some((s) => l in s.metric));
        if (missing.length) return `with ${name}: the legend shows ${missing.map((l) => `{{${l}}}`).join(' ')}, which no series has (${describeSamples(finite)})`;
      }
      return undefined;
    };
    const left = await untilEachPasses('panels with data', checked, 180_000, probe, () => selectionsOf.clear());
    assert.equal(left.size, 0, `${left.size} of ${checked.length} queries never returned data (traffic: ${traffic?.describe()}):${report(left, checked)}`);
  });

  it('the Collector queries it cannot light up here at least name metrics the built Collector registers', () => {
    // The Collector the stack runs (npm run setup records it); its telemetry is exposed without
    // type suffix, so the instrument name is the series name.
    const { otelcol } = JSON.parse(readFileSync(join(repoRoot, '.run', 'tools.json'), 'utf8')) as { otelcol: string };
    const binary = readFileSync(otelcol);
    for (const e of NOT_CHECKED.filter((x) => x.collectorMetric)) {
      const metric = e.collectorMetric!;
      for (const q of all.filter((x) => matches(e, x))) assert.match(q.expr, new RegExp(`\\b${metric}\\b`), `${q.key} queries ${metric}`);
      assert.ok(binary.includes(metric), `${otelcol} registers no instrument ${metric}`);
    }
  });

  it("latency exemplars carry the trace id the Prometheus data source links to Jaeger, and Jaeger has that trace", async () => {
    const label = exemplarTraceIdLabel();
    const red = files.find((f) => f.dashboard.uid === 'shopfloor-order-flow-red')!;
    const panel = allPanels(red.dashboard).find((p) => p.title.startsWith(EXEMPLAR_PANEL_PREFIX));
    assert.ok(panel, `a panel titled "${EXEMPLAR_PANEL_PREFIX} ..."`);
    const target = panel.targets?.find((t) => (t as { exemplar?: boolean }).exemplar);
    assert.ok(target?.expr, `"${panel.title}" has a target with exemplar: true`);
    const promql = substitute(target.expr, { service: 'shop-api', route: '.*' });
    const jaeger = new JaegerClient(stack.endpoints.jaeger);

    await eventually(`an exemplar of "${panel.title}" whose ${label} is a shop-api trace in Jaeger`, async () => {
      const now = Math.floor(Date.now() / 1000);
      const series = await prom.queryExemplars(promql, now - 600, now);
      const ids = series.flatMap((s) => s.exemplars.map((e) => e.labels[label])).filter((id): id is string => !!id);
      if (!ids.length) throw new Error(`no exemplar with label ${label} (${series.length} series with exemplars)`);
      const id = ids[ids.length - 1]!;
      const trace = await jaeger.trace(id);
      if (!trace) throw new Error(`Jaeger has no trace ${id} yet`);
      const services = new Set(Object.values(trace.processes).map((p) => p.serviceName));
      if (!services.has('shop-api')) throw new Error(`trace ${id} has no shop-api span: ${[...services].join(', ')}`);
    });
  });

  it('every query listed with a fault shows it (a value above 0) once the fault is injected', async () => {
    const listed = (fault: Fault) => all.filter((q) => LIT_BY_FAULT.some((e) => e.fault === fault && matches(e, q)));
    const lit = async (q: Query): Promise<string | undefined> => {
      const samples = await prom.query(substitute(q.expr, allValues(q.dashboard)));
      const positive = faultSeries(q, samples).filter((s) => Number(s.value[1]) > 0);
      const filter = LIT_BY_FAULT.find((e) => matches(e, q))?.series;
      if (!positive.length) return `nothing above 0${filter ? ` among the ${filter.why}` : ''} (${describeSamples(samples)})`;
      // Under its fault even an optional label (error_type of a 5xx) must be there.
      const missing = legendLabels(q.legend).filter((l) => !positive.some((s) => l in s.metric));
      return missing.length ? `the legend shows ${missing.map((l) => `{{${l}}}`).join(' ')}, which no series has (${describeSamples(positive)})` : undefined;
    };

    // Dark before: what lights these panels is the fault, not the traffic or the stack. Not for
    // the alert panels: the host's own alerts (HostCpuSaturation on a busy 2-core machine) may be
    // pending without any fault of ours.
    const faulted = all.filter((q) => LIT_BY_FAULT.some((e) => matches(e, q)));
    const early: string[] = [];
    await eachLimited(faulted.filter((q) => !LIT_BY_FAULT.some((e) => e.fault === 'alerts' && matches(e, q))), 8, async (q) => {
      const positive = faultSeries(q, await prom.query(substitute(q.expr, allValues(q.dashboard)))).filter((s) => Number(s.value[1]) > 0);
      if (positive.length) early.push(`${q.key}: ${describeSamples(positive)}`);
    });
    assert.deepEqual(early, [], 'queries listed with a fault show a value above 0 before any fault');

    // The queue faults first, then RabbitMQ goes down (its own series go with it); the others
    // (HTTP errors, locks, alerts pending then firing) are watched from the start throughout.
    faultsInjected = true;
    await injectServiceFaults(stack);
    traffic!.clientErrors = true;
    pgLocks = new PgLockFault(stack.endpoints.databaseUrl('shop'));
    await pgLocks.start();
    const queueFaults = untilEachPasses('queries lit by mes-rejecting', listed('mes-rejecting'), 120_000, lit);
    const others = untilEachPasses(
      'queries lit by crm-5xx, client-errors, pg-locks, alerts',
      [...listed('crm-5xx'), ...listed('client-errors'), ...listed('pg-locks'), ...listed('alerts')],
      150_000,
      lit,
    );
    const queuesLeft = await queueFaults;
    brokerStopped = true;
    await stack.stopComponent('rabbitmq');
    const brokerLeft = await untilEachPasses('queries lit by broker-down', listed('broker-down'), 90_000, lit);
    const left = new Map([...queuesLeft, ...(await others), ...brokerLeft]);
    assert.equal(left.size, 0, `${left.size} of ${faulted.length} queries listed with a fault never showed it (traffic: ${traffic?.describe()}):${report(left, faulted)}`);
  });
});

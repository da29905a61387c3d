import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { OrderGenerator } from '@shopfloor/native-stack';
import { JaegerClient } from './clients/jaeger';
import { PrometheusClient, type Sample } from './clients/prometheus';
import { eventually } from './eventually';
import { placeOrder } from './orders';
import { stackUp, type Stack } from './stack';

/**
 * The Grafana provisioning of compose/grafana (Grafana itself runs only in compose): the
 * dashboard files are checked as files, then every PromQL expression in them (panel targets,
 * annotations, template variable queries) is run against the real Prometheus of the running
 * stack, and the key RED panels must show shop-api after a few orders.
 */
const GRAFANA_DIR = join(__dirname, '..', '..', 'compose', 'grafana');
const DASHBOARDS_DIR = join(GRAFANA_DIR, 'dashboards');
const DATASOURCES_FILE = join(GRAFANA_DIR, 'provisioning', 'datasources', 'datasources.yaml');
const PROVIDERS_FILE = join(GRAFANA_DIR, 'provisioning', 'dashboards', 'dashboards.yaml');
/** Where compose mounts compose/grafana/dashboards in the Grafana container. */
const CONTAINER_DASHBOARDS_DIR = '/etc/grafana/dashboards';

/** Grafana's built-in variables, as a 15 s scrape interval makes them for a 1 h dashboard. */
const BUILTINS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '1m',
  __interval_ms: '60000',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
};

interface Target { refId?: string; expr?: string; legendFormat?: string; datasource?: { uid?: string } }
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable { name: string; type: string; query?: string | { query?: string }; includeAll?: boolean; multi?: boolean; allValue?: string }
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: Variable[] };
  annotations?: { list: { name: string; expr?: string; datasource?: { uid?: string } }[] };
}
interface DashboardFile { file: string; dir: string; dashboard: Dashboard }

/** One PromQL expression of a dashboard, with where it came from (for failure messages). */
interface Expression { where: string; expr: string; panel?: Panel; target?: Target }

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

function loadDashboards(): DashboardFile[] {
  return jsonFiles(DASHBOARDS_DIR).map((file) => {
    const rel = relative(DASHBOARDS_DIR, file);
    let dashboard: Dashboard;
    try {
      dashboard = JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
    } catch (err) {
      throw new Error(`${rel} is not valid JSON: ${(err as Error).message}`);
    }
    return { file: rel, dir: relative(DASHBOARDS_DIR, join(file, '..')), dashboard };
  });
}

/** Every panel, rows' nested panels included. */
function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

function variableQuery(v: Variable): string | undefined {
  return typeof v.query === 'string' ? v.query : v.query?.query;
}

/**
 * A template variable's query as PromQL: what Grafana's Prometheus data source runs for
 * `label_values(expr, label)` is a series look-up, `group by (label) (expr)` selects the same.
 */
function variablePromQL(v: Variable): string {
  const q = (variableQuery(v) ?? '').trim();
  let m = /^label_values\((.+),\s*(\w+)\s*\)$/s.exec(q);
  if (m) return `group by (${m[2]}) (${m[1]})`;
  m = /^label_values\(\s*(\w+)\s*\)$/.exec(q);
  if (m) return `group by (${m[1]}) ({${m[1]}!=""})`;
  m = /^query_result\((.+)\)$/s.exec(q);
  if (m) return m[1]!;
  throw new Error(`variable ${v.name}: query ${JSON.stringify(q)} is not label_values(...) or query_result(...), which this test can run`);
}

function expressions(d: Dashboard): Expression[] {
  const out: Expression[] = [];
  for (const panel of allPanels(d)) {
    for (const target of panel.targets ?? []) {
      if (target.expr !== undefined) out.push({ where: `panel "${panel.title}" ${target.refId ?? ''}`.trim(), expr: target.expr, panel, target });
    }
  }
  for (const a of d.annotations?.list ?? []) if (a.expr) out.push({ where: `annotation "${a.name}"`, expr: a.expr });
  for (const v of d.templating?.list ?? []) if (v.type === 'query') out.push({ where: `variable $${v.name}`, expr: variablePromQL(v) });
  return out;
}

/** Names of the variables an expression refers to: $name, ${name}, ${name:format}, [[name]]. */
const VARIABLE_REF = /\$\{([A-Za-z_]\w*)(?::\w+)?\}|\[\[([A-Za-z_]\w*)\]\]|\$([A-Za-z_]\w*)/g;

function referencedVariables(expr: string): string[] {
  return [...expr.matchAll(VARIABLE_REF)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** Replaces variables as Grafana does before the query reaches Prometheus. */
function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(VARIABLE_REF, (whole, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c!;
    const value = BUILTINS[name] ?? values[name];
    if (value === undefined) throw new Error(`no value for ${whole}`);
    return value;
  });
}

/** A selected value inside a PromQL regex matcher, escaped the way Grafana escapes it. */
function regexValue(value: string): string {
  return value.replace(/[\\^$*+?.()|{}[\]]/g, '\\\\$&');
}

/** The "All" selection of every variable of a dashboard. */
function allValues(d: Dashboard): Record<string, string> {
  return Object.fromEntries((d.templating?.list ?? []).map((v) => [v.name, v.allValue ?? '.*']));
}

interface DatasourcesFile {
  datasources: Array<{ uid?: string; type?: string; jsonData?: { exemplarTraceIdDestinations?: Array<{ name?: string; datasourceUid?: string }> } }>;
}
interface ProvidersFile {
  providers: Array<{ name?: string; folder?: string; folderUid?: string; type?: string; options?: { path?: string } }>;
}

/** A provisioning file, parsed as YAML; fails naming the file if it is not what Grafana reads. */
function readYaml<T>(file: string, topKey: string): T {
  const doc = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  assert.ok(doc && Array.isArray(doc[topKey]), `${relative(GRAFANA_DIR, file)} has a top-level ${topKey} list`);
  return doc as T;
}

/** `uid` of every provisioned data source. */
function datasourceUids(): string[] {
  return readYaml<DatasourcesFile>(DATASOURCES_FILE, 'datasources').datasources.map((d) => d.uid ?? '(no uid)');
}

/** The exemplar label the Prometheus data source turns into a link to the Jaeger data source. */
function exemplarTraceIdLabel(): string {
  const prometheus = readYaml<DatasourcesFile>(DATASOURCES_FILE, 'datasources').datasources.find((d) => d.type === 'prometheus');
  const link = prometheus?.jsonData?.exemplarTraceIdDestinations?.find((e) => e.datasourceUid === 'jaeger');
  assert.ok(link?.name, 'datasources.yaml links an exemplar label of the Prometheus data source to datasourceUid: jaeger');
  return link.name;
}

describe('Grafana dashboard files', () => {
  const files = loadDashboards();

  it('are found, parse, and are schemaVersion 39 with unique uids and titles', () => {
    assert.ok(files.length >= 4, `expected the four dashboards, found ${files.map((f) => f.file).join(', ')}`);
    for (const { file, dashboard } of files) {
      assert.equal(dashboard.schemaVersion, 39, `${file}: schemaVersion`);
      assert.match(dashboard.uid ?? '', /^[\w-]{1,40}$/, `${file}: uid`);
      assert.ok(dashboard.title, `${file}: title`);
    }
    const uids = files.map((f) => f.dashboard.uid);
    assert.equal(new Set(uids).size, uids.length, `dashboard uids are unique: ${uids.join(', ')}`);
    const titles = files.map((f) => f.dashboard.title);
    assert.equal(new Set(titles).size, titles.length, `dashboard titles are unique: ${titles.join(', ')}`);
  });

  it('have unique panel ids and panels that fit the 24-column grid without overlapping', () => {
    for (const { file, dashboard } of files) {
      const panels = allPanels(dashboard);
      const ids = panels.map((p) => p.id);
      const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
      assert.deepEqual(dup, [], `${file}: duplicate panel ids`);
      assert.ok(ids.every((id) => Number.isInteger(id) && id > 0), `${file}: panel ids are positive integers`);
      for (const p of panels) {
        const g = p.gridPos;
        assert.ok(g && g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0, `${file}: panel "${p.title}" gridPos ${JSON.stringify(g)}`);
      }
      for (const [i, a] of panels.entries()) {
        for (const b of panels.slice(i + 1)) {
          const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w &&
            a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
          assert.ok(!overlap, `${file}: panels "${a.title}" and "${b.title}" overlap`);
        }
      }
    }
  });

  it('query only provisioned data sources, with an expression in every target', () => {
    const uids = datasourceUids();
    assert.ok(uids.includes('prometheus') && uids.includes('jaeger'), `datasources.yaml declares prometheus and jaeger: ${uids.join(', ')}`);
    for (const { file, dashboard } of files) {
      for (const p of allPanels(dashboard)) {
        if (p.type === 'row') continue;
        assert.ok(p.datasource?.uid && uids.includes(p.datasource.uid), `${file}: panel "${p.title}" data source ${JSON.stringify(p.datasource)}`);
        assert.ok(p.targets?.length, `${file}: panel "${p.title}" has targets`);
        for (const t of p.targets!) {
          const uid = t.datasource?.uid ?? p.datasource.uid;
          assert.ok(uids.includes(uid), `${file}: panel "${p.title}" target ${t.refId} data source ${uid}`);
          if (uid === 'prometheus') assert.ok(t.expr?.trim(), `${file}: panel "${p.title}" target ${t.refId} has an expr`);
        }
      }
    }
  });

  it('use only variables they define, and multi-value ones only in regex matchers', () => {
    for (const { file, dashboard } of files) {
      const vars = new Map((dashboard.templating?.list ?? []).map((v) => [v.name, v]));
      for (const { where, expr } of expressions(dashboard)) {
        for (const name of referencedVariables(expr)) {
          assert.ok(name in BUILTINS || vars.has(name), `${file}: ${where} uses undefined variable $${name}`);
        }
        // Grafana sends a multi-value or "All" selection as a regex (a|b, .*): with = it matches nothing.
        for (const m of expr.matchAll(/(\w+)\s*(=|!=)\s*"\$\{?(\w+)/g)) {
          const v = vars.get(m[3]!);
          if (v && (v.multi || v.includeAll)) assert.fail(`${file}: ${where} compares ${m[1]} ${m[2]} $${m[3]}; use =~ for a multi-value variable`);
        }
      }
    }
  });

  it('are all provisioned: every folder has a provider, every provider a folder with dashboards', () => {
    const providers = readYaml<ProvidersFile>(PROVIDERS_FILE, 'providers').providers;
    for (const p of providers) {
      assert.equal(p.type, 'file', `provider ${p.name}: type file`);
      assert.ok(p.options?.path && p.folder && p.folderUid, `provider ${p.name} has options.path, folder and folderUid: ${JSON.stringify(p)}`);
    }
    const paths = providers.map((p) => p.options!.path!);
    const folderUids = providers.map((p) => p.folderUid!);
    const folders = providers.map((p) => p.folder!);
    assert.equal(new Set(folders).size, folders.length, `folder names are unique: ${folders.join(', ')}`);
    for (const p of paths) {
      assert.ok(p.startsWith(`${CONTAINER_DASHBOARDS_DIR}/`), `provider path ${p} is under the mounted ${CONTAINER_DASHBOARDS_DIR}`);
      const dir = p.slice(CONTAINER_DASHBOARDS_DIR.length + 1);
      assert.ok(files.some((f) => f.dir === dir), `provider path ${p}: compose/grafana/dashboards/${dir} has no dashboard`);
    }
    for (const f of files) {
      assert.ok(paths.includes(`${CONTAINER_DASHBOARDS_DIR}/${f.dir}`), `${f.file}: no provider reads ${f.dir}/`);
    }
    // Folders and dashboards share one uid space in Grafana.
    const dashboardUids = files.map((f) => f.dashboard.uid);
    assert.deepEqual(folderUids.filter((u) => dashboardUids.includes(u)), [], 'folder uids differ from dashboard uids');
    assert.equal(new Set(folderUids).size, folderUids.length, 'folder uids are unique');
  });

  it('can all be run: every expression is a variable query this test understands', () => {
    for (const { dashboard } of files) assert.ok(expressions(dashboard).length > 0);
  });
});

/** Panels of "Order flow / RED" that must show shop-api once orders have been placed. */
const KEY_RED_PANELS = [
  'Requests/s',
  '5xx ratio',
  'p95 latency',
  'Request rate by route',
  'Requests by status code',
  '5xx ratio by route',
  'p95 / p99 latency by service',
  'p95 / p99 latency by route',
];
const EXEMPLAR_PANEL_PREFIX = 'p99 latency with exemplars';

describe('Grafana dashboard queries against the running stack', () => {
  const files = loadDashboards();
  let stack: Stack;
  let prom: PrometheusClient;
  let traffic: OrderGenerator | undefined;

  before(async () => {
    stack = await stackUp();
    prom = new PrometheusClient(stack.endpoints.prometheus);
  });

  after(async () => {
    traffic?.stop();
    await stack?.down();
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

  it('Prometheus accepts every expression with every variable at "All"', async () => {
    const failures = (await Promise.all(files.map((f) => rejected(f, allValues(f.dashboard))))).flat();
    const count = files.reduce((n, f) => n + expressions(f.dashboard).length, 0);
    assert.deepEqual(failures, [], `${failures.length} of ${count} expressions rejected`);
  });

  it('the key RED panels show shop-api after a few orders, and the variables offer it', async () => {
    for (let i = 0; i < 5; i++) await placeOrder(stack.endpoints.shopApi);
    // A trickle while waiting: percentiles of a 1-minute window need requests inside it.
    traffic = new OrderGenerator(stack.endpoints.shopApi, 1000, (l) => process.stderr.write(`# ${l}\n`));
    traffic.start();

    const red = files.find((f) => f.dashboard.uid === 'shopfloor-order-flow-red');
    assert.ok(red, 'the Order flow / RED dashboard exists');
    const panels = allPanels(red.dashboard);
    const vars = red.dashboard.templating?.list ?? [];

    // The dropdowns: $service lists shop-api; $route, for shop-api, lists /orders.
    const selected = await eventually('the $service and $route variables to offer shop-api and /orders', async () => {
      const values: Record<string, string> = {};
      const wanted: Record<string, string> = { service: 'shop-api', route: '/orders' };
      for (const v of vars) {
        const label = /,\s*(\w+)\s*\)$/.exec(variableQuery(v) ?? '')?.[1] ?? v.name;
        const offered = (await prom.query(substitute(variablePromQL(v), values))).map((s) => s.metric[label]);
        const want = wanted[v.name];
        if (want && !offered.includes(want)) throw new Error(`$${v.name} offers [${offered.join(', ')}], not ${want}`);
        values[v.name] = regexValue(want ?? offered[0] ?? v.allValue ?? '.*');
      }
      return values;
    });
    // A selected service with every route, as an operator looking at the shop would pick it.
    const values = { ...selected, route: '.*' };

    const missingPanels = KEY_RED_PANELS.filter((t) => !panels.some((p) => p.title === t));
    assert.deepEqual(missingPanels, [], 'the key RED panels exist');
    const targets = panels
      .filter((p) => KEY_RED_PANELS.includes(p.title) || p.title.startsWith(EXEMPLAR_PANEL_PREFIX))
      .flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, legend: t.legendFormat ?? t.refId, promql: substitute(t.expr!, values) })));

    await eventually(
      'every target of the key RED panels to return a number for shop-api (and /orders where it has routes)',
      async () => {
        const missing: string[] = [];
        for (const t of targets) {
          const samples: Sample[] = await prom.query(t.promql);
          const shop = samples.filter((s) => s.metric.service === 'shop-api' && Number.isFinite(Number(s.value[1])));
          if (!shop.length) {
            missing.push(`"${t.panel}" / ${t.legend}: no number for shop-api (${samples.length} series: ${samples.map((s) => `${JSON.stringify(s.metric)}=${s.value[1]}`).join('; ').slice(0, 300)})`);
          } else if (shop.some((s) => 'http_route' in s.metric) && !shop.some((s) => s.metric.http_route === '/orders')) {
            missing.push(`"${t.panel}" / ${t.legend}: no /orders route among ${shop.map((s) => s.metric.http_route).join(', ')}`);
          }
        }
        if (missing.length) throw new Error(missing.join(' | '));
      },
      120_000,
    );
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
});

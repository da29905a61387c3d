import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { parse as parseYaml } from 'yaml';
import { DEV_PARTNER, repoRoot } from '@shopfloor/native-stack';
import { requestJson } from './clients/http';
import { JaegerClient } from './clients/jaeger';
import { PrometheusClient, type Sample } from './clients/prometheus';
import { eventually } from './eventually';
import { injectServiceFaults } from './faults';
import { placeOrder } from './orders';
import { stackUp, type Stack } from './stack';

/**
 * The Grafana provisioning of compose/grafana (Grafana itself runs only in compose): the
 * dashboard files are checked as files (structure, data source references, units), then, against
 * the real Prometheus of the running stack with traffic, every query of every panel must return
 * data, and the panels that stay empty (or at 0) without a fault are listed with the fault that
 * lights them up and checked under it. A panel in neither list fails, so a new one cannot slip
 * through.
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

interface DatasourceRef { type?: string; uid?: string }
interface Target { refId?: string; expr?: string; legendFormat?: string; datasource?: DatasourceRef }
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: DatasourceRef;
  targets?: Target[];
  panels?: Panel[];
  collapsed?: boolean;
  fieldConfig?: { defaults?: { unit?: string }; overrides?: unknown[] };
}
interface Variable { name: string; type: string; query?: string | { query?: string }; includeAll?: boolean; multi?: boolean; allValue?: string; datasource?: DatasourceRef }
interface Annotation { name: string; expr?: string; datasource?: DatasourceRef; builtIn?: number }
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  tags?: string[];
  links?: { type?: string; tags?: string[] }[];
  templating?: { list: Variable[] };
  annotations?: { list: Annotation[] };
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
  datasources: Array<{ uid?: string; type?: string; name?: string; jsonData?: { exemplarTraceIdDestinations?: Array<{ name?: string; datasourceUid?: string }> } }>;
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

/** Provisioned data source type by uid, plus Grafana's built-in annotation source. */
function datasourceTypes(): Map<string, string> {
  const types = new Map(readYaml<DatasourcesFile>(DATASOURCES_FILE, 'datasources').datasources.map((d) => [d.uid ?? '(no uid)', d.type ?? '(no type)']));
  types.set('-- Grafana --', 'grafana');
  return types;
}

// --- A schema of the dashboard JSON: what Grafana 11.6 needs to load a file and what these
// --- dashboards rely on. Grafana ignores what it does not know, so a misspelt key or a value of
// --- the wrong type is silently dropped; this catches it in the file.

type Schema =
  | 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'any'
  | { enum: readonly (string | number | boolean | null)[] }
  | { array: Schema; minItems?: number }
  | { required?: Record<string, Schema>; optional?: Record<string, Schema> }
  | { anyOf: Schema[] };

/** Grafana 11.6 core panel types. */
const PANEL_TYPES = [
  'row', 'timeseries', 'stat', 'gauge', 'bargauge', 'table', 'state-timeline', 'status-history', 'barchart',
  'histogram', 'heatmap', 'piechart', 'text', 'logs', 'traces', 'nodeGraph', 'alertlist', 'annolist',
  'dashlist', 'news', 'xychart', 'trend', 'candlestick', 'canvas', 'geomap', 'flamegraph', 'datagrid',
] as const;
/** The Grafana unit ids these dashboards may use (an unknown id is shown as a literal suffix). */
const UNITS = [
  'none', 'short', 'percent', 'percentunit', 'ns', 'µs', 'ms', 's', 'm', 'h', 'd', 'dtdurations', 'dtdurationms',
  'bytes', 'decbytes', 'bits', 'Bps', 'binBps', 'bps', 'KBs', 'MBs', 'reqps', 'rps', 'ops', 'wps', 'rpm', 'cps', 'iops',
  'dateTimeAsIso', 'dateTimeFromNow', 'bool', 'bool_yes_no', 'bool_on_off',
] as const;

const DATASOURCE_REF: Schema = { required: { type: 'string', uid: 'string' } };
const GRID_POS: Schema = { required: { x: 'integer', y: 'integer', w: 'integer', h: 'integer' } };
const TARGET: Schema = {
  required: { refId: 'string' },
  optional: {
    expr: 'string', legendFormat: 'string', instant: 'boolean', range: 'boolean', exemplar: 'boolean', hide: 'boolean',
    format: { enum: ['time_series', 'table', 'heatmap'] }, interval: 'string', intervalFactor: 'integer', datasource: DATASOURCE_REF,
  },
};
const PANEL_FIELDS: Record<string, Schema> = {
  id: 'integer', type: { enum: PANEL_TYPES }, title: 'string', gridPos: GRID_POS,
};
const PANEL_OPTIONAL: Record<string, Schema> = {
  description: 'string', datasource: DATASOURCE_REF, targets: { array: TARGET, minItems: 1 }, collapsed: 'boolean', transparent: 'boolean',
  interval: 'string', maxDataPoints: 'integer', options: 'object', transformations: { array: { required: { id: 'string' }, optional: { options: 'object' } } },
  fieldConfig: { required: { defaults: { optional: { unit: { enum: UNITS }, min: 'number', max: 'number', decimals: 'integer', custom: 'object', color: 'object', thresholds: 'object', mappings: 'any', displayName: 'string', links: 'any' } }, overrides: { array: 'object' } } },
  links: { array: 'object' },
};
const PANEL: Schema = { required: PANEL_FIELDS, optional: { ...PANEL_OPTIONAL, panels: { array: { required: PANEL_FIELDS, optional: PANEL_OPTIONAL } } } };
const VARIABLE: Schema = {
  required: { name: 'string', type: { enum: ['query', 'custom', 'constant', 'interval', 'datasource', 'textbox', 'adhoc'] } },
  optional: {
    label: 'string', query: { anyOf: ['string', 'object'] }, definition: 'string', datasource: DATASOURCE_REF, refresh: { enum: [0, 1, 2] },
    sort: { enum: [0, 1, 2, 3, 4, 5, 6, 7, 8] }, includeAll: 'boolean', multi: 'boolean', allValue: 'string', regex: 'string',
    hide: { enum: [0, 1, 2] }, current: { optional: { selected: 'boolean', text: { anyOf: ['string', { array: 'string' }] }, value: { anyOf: ['string', { array: 'string' }] } } },
    options: { array: 'object' },
  },
};
const ANNOTATION: Schema = {
  required: { name: 'string', datasource: DATASOURCE_REF, enable: 'boolean' },
  optional: {
    builtIn: 'integer', hide: 'boolean', iconColor: 'string', type: 'string', expr: 'string', step: 'string',
    titleFormat: 'string', textFormat: 'string', tagKeys: 'string', useValueForTime: 'boolean',
  },
};
const DASHBOARD_SCHEMA: Schema = {
  required: {
    uid: 'string', title: 'string', schemaVersion: 'integer', tags: { array: 'string', minItems: 1 },
    time: { required: { from: 'string', to: 'string' } }, panels: { array: PANEL, minItems: 1 },
    annotations: { required: { list: { array: ANNOTATION } } },
  },
  optional: {
    id: { enum: [null] }, description: 'string', version: 'integer', editable: 'boolean', graphTooltip: { enum: [0, 1, 2] },
    refresh: { anyOf: ['string', { enum: [false] }] }, timezone: 'string', fiscalYearStartMonth: 'integer', liveNow: 'boolean', weekStart: 'string',
    links: { array: { required: { title: 'string', type: { enum: ['dashboards', 'link'] } }, optional: { tags: { array: 'string' }, url: 'string', asDropdown: 'boolean', includeVars: 'boolean', keepTime: 'boolean', targetBlank: 'boolean', icon: 'string', tooltip: 'string' } } },
    templating: { required: { list: { array: VARIABLE } } },
    timepicker: 'object',
  },
};

/** Problems of `value` against `schema`, each with its JSON path. Unknown keys are reported too. */
function validate(value: unknown, schema: Schema, path: string): string[] {
  const type = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (schema === 'any') return [];
  if (schema === 'integer') return Number.isInteger(value) ? [] : [`${path}: ${JSON.stringify(value)} is not an integer`];
  if (typeof schema === 'string') {
    return type(value) === schema ? [] : [`${path}: ${type(value)} where a ${schema} belongs`];
  }
  if ('enum' in schema) return schema.enum.includes(value as never) ? [] : [`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  if ('anyOf' in schema) {
    const each = schema.anyOf.map((s) => validate(value, s, path));
    return each.some((e) => !e.length) ? [] : each[0]!;
  }
  if ('array' in schema) {
    if (!Array.isArray(value)) return [`${path}: ${type(value)} where an array belongs`];
    const short = value.length < (schema.minItems ?? 0) ? [`${path}: fewer than ${schema.minItems} items`] : [];
    return [...short, ...value.flatMap((v, i) => validate(v, schema.array, `${path}[${i}]`))];
  }
  if (type(value) !== 'object') return [`${path}: ${type(value)} where an object belongs`];
  const obj = value as Record<string, unknown>;
  const known = { ...schema.optional, ...schema.required };
  return [
    ...Object.keys(schema.required ?? {}).filter((k) => !(k in obj)).map((k) => `${path}.${k}: missing`),
    ...Object.entries(obj).flatMap(([k, v]) => (k in known ? validate(v, known[k]!, `${path}.${k}`) : [`${path}.${k}: unknown key`])),
  ];
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

  it('follow the dashboard schema: required fields, types, known panel types and units, no unknown keys', () => {
    const problems = files.flatMap(({ file, dashboard }) => validate(dashboard, DASHBOARD_SCHEMA, file));
    assert.deepEqual(problems, [], 'dashboard JSON against the schema of this test');
    for (const { file, dashboard } of files) {
      for (const p of allPanels(dashboard)) {
        const where = `${file}: panel "${p.title}"`;
        if (p.type === 'row') {
          assert.ok(!p.targets && !p.datasource, `${where}: a row has no data source or targets`);
          // An open row lists no panels (they follow it on the grid); a collapsed one holds them.
          if (!p.collapsed) assert.deepEqual(p.panels ?? [], [], `${where}: an open row keeps its panels on the grid, not inside it`);
        } else {
          assert.equal(p.panels, undefined, `${where}: only rows hold panels`);
          assert.ok(p.datasource && p.targets?.length, `${where}: a data source and targets`);
          const refIds = p.targets!.map((t) => t.refId);
          assert.equal(new Set(refIds).size, refIds.length, `${where}: unique refIds ${refIds.join(', ')}`);
        }
      }
      const vars = (dashboard.templating?.list ?? []).map((v) => v.name);
      assert.equal(new Set(vars).size, vars.length, `${file}: unique variable names`);
      for (const v of vars) assert.ok(!(v in BUILTINS) && /^[A-Za-z_]\w*$/.test(v), `${file}: variable name ${v}`);
      // The README promises that every dashboard links to the others by tag.
      assert.ok(dashboard.tags?.includes('shopfloor'), `${file}: tag shopfloor`);
      assert.ok(dashboard.links?.some((l) => l.type === 'dashboards' && l.tags?.includes('shopfloor')), `${file}: a dashboards link by tag shopfloor`);
    }
  });

  it('refer to data sources by a provisioned uid of the right type everywhere: panels, targets, annotations, variables', () => {
    const types = datasourceTypes();
    for (const { file, dashboard } of files) {
      const refs: [string, DatasourceRef | undefined][] = [
        ...allPanels(dashboard).filter((p) => p.type !== 'row').flatMap((p): [string, DatasourceRef | undefined][] => [
          [`panel "${p.title}"`, p.datasource],
          ...(p.targets ?? []).filter((t) => t.datasource).map((t): [string, DatasourceRef | undefined] => [`panel "${p.title}" target ${t.refId}`, t.datasource]),
        ]),
        ...(dashboard.annotations?.list ?? []).map((a): [string, DatasourceRef | undefined] => [`annotation "${a.name}"`, a.datasource]),
        ...(dashboard.templating?.list ?? []).filter((v) => v.type === 'query').map((v): [string, DatasourceRef | undefined] => [`variable $${v.name}`, v.datasource]),
      ];
      for (const [where, ref] of refs) {
        assert.ok(ref?.uid && types.has(ref.uid), `${file}: ${where} refers to data source ${JSON.stringify(ref)}, provisioned are ${[...types.keys()].join(', ')}`);
        assert.equal(ref.type, types.get(ref.uid), `${file}: ${where}: data source ${ref.uid} is provisioned with type ${types.get(ref.uid)}`);
      }
      // A Prometheus annotation needs an expression; the built-in one is Grafana's own.
      for (const a of dashboard.annotations?.list ?? []) {
        if (a.datasource?.type === 'prometheus') assert.ok(a.expr?.trim(), `${file}: annotation "${a.name}" has an expr`);
        else assert.equal(a.builtIn, 1, `${file}: annotation "${a.name}" from ${a.datasource?.uid} is the built-in one`);
      }
    }
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

/** The panel whose target has exemplars (a dot opens its trace in Jaeger). */
const EXEMPLAR_PANEL_PREFIX = 'p99 latency with exemplars';

// --- Against the running stack -----------------------------------------------------------------

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
    reason: 'otelcol_exporter_send_failed_spans exists only once an export failed for good, i.e. after the exporter retried for 5 minutes (retry_on_failure max_elapsed_time): longer than this test',
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
      signal: AbortSignal.timeout(10_000),
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

describe('Grafana dashboard queries against the running stack', () => {
  const files = loadDashboards();
  const all = queries(files);
  let stack: Stack;
  let prom: PrometheusClient;
  let traffic: Traffic | undefined;
  let pgLocks: PgLockFault | undefined;

  before(async () => {
    stack = await stackUp({ fastAlerting: true });
    prom = new PrometheusClient(stack.endpoints.prometheus);
    traffic = new Traffic(stack);
    await traffic.start();
  });

  after(async () => {
    await traffic?.stop();
    await pgLocks?.stop();
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
    await stack.stopComponent('rabbitmq');
    const brokerLeft = await untilEachPasses('queries lit by broker-down', listed('broker-down'), 90_000, lit);
    const left = new Map([...queuesLeft, ...(await others), ...brokerLeft]);
    assert.equal(left.size, 0, `${left.size} of ${faulted.length} queries listed with a fault never showed it (traffic: ${traffic?.describe()}):${report(left, faulted)}`);
  });
});

/**
 * The Grafana provisioning of compose/grafana (Grafana itself runs only in compose), read as its
 * files: the dashboards, their panels, the PromQL of every panel, annotation and variable, the
 * variables substituted as Grafana does, and the provisioned data sources and dashboard providers.
 * The unit tests check the files with it; the e2e dashboards scenario runs the queries.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '@shopfloor/stack-contract';

const GRAFANA_DIR = join(repoRoot, 'compose', 'grafana');
const DASHBOARDS_DIR = join(GRAFANA_DIR, 'dashboards');
const DATASOURCES_FILE = join(GRAFANA_DIR, 'provisioning', 'datasources', 'datasources.yaml');
const PROVIDERS_FILE = join(GRAFANA_DIR, 'provisioning', 'dashboards', 'dashboards.yaml');

/** Grafana's built-in variables, as a 15 s scrape interval makes them for a 1 h dashboard. */
export const BUILTINS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '1m',
  __interval_ms: '60000',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
};

export interface DatasourceRef { type?: string; uid?: string }
export interface Target { refId?: string; expr?: string; legendFormat?: string; datasource?: DatasourceRef }
export interface Panel {
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
export interface Variable { name: string; type: string; query?: string | { query?: string }; includeAll?: boolean; multi?: boolean; allValue?: string; datasource?: DatasourceRef }
export interface Annotation { name: string; expr?: string; datasource?: DatasourceRef; builtIn?: number }
export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  tags?: string[];
  links?: { type?: string; tags?: string[] }[];
  templating?: { list: Variable[] };
  annotations?: { list: Annotation[] };
}
export interface DashboardFile { file: string; dir: string; dashboard: Dashboard }

/** One PromQL expression of a dashboard, with where it came from (for failure messages). */
export interface Expression { where: string; expr: string; panel?: Panel; target?: Target }

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

export function loadDashboards(): DashboardFile[] {
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
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function variableQuery(v: Variable): string | undefined {
  return typeof v.query === 'string' ? v.query : v.query?.query;
}

/**
 * A template variable's query as PromQL: what Grafana's Prometheus data source runs for
 * `label_values(expr, label)` is a series look-up, `group by (label) (expr)` selects the same.
 */
export function variablePromQL(v: Variable): string {
  const q = (variableQuery(v) ?? '').trim();
  let m = /^label_values\((.+),\s*(\w+)\s*\)$/s.exec(q);
  if (m) return `group by (${m[2]}) (${m[1]})`;
  m = /^label_values\(\s*(\w+)\s*\)$/.exec(q);
  if (m) return `group by (${m[1]}) ({${m[1]}!=""})`;
  m = /^query_result\((.+)\)$/s.exec(q);
  if (m) return m[1]!;
  throw new Error(`variable ${v.name}: query ${JSON.stringify(q)} is not label_values(...) or query_result(...), which the e2e dashboards test can run`);
}

export function expressions(d: Dashboard): Expression[] {
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

export function referencedVariables(expr: string): string[] {
  return [...expr.matchAll(VARIABLE_REF)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** Replaces variables as Grafana does before the query reaches Prometheus. */
export function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(VARIABLE_REF, (whole, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c!;
    const value = BUILTINS[name] ?? values[name];
    if (value === undefined) throw new Error(`no value for ${whole}`);
    return value;
  });
}

/** A selected value inside a PromQL regex matcher, escaped the way Grafana escapes it. */
export function regexValue(value: string): string {
  return value.replace(/[\\^$*+?.()|{}[\]]/g, '\\\\$&');
}

/** The "All" selection of every variable of a dashboard. */
export function allValues(d: Dashboard): Record<string, string> {
  return Object.fromEntries((d.templating?.list ?? []).map((v) => [v.name, v.allValue ?? '.*']));
}

interface DatasourcesFile {
  datasources: Array<{ uid?: string; type?: string; name?: string; jsonData?: { exemplarTraceIdDestinations?: Array<{ name?: string; datasourceUid?: string }> } }>;
}
export interface ProvidersFile {
  providers: Array<{ name?: string; folder?: string; folderUid?: string; type?: string; options?: { path?: string } }>;
}

/** A provisioning file, parsed as YAML; fails naming the file if it is not what Grafana reads. */
function readYaml<T>(file: string, topKey: string): T {
  const doc = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  assert.ok(doc && Array.isArray(doc[topKey]), `${relative(GRAFANA_DIR, file)} has a top-level ${topKey} list`);
  return doc as T;
}

function datasources(): DatasourcesFile['datasources'] {
  return readYaml<DatasourcesFile>(DATASOURCES_FILE, 'datasources').datasources;
}

/** `uid` of every provisioned data source. */
export function datasourceUids(): string[] {
  return datasources().map((d) => d.uid ?? '(no uid)');
}

/** Provisioned data source type by uid, plus Grafana's built-in annotation source. */
export function datasourceTypes(): Map<string, string> {
  const types = new Map(datasources().map((d) => [d.uid ?? '(no uid)', d.type ?? '(no type)']));
  types.set('-- Grafana --', 'grafana');
  return types;
}

/** The exemplar label the Prometheus data source turns into a link to the Jaeger data source. */
export function exemplarTraceIdLabel(): string {
  const prometheus = datasources().find((d) => d.type === 'prometheus');
  const link = prometheus?.jsonData?.exemplarTraceIdDestinations?.find((e) => e.datasourceUid === 'jaeger');
  assert.ok(link?.name, 'datasources.yaml links an exemplar label of the Prometheus data source to datasourceUid: jaeger');
  return link.name;
}

/** The dashboard providers: which folder of the Grafana container goes into which Grafana folder. */
export function dashboardProviders(): ProvidersFile['providers'] {
  return readYaml<ProvidersFile>(PROVIDERS_FILE, 'providers').providers;
}

/**
 * A schema of Grafana's dashboard JSON: what Grafana 11.6 needs to load a file and what the
 * dashboards of compose/grafana rely on. Grafana ignores what it does not know, so a misspelt key
 * or a value of the wrong type is silently dropped; checked against this, it is caught in the file.
 */

export type Schema =
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
export const DASHBOARD_SCHEMA: Schema = {
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
export function validate(value: unknown, schema: Schema, path: string): string[] {
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

/**
 * The Grafana dashboard files of compose/grafana and their provisioning, checked as files
 * (structure, data source references, units, variables, providers): no stack needed. The e2e
 * dashboards scenario runs every query of them against Prometheus.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DASHBOARD_SCHEMA, validate } from './dashboard-schema';
import {
  allPanels, BUILTINS, dashboardProviders, datasourceTypes, datasourceUids, expressions, loadDashboards, referencedVariables,
  type DatasourceRef,
} from './dashboards';

/** Where compose mounts compose/grafana/dashboards in the Grafana container. */
const CONTAINER_DASHBOARDS_DIR = '/etc/grafana/dashboards';

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
    const providers = dashboardProviders();
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
    // expressions() throws on a variable query the e2e scenario could not turn into PromQL.
    for (const { dashboard } of files) assert.ok(expressions(dashboard).length > 0);
  });
});

/**
 * The shipped monitoring configuration, checked by the tools that will run it: promtool
 * (config, rules, rule unit tests in compose/prometheus/tests) and amtool (Alertmanager config,
 * routing). Plus the conventions every alert must follow: severity and service labels, summary,
 * description, a runbook section, a unit test that fires and one that must not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { configPaths, repoRoot } from '@shopfloor/stack-contract';
import { renderForLoopback } from './components/prometheus';
import { renderAlertmanagerConfig } from './components/alertmanager';

const run = promisify(execFile);
const PROMTOOL = '/usr/bin/promtool';
const AMTOOL = '/usr/bin/amtool';

/** Runs a tool; on failure the assertion message carries its whole output. */
async function tool(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd: repoRoot, maxBuffer: 16 << 20 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { code?: string | number; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') assert.fail(`${cmd} is missing: run \`npm run setup\` (Debian packages prometheus, prometheus-alertmanager)`);
    assert.fail(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

const files = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yml')).sort().map((f) => join(dir, f));
const ruleFiles = files(configPaths.prometheusRules);
const testFiles = files(configPaths.prometheusRuleTests);

interface AlertRule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
const alertRules: AlertRule[] = ruleFiles.flatMap((f) =>
  (parse(readFileSync(f, 'utf8')).groups as { rules: (AlertRule | { record: string })[] }[]).flatMap((g) =>
    g.rules.filter((r): r is AlertRule => 'alert' in r),
  ),
);

interface AlertTest { alertname: string; exp_alerts?: { exp_labels?: Record<string, string> }[] }
const alertTests: AlertTest[] = testFiles.flatMap((f) =>
  (parse(readFileSync(f, 'utf8')).tests as { alert_rule_test?: AlertTest[] }[]).flatMap((t) => t.alert_rule_test ?? []),
);

test('promtool check config: the shipped Prometheus config and its native rendering', async () => {
  await tool(PROMTOOL, ['check', 'config', configPaths.prometheus]);
  const dir = mkdtempSync(join(tmpdir(), 'shopfloor-prom-'));
  try {
    const rendered = join(dir, 'prometheus.yml');
    writeFileSync(rendered, renderForLoopback(readFileSync(configPaths.prometheus, 'utf8'), dirname(configPaths.prometheus), { evaluationInterval: '5s' }));
    await tool(PROMTOOL, ['check', 'config', rendered]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('promtool check rules: every rule file', async () => {
  assert.ok(ruleFiles.length > 0, `no rule files in ${configPaths.prometheusRules}`);
  const out = await tool(PROMTOOL, ['check', 'rules', ...ruleFiles]);
  assert.doesNotMatch(out, /FAILED/);
});

test('promtool test rules: the unit tests of the alerts', async () => {
  assert.ok(testFiles.length > 0, `no rule tests in ${configPaths.prometheusRuleTests}`);
  const out = await tool(PROMTOOL, ['test', 'rules', ...testFiles]);
  assert.doesNotMatch(out, /FAILED/);
});

test('every alert has a unit test case that fires and one that must not', () => {
  assert.ok(alertRules.length >= 20, `only ${alertRules.length} alerts found`);
  for (const { alert } of alertRules) {
    const cases = alertTests.filter((t) => t.alertname === alert);
    assert.ok(cases.some((c) => (c.exp_alerts ?? []).length > 0), `${alert}: no test case where it fires`);
    assert.ok(cases.some((c) => (c.exp_alerts ?? []).length === 0), `${alert}: no test case where it must stay quiet`);
  }
  const known = new Set(alertRules.map((r) => r.alert));
  for (const t of alertTests) assert.ok(known.has(t.alertname), `a test names ${t.alertname}, which is no alert`);
});

test('every alert has severity and service labels, summary, description and a runbook section', () => {
  const runbooks = readFileSync(join(repoRoot, 'docs', 'runbooks.md'), 'utf8');
  for (const rule of alertRules) {
    const fired = alertTests.filter((t) => t.alertname === rule.alert).flatMap((t) => t.exp_alerts ?? []);
    for (const a of fired) {
      assert.match(a.exp_labels?.severity ?? '', /^(critical|warning|ticket)$/, `${rule.alert}: severity`);
      assert.ok(a.exp_labels?.service, `${rule.alert}: the fired alert has a service label`);
    }
    assert.ok(rule.annotations?.summary, `${rule.alert}: summary`);
    assert.match(rule.annotations?.description ?? '', /\$value/, `${rule.alert}: the description shows the value`);
    assert.equal(rule.annotations?.runbook_url, `docs/runbooks.md#${rule.alert.toLowerCase()}`, `${rule.alert}: runbook_url`);
    assert.match(runbooks, new RegExp(`^## ${rule.alert}$`, 'm'), `${rule.alert}: docs/runbooks.md has no "## ${rule.alert}" section`);
    if (rule.for !== undefined) assert.match(rule.for, /^([0-9]+s|[0-5]m|[0-9]+m[0-9]+s)$/, `${rule.alert}: for ${rule.for} is longer than 5 m`);
  }
});

test('amtool check-config: the shipped Alertmanager config and its native rendering', async () => {
  await tool(AMTOOL, ['check-config', configPaths.alertmanager]);
  const dir = mkdtempSync(join(tmpdir(), 'shopfloor-am-'));
  try {
    const rendered = join(dir, 'alertmanager.yml');
    writeFileSync(rendered, renderAlertmanagerConfig(readFileSync(configPaths.alertmanager, 'utf8'), dirname(configPaths.alertmanager), { timing: { groupWait: '1s' } }));
    const out = await tool(AMTOOL, ['check-config', rendered]);
    assert.match(out, /1 templates/, 'the message templates are found from the rendered config too');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('alerts route by severity and service: critical to oncall, ticket to developers, CRM to support, the rest to operations', async () => {
  const route = async (labels: Record<string, string>) =>
    (await tool(AMTOOL, ['config', 'routes', 'test', `--config.file=${configPaths.alertmanager}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]))
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('Warning'))
      .join(',')
      .trim();
  const expected = (l: Record<string, string>) =>
    l.severity === 'critical' ? 'oncall' : l.severity === 'ticket' ? 'developers' : l.service === 'crm-api' ? 'support' : 'operations';
  const seen = new Map<string, Record<string, string>>();
  for (const t of alertTests) for (const a of t.exp_alerts ?? []) seen.set(`${t.alertname} ${a.exp_labels?.service}`, { alertname: t.alertname, ...a.exp_labels });
  for (const labels of seen.values()) {
    assert.equal(await route(labels), expected(labels), `${labels.alertname} (${labels.severity}, ${labels.service})`);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import { configPaths } from '@shopfloor/stack-contract';
import { renderForLoopback } from './prometheus';

test('the shipped Prometheus config is rewritten to loopback targets (scrape and Alertmanager), ports kept', () => {
  const source = readFileSync(configPaths.prometheus, 'utf8');
  const rendered = parse(renderForLoopback(source, dirname(configPaths.prometheus)));
  const original = parse(source);
  type Static = { static_configs: { targets: string[] }[] };
  const targets = (c: { scrape_configs: Static[]; alerting: { alertmanagers: Static[] } }) =>
    [...c.scrape_configs, ...c.alerting.alertmanagers].flatMap((j) => j.static_configs.flatMap((s) => s.targets));
  const before = targets(original);
  const after = targets(rendered);
  assert.equal(after.length, before.length);
  after.forEach((t, i) => {
    assert.match(t, /^127\.0\.0\.1:\d+$/);
    assert.equal(t.split(':')[1], before[i]!.split(':')[1]);
  });
});

test('every scrape target carries service and instance labels; instance is the compose address', () => {
  const config = parse(readFileSync(configPaths.prometheus, 'utf8'));
  for (const job of config.scrape_configs) {
    for (const sc of job.static_configs) {
      for (const target of sc.targets) {
        assert.ok(sc.labels?.service, `${job.job_name} ${target} has a service label`);
        assert.equal(sc.labels?.instance, target, `${job.job_name} ${target}: instance is the compose address`);
      }
    }
  }
});

test('the e2e evaluation interval replaces the global one only', () => {
  const source = readFileSync(configPaths.prometheus, 'utf8');
  const rendered = parse(renderForLoopback(source, dirname(configPaths.prometheus), { evaluationInterval: '5s' }));
  assert.equal(rendered.global.evaluation_interval, '5s');
  assert.equal(rendered.global.scrape_interval, parse(source).global.scrape_interval);
});

test('relative rule files resolve against the original config folder', () => {
  const rendered = parse(renderForLoopback('rule_files: ["rules/*.yml"]\n', '/etc/prom'));
  assert.deepEqual(rendered.rule_files, ['/etc/prom/rules/*.yml']);
});

test('basic_auth (compose only: its password files exist there) is dropped from every scrape job and Alertmanager', () => {
  const source = readFileSync(configPaths.prometheus, 'utf8');
  type Client = { job_name?: string; basic_auth?: unknown };
  const clients = (c: { scrape_configs: Client[]; alerting: { alertmanagers: Client[] } }) => [...c.scrape_configs, ...c.alerting.alertmanagers];
  const original = clients(parse(source));
  assert.ok(original.some((c) => c.basic_auth), 'the shipped config authenticates to Prometheus and Alertmanager (compose)');
  for (const c of clients(parse(renderForLoopback(source, dirname(configPaths.prometheus))))) {
    assert.equal(c.basic_auth, undefined, `${c.job_name ?? 'alertmanager'} still has basic_auth`);
  }
});

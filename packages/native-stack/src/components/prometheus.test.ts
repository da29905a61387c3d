import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import { configPaths } from '../paths';
import { renderForLoopback } from './prometheus';

test('the shipped Prometheus config is rewritten to loopback targets, ports kept', () => {
  const source = readFileSync(configPaths.prometheus, 'utf8');
  const rendered = parse(renderForLoopback(source, dirname(configPaths.prometheus)));
  const original = parse(source);
  const targets = (c: { scrape_configs: { static_configs: { targets: string[] }[] }[] }) =>
    c.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets));
  const before = targets(original);
  const after = targets(rendered);
  assert.equal(after.length, before.length);
  after.forEach((t, i) => {
    assert.match(t, /^127\.0\.0\.1:\d+$/);
    assert.equal(t.split(':')[1], before[i]!.split(':')[1]);
  });
});

test('relative rule files resolve against the original config folder', () => {
  const rendered = parse(renderForLoopback('rule_files: ["rules/*.yml"]\n', '/etc/prom'));
  assert.deepEqual(rendered.rule_files, ['/etc/prom/rules/*.yml']);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import { configPaths } from '@shopfloor/stack-contract';
import { renderAlertmanagerConfig } from './alertmanager';

const source = readFileSync(configPaths.alertmanager, 'utf8');
const dir = dirname(configPaths.alertmanager);
type Route = { receiver?: string; group_wait?: string; group_interval?: string; repeat_interval?: string; routes?: Route[] };
const urls = (c: { receivers: { webhook_configs?: { url: string }[] }[] }) =>
  c.receivers.flatMap((r) => (r.webhook_configs ?? []).map((w) => w.url));

test('the shipped Alertmanager config is rewritten to loopback webhooks, ports and paths kept', () => {
  const before = urls(parse(source));
  const after = urls(parse(renderAlertmanagerConfig(source, dir)));
  assert.ok(before.length >= 4, 'one webhook per receiver');
  assert.equal(after.length, before.length);
  after.forEach((u, i) => {
    const a = new URL(u);
    const b = new URL(before[i]!);
    assert.equal(a.hostname, '127.0.0.1');
    assert.equal(a.port, b.port);
    assert.equal(a.pathname, b.pathname);
  });
});

test("a test's webhook base replaces scheme, host and port and keeps each receiver's path", () => {
  const after = urls(parse(renderAlertmanagerConfig(source, dir, { webhookBase: 'http://127.0.0.1:40123/hook/' })));
  const before = urls(parse(source));
  after.forEach((u, i) => assert.equal(u, `http://127.0.0.1:40123/hook${new URL(before[i]!).pathname}`));
});

test('timing overrides reach the root and every route that sets its own; templates resolve against the config folder', () => {
  const rendered = parse(renderAlertmanagerConfig(source, dir, { timing: { groupWait: '1s', groupInterval: '5s', repeatInterval: '1m' } }));
  const route = rendered.route as Route;
  assert.equal(route.group_wait, '1s');
  assert.equal(route.group_interval, '5s');
  assert.equal(route.repeat_interval, '1m');
  const walk = (r: Route): Route[] => [r, ...(r.routes ?? []).flatMap(walk)];
  for (const r of walk(route)) {
    for (const v of [r.group_wait, r.group_interval, r.repeat_interval]) if (v !== undefined) assert.match(v, /^(1s|5s|1m)$/);
  }
  for (const t of rendered.templates as string[]) assert.ok(t.startsWith(dir), `${t} is absolute under ${dir}`);
});

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { configPaths, httpHealthy, LOOPBACK, ports, type AlertTiming } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';

export interface AlertmanagerRenderOptions {
  /**
   * Where webhooks go instead of the config's host: scheme, host and port are replaced, the
   * receiver's path is kept (e.g. `http://127.0.0.1:40123` → `http://127.0.0.1:40123/support`).
   * Default: the config's URL with its host rewritten to loopback.
   */
  webhookBase?: string;
  timing?: AlertTiming;
}

interface Route {
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
}
interface AlertmanagerConfig {
  route?: Route;
  receivers?: { name: string; webhook_configs?: { url?: string }[] }[];
  templates?: string[];
}

/**
 * The native stack's view of the one Alertmanager config (compose/alertmanager/alertmanager.yml):
 * webhook hosts become loopback (or `webhookBase`), template paths resolve against the original
 * folder, and `timing` (if given) replaces the timing of every route.
 */
export function renderAlertmanagerConfig(source: string, sourceDir: string, opts: AlertmanagerRenderOptions = {}): string {
  const config = parse(source) as AlertmanagerConfig;
  const base = opts.webhookBase ? new URL(opts.webhookBase) : undefined;
  for (const receiver of config.receivers ?? []) {
    for (const hook of receiver.webhook_configs ?? []) {
      if (!hook.url) continue;
      const url = new URL(hook.url);
      if (base) {
        url.protocol = base.protocol;
        url.host = base.host;
        url.pathname = base.pathname.replace(/\/$/, '') + url.pathname;
      } else {
        url.hostname = LOOPBACK;
      }
      hook.url = url.toString();
    }
  }
  config.templates = config.templates?.map((t) => (isAbsolute(t) ? t : resolve(sourceDir, t)));
  const timing = opts.timing;
  if (timing && config.route) {
    const walk = (route: Route, root: boolean) => {
      for (const [key, value] of [
        ['group_wait', timing.groupWait],
        ['group_interval', timing.groupInterval],
        ['repeat_interval', timing.repeatInterval],
      ] as const) {
        if (value !== undefined && (root || route[key] !== undefined)) route[key] = value;
      }
      route.routes?.forEach((r) => walk(r, false));
    };
    walk(config.route, true);
  }
  return stringify(config);
}

export function alertmanager(stateDir: string, opts: AlertmanagerRenderOptions = {}): ComponentSpec {
  const dir = join(stateDir, 'alertmanager');
  const rendered = join(dir, 'alertmanager.yml');
  return {
    name: 'alertmanager',
    command: '/usr/bin/prometheus-alertmanager',
    args: [
      `--config.file=${rendered}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=${LOOPBACK}:${ports.alertmanager}`,
      // One instance: no gossip cluster (it would listen on 0.0.0.0:9094).
      '--cluster.listen-address=',
    ],
    ports: { http: ports.alertmanager },
    async prepare() {
      mkdirSync(dir, { recursive: true });
      writeFileSync(rendered, renderAlertmanagerConfig(readFileSync(configPaths.alertmanager, 'utf8'), dirname(configPaths.alertmanager), opts));
    },
    healthy: () => httpHealthy(`http://${LOOPBACK}:${ports.alertmanager}/-/ready`),
  };
}

/** The alert webhook (compose/alertmanager/webhook-log.js): logs every notification. */
export function alertWebhook(): ComponentSpec {
  return {
    name: 'alert-webhook',
    command: process.execPath,
    args: [configPaths.alertWebhook],
    env: { ALERT_WEBHOOK_HOST: LOOPBACK, ALERT_WEBHOOK_PORT: String(ports.alertWebhook) },
    ports: { http: ports.alertWebhook },
    healthy: () => httpHealthy(`http://${LOOPBACK}:${ports.alertWebhook}/`),
  };
}

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { configPaths, httpHealthy, LOOPBACK, ports } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';

interface StaticConfig { targets?: string[] }
interface HttpClient { static_configs?: StaticConfig[]; basic_auth?: unknown }
interface PromConfig {
  global?: { evaluation_interval?: string };
  scrape_configs?: HttpClient[];
  alerting?: { alertmanagers?: HttpClient[] };
  rule_files?: string[];
}

export interface PrometheusRenderOptions {
  /** Replaces global.evaluation_interval (the e2e stack evaluates the shipped rules every 5 s). */
  evaluationInterval?: string;
}

/**
 * The native stack's view of the one Prometheus config: every target host (scrape and
 * Alertmanager) becomes loopback (ports are identical, docs/ports.md), rule files resolve
 * against the original folder, and basic_auth blocks are dropped: in compose, Prometheus and
 * Alertmanager require a password (their web.config.file, compose/auth/render.sh) whose files
 * exist only there; natively both listen on 127.0.0.1 without authentication.
 */
export function renderForLoopback(source: string, sourceDir: string, opts: PrometheusRenderOptions = {}): string {
  const config = parse(source) as PromConfig;
  if (opts.evaluationInterval) config.global = { ...config.global, evaluation_interval: opts.evaluationInterval };
  const rewrite = (sc: StaticConfig) => {
    sc.targets = sc.targets?.map((t) => `${LOOPBACK}:${t.slice(t.lastIndexOf(':') + 1)}`);
  };
  const loopback = (client: HttpClient) => {
    client.static_configs?.forEach(rewrite);
    delete client.basic_auth;
  };
  config.scrape_configs?.forEach(loopback);
  config.alerting?.alertmanagers?.forEach(loopback);
  config.rule_files = config.rule_files?.map((f) => (isAbsolute(f) ? f : resolve(sourceDir, f)));
  return stringify(config);
}

export function prometheus(stateDir: string, opts: PrometheusRenderOptions = {}): ComponentSpec {
  const dir = join(stateDir, 'prometheus');
  const rendered = join(dir, 'prometheus.yml');
  return {
    name: 'prometheus',
    command: '/usr/bin/prometheus',
    args: [
      `--config.file=${rendered}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${LOOPBACK}:${ports.prometheus}`,
      '--web.enable-lifecycle',
      // Keeps the span metrics' exemplars: a latency bucket links to a trace id.
      '--enable-feature=exemplar-storage',
    ],
    ports: { http: ports.prometheus },
    async prepare() {
      mkdirSync(dir, { recursive: true });
      writeFileSync(rendered, renderForLoopback(readFileSync(configPaths.prometheus, 'utf8'), dirname(configPaths.prometheus), opts));
    },
    healthy: () => httpHealthy(`http://${LOOPBACK}:${ports.prometheus}/-/ready`),
  };
}

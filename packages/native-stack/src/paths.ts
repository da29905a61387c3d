import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root: this file runs from packages/native-stack/dist. */
export const repoRoot = resolve(__dirname, '..', '..', '..');

export const configPaths = {
  collector: join(repoRoot, 'otel-collector', 'config.yaml'),
  jaeger: join(repoRoot, 'compose', 'jaeger', 'config.yaml'),
  prometheus: join(repoRoot, 'compose', 'prometheus', 'prometheus.yml'),
  prometheusRules: join(repoRoot, 'compose', 'prometheus', 'rules'),
  prometheusRuleTests: join(repoRoot, 'compose', 'prometheus', 'tests'),
  alertmanager: join(repoRoot, 'compose', 'alertmanager', 'alertmanager.yml'),
  alertWebhook: join(repoRoot, 'compose', 'alertmanager', 'webhook-log.js'),
  postgresExporterQueries: join(repoRoot, 'compose', 'postgres-exporter', 'queries.yaml'),
  postgresInit: join(repoRoot, 'compose', 'postgres', 'init.sql'),
  rabbitmqConf: join(repoRoot, 'compose', 'rabbitmq', 'rabbitmq.conf'),
  rabbitmqPlugins: join(repoRoot, 'compose', 'rabbitmq', 'enabled_plugins'),
};

export interface Tools {
  otelcol: string;
  jaeger: string;
  minio: string;
  victorialogs: string;
}

/** Binaries built by `npm run setup` (cached outside the repo; their paths are recorded here). */
export function readTools(): Tools {
  const file = join(repoRoot, '.run', 'tools.json');
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run setup\` first (it builds the Collector and Jaeger).`);
  }
  const tools = JSON.parse(readFileSync(file, 'utf8')) as Tools;
  // A tools.json from before a tool was added lacks its key: setup builds and records it.
  for (const name of ['otelcol', 'jaeger', 'minio', 'victorialogs'] as const) {
    if (typeof tools[name] !== 'string') throw new Error(`${file} has no ${name} binary: run \`npm run setup\` again.`);
  }
  for (const [name, path] of Object.entries(tools)) {
    if (!existsSync(path)) throw new Error(`${name} binary ${path} is gone: run \`npm run setup\` again.`);
  }
  return tools;
}

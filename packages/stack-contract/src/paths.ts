import { join, resolve } from 'node:path';

/** The repository root: this file runs from packages/stack-contract/dist. */
export const repoRoot = resolve(__dirname, '..', '..', '..');

/** The configs both runners use (compose mounts the same files; the native runner renders some). */
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

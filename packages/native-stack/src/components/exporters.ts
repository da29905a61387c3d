import { configPaths, httpHealthy, LOOPBACK, ports } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';
import { PG_PASSWORD, PG_USER } from './postgres';

/** node_exporter: CPU, memory, disk and network of this machine (job `node`). */
export function nodeExporter(): ComponentSpec {
  return {
    name: 'node-exporter',
    command: '/usr/bin/prometheus-node-exporter',
    args: [`--web.listen-address=${LOOPBACK}:${ports.nodeExporter}`],
    ports: { http: ports.nodeExporter },
    healthy: () => httpHealthy(`http://${LOOPBACK}:${ports.nodeExporter}/metrics`),
  };
}

/**
 * postgres_exporter 0.11 (job `postgres`): one connection to the stack's PostgreSQL sees every
 * database (shop, crm, mes) through the cluster-wide statistics views; the custom queries add
 * connections by application and user, lock waits and time per database.
 */
export function postgresExporter(): ComponentSpec {
  return {
    name: 'postgres-exporter',
    command: '/usr/bin/prometheus-postgres-exporter',
    args: [`--web.listen-address=${LOOPBACK}:${ports.postgresExporter}`, `--extend.query-path=${configPaths.postgresExporterQueries}`],
    env: {
      DATA_SOURCE_NAME: `postgresql://${PG_USER}:${PG_PASSWORD}@${LOOPBACK}:${ports.postgres}/postgres?sslmode=disable`,
    },
    ports: { http: ports.postgresExporter },
    healthy: () => httpHealthy(`http://${LOOPBACK}:${ports.postgresExporter}/metrics`),
  };
}

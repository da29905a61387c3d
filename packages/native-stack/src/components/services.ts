import { join } from 'node:path';
import { COLLECTOR_OTLP_HTTP_URL, DEV_PARTNER, httpHealthy, LOOPBACK, ports, repoRoot, type ServiceName } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';
import { databaseUrl } from './postgres';
import { S3_CREDENTIALS, s3Endpoint } from './minio';
import { amqpUrl } from './rabbitmq';

const layout: Record<ServiceName, { http: number; metrics: number; db: string }> = {
  'shop-api': { http: ports.shopApi, metrics: ports.shopApiMetrics, db: 'shop' },
  'crm-api': { http: ports.crmApi, metrics: ports.crmApiMetrics, db: 'crm' },
  'mes-api': { http: ports.mesApi, metrics: ports.mesApiMetrics, db: 'mes' },
};

export const serviceNames = Object.keys(layout) as ServiceName[];

export function serviceUrl(name: ServiceName): string {
  return `http://${LOOPBACK}:${layout[name].http}`;
}

export function serviceMetricsUrl(name: ServiceName): string {
  return `http://${LOOPBACK}:${layout[name].metrics}/metrics`;
}

/**
 * A reference service, instrumented only by the preload: `node --require @shopfloor/otel-bootstrap`.
 * `extraEnv` lets tests switch on the services' documented fault hooks.
 */
export function service(name: ServiceName, extraEnv: Record<string, string> = {}): ComponentSpec {
  const { http, metrics, db } = layout[name];
  return {
    name,
    command: process.execPath,
    args: ['--require', '@shopfloor/otel-bootstrap', join(repoRoot, 'packages', name, 'dist', 'server.js')],
    cwd: repoRoot,
    env: {
      OTEL_SERVICE_NAME: name,
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=native',
      OTEL_EXPORTER_OTLP_ENDPOINT: COLLECTOR_OTLP_HTTP_URL,
      // Short batch delay so a trace is in Jaeger about a second after the request.
      OTEL_BSP_SCHEDULE_DELAY: '500',
      // pino records go to the Collector's logs pipeline (and on to VictoriaLogs) as well as to
      // stdout (the component log); trace ids in both.
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_BLRP_SCHEDULE_DELAY: '500',
      OTEL_EXPORTER_PROMETHEUS_HOST: LOOPBACK,
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metrics),
      PORT: String(http),
      DATABASE_URL: databaseUrl(db),
      // application_name of its PostgreSQL connections: connections by application (pg_connections_count).
      PGAPPNAME: name,
      AMQP_URL: amqpUrl,
      CRM_URL: serviceUrl('crm-api'),
      MES_URL: serviceUrl('mes-api'),
      MES_PARTNER_KEYS: `${DEV_PARTNER.id}:${DEV_PARTNER.key}`,
      S3_ENDPOINT: s3Endpoint,
      S3_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      // The URLs and keys above are the secrets: a password or secret file the supervisor's own
      // environment holds (children inherit it) would be a second source, refused at start.
      // Empty counts as unset.
      ...Object.fromEntries(['DATABASE_PASSWORD', 'DATABASE_PASSWORD_FILE', 'AMQP_PASSWORD', 'AMQP_PASSWORD_FILE', 'S3_SECRET_ACCESS_KEY_FILE', 'MES_PARTNER_KEYS_FILE'].map((name) => [name, ''])),
      ...extraEnv,
    },
    ports: { http, metrics },
    healthy: () => httpHealthy(`${serviceUrl(name)}/healthz`),
  };
}

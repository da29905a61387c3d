import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { httpHealthy, LOOPBACK, ports } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';

/**
 * Retention of the log store, the same natively and in compose (compose/docker-compose.yaml):
 * entries older than `retentionPeriod` are dropped, and once the data directory outgrows
 * `maxDiskSpaceUsage` the oldest per-day partitions go first. VictoriaLogs v1.52.1 flags
 * `-retentionPeriod` and `-retention.maxDiskSpaceUsageBytes`.
 */
export const VICTORIALOGS_RETENTION = { retentionPeriod: '7d', maxDiskSpaceUsage: '2GiB' } as const;

export const victoriaLogsUrl = `http://${LOOPBACK}:${ports.victoriaLogs}`;

/** Base URL of its OTLP ingestion; the Collector's otlp_http exporter appends `/v1/logs`. */
export const victoriaLogsOtlpEndpoint = `${victoriaLogsUrl}/insert/opentelemetry`;

export interface VictoriaLogsArgs {
  listenHost: string;
  port: number;
  dataDir: string;
  retentionPeriod: string;
  maxDiskSpaceUsage: string;
}

/** The command line of `victoria-logs` (pure, unit-tested). */
export function victoriaLogsArgs(o: VictoriaLogsArgs): string[] {
  if (!/^\d+[hdwy]$/.test(o.retentionPeriod)) {
    // VictoriaLogs reads a bare number as months and refuses less than a day; be explicit.
    throw new Error(`retentionPeriod ${o.retentionPeriod}: give a number with a unit h, d, w or y (at least 1d)`);
  }
  if (!/^\d+(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/.test(o.maxDiskSpaceUsage)) {
    throw new Error(`maxDiskSpaceUsage ${o.maxDiskSpaceUsage}: give a size such as 512MiB or 2GiB (0 would mean no limit)`);
  }
  return [
    `-httpListenAddr=${o.listenHost}:${o.port}`,
    `-storageDataPath=${o.dataDir}`,
    `-retentionPeriod=${o.retentionPeriod}`,
    `-retention.maxDiskSpaceUsageBytes=${o.maxDiskSpaceUsage}`,
  ];
}

/**
 * VictoriaLogs: the log store. The Collector's logs pipeline writes to it over OTLP/HTTP
 * (`/insert/opentelemetry/v1/logs`); LogsQL queries on `/select/logsql/query`; its web UI (vmui,
 * embedded in the Go build) on `/select/vmui/`. Data in `<stateDir>/victorialogs`.
 */
export function victoriaLogs(binary: string, stateDir: string): ComponentSpec {
  const dataDir = join(stateDir, 'victorialogs');
  return {
    name: 'victorialogs',
    command: binary,
    args: victoriaLogsArgs({ listenHost: LOOPBACK, port: ports.victoriaLogs, dataDir, ...VICTORIALOGS_RETENTION }),
    ports: { http: ports.victoriaLogs },
    async prepare() {
      mkdirSync(dataDir, { recursive: true });
    },
    healthy: () => httpHealthy(`${victoriaLogsUrl}/health`),
  };
}

import { join } from 'node:path';
import { configPaths, httpHealthy, LOOPBACK, ports } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';
import { victoriaLogsOtlpEndpoint } from './victorialogs';

/** The Collector; its persistent sending queues in `<stateDir>/otel-collector` (file_storage). */
export function collector(binary: string, stateDir: string): ComponentSpec {
  return {
    name: 'otel-collector',
    command: binary,
    args: ['--config', configPaths.collector],
    env: {
      OTELCOL_BIND_HOST: LOOPBACK,
      JAEGER_OTLP_GRPC_ENDPOINT: `${LOOPBACK}:${ports.jaegerOtlpGrpc}`,
      VICTORIALOGS_OTLP_ENDPOINT: victoriaLogsOtlpEndpoint,
      OTELCOL_STORAGE_DIR: join(stateDir, 'otel-collector'),
    },
    ports: {
      'OTLP/gRPC': ports.collectorOtlpGrpc,
      'OTLP/HTTP': ports.collectorOtlpHttp,
      'span metrics': ports.collectorSpanMetrics,
      telemetry: ports.collectorTelemetry,
      health: ports.collectorHealth,
    },
    healthy: () => httpHealthy(`http://${LOOPBACK}:${ports.collectorHealth}/`),
  };
}

import { join } from 'node:path';
import { configPaths, httpHealthy, LOOPBACK, ports } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';

/** Jaeger; its traces in Badger under `<stateDir>/jaeger`, kept across restarts. */
export function jaeger(binary: string, stateDir: string): ComponentSpec {
  return {
    name: 'jaeger',
    command: binary,
    args: ['--config', configPaths.jaeger],
    env: {
      JAEGER_BIND_HOST: LOOPBACK,
      PROMETHEUS_SERVER_URL: `http://${LOOPBACK}:${ports.prometheus}`,
      JAEGER_BADGER_DIR: join(stateDir, 'jaeger'),
    },
    ports: {
      'OTLP/gRPC': ports.jaegerOtlpGrpc,
      'OTLP/HTTP': ports.jaegerOtlpHttp,
      query: ports.jaegerQuery,
      'query gRPC': ports.jaegerQueryGrpc,
      telemetry: ports.jaegerTelemetry,
      health: ports.jaegerHealth,
    },
    healthy: () => httpHealthy(`http://${LOOPBACK}:${ports.jaegerHealth}/status`),
  };
}

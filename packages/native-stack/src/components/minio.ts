import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { httpHealthy, LOOPBACK, ports } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';

/** Local development credentials of the S3 server; compose reads its own from the environment. */
export const S3_CREDENTIALS = { accessKeyId: 'shopfloor', secretAccessKey: 'shopfloor-dev-secret' };
export const s3Endpoint = `http://${LOOPBACK}:${ports.minioApi}`;

/** MinIO: the S3-compatible store of the shop's 3D model files, with bucket metrics for Prometheus. */
export function minio(binary: string, stateDir: string, extraEnv: Record<string, string> = {}): ComponentSpec {
  const data = join(stateDir, 'minio');
  return {
    name: 'minio',
    command: binary,
    args: ['server', data, '--address', `${LOOPBACK}:${ports.minioApi}`, '--console-address', `${LOOPBACK}:${ports.minioConsole}`, '--quiet'],
    env: {
      MINIO_ROOT_USER: S3_CREDENTIALS.accessKeyId,
      MINIO_ROOT_PASSWORD: S3_CREDENTIALS.secretAccessKey,
      // Prometheus scrapes without a bearer token; the metrics hold sizes and counts, no data.
      MINIO_PROMETHEUS_AUTH_TYPE: 'public',
      MINIO_BROWSER: 'off',
      ...extraEnv,
    },
    ports: { api: ports.minioApi, console: ports.minioConsole },
    async prepare() {
      mkdirSync(data, { recursive: true });
    },
    healthy: () => httpHealthy(`${s3Endpoint}/minio/health/live`),
  };
}

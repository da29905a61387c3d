/**
 * The three variants and the one environment they share.
 *
 *   plain      node app.js                                   (no telemetry at all)
 *   shopfloor  node --require @shopfloor/otel-bootstrap app.js
 *   stock      node --require @opentelemetry/auto-instrumentations-node/register app.js
 *
 * Every variant gets the same OTEL_* environment (plain ignores it). What each preload then
 * does with it is documented in docs/benchmarks.md ("What each variant exports").
 */
import { repoRoot } from '@shopfloor/stack-contract';
import type { VariantName } from './stats';

export const VARIANTS: readonly VariantName[] = ['plain', 'shopfloor', 'stock'];

/** `--require` arguments of a variant (absolute paths, so the working directory does not matter). */
export function preloadArgs(variant: VariantName): string[] {
  switch (variant) {
    case 'plain':
      return [];
    case 'shopfloor':
      return ['--require', require.resolve('@shopfloor/otel-bootstrap', { paths: [repoRoot] })];
    case 'stock':
      return ['--require', require.resolve('@opentelemetry/auto-instrumentations-node/register', { paths: [__dirname] })];
  }
}

/**
 * The OTEL_* variables every variant runs with, on top of the native stack's service
 * environment (service name, OTLP endpoint, OTEL_BSP_SCHEDULE_DELAY=500, Prometheus host/port).
 */
export const COMMON_OTEL_ENV: Readonly<Record<string, string>> = {
  // 100 % sampling, written out (it is both SDKs' default).
  OTEL_TRACES_SAMPLER: 'parentbased_always_on',
  OTEL_TRACES_EXPORTER: 'otlp',
  // The same exporter on the wire: OTLP/HTTP protobuf (both SDKs' default) with gzip
  // (shopfloor's default; the stock SDK's is none, so it is told).
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
  // Both serve Prometheus /metrics on the service's metrics port (scraped by the stack's Prometheus).
  OTEL_METRICS_EXPORTER: 'prometheus',
  // Neither exports logs (pino log correlation only); the stock SDK would otherwise also
  // send every log record over OTLP to a Collector that has no logs pipeline.
  OTEL_LOGS_EXPORTER: 'none',
  // The stock default ("all") includes the cloud detectors (AWS, GCP, Azure, Alibaba), which
  // probe metadata endpoints off this machine; the bench sends traffic to loopback only.
  // env, host, os, process is what shopfloor detects too.
  OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
  OTEL_LOG_LEVEL: 'warn',
  // The load hits GET /healthz, which shopfloor would otherwise not trace at all (the stock
  // SDK does): both trace every request here, so the figures compare the same work.
  SHOPFLOOR_TRACES_EXCLUDED_PATHS: 'none',
};

/** The environment for a child process: this one's, minus any OTEL_* and NODE_OPTIONS of the caller's shell. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('OTEL_') && k !== 'NODE_OPTIONS') base[k] = v;
  }
  return { ...base, ...extra };
}

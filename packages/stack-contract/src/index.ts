export { CAPABILITIES, RUNNERS, runnerLacks, type Capability, type Runner } from './capabilities';
export { DEV_PARTNER } from './dev-partner';
export { OrderGenerator, randomOrder, type GeneratedOrder } from './generator';
export { httpHealthy, httpOk, tcpOpen, waitFor, type WaitOptions } from './health';
export { configPaths, repoRoot } from './paths';
export { COLLECTOR_OTLP_HTTP_URL, LOOPBACK, ports } from './ports';
export { FAST_ALERTING, FAST_BUCKET_USAGE, type AlertTiming } from './presets';
export type { ServiceName, Stack, StackEndpoints, StackUpOptions } from './stack';

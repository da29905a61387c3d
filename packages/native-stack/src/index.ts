export { NativeStack, type AlertingOptions, type StackOptions } from './stack';
export { renderAlertmanagerConfig, type AlertTiming } from './components/alertmanager';
export { OrderGenerator, randomOrder, type GeneratedOrder } from './generator';
export { waitFor, httpOk } from './health';
export { DEV_PARTNER, service, serviceUrl } from './components/services';
export { VICTORIALOGS_RETENTION, victoriaLogsArgs } from './components/victorialogs';
export { LOOPBACK, ports } from './ports';
export { repoRoot } from './paths';
export type { ServiceName, StackEndpoints } from './types';

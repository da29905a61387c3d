export { NativeStack, type AlertingOptions, type StackOptions } from './stack';
export { renderAlertmanagerConfig, type AlertTiming } from './components/alertmanager';
export { OrderGenerator, randomOrder, type GeneratedOrder } from './generator';
export { waitFor, httpOk } from './health';
export { DEV_PARTNER } from './components/services';
export { ports } from './ports';
export type { ServiceName, StackEndpoints } from './types';

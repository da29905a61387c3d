export { NativeStack, type StackOptions } from './stack';
export { OrderGenerator, randomOrder, type GeneratedOrder } from './generator';
export { waitFor, httpOk } from './health';
export { DEV_PARTNER } from './components/services';
export { ports } from './ports';
export type { ServiceName, StackEndpoints } from './types';

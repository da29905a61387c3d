export { NativeStack, type AlertingOptions, type StackOptions } from './stack';
export { nativeTestStack } from './test-stack';
export { renderAlertmanagerConfig } from './components/alertmanager';
export { service, serviceUrl } from './components/services';
export { orderWatchdog, orderWatchdogUrl } from './components/order-watchdog';
export { VICTORIALOGS_RETENTION, victoriaLogsArgs } from './components/victorialogs';
export { EPMD_PORT } from './components/epmd';
export { listProcesses, readProcessRecord, selectLeftovers, stopLeftovers, type ProcessInfo, type RecordedProcess } from './processes';
export { readTools, type Tools } from './paths';

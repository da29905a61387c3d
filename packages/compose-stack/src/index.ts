export {
  allPanels, allValues, exemplarTraceIdLabel, expressions, loadDashboards, regexValue, substitute, variablePromQL, variableQuery,
  type Dashboard, type DashboardFile, type Variable,
} from './dashboards';
export { containerHostAddress, dockerHostAddress, firstHostAddress, HOST_GATEWAY_NAME, type BridgeNetwork, type ContainerHostAddress } from './docker-host';
export { composeDurationSeconds, fasterHealthcheck, type Healthcheck } from './healthcheck';
export { containersTestStack } from './test-stack';

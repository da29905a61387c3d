export {
  allPanels, allValues, exemplarTraceIdLabel, expressions, loadDashboards, regexValue, substitute, variablePromQL, variableQuery,
  type Dashboard, type DashboardFile, type Variable,
} from './dashboards';
export { dockerHostAddress, type ContainerHostAddress } from './docker-host';
export { containersTestStack, secretsShownByInspect } from './test-stack';

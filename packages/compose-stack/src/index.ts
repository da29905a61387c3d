export { containerHostAddress, dockerHostAddress, firstHostAddress, HOST_GATEWAY_NAME, type BridgeNetwork, type ContainerHostAddress } from './docker-host';
export { composeDurationSeconds, fasterHealthcheck, type Healthcheck } from './healthcheck';

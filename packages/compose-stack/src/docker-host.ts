import { execFileSync } from 'node:child_process';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** The fields of `docker network inspect bridge` (one element of its JSON array) read here. */
export interface BridgeNetwork {
  IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> | null } | null;
}

/** Where a server on this host listens so that containers on the default bridge reach it. */
export interface ContainerHostAddress {
  /** The address the server binds. */
  bind: string;
  /** The host name containers use in its URL. */
  host: string;
  /**
   * How it was found: the bridge's Gateway (Docker CE), the first address of its subnet
   * (Debian's docker.io, whose bridge has no Gateway), the `docker0` interface's address, or
   * `host-gateway` (no bridge address on this host, e.g. Docker Desktop's VM): then the server
   * listens on every interface and containers reach it as `host.docker.internal`, which the
   * stack maps with `extra_hosts: host.docker.internal:host-gateway`.
   */
  source: 'gateway' | 'subnet' | 'docker0' | 'host-gateway';
}

export const HOST_GATEWAY_NAME = 'host.docker.internal';

/** The first host address of an IPv4 CIDR (`172.17.0.0/16` -> `172.17.0.1`); undefined otherwise. */
export function firstHostAddress(cidr: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix < 1 || prefix > 30) return undefined;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  const network = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) & mask;
  const first = (network >>> 0) + 1;
  return [24, 16, 8, 0].map((shift) => (first >>> shift) & 0xff).join('.');
}

/** The address containers on the default bridge reach this host at (see `ContainerHostAddress.source`). */
export function containerHostAddress(bridge: BridgeNetwork | undefined, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): ContainerHostAddress {
  const configs = (bridge?.IPAM?.Config ?? []).filter((c) => c.Subnet && !c.Subnet.includes(':'));
  const gateway = configs.find((c) => c.Gateway)?.Gateway;
  if (gateway) return { bind: gateway, host: gateway, source: 'gateway' };
  const first = configs.map((c) => firstHostAddress(c.Subnet!)).find(Boolean);
  if (first) return { bind: first, host: first, source: 'subnet' };
  const docker0 = interfaces.docker0?.find((i) => i.family === 'IPv4')?.address;
  if (docker0) return { bind: docker0, host: docker0, source: 'docker0' };
  return { bind: '0.0.0.0', host: HOST_GATEWAY_NAME, source: 'host-gateway' };
}

/** `containerHostAddress` for this host's Docker engine. */
export function dockerHostAddress(): ContainerHostAddress {
  let bridge: BridgeNetwork | undefined;
  try {
    bridge = (JSON.parse(execFileSync('docker', ['network', 'inspect', 'bridge'], { encoding: 'utf8' })) as BridgeNetwork[])[0];
  } catch {
    bridge = undefined; // no default bridge (or no answer): the interfaces decide
  }
  return containerHostAddress(bridge, networkInterfaces());
}

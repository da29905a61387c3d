import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { containerHostAddress, firstHostAddress } from './docker-host';

const iface = (address: string, family: 'IPv4' | 'IPv6' = 'IPv4'): NetworkInterfaceInfo =>
  ({ address, family, netmask: family === 'IPv4' ? '255.255.0.0' : 'ffff:ffff:ffff:ffff::', mac: '02:42:00:00:00:01', internal: false, cidr: null }) as NetworkInterfaceInfo;

describe('containerHostAddress: the shapes of `docker network inspect bridge`', () => {
  it('Docker CE: the Gateway', () => {
    const bridge = { IPAM: { Driver: 'default', Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] } };
    assert.deepEqual(containerHostAddress(bridge, {}), { bind: '172.17.0.1', host: '172.17.0.1', source: 'gateway' });
  });

  it("Debian's docker.io (a Subnet and no Gateway): the subnet's first address", () => {
    const bridge = { IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '172.18.0.0/16' }] } };
    assert.deepEqual(containerHostAddress(bridge, { docker0: [iface('172.17.0.1')] }), { bind: '172.18.0.1', host: '172.18.0.1', source: 'subnet' });
  });

  it('an IPv6 subnet listed first is passed over for the IPv4 one', () => {
    const bridge = { IPAM: { Config: [{ Subnet: 'fd00:dead:beef::/48', Gateway: 'fd00:dead:beef::1' }, { Subnet: '10.99.0.0/24' }] } };
    assert.equal(containerHostAddress(bridge, {}).host, '10.99.0.1');
  });

  it("no IPAM config (null Config, or no bridge at all): docker0's IPv4 address", () => {
    const interfaces = { docker0: [iface('fe80::42:1', 'IPv6'), iface('172.17.0.1')] };
    assert.deepEqual(containerHostAddress({ IPAM: { Config: null } }, interfaces), { bind: '172.17.0.1', host: '172.17.0.1', source: 'docker0' });
    assert.equal(containerHostAddress(undefined, interfaces).source, 'docker0');
  });

  it('nothing on this host (Docker Desktop, a remote engine): host-gateway through host.docker.internal', () => {
    assert.deepEqual(containerHostAddress({ IPAM: { Config: [] } }, { eth0: [iface('192.168.1.5')] }), {
      bind: '0.0.0.0',
      host: 'host.docker.internal',
      source: 'host-gateway',
    });
  });
});

describe('firstHostAddress', () => {
  it('the network address plus one, whatever the host bits given', () => {
    assert.equal(firstHostAddress('172.17.0.0/16'), '172.17.0.1');
    assert.equal(firstHostAddress('192.168.77.130/25'), '192.168.77.129');
    assert.equal(firstHostAddress('10.0.0.0/8'), '10.0.0.1');
  });

  it('nothing for what is no IPv4 CIDR with room for a host', () => {
    for (const bad of ['', '172.17.0.0', '300.1.1.0/24', 'fd00::/64', '10.0.0.0/31', '10.0.0.0/0']) assert.equal(firstHostAddress(bad), undefined, bad);
  });
});

import { connect } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOOPBACK, ports } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';

/** Redis on loopback only, no password (nothing beyond this machine can reach it), no persistence. */
export const redisUrl = `redis://${LOOPBACK}:${ports.redis}`;

/** True when Redis answers PING with PONG. */
export function redisPing(port = ports.redis, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

/** Redis (Debian's redis-server) for apps that cache or queue in it; data only in memory. */
export function redis(stateDir: string): ComponentSpec {
  const dir = join(stateDir, 'redis');
  return {
    name: 'redis',
    command: '/usr/bin/redis-server',
    args: [
      '--bind', LOOPBACK,
      '--port', String(ports.redis),
      '--protected-mode', 'yes',
      '--dir', dir,
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'no',
      '--supervised', 'no',
      '--logfile', '',
    ],
    ports: { redis: ports.redis },
    async prepare() {
      mkdirSync(dir, { recursive: true });
    },
    healthy: () => redisPing(),
  };
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { configPaths } from '../paths';
import { LOOPBACK, ports } from '../ports';
import { httpHealthy, tcpOpen } from '../health';
import type { ComponentSpec } from '../types';

export function rabbitmq(stateDir: string): ComponentSpec {
  const dir = join(stateDir, 'rabbitmq');
  return {
    name: 'rabbitmq',
    command: '/usr/lib/rabbitmq/bin/rabbitmq-server',
    args: [],
    env: {
      // Its own node, state and cookie under the stack's state directory, not /var/lib/rabbitmq.
      HOME: dir,
      RABBITMQ_NODENAME: 'shopfloor@localhost',
      RABBITMQ_CONFIG_FILE: configPaths.rabbitmqConf,
      RABBITMQ_ENABLED_PLUGINS_FILE: configPaths.rabbitmqPlugins,
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_LOGS: '-',
    },
    ports: { amqp: ports.rabbitmqAmqp, prometheus: ports.rabbitmqPrometheus },
    startTimeoutMs: 90_000,
    async prepare() {
      mkdirSync(join(dir, 'log'), { recursive: true });
    },
    healthy: async () =>
      (await tcpOpen(ports.rabbitmqAmqp)) &&
      (await httpHealthy(`http://${LOOPBACK}:${ports.rabbitmqPrometheus}/metrics`)),
  };
}

export const amqpUrl = `amqp://guest:guest@${LOOPBACK}:${ports.rabbitmqAmqp}`;

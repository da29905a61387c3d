import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { configPaths, httpHealthy, LOOPBACK, ports, tcpOpen } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';

/** compose/rabbitmq/definitions.json: guest, vhost "/", the policy shopfloor-unroutable (alternate exchange). */
export const rabbitmqDefinitions = join(dirname(configPaths.rabbitmqConf), 'definitions.json');

/** The shared rabbitmq.conf with `load_definitions` pointing at the repository's definitions file. */
export function renderRabbitmqConf(source: string, definitions: string = rabbitmqDefinitions): string {
  const line = /^load_definitions\s*=.*$/m;
  if (!line.test(source)) throw new Error('compose/rabbitmq/rabbitmq.conf has no load_definitions line to rewrite');
  return source.replace(line, `load_definitions = ${definitions}`);
}

export function rabbitmq(stateDir: string): ComponentSpec {
  const dir = join(stateDir, 'rabbitmq');
  const conf = join(dir, 'rabbitmq.conf');
  return {
    name: 'rabbitmq',
    command: '/usr/lib/rabbitmq/bin/rabbitmq-server',
    args: [],
    env: {
      // Its own node, state and cookie under the stack's state directory, not /var/lib/rabbitmq.
      HOME: dir,
      RABBITMQ_NODENAME: 'shopfloor@localhost',
      RABBITMQ_CONFIG_FILE: conf,
      RABBITMQ_ENABLED_PLUGINS_FILE: configPaths.rabbitmqPlugins,
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_LOGS: '-',
    },
    ports: { amqp: ports.rabbitmqAmqp, prometheus: ports.rabbitmqPrometheus },
    startTimeoutMs: 90_000,
    async prepare() {
      mkdirSync(join(dir, 'log'), { recursive: true });
      // Rendered on every start: definitions (policy included) are re-imported at every boot, so an
      // existing state directory gets the alternate exchange too.
      writeFileSync(conf, renderRabbitmqConf(readFileSync(configPaths.rabbitmqConf, 'utf8')));
    },
    healthy: async () =>
      (await tcpOpen(ports.rabbitmqAmqp)) &&
      (await httpHealthy(`http://${LOOPBACK}:${ports.rabbitmqPrometheus}/metrics`)),
  };
}

/**
 * `rabbitmqctl <args>` against the stack's node (its node name, and the Erlang cookie in its
 * HOME): operator actions AMQP cannot do, e.g. a policy (`set_policy`, `clear_policy`). Returns stdout.
 */
export async function rabbitmqctl(stateDir: string, args: string[]): Promise<string> {
  const spec = rabbitmq(stateDir);
  const { stdout } = await promisify(execFile)('/usr/lib/rabbitmq/bin/rabbitmqctl', ['-n', spec.env!.RABBITMQ_NODENAME!, ...args], {
    env: { ...process.env, ...spec.env },
    timeout: 60_000,
  });
  return stdout;
}

export const amqpUrl = `amqp://guest:guest@${LOOPBACK}:${ports.rabbitmqAmqp}`;

import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configPaths, LOOPBACK, ports, tcpOpen } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';
import { removeStaleLockFile } from '../processes';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';
export const PG_USER = 'shopfloor';
/** Local development credentials; compose sets its own through POSTGRES_PASSWORD. */
export const PG_PASSWORD = 'shopfloor-dev';

/** PostgreSQL refuses to run as root: when we are root, run it as the Debian `postgres` user. */
function serverUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root but there is no `postgres` user: install the postgresql package.');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export function postgres(stateDir: string): ComponentSpec {
  const dir = join(stateDir, 'postgres');
  const data = join(dir, 'data');
  const user = serverUser();
  const asServer = { uid: user.uid, gid: user.gid };
  const psql = (...args: string[]) =>
    run('psql', ['-h', LOOPBACK, '-p', String(ports.postgres), '-U', PG_USER, '-d', 'postgres', ...args], {
      env: { ...process.env, PGPASSWORD: PG_PASSWORD },
    });

  return {
    name: 'postgres',
    command: join(PG_BIN, 'postgres'),
    args: ['-D', data, '-p', String(ports.postgres), '-c', `listen_addresses=${LOOPBACK}`, '-c', `unix_socket_directories=${dir}`],
    ...asServer,
    ports: { sql: ports.postgres },
    // SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for every client to leave.
    stopSignal: 'SIGINT',
    async prepare() {
      removeStaleLockFile(join(data, 'postmaster.pid'));
      if (existsSync(join(data, 'PG_VERSION'))) return;
      mkdirSync(data, { recursive: true, mode: 0o700 });
      const pwfile = join(dir, 'pwfile');
      writeFileSync(pwfile, PG_PASSWORD);
      if (user.uid !== undefined) {
        chownSync(dir, user.uid, user.gid!);
        chownSync(data, user.uid, user.gid!);
        chownSync(pwfile, user.uid, user.gid!);
      }
      await run(join(PG_BIN, 'initdb'), ['-D', data, '-U', PG_USER, `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8'], asServer);
    },
    healthy: async () => (await tcpOpen(ports.postgres)) && (await psql('-tAc', 'SELECT 1').then(() => true, () => false)),
    async afterStart() {
      // Same init script as compose's postgres image, run once per data directory.
      const marker = join(dir, 'init.done');
      if (existsSync(marker)) return;
      await psql('-v', 'ON_ERROR_STOP=1', '-f', configPaths.postgresInit);
      writeFileSync(marker, new Date().toISOString());
    },
  };
}

export function databaseUrl(db: string): string {
  return `postgres://${PG_USER}:${PG_PASSWORD}@${LOOPBACK}:${ports.postgres}/${db}`;
}

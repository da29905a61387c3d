import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LOOPBACK, ports, tcpOpen } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';

const run = promisify(execFile);
const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_DB = '/usr/bin/mariadb-install-db';
const CLIENT = '/usr/bin/mariadb';

/** The database and user an app gets; the password is generated per stack state directory. */
export const MYSQL_DATABASE = 'foreign';
export const MYSQL_USER = 'shopfloor';

/** Small InnoDB files and buffers: a test database, quick to copy and start. */
const SERVER_OPTIONS = ['--innodb-log-file-size=16M', '--innodb-buffer-pool-size=64M'];

/** mariadbd refuses to run as root: when we are root, it runs as the Debian `mysql` user. */
function serverUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('mysql:'));
  if (!line) throw new Error('running as root but there is no `mysql` user: install the mariadb-server package.');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * The MariaDB account this process administers the server with: over the unix socket only
 * (unix_socket authentication: the OS user must match), never over TCP.
 */
function adminUser(): string {
  return process.getuid?.() === 0 ? 'root' : userInfo().username;
}

/** The app user's password: generated once per state directory, kept in `<stateDir>/mariadb/password`. */
export function mysqlPassword(stateDir: string): string {
  const dir = join(stateDir, 'mariadb');
  const file = join(dir, 'password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** Runs a client with `sql` on its stdin; rejects with its stderr when it fails. */
function sqlOnStdin(command: string, args: string[], sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr.trim()}`))));
    child.stdin.end(`${sql};\n`);
  });
}

export function mysqlUrl(password: string): string {
  return `mysql://${MYSQL_USER}:${encodeURIComponent(password)}@${LOOPBACK}:${ports.mariadb}/${MYSQL_DATABASE}`;
}

/**
 * A pristine data directory (system tables only), made once per MariaDB version under
 * `templateRoot` and copied for every fresh stack: `mariadb-install-db` is the slow part of a
 * first start.
 */
async function datadirTemplate(templateRoot: string, user: { uid?: number; gid?: number }): Promise<string> {
  const { stdout } = await run(MARIADBD, ['--version']);
  const version = /Ver\s+(\S+)/.exec(stdout)?.[1]?.replace(/[^A-Za-z0-9.+_-]/g, '_') ?? 'unknown';
  const template = join(templateRoot, `mariadb-datadir-${version}`);
  if (existsSync(join(template, 'mysql'))) return template;
  mkdirSync(templateRoot, { recursive: true });
  const scratch = await mkdtemp(join(templateRoot, '.mariadb-datadir-'));
  try {
    const data = join(scratch, 'data');
    if (user.uid !== undefined) chownSync(scratch, user.uid, user.gid!);
    await run(INSTALL_DB, [
      '--no-defaults',
      `--datadir=${data}`,
      ...(user.uid !== undefined ? ['--user=mysql'] : []),
      // The administrator logs in over the unix socket as the matching OS user; no password to leak.
      '--auth-root-authentication-method=socket',
      `--auth-root-socket-user=${adminUser()}`,
      '--skip-test-db',
      '--skip-name-resolve',
      ...SERVER_OPTIONS,
    ]);
    try {
      renameSync(data, template);
    } catch (err) {
      // Another start made it meanwhile: use that one.
      if (!existsSync(join(template, 'mysql'))) throw err;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return template;
}

/**
 * MariaDB (Debian's mariadb-server) on 127.0.0.1 only, data in `<stateDir>/mariadb/data`. After
 * start it holds the database `foreign` and the user `shopfloor` (password: `mysqlPassword`),
 * who may connect from 127.0.0.1 only; the administrator account has no network login.
 */
export function mariadb(stateDir: string, templateRoot: string): ComponentSpec {
  const dir = join(stateDir, 'mariadb');
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const user = serverUser();
  const password = mysqlPassword(stateDir);
  // SQL on stdin, not in argv: the statements carry the password.
  const asAdmin = (sql: string) => sqlOnStdin(CLIENT, ['--no-defaults', `--socket=${socket}`, `--user=${adminUser()}`, '--batch'], sql);

  return {
    name: 'mariadb',
    command: MARIADBD,
    args: [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${socket}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--bind-address=${LOOPBACK}`,
      `--port=${ports.mariadb}`,
      '--skip-name-resolve',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      ...SERVER_OPTIONS,
    ],
    uid: user.uid,
    gid: user.gid,
    ports: { sql: ports.mariadb },
    async prepare() {
      mkdirSync(dir, { recursive: true });
      if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
      if (existsSync(join(data, 'mysql'))) return;
      const template = await datadirTemplate(templateRoot, user);
      rmSync(data, { recursive: true, force: true });
      await run('cp', ['-a', template, data]);
    },
    healthy: async () => (await tcpOpen(ports.mariadb)) && (await asAdmin('SELECT 1').then(() => true, () => false)),
    async afterStart() {
      // Idempotent: the database, the user (password from this state directory), its rights.
      const quoted = password.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
      await asAdmin(
        [
          `CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
          `CREATE USER IF NOT EXISTS '${MYSQL_USER}'@'${LOOPBACK}' IDENTIFIED BY '${quoted}'`,
          `ALTER USER '${MYSQL_USER}'@'${LOOPBACK}' IDENTIFIED BY '${quoted}'`,
          `GRANT ALL PRIVILEGES ON \`${MYSQL_DATABASE}\`.* TO '${MYSQL_USER}'@'${LOOPBACK}'`,
        ].join(';\n'),
      );
      // What an app will do: log in over TCP with the password.
      await run(CLIENT, [
        '--no-defaults', '--skip-ssl', `--host=${LOOPBACK}`, `--port=${ports.mariadb}`,
        `--user=${MYSQL_USER}`, `--database=${MYSQL_DATABASE}`, '--batch', '-e', 'SELECT 1',
      ], { env: { ...process.env, MYSQL_PWD: password } });
    },
  };
}

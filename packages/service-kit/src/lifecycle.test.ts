/**
 * Lifecycle and service start/stop in child processes (they install signal handlers and end the
 * process): real signals, real exit codes, real sockets to minimal PostgreSQL and AMQP servers.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeAmqpServer, startFakeAmqpServer, unusedPort } from './test-amqp-server';
import { type FakePostgres, startFakePostgres } from './test-postgres-server';
import { waitUntil } from './test-wait';

const INDEX = JSON.stringify(join(__dirname, 'index.js'));

interface Child {
  proc: ChildProcess;
  /** Parsed JSON log lines (and `{ msg: 'beforeExit' }` etc. written by the script). */
  lines: () => Array<Record<string, unknown> & { msg?: string }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function run(script: string): Child {
  const proc = spawn(process.execPath, ['-e', `const kit = require(${INDEX});\n${script}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    proc,
    exited,
    lines: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .concat(err ? [{ msg: `stderr: ${err}` }] : []),
  };
}

const messages = (child: Child): string[] => child.lines().map((l) => String(l.msg));
const hasLine = (child: Child, msg: string) => () => messages(child).includes(msg);

/** A Lifecycle with the given steps; `ready` once handlers are installed. */
function lifecycleScript(options: { timeoutMs: number; exitGraceMs: number }, steps: string): string {
  return `
const logger = kit.createLogger({ service: 'test', level: 'debug' });
const lifecycle = new kit.Lifecycle(logger, ${options.timeoutMs}, ${options.exitGraceMs});
lifecycle.installSignalHandlers();
lifecycle.signal.addEventListener('abort', () => logger.info('signal aborted'));
${steps}
process.on('beforeExit', () => logger.info('beforeExit'));
logger.info('ready');
setInterval(() => {}, 1000).unref();
const keepAlive = setInterval(() => {}, 1000);
lifecycle.defer('keep-alive timer', () => clearInterval(keepAlive));
`;
}

describe('Lifecycle on signals', () => {
  it('aborts its signal, runs the steps in reverse order (past a failing one), and exits 0 once the event loop is empty', async () => {
    const child = run(
      lifecycleScript(
        { timeoutMs: 5000, exitGraceMs: 5000 },
        `lifecycle.defer('pool', () => logger.info('step pool'));
         lifecycle.defer('broker', async () => { await new Promise((r) => setTimeout(r, 50)); throw new Error('already closed'); });
         lifecycle.defer('http', () => logger.info('step http'));`,
      ),
    );
    await waitUntil('the child to be ready', hasLine(child, 'ready'));
    const sent = Date.now();
    child.proc.kill('SIGTERM');
    const { code, at } = await child.exited;
    assert.equal(code, 0, messages(child).join(' | '));
    const order = messages(child).filter((m) => /^(shutting down|signal aborted|step |shutdown step failed|shutdown complete|beforeExit)/.test(m));
    assert.deepEqual(order, ['shutting down', 'signal aborted', 'step http', 'shutdown step failed', 'step pool', 'shutdown complete', 'beforeExit']);
    assert.ok(at - sent < 4000, 'exited by itself, before the 5 s grace');
  });

  it('exits 1 when the steps take longer than the shutdown timeout', async () => {
    const child = run(lifecycleScript({ timeoutMs: 300, exitGraceMs: 5000 }, `lifecycle.defer('stuck', () => new Promise(() => {}));`));
    await waitUntil('the child to be ready', hasLine(child, 'ready'));
    child.proc.kill('SIGTERM');
    const { code } = await child.exited;
    assert.equal(code, 1);
    assert.ok(messages(child).includes('shutdown timed out; exiting'), messages(child).join(' | '));
  });

  it('exits 1 at once on a second signal', async () => {
    const child = run(lifecycleScript({ timeoutMs: 30_000, exitGraceMs: 5000 }, `lifecycle.defer('stuck', () => new Promise(() => {}));`));
    await waitUntil('the child to be ready', hasLine(child, 'ready'));
    child.proc.kill('SIGINT');
    await waitUntil('the shutdown to start', hasLine(child, 'shutting down'));
    child.proc.kill('SIGINT');
    const { code } = await child.exited;
    assert.equal(code, 1);
    assert.ok(messages(child).includes('second signal during shutdown; exiting now'));
  });

  it('exits 0 after the grace period when a handle keeps the event loop alive', async () => {
    const child = run(lifecycleScript({ timeoutMs: 5000, exitGraceMs: 300 }, `setInterval(() => {}, 1000); // leaked, never cleared`));
    await waitUntil('the child to be ready', hasLine(child, 'ready'));
    child.proc.kill('SIGTERM');
    const { code } = await child.exited;
    assert.equal(code, 0);
    assert.ok(!messages(child).includes('beforeExit'), 'the loop never emptied: process.exit ended it');
  });
});

describe('startService / serveHttp', () => {
  let postgres: FakePostgres;
  let amqp: FakeAmqpServer;
  before(async () => {
    postgres = await startFakePostgres();
    amqp = await startFakeAmqpServer();
  });
  after(async () => {
    await amqp.close();
    await postgres.close();
  });

  const config = (databasePort: number, amqpPort: number) =>
    JSON.stringify({
      PORT: 1,
      DATABASE_URL: `postgres://svc:pw@127.0.0.1:${databasePort}/svc`,
      AMQP_URL: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
      LOG_LEVEL: 'debug',
      CONSUMER_MAX_RETRIES: 3,
      CONSUMER_RETRY_DELAY_MS: 100,
    });

  it('migrates, serves /healthz over both dependencies, and on SIGTERM closes HTTP, then RabbitMQ, then the pool, and exits 0', async () => {
    const child = run(`
kit.runMain(async () => {
  const base = await kit.startService({ service: 'svc', config: ${config(postgres.port, amqp.port)}, migration: 'CREATE TABLE IF NOT EXISTS t (id int)' });
  const server = await kit.serveHttp(base, 0, (app) => app.get('/hello', (_req, res) => res.json({ hello: 'world' })));
  process.on('beforeExit', () => base.logger.info('beforeExit'));
  base.logger.info({ port: server.address().port }, 'test port');
});`);
    await waitUntil('the service to listen', hasLine(child, 'test port'));
    const port = child.lines().find((l) => l.msg === 'test port')!.port as number;
    assert.ok(postgres.statements.includes('CREATE TABLE IF NOT EXISTS t (id int)'), 'the migration ran before the service listened');

    let health: { status: number; body: unknown } | undefined;
    await waitUntil('/healthz to report both dependencies up', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      health = { status: res.status, body: await res.json() };
      return res.status === 200;
    });
    assert.deepEqual(health?.body, { status: 'ok', checks: { postgres: 'up', rabbitmq: 'up' } });
    assert.equal((await fetch(`http://127.0.0.1:${port}/hello`)).status, 200);

    child.proc.kill('SIGTERM');
    const { code } = await child.exited;
    assert.equal(code, 0, messages(child).join(' | '));
    const steps = child.lines().filter((l) => l.msg === 'shutdown step done').map((l) => l.step);
    assert.deepEqual(steps, ['http server', 'rabbitmq', 'postgres pool']);
    assert.ok(messages(child).includes('beforeExit'), 'nothing kept the event loop alive after shutdown');
    assert.ok(amqp.received.includes('ConnectionClose'), 'the AMQP connection was closed cleanly');
  });

  it('stops retrying the migration on SIGTERM during start-up and exits 0', async () => {
    const child = run(`
kit.runMain(async () => {
  await kit.startService({ service: 'svc', config: ${config(await unusedPort(), amqp.port)}, migration: 'SELECT 1' });
  console.log(JSON.stringify({ msg: 'started (unexpected)' }));
});`);
    await waitUntil('the migration to be retrying', hasLine(child, 'connecting to PostgreSQL failed; retrying'));
    child.proc.kill('SIGTERM');
    const { code } = await child.exited;
    assert.equal(code, 0, messages(child).join(' | '));
    assert.ok(!messages(child).includes('started (unexpected)'));
    assert.ok(!messages(child).some((m) => m.startsWith('stderr: fatal')), 'no fatal start-up error printed');
  });
});

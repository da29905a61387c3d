import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeLeftovers,
  environValue,
  parseStat,
  processRunning,
  readProcessRecord,
  removeStaleLockFile,
  selectLeftovers,
  STACK_MARKER,
  stopLeftovers,
  writeProcessRecord,
  type ProcessInfo,
} from './processes';
import { waitFor } from '@shopfloor/stack-contract';

test('parseStat counts the fields from the last parenthesis of the name', () => {
  // A comm with a space and a ')' in it, then state, ppid, pgrp, ... starttime is field 22.
  const stat = '4242 (my (odd) name) S 1 4240 4240 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 3 0 987654 1000 200 0';
  assert.deepEqual(parseStat(stat), { pid: 4242, name: 'my (odd) name', state: 'S', ppid: 1, pgid: 4240, startTime: 987654 });
  assert.equal(parseStat('garbage'), undefined);
  const own = parseStat(readFileSync('/proc/self/stat', 'utf8'));
  assert.deepEqual([own?.pid, own?.ppid], [process.pid, process.ppid]);
});

test('environValue finds one variable of a NUL-separated environment', () => {
  const environ = `PATH=/usr/bin\0${STACK_MARKER}=/repo/.run/dev\0HOME=/root\0`;
  assert.equal(environValue(environ, STACK_MARKER), '/repo/.run/dev');
  assert.equal(environValue(environ, 'SHELL'), undefined);
});

const proc = (p: Partial<ProcessInfo> & { pid: number }): ProcessInfo => ({ ppid: 1, pgid: p.pid, startTime: 100, name: 'x', ...p });

test('selectLeftovers: recorded groups whose leader is the recorded process, and marked processes of this state dir only', () => {
  const dir = '/repo/.run/dev';
  const procs = [
    proc({ pid: 10, startTime: 500, name: 'postgres' }), // recorded leader, same start: ours
    proc({ pid: 11, pgid: 10, startTime: 501, name: 'postgres' }), // its backend (environment rewritten by postgres)
    proc({ pid: 20, startTime: 999, name: 'vim' }), // recorded pid 20 was reused by someone else
    proc({ pid: 21, pgid: 20, name: 'vim-child' }),
    proc({ pid: 30, name: 'epmd', stackDir: dir }), // detached from its group, found by the marker
    proc({ pid: 31, pgid: 40, name: 'beam.smp', stackDir: dir }), // leader 40 gone, marker still there
    proc({ pid: 32, pgid: 40, name: 'stranger' }), // leader 40 gone, no marker: not ours
    proc({ pid: 50, name: 'other-stack', stackDir: '/repo/.run/e2e' }),
    proc({ pid: 60, name: 'me', stackDir: dir }),
  ];
  const record = [
    { component: 'postgres', pid: 10, startTime: 500 },
    { component: 'jaeger', pid: 20, startTime: 300 },
    { component: 'rabbitmq', pid: 40, startTime: 400 },
  ];
  const found = selectLeftovers(procs, record, dir, [60]);
  assert.deepEqual(found, [
    { pid: 10, name: 'postgres', component: 'postgres' },
    { pid: 11, name: 'postgres', component: 'postgres' },
    { pid: 30, name: 'epmd', component: undefined },
    { pid: 31, name: 'beam.smp', component: 'rabbitmq' },
  ]);
  assert.equal(describeLeftovers(found), 'postgres (2 processes), epmd, rabbitmq');
  assert.deepEqual(selectLeftovers(procs, [], '/elsewhere'), []);
});

/** Running, not a zombie waiting for this test process to reap it. */
function alive(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** A detached child (its own process group, as the stack spawns components), optionally ignoring SIGTERM. */
function sleeper(env: Record<string, string>, ignoreTerm = false): ChildProcess {
  const code = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setTimeout(() => {}, 60000)`;
  const child = spawn(process.execPath, ['-e', code], { env: { ...process.env, ...env }, detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

test('stopLeftovers stops the recorded and the marked processes of its state dir, and nothing else', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'leftovers-'));
  const recorded = sleeper({});
  const marked = sleeper({ [STACK_MARKER]: stateDir }, true);
  const otherDir = sleeper({ [STACK_MARKER]: `${stateDir}-other` });
  const stranger = sleeper({});
  t.after(() => {
    for (const c of [recorded, marked, otherDir, stranger]) if (c.pid && alive(c.pid)) process.kill(c.pid, 'SIGKILL');
  });
  // Until the children run node (exec done): their /proc entries then show what they were given.
  await waitFor(async () => ([recorded, marked, otherDir, stranger].every((c) => cmdline(c.pid!).includes('setTimeout')) ? true : undefined), {
    what: 'the children to start',
    timeoutMs: 10_000,
    intervalMs: 20,
  });
  const startTime = parseStat(readFileSync(`/proc/${recorded.pid}/stat`, 'utf8'))!.startTime;
  writeProcessRecord(stateDir, [{ component: 'jaeger', pid: recorded.pid!, startTime }]);
  assert.deepEqual(readProcessRecord(stateDir), [{ component: 'jaeger', pid: recorded.pid!, startTime }]);

  const found = await stopLeftovers(stateDir, 500);
  assert.deepEqual(found.map((l) => l.pid).sort(), [recorded.pid, marked.pid].sort());
  assert.ok(!alive(recorded.pid!), 'the recorded one still runs');
  assert.ok(!alive(marked.pid!), 'the one ignoring SIGTERM still runs');
  assert.ok(alive(otherDir.pid!), "another state dir's process was stopped");
  assert.ok(alive(stranger.pid!), 'an unrelated process was stopped');
  assert.deepEqual(await stopLeftovers(stateDir, 500), [], 'a second look finds nothing');
});

test('removeStaleLockFile removes a pid file whose process is gone or a zombie, and keeps a live one', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stale-lock-'));
  const lock = (pid: number | string): string => {
    const file = join(dir, `${pid}.pid`);
    writeFileSync(file, `${pid}\n/var/lib/postgresql/data\n`);
    return file;
  };
  // A zombie: `sleep 30` (exec'd by the shell) never waits for the shell's backgrounded child.
  const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
    await waitFor(async () => (processRunning(zombie) ? undefined : true), { what: `process ${zombie} to be a zombie`, timeoutMs: 5_000 });
    assert.ok(existsSync(`/proc/${zombie}`), 'the zombie still has its /proc entry (kill(pid, 0) succeeds for it)');

    const live = lock(process.pid);
    assert.equal(removeStaleLockFile(live), false);
    assert.ok(existsSync(live), 'the lock of a running process stays');
    for (const file of [lock(zombie), lock(2 ** 30), lock('garbage')]) {
      assert.equal(removeStaleLockFile(file), true, file);
      assert.ok(!existsSync(file), `${file} removed`);
    }
    assert.equal(removeStaleLockFile(join(dir, 'absent.pid')), false);
  } finally {
    parent.kill('SIGKILL');
  }
});

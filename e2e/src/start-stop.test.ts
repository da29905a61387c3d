/**
 * `npm start` run the way a service manager, a container or CI runs it: in the background, in a
 * process group of its own, stopped by a signal to npm's process. Every component must be gone
 * and every port of the port plan free within 30 s. Also: a start after the stack's own process
 * was killed with SIGKILL stops what that one left running, and says so.
 *
 * Brings up the `dev` profile (what `npm start` runs) on the ports the other scenarios use, and
 * leaves nothing running.
 */
import { afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EPMD_PORT, listProcesses, readProcessRecord, selectLeftovers, stopLeftovers } from '@shopfloor/native-stack';
import { ports, repoRoot, tcpOpen } from '@shopfloor/stack-contract';
import { noStack, stackLacks } from './stack';

const stateDir = join(repoRoot, '.run', 'dev');
/** Until "all healthy": setup (warm: seconds) and the start of every component on 2 cores. */
const START_TIMEOUT_MS = 5 * 60_000;
const STOP_DEADLINE_MS = 30_000;

/** Every npm start of this file, killed (with its group) after each test whatever happened. */
const started: ChildProcess[] = [];

interface NpmStart {
  npm: ChildProcess;
  output: string;
  text(): string;
}

/** `npm start` in its own process group (detached, as a service manager starts it), output to a file. */
function npmStart(): NpmStart {
  const output = join(mkdtempSync(join(tmpdir(), 'npm-start-')), 'output.log');
  const fd = openSync(output, 'a');
  const npm = spawn('npm', ['start'], { cwd: repoRoot, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  started.push(npm);
  return { npm, output, text: () => readFileSync(output, 'utf8') };
}

async function waitHealthy(run: NpmStart): Promise<void> {
  for (const deadline = Date.now() + START_TIMEOUT_MS; ; ) {
    const text = run.text();
    if (/all healthy in/.test(text)) return;
    if (run.npm.exitCode !== null || run.npm.signalCode !== null) {
      assert.fail(`npm start ended (${run.npm.exitCode ?? run.npm.signalCode}) before the stack was healthy:\n${text.slice(-3000)}`);
    }
    if (Date.now() > deadline) assert.fail(`npm start printed no "all healthy" in ${START_TIMEOUT_MS / 1000} s:\n${text.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

function cwd(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}

/**
 * What is left of the stack: the processes of its recorded process groups or with its marker
 * (the stack's own definition), any process whose cwd or command line is under `.run/dev`, and
 * what is left of npm's own process group (npm, its shell, the stack's process).
 */
function leftoverProcesses(npmPid: number): string[] {
  const procs = listProcesses().filter((p) => p.pid !== process.pid);
  const ours = new Set(selectLeftovers(procs, readProcessRecord(stateDir), stateDir).map((l) => l.pid));
  return procs
    .filter((p) => ours.has(p.pid) || p.pgid === npmPid || cwd(p.pid).startsWith(stateDir) || cmdline(p.pid).includes(stateDir))
    .map((p) => `${p.pid} (group ${p.pgid}) ${cmdline(p.pid).slice(0, 160) || p.name}`);
}

/** The ports of the port plan, and epmd's unless one answered before the test (someone else's). */
async function busyPorts(checkEpmd: boolean): Promise<string[]> {
  const plan: [string, number][] = [...Object.entries(ports), ...(checkEpmd ? [['epmd', EPMD_PORT] as [string, number]] : [])];
  const busy = await Promise.all(plan.map(async ([name, port]) => ((await tcpOpen(port)) ? `${name} ${port}` : undefined)));
  return busy.filter((b): b is string => b !== undefined);
}

/** Polls until nothing of the stack runs and no port listens; fails with what still does. */
async function assertAllGone(npmPid: number, checkEpmd: boolean, sinceMs: number): Promise<void> {
  let last = '';
  for (;;) {
    const procs = leftoverProcesses(npmPid);
    const busy = await busyPorts(checkEpmd);
    if (procs.length === 0 && busy.length === 0) return;
    last = `still running:\n  ${procs.join('\n  ') || '(none)'}\nstill listening: ${busy.join(', ') || '(none)'}`;
    if (Date.now() - sinceMs > STOP_DEADLINE_MS) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`${STOP_DEADLINE_MS / 1000} s after the signal, ${last}`);
}

/** The stack's own process (`node .../cli.js start`) in npm's process group. */
function stackProcess(npmPid: number): number {
  const cli = listProcesses().find((p) => p.pgid === npmPid && cmdline(p.pid).includes('native-stack/dist/cli.js start'));
  assert.ok(cli, `no stack process in npm's process group ${npmPid}`);
  return cli.pid;
}

function killGroup(pid: number | undefined): void {
  try {
    if (pid) process.kill(-pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

describe('npm start in the background, stopped by a signal to npm', { skip: stackLacks('npm-start') }, () => {
  // `npm start` binds the stack's ports: an earlier scenario's kept stack goes first.
  before(() => noStack());

  // Whatever a failed test left: npm's groups, then the components (by the stack's own record and marker).
  afterEach(async () => {
    for (const npm of started.splice(0)) killGroup(npm.pid);
    await stopLeftovers(stateDir, 5_000);
  });

  it('a start after a SIGKILL of the stack stops what it left; SIGTERM to npm then stops everything within 30 s', { timeout: 2 * START_TIMEOUT_MS + 60_000 }, async () => {
    const epmdBefore = await tcpOpen(EPMD_PORT);
    const first = npmStart();
    await waitHealthy(first);
    const record = readProcessRecord(stateDir);
    assert.ok(record.some((r) => r.component === 'postgres'), `no postgres in ${stateDir}/processes.json`);
    // The stack's process dies without a word, and npm with it (a crash, an OOM kill, kill -9).
    process.kill(stackProcess(first.npm.pid!), 'SIGKILL');
    killGroup(first.npm.pid);
    assert.ok(selectLeftovers(listProcesses(), record, stateDir).length > 0, 'the components did not outlive the stack process');

    const second = npmStart();
    await waitHealthy(second);
    const line = /stopped what an earlier run of the "dev" stack left running: (.*)/.exec(second.text());
    assert.ok(line, `no line about the leftovers:\n${second.text().slice(0, 3000)}`);
    // Only PostgreSQL surely outlives its stdout pipe to the killed process (it ignores SIGPIPE).
    assert.match(line[1]!, /postgres/);

    const t0 = Date.now();
    process.kill(second.npm.pid!, 'SIGTERM');
    await assertAllGone(second.npm.pid!, !epmdBefore, t0);
  });

  it('SIGINT to npm stops everything within 30 s', { timeout: START_TIMEOUT_MS + 60_000 }, async () => {
    const epmdBefore = await tcpOpen(EPMD_PORT);
    const run = npmStart();
    await waitHealthy(run);
    const t0 = Date.now();
    process.kill(run.npm.pid!, 'SIGINT');
    await assertAllGone(run.npm.pid!, !epmdBefore, t0);
  });
});

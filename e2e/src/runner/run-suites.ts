#!/usr/bin/env node
/**
 * Runs the scenarios: `run-suites.js native` or `run-suites.js containers` runs one suite (what
 * `npm run test:e2e` and `test:e2e:containers` do); without an argument, both: the native one in
 * a private network namespace beside the containers one, at the same time (both use the same
 * port numbers on 127.0.0.1; the namespace gives the native stack a loopback of its own). Where
 * no namespace can be made (not root, no `unshare`), or with E2E_SEQUENTIAL=1, one after the other.
 *
 * With both, each suite's lines are printed as they come, prefixed with its name; the end is a
 * summary per suite and one closing line `e2e: N passed, N failed, N skipped`. Exit 1 when any
 * suite failed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseSummary, type SuiteSummary, totals } from './suite-summary';

interface Suite {
  name: (typeof SUITES)[number];
  argv: string[];
  env: NodeJS.ProcessEnv;
}

const SUITES = ['native', 'containers'] as const;
/** The scenario globs are relative to the repository root (this file runs from e2e/dist/runner). */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');
/**
 * Every scenario file of a suite in one process, one after the other (`--test-isolation=none`),
 * so that the stack one brings up serves the next ones that ask for the same settings
 * (e2e/src/stack).
 */
const TEST_ARGV = ['--test', '--test-isolation=none', '--test-reporter=spec', 'e2e/dist/*.test.js', 'e2e/dist/compose/*.test.js'];

/**
 * The native suite's command in a new network namespace: loopback up, and a veth pair so that
 * the host's network panel (node_exporter leaves `lo` out) has devices to show.
 */
function inNetworkNamespace(argv: string[]): string[] {
  const prepare = 'ip link set lo up && ip link add shopfloor0 type veth peer name shopfloor1 && ip link set shopfloor0 up && ip link set shopfloor1 up';
  return ['unshare', '--net', '--', 'sh', '-c', `${prepare} && exec "$@"`, 'sh', ...argv];
}

/** Why the suites cannot run side by side here, or undefined when they can. */
function whyNotSideBySide(): string | undefined {
  if (process.env.E2E_SEQUENTIAL === '1') return 'E2E_SEQUENTIAL=1';
  if (process.getuid?.() !== 0) return 'a network namespace needs root';
  const probe = spawnSync('unshare', ['--net', '--', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return `\`unshare --net\` failed (${probe.error?.message ?? `exit ${probe.status}`})`;
  return undefined;
}

function run(suite: Suite, children: Set<ChildProcess>): Promise<SuiteSummary> {
  const t0 = Date.now();
  const [cmd, ...args] = suite.argv;
  const child = spawn(cmd!, args, { cwd: REPO_ROOT, env: suite.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      process.stdout.write(`[${suite.name}] ${line}\n`);
    });
  }
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(parseSummary(suite.name, lines, code ?? (signal ? 128 : 1), Date.now() - t0));
    });
    child.on('error', (err) => process.stdout.write(`[${suite.name}] could not start: ${err.message}\n`));
  });
}

function suite(name: Suite['name']): Suite {
  return { name, argv: [process.execPath, ...TEST_ARGV], env: { ...process.env, E2E_STACK: name } };
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== undefined) {
    if (!(SUITES as readonly string[]).includes(only)) {
      process.stderr.write(`usage: run-suites.js [${SUITES.join('|')}]\n`);
      process.exit(2);
    }
    const [cmd, ...args] = suite(only as Suite['name']).argv;
    const child = spawn(cmd!, args, { cwd: REPO_ROOT, env: suite(only as Suite['name']).env, stdio: 'inherit' });
    // A signal sent to the runner alone (by a process manager, CI) must reach the suite too.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    child.on('close', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
    return;
  }

  const children = new Set<ChildProcess>();
  // The suites clean up on SIGINT/SIGTERM themselves (the containers one sweeps its project):
  // pass the signal on and wait for them.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      for (const child of children) child.kill(signal);
    });
  }

  const why = whyNotSideBySide();
  const native = suite('native');
  const containers = suite('containers');
  let summaries: SuiteSummary[];
  if (why) {
    process.stdout.write(`e2e: the native and containers suites one after the other (${why})\n`);
    summaries = [await run(native, children), await run(containers, children)];
  } else {
    process.stdout.write('e2e: the native suite (in a private network namespace) and the containers suite side by side\n');
    native.argv = inNetworkNamespace(native.argv);
    summaries = await Promise.all([run(native, children), run(containers, children)]);
  }

  process.stdout.write('\n');
  for (const s of summaries) {
    process.stdout.write(`e2e ${s.name}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped, ${s.cancelled} cancelled in ${(s.durationMs / 60_000).toFixed(1)} min (exit ${s.exitCode})\n`);
  }
  const all = totals(summaries);
  process.stdout.write(`e2e: ${all.passed} passed, ${all.failed} failed, ${all.skipped} skipped\n`);
  process.exitCode = summaries.every((s) => s.exitCode === 0) ? 0 : 1;
}

void main();

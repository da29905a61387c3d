#!/usr/bin/env node
/**
 * Runs the scenarios: `run-suites.js native` or `run-suites.js containers` runs one suite, every
 * file in one process (what `npm run test:e2e` and `test:e2e:containers` do); without an
 * argument, both suites, each in two shards (`./shards.ts`), the four side by side: each native
 * shard in a private network namespace (the native stack binds the port plan on 127.0.0.1: the
 * namespace gives it a loopback of its own), each containers shard as a compose project of its
 * own published on a loopback address of its own (127.0.0.1, 127.0.0.2). `E2E_SHARDS=1` runs
 * each suite in one process instead; where no namespace can be made (not root, no `unshare`), or
 * with E2E_SEQUENTIAL=1, the suites run one after the other, unsharded.
 *
 * Side by side, each shard's lines are printed as they come, prefixed with its name; the end is
 * a summary per shard and per suite, and one closing line `e2e: N passed, N failed, N skipped`. Exit 1 when any
 * shard failed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SHARDS, shardFiles, shardPlace } from './shards';
import { parseSummary, type SuiteSummary, totals } from './suite-summary';

type SuiteName = (typeof SUITES)[number];

/** One test process: a whole suite, or one shard of it. */
interface Lane {
  name: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
}

const SUITES = ['native', 'containers'] as const;
/** The scenario globs are relative to the repository root (this file runs from e2e/dist/runner). */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');
/**
 * Every scenario file of a lane in one process, one after the other (`--test-isolation=none`),
 * so that the stack one brings up serves the next ones that ask for the same settings
 * (e2e/src/stack).
 */
const TEST_ARGV = ['--test', '--test-isolation=none', '--test-reporter=spec'];
const ALL_FILES = ['e2e/dist/*.test.js', 'e2e/dist/compose/*.test.js'];

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

function run(lane: Lane, children: Set<ChildProcess>): Promise<SuiteSummary> {
  const t0 = Date.now();
  const [cmd, ...args] = lane.argv;
  const child = spawn(cmd!, args, { cwd: REPO_ROOT, env: lane.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      process.stdout.write(`[${lane.name}] ${line}\n`);
    });
  }
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(parseSummary(lane.name, lines, code ?? (signal ? 128 : 1), Date.now() - t0));
    });
    child.on('error', (err) => process.stdout.write(`[${lane.name}] could not start: ${err.message}\n`));
  });
}

/** A whole suite in one process, on the default place (`.run/e2e`, 127.0.0.1). */
function wholeSuite(name: SuiteName): Lane {
  return { name, argv: [process.execPath, ...TEST_ARGV, ...ALL_FILES], env: { ...process.env, E2E_STACK: name } };
}

/** Shard `index` of a suite: its files, its state directory and (containers) its address; native ones in a namespace. */
function shard(name: SuiteName, index: number): Lane {
  const { profile, address } = shardPlace(index);
  const argv = [process.execPath, ...TEST_ARGV, ...shardFiles(index)];
  return {
    name: `${name} ${index + 1}`,
    argv: name === 'native' ? inNetworkNamespace(argv) : argv,
    env: { ...process.env, E2E_STACK: name, E2E_PROFILE: profile, ...(name === 'containers' ? { E2E_CONTAINERS_ADDRESS: address } : {}) },
  };
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== undefined) {
    if (!(SUITES as readonly string[]).includes(only)) {
      process.stderr.write(`usage: run-suites.js [${SUITES.join('|')}]\n`);
      process.exit(2);
    }
    const lane = wholeSuite(only as SuiteName);
    const [cmd, ...args] = lane.argv;
    const child = spawn(cmd!, args, { cwd: REPO_ROOT, env: lane.env, stdio: 'inherit' });
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
  let summaries: SuiteSummary[];
  if (why) {
    process.stdout.write(`e2e: the native and containers suites one after the other (${why})\n`);
    summaries = [await run(wholeSuite('native'), children), await run(wholeSuite('containers'), children)];
  } else if (process.env.E2E_SHARDS === '1') {
    process.stdout.write('e2e: the native suite (in a private network namespace) and the containers suite side by side (E2E_SHARDS=1)\n');
    const native = wholeSuite('native');
    native.argv = inNetworkNamespace(native.argv);
    summaries = await Promise.all([run(native, children), run(wholeSuite('containers'), children)]);
  } else {
    const lanes = SUITES.flatMap((name) => SHARDS.map((_, i) => shard(name, i)));
    process.stdout.write(`e2e: ${lanes.map((l) => l.name).join(', ')} side by side (native shards in network namespaces of their own, containers shards on 127.0.0.1 and 127.0.0.2)\n`);
    summaries = await Promise.all(lanes.map((lane) => run(lane, children)));
  }

  process.stdout.write('\n');
  for (const s of summaries) {
    process.stdout.write(`e2e ${s.name}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped, ${s.cancelled} cancelled in ${(s.durationMs / 60_000).toFixed(1)} min (exit ${s.exitCode})\n`);
  }
  for (const name of SUITES) {
    const of = summaries.filter((s) => s.name === name || s.name.startsWith(`${name} `));
    const t = totals(of);
    process.stdout.write(`e2e ${name}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped\n`);
  }
  const all = totals(summaries);
  process.stdout.write(`e2e: ${all.passed} passed, ${all.failed} failed, ${all.skipped} skipped\n`);
  process.exitCode = summaries.every((s) => s.exitCode === 0) ? 0 : 1;
}

void main();

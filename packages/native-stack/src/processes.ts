import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every component runs with this variable set to its stack's state directory. Children inherit
 * it, daemons that detach from their parent too, so it finds what a stack left behind even
 * outside the process groups it recorded; a process without it is never ours.
 */
export const STACK_MARKER = 'SHOPFLOOR_STACK_DIR';

/** One spawned component as recorded in `<stateDir>/processes.json`. */
export interface RecordedProcess {
  component: string;
  /** The component's pid, also its process group (it is spawned detached). */
  pid: number;
  /** Its start time (/proc/<pid>/stat, clock ticks since boot): tells it from a later process with the same pid. */
  startTime: number;
}

/** What /proc says about one process. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  startTime: number;
  /** The executable's name (comm). */
  name: string;
  /** The value of STACK_MARKER in its environment; undefined when unset or unreadable. */
  stackDir?: string;
}

/** A process to stop and why it is ours. */
export interface Leftover {
  pid: number;
  name: string;
  /** The recorded component whose process group it is in, or the marker's component-less match. */
  component?: string;
}

export function processRecordFile(stateDir: string): string {
  return join(stateDir, 'processes.json');
}

export function readProcessRecord(stateDir: string): RecordedProcess[] {
  try {
    return JSON.parse(readFileSync(processRecordFile(stateDir), 'utf8')) as RecordedProcess[];
  } catch {
    return [];
  }
}

/** Written whole and renamed into place: a stack killed mid-write leaves the previous record. */
export function writeProcessRecord(stateDir: string, record: RecordedProcess[]): void {
  const file = processRecordFile(stateDir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * Parses /proc/<pid>/stat. The name is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from the last ')'.
 */
export function parseStat(stat: string): (Omit<ProcessInfo, 'stackDir'> & { state: string }) | undefined {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After ')': state(3) ppid(4) pgrp(5) ... starttime(22), numbered as in proc(5).
  const rest = stat.slice(close + 2).split(' ');
  const field = (n: number) => Number(rest[n - 3]);
  const info = {
    pid: Number(stat.slice(0, open).trim()),
    name: stat.slice(open + 1, close),
    state: rest[0] ?? '',
    ppid: field(4),
    pgid: field(5),
    startTime: field(22),
  };
  return Number.isInteger(info.pid) && Number.isInteger(info.startTime) ? info : undefined;
}

/** The value of `name` in a /proc/<pid>/environ blob (NUL-separated). */
export function environValue(environ: string, name: string): string | undefined {
  const prefix = `${name}=`;
  return environ.split('\0').find((entry) => entry.startsWith(prefix))?.slice(prefix.length);
}

/** Every live process /proc shows now (zombies and those that vanish while it is read are skipped). */
export function listProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      // A zombie is dead already; only its parent's wait() removes it, no signal does.
      if (!stat || stat.state === 'Z') continue;
      let stackDir: string | undefined;
      try {
        stackDir = environValue(readFileSync(`/proc/${entry}/environ`, 'latin1'), STACK_MARKER);
      } catch {
        // another user's process: not readable, and not ours
      }
      found.push({ pid: stat.pid, ppid: stat.ppid, pgid: stat.pgid, startTime: stat.startTime, name: stat.name, stackDir });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/**
 * The processes of the stack in `stateDir` among `procs`: those in a recorded process group
 * whose leader is still the recorded process (same pid and start time) or that carry the
 * stack's marker. A recorded pid that now belongs to another process, or a group without a
 * live recorded leader whose members lack the marker, is left alone. `exclude`: pids never
 * to report (the caller and its ancestors).
 */
export function selectLeftovers(procs: ProcessInfo[], record: RecordedProcess[], stateDir: string, exclude: number[] = []): Leftover[] {
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const liveGroups = new Map<number, string>();
  for (const r of record) {
    if (byPid.get(r.pid)?.startTime === r.startTime) liveGroups.set(r.pid, r.component);
  }
  const markedGroups = new Map<number, string>(record.map((r) => [r.pid, r.component]));
  const leftovers: Leftover[] = [];
  for (const p of procs) {
    if (exclude.includes(p.pid)) continue;
    const component = liveGroups.get(p.pgid) ?? (p.stackDir === stateDir ? markedGroups.get(p.pgid) : undefined);
    if (liveGroups.has(p.pgid) || p.stackDir === stateDir) leftovers.push({ pid: p.pid, name: p.name, component });
  }
  return leftovers;
}

/** "postgres (3 processes), rabbitmq (4 processes), epmd" for a log line. */
export function describeLeftovers(leftovers: Leftover[]): string {
  const counts = new Map<string, number>();
  for (const l of leftovers) {
    const key = l.component ?? l.name;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => (n === 1 ? key : `${key} (${n} processes)`)).join(', ');
}

/** The caller and its ancestors: never leftovers, whatever their environment says. */
function selfAndAncestors(procs: ProcessInfo[]): number[] {
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const chain: number[] = [];
  for (let pid: number | undefined = process.pid; pid && !chain.includes(pid); pid = byPid.get(pid)?.ppid) chain.push(pid);
  return chain;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Stops what an earlier run of the stack in `stateDir` left running (it was killed before it
 * could stop its components): SIGTERM, then SIGKILL for what is still there after `graceMs`.
 * Returns what it found, empty when nothing was left.
 */
export async function stopLeftovers(stateDir: string, graceMs = 10_000): Promise<Leftover[]> {
  const record = readProcessRecord(stateDir);
  const find = () => {
    const procs = listProcesses();
    return selectLeftovers(procs, record, stateDir, selfAndAncestors(procs));
  };
  const found = find();
  for (const l of found) signal(l.pid, 'SIGTERM');
  const gone = async (ms: number) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
      if (find().length === 0) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return find().length === 0;
  };
  if (found.length > 0 && !(await gone(graceMs))) {
    // Ignored SIGTERM, or appeared meanwhile (a child forked while its parent was stopping).
    for (const l of find()) signal(l.pid, 'SIGKILL');
    if (!(await gone(5_000))) throw new Error(`could not stop the leftovers of an earlier run: ${describeLeftovers(find())}`);
  }
  return found;
}

/** True when `pid` is a running process: neither gone nor a zombie (which `kill(pid, 0)` cannot tell apart). */
export function processRunning(pid: number): boolean {
  try {
    const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return stat !== undefined && stat.state !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Removes a pid file (first line: the pid, as PostgreSQL's postmaster.pid) whose process is not
 * running. PostgreSQL takes a zombie for a live server and refuses to start; where PID 1 does not
 * reap orphans (some container and VM inits), a server stopped after its stack was killed stays
 * a zombie for good.
 */
export function removeStaleLockFile(file: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').split('\n', 1)[0]!.trim());
  } catch {
    return false; // no lock file
  }
  if (Number.isInteger(pid) && pid > 0 && processRunning(pid)) return false;
  rmSync(file, { force: true });
  return true;
}

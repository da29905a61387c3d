import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@shopfloor/stack-contract';
import { RestartBackoff, type BackoffPolicy } from './backoff';
import { ensurePortFree } from './port-free';
import type { ComponentSpec } from './types';

/** What the supervisor says when a component that was healthy exits without being asked to. */
export interface CrashReport {
  component: string;
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** How long it had been healthy. */
  upMs: number;
  /** Delay before the restart; undefined when this component is not restarted. */
  restartInMs?: number;
  logFile: string;
  /** The last lines of its log. */
  logTail: string;
  /** One line naming the component, its exit and what happens next, then the log tail. */
  message: string;
}

export interface SuperviseOptions {
  /** Restart after a crash with this backoff; without it a crash is reported only. */
  restart?: BackoffPolicy;
  /** Where crash reports go; default: stderr. */
  onCrash?: (report: CrashReport) => void;
  /** A restart after a crash brought it back (healthy again). */
  onRestarted?: (component: string, attempt: number) => void;
  /** A restart after a crash failed; another one follows after `retryInMs`. */
  onRestartFailed?: (component: string, error: Error, retryInMs: number) => void;
  /** A child was spawned (every start and restart): its pid, which is also its process group. */
  onSpawn?: (component: string, pid: number) => void;
}

const TAIL_LINES = 15;

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return code !== null ? `exit code ${code}` : `signal ${signal}`;
}

function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return ms >= 10_000 || ms % 1000 === 0 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * One component: its child process, its log file, and how to stop it. Once started it is
 * supervised: an exit after it became healthy that no stop() asked for is reported (and, with
 * a restart policy, followed by a restart with backoff), like compose's `restart: unless-stopped`.
 */
export class ManagedProcess {
  private child?: ChildProcess;
  private log?: WriteStream;
  private exited?: Promise<void>;
  /** Between start() and stop(): the component should be running. */
  private wanted = false;
  /** When the current child became healthy; undefined while starting or after it exited. */
  private healthySince?: number;
  private restartTimer?: NodeJS.Timeout;
  private readonly backoff?: RestartBackoff;
  /** Restarts after crashes since the last deliberate start. */
  private attempt = 0;
  readonly logFile: string;

  constructor(
    readonly spec: ComponentSpec,
    logDir: string,
    private readonly supervise: SuperviseOptions = {},
  ) {
    this.logFile = join(logDir, `${spec.name}.log`);
    if (supervise.restart) this.backoff = new RestartBackoff(supervise.restart);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The child's pid (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Running and past its health check (after a start or a restart). */
  get healthy(): boolean {
    return this.running && this.healthySince !== undefined;
  }

  /** Starts it and waits until it is healthy; from then on it is supervised. */
  async start(): Promise<void> {
    this.cancelRestart();
    this.wanted = true;
    this.attempt = 0;
    this.backoff?.reset();
    try {
      await this.launch();
    } catch (err) {
      this.wanted = false;
      this.closeLog();
      throw err;
    }
  }

  private async launch(): Promise<void> {
    const { spec } = this;
    for (const [what, port] of Object.entries(spec.ports)) await ensurePortFree(port, `${spec.name} ${what}`);
    await spec.prepare?.();
    // stop() while we were preparing: do not spawn behind its back.
    if (!this.wanted) throw new Error(`${spec.name} was stopped while starting`);
    this.closeLog();
    this.log = createWriteStream(this.logFile, { flags: 'a' });
    // Output that arrives after the log was closed (a late pipe flush) is dropped, not a crash.
    this.log.on('error', () => {});
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      uid: spec.uid,
      gid: spec.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: Ctrl-C in the terminal reaches the CLI only, which stops children in order.
      detached: true,
    });
    this.child = child;
    this.healthySince = undefined;
    if (child.pid !== undefined) this.supervise.onSpawn?.(spec.name, child.pid);
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => void this.exitedOnItsOwn(child, code, signal, closed));
    child.once('error', (err) => this.log?.write(`[native-stack] spawn failed: ${err.message}\n`));

    try {
      await waitFor(
        async () => {
          if (!this.running) throw new Error(`${spec.name} exited (${describeExit(child.exitCode, child.signalCode)})`);
          return (await spec.healthy()) ? true : undefined;
        },
        { what: `${spec.name} to become healthy`, timeoutMs: spec.startTimeoutMs ?? 60_000 },
      );
      await spec.afterStart?.();
      if (!this.running) throw new Error(`${spec.name} exited (${describeExit(child.exitCode, child.signalCode)})`);
      this.healthySince = Date.now();
    } catch (err) {
      await this.kill();
      await this.flushLog();
      throw new Error(`${(err as Error).message}\n--- last lines of ${this.logFile} ---\n${this.tail(25)}`);
    }
  }

  /** The child exited: report it unless a stop() asked for it or it never became healthy. */
  private async exitedOnItsOwn(
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
    closed: Promise<void>,
  ): Promise<void> {
    if (child !== this.child || !this.wanted || this.healthySince === undefined) return;
    const upMs = Date.now() - this.healthySince;
    this.healthySince = undefined;
    // Its last words may still be in the pipes: wait for them (bounded: a grandchild may hold them open).
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1_000).unref())]);
    await this.flushLog();
    const logTail = this.tail(TAIL_LINES);
    const restartInMs = this.backoff && this.wanted ? this.backoff.next(upMs) : undefined;
    const next =
      restartInMs === undefined
        ? 'not restarted (no restart policy for it)'
        : `restarting in ${seconds(restartInMs)} (restart ${this.attempt + 1})`;
    const message =
      `[shopfloor] ${this.spec.name} died (${describeExit(code, signal)}) after ${seconds(upMs)} up; ${next}. ` +
      `Last lines of ${this.logFile}:\n${logTail.replace(/\n+$/, '').replace(/^/gm, '  | ')}\n`;
    this.log?.write(`[native-stack] ${this.spec.name} died (${describeExit(code, signal)})\n`);
    const report: CrashReport = { component: this.spec.name, code, signal, upMs, restartInMs, logFile: this.logFile, logTail, message };
    (this.supervise.onCrash ?? ((r: CrashReport) => process.stderr.write(r.message)))(report);
    if (restartInMs !== undefined) this.scheduleRestart(restartInMs);
  }

  private scheduleRestart(delayMs: number): void {
    this.cancelRestart();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.wanted) return;
      this.attempt++;
      this.log?.write(`[native-stack] restart ${this.attempt} of ${this.spec.name}\n`);
      this.launch().then(
        () => this.supervise.onRestarted?.(this.spec.name, this.attempt),
        (err: Error) => {
          if (!this.wanted) return; // stopped while restarting: not a failure
          const retryInMs = this.backoff!.next(0);
          if (this.supervise.onRestartFailed) this.supervise.onRestartFailed(this.spec.name, err, retryInMs);
          else process.stderr.write(`[shopfloor] restart of ${this.spec.name} failed, next try in ${seconds(retryInMs)}: ${err.message}\n`);
          this.scheduleRestart(retryInMs);
        },
      );
    }, delayMs);
  }

  private cancelRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  /**
   * Stops the process (its stop signal, then SIGKILL after a grace period) and waits for it.
   * A deliberate stop: no report, no restart (until the next start()).
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.wanted = false;
    this.cancelRestart();
    await this.kill(graceMs);
    this.closeLog();
  }

  private async kill(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const signal = this.spec.stopSignal ?? 'SIGTERM';
    child.kill(signal);
    const killer = setTimeout(() => {
      this.log?.write(`[native-stack] ${this.spec.name} ignored ${signal} for ${graceMs} ms: SIGKILL\n`);
      child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(killer);
  }

  /** Resolves once everything written to the log so far is in the file. */
  private flushLog(): Promise<void> {
    const log = this.log;
    return log && !log.writableEnded ? new Promise((resolve) => log.write('', () => resolve())) : Promise.resolve();
  }

  private closeLog(): void {
    this.log?.end();
    this.log = undefined;
  }

  tail(lines: number): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines - 1).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

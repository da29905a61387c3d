import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { ensurePortFree, waitFor } from './health';
import type { ComponentSpec } from './types';

/** One running component: its child process, its log file, and how to stop it. */
export class ManagedProcess {
  private child?: ChildProcess;
  private log?: WriteStream;
  private exited?: Promise<void>;
  readonly logFile: string;

  constructor(readonly spec: ComponentSpec, logDir: string) {
    this.logFile = join(logDir, `${spec.name}.log`);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const { spec } = this;
    for (const [what, port] of Object.entries(spec.ports)) await ensurePortFree(port, `${spec.name} ${what}`);
    await spec.prepare?.();
    this.log = createWriteStream(this.logFile, { flags: 'a' });
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
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('error', (err) => this.log?.write(`[native-stack] spawn failed: ${err.message}\n`));

    try {
      await waitFor(
        async () => {
          if (!this.running) throw new Error(`${spec.name} exited (code ${child.exitCode ?? child.signalCode})`);
          return (await spec.healthy()) ? true : undefined;
        },
        { what: `${spec.name} to become healthy`, timeoutMs: spec.startTimeoutMs ?? 60_000 },
      );
      await spec.afterStart?.();
    } catch (err) {
      await this.stop();
      throw new Error(`${(err as Error).message}\n--- last lines of ${this.logFile} ---\n${this.tail(25)}`);
    }
  }

  /** Stops the process (its stop signal, then SIGKILL after a grace period) and waits for it. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return this.closeLog();
    const signal = this.spec.stopSignal ?? 'SIGTERM';
    child.kill(signal);
    const killer = setTimeout(() => {
      this.log?.write(`[native-stack] ${this.spec.name} ignored ${signal} for ${graceMs} ms: SIGKILL\n`);
      child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(killer);
    this.closeLog();
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

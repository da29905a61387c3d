import { ConfigError } from './config';
import { describeError } from './errors';
import type { Logger } from './logger';
import { ShutdownInProgressError } from './retry';

/**
 * Graceful shutdown on SIGTERM/SIGINT: aborts `signal`, then runs the registered steps in
 * reverse order of registration (register the pool first and the HTTP server last, so the
 * server stops accepting first and the pool closes last), then exits 0: naturally once the
 * event loop is empty (a telemetry preload flushes on 'beforeExit'), or via process.exit
 * after `exitGraceMs`. Exits 1 if the steps take longer than `timeoutMs`, or on a second signal.
 */
export class Lifecycle {
  private readonly controller = new AbortController();
  private readonly steps: Array<{ name: string; run: () => unknown }> = [];
  private shuttingDown = false;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = 15_000,
    private readonly exitGraceMs = 3000,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Registers a shutdown step (LIFO). */
  defer(name: string, run: () => unknown): void {
    this.steps.push({ name, run });
  }

  installSignalHandlers(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (this.shuttingDown) {
          this.logger.warn({ signal }, 'second signal during shutdown; exiting now');
          process.exit(1);
        }
        void this.shutdown(signal);
      });
    }
  }

  async shutdown(reason: string, exitCode = 0): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.logger.info({ reason }, 'shutting down');
    this.controller.abort();
    const timer = setTimeout(() => {
      this.logger.error({ timeoutMs: this.timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, this.timeoutMs);
    // Not unref'd: a step that waits on a promise nothing will settle (no handle left) must end in
    // exit 1 after timeoutMs, not in a silent exit 0 with the remaining steps skipped.
    for (const step of [...this.steps].reverse()) {
      try {
        await step.run();
        this.logger.debug({ step: step.name }, 'shutdown step done');
      } catch (err) {
        this.logger.warn({ step: step.name, error: describeError(err) }, 'shutdown step failed');
      }
    }
    this.logger.info('shutdown complete');
    // Let the process end by itself once the event loop is empty, so a telemetry preload can
    // flush on 'beforeExit'; if some handle keeps the loop alive, exit anyway shortly after.
    process.exitCode = exitCode;
    clearTimeout(timer);
    setTimeout(() => process.exit(exitCode), this.exitGraceMs).unref();
  }
}

/**
 * Runs the service's async `main`. A ConfigError is printed as-is (it names the bad variables);
 * any other start-up failure is printed with its stack. Both exit 1.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ShutdownInProgressError) return; // the shutdown in progress exits the process
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

/**
 * Flushing on the way out, without changing how the process dies.
 *
 * The stock `@opentelemetry/auto-instrumentations-node/register` adds a
 * SIGTERM listener that only shuts the SDK down. Merely having a listener
 * replaces Node's default action (terminate), so a SIGTERM'd server keeps
 * serving. Here, when our listener is the only one, we flush with a hard
 * timeout, remove ourselves and re-raise the signal, so the process ends
 * exactly as it would have without us (killed by that signal). When the app
 * has its own listener, the exit is the app's business: we flush and step
 * aside.
 */
import type { Logger } from './utils';
import { settleWithin } from './utils';

export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/** Default hard limit on flushing at exit. */
export const SHUTDOWN_TIMEOUT_MS = 2000;

export interface Flushable {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The parts of `process` used here (a fake in unit tests). */
export interface ProcessLike {
  readonly pid: number;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: string): unknown;
  exit(code?: number): unknown;
}

export interface ShutdownOptions {
  logger: Logger;
  timeoutMs?: number;
  proc?: ProcessLike;
}

/** Installs the hooks; returns a function removing them. */
export function installShutdownHooks(target: Flushable, opts: ShutdownOptions): () => void {
  const proc: ProcessLike = opts.proc ?? process;
  const timeoutMs = opts.timeoutMs ?? SHUTDOWN_TIMEOUT_MS;
  const { logger } = opts;
  let shuttingDown = false;

  const safely = (work: () => Promise<void>): Promise<void> => {
    try {
      return work().catch(err => {
        logger.debug(`flush at exit failed: ${String(err)}`);
      });
    } catch (err) {
      logger.debug(`flush at exit failed: ${String(err)}`);
      return Promise.resolve();
    }
  };

  /** Lets the signal do what it would have done without us. */
  const reRaise = (signal: ShutdownSignal): void => {
    proc.removeListener(signal, handlers[signal]);
    // With no listener left Node restores the default action, so this
    // terminates the process by `signal`. If the app added a listener while
    // we were flushing, the app receives it instead, as it would have.
    try {
      proc.kill(proc.pid, signal);
    } catch (err) {
      // Platforms where a process cannot signal itself: exit the way a shell
      // reports death by signal.
      logger.debug(`could not re-raise ${signal}: ${String(err)}`);
      proc.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
  };

  const onSignal = (signal: ShutdownSignal): void => {
    if (proc.listenerCount(signal) > 1) {
      // The app (or another library) handles this signal and decides when to
      // exit. Flush what we have; the beforeExit hook catches anything later.
      void safely(() => target.forceFlush());
      return;
    }
    if (shuttingDown) {
      // Second signal while flushing: the user insists, stop waiting.
      reRaise(signal);
      return;
    }
    shuttingDown = true;
    void settleWithin(
      safely(() => target.shutdown()),
      timeoutMs,
    ).then(outcome => {
      if (outcome === 'timeout') logger.warn(`telemetry flush did not finish within ${timeoutMs} ms after ${signal}; exiting without it`);
      reRaise(signal);
    });
  };

  const handlers: Record<ShutdownSignal, () => void> = {
    SIGTERM: () => onSignal('SIGTERM'),
    SIGINT: () => onSignal('SIGINT'),
  };

  // beforeExit fires when the event loop is empty: the process is about to
  // end naturally. Flush once. Exporting adds work to the loop, so beforeExit
  // will fire again afterwards; by then we are no longer listening.
  const onBeforeExit = (): void => {
    void settleWithin(
      safely(() => target.forceFlush()),
      timeoutMs,
    ).then(outcome => {
      // Past the deadline, only our own export (e.g. retries against an
      // unresponsive Collector) can be keeping the loop alive, unless the app
      // also listens to beforeExit and scheduled work of its own. In the
      // first case, end the process as it was about to end anyway.
      if (outcome === 'timeout' && proc.listenerCount('beforeExit') === 0) {
        logger.warn(`telemetry flush did not finish within ${timeoutMs} ms at exit; exiting without it`);
        proc.exit();
      }
    });
  };

  for (const signal of SHUTDOWN_SIGNALS) proc.on(signal, handlers[signal]);
  proc.once('beforeExit', onBeforeExit);

  return () => {
    for (const signal of SHUTDOWN_SIGNALS) proc.removeListener(signal, handlers[signal]);
    proc.removeListener('beforeExit', onBeforeExit);
  };
}

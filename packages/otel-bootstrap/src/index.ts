/**
 * The preload: `node --require @shopfloor/otel-bootstrap app.js`.
 *
 * Kept thin on purpose. It parses the environment (no OpenTelemetry module is
 * loaded for that), reports configuration problems, and only then loads and
 * starts the SDK — inside a try/catch, because a telemetry bug must never stop
 * the app from starting.
 */
import { isMainThread } from 'worker_threads';
import { parseConfig } from './config';
import type { Handle } from './start';
import { describeError, Logger } from './utils';

/** Shared across copies of this module (e.g. preloaded twice via NODE_OPTIONS and --require). */
const STATE_KEY = Symbol.for('@shopfloor/otel-bootstrap');

interface State {
  handle: Handle | undefined;
}

function boot(): State {
  const g = globalThis as { [STATE_KEY]?: State };
  const existing = g[STATE_KEY];
  if (existing) return existing;
  const state: State = { handle: undefined };
  g[STATE_KEY] = state;

  // --require also runs in worker threads; one SDK per process is enough (a
  // second one would fight over the Prometheus port and double-count).
  if (!isMainThread) return state;

  let logger: Logger | undefined;
  try {
    const { config, warnings } = parseConfig(process.env);
    logger = new Logger(config.logLevel);
    for (const w of warnings) logger.warn(w.message);
    if (config.disabled) return state;
    const { start } = require('./start') as typeof import('./start');
    state.handle = start(config, warnings, logger);
  } catch (err) {
    (logger ?? new Logger('warn')).warn(`failed to start; the app runs without telemetry: ${describeError(err)}`);
  }
  return state;
}

const state = boot();

/**
 * Exports spans still queued. For apps that end with `process.exit()` in their
 * own signal handler: `await forceFlush()` first. No-op when disabled.
 */
export function forceFlush(): Promise<void> {
  return state.handle?.forceFlush().catch(() => {}) ?? Promise.resolve();
}

/** Flushes and stops all telemetry. No-op when disabled. */
export function shutdown(): Promise<void> {
  return state.handle?.shutdown().catch(() => {}) ?? Promise.resolve();
}

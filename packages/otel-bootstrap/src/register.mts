/**
 * The ES-module entry: `node --import @shopfloor/otel-bootstrap/register app.mjs`.
 *
 * An ES-module app links its whole module graph before any of its code runs,
 * and `import` never goes through `require()`, so the CommonJS preload's
 * require hooks do not see what the app imports. This entry therefore first
 * registers import-in-the-middle's loader hook (`module.register`), limited to
 * the packages and core modules the enabled instrumentations patch
 * (`include`: every other module is loaded untouched, with no wrapper), then
 * marks the process as started under --import and loads the CommonJS preload,
 * which starts everything (and, seeing the mark, creates the instrumentations
 * at start-up instead of at the first require).
 *
 * Same guarantees as the CommonJS preload: nothing here throws into the app (a
 * failure is one warning on stderr and the app runs), OTEL_SDK_DISABLED=true
 * registers no hook and loads no OpenTelemetry module (nor
 * import-in-the-middle), and only the main thread is instrumented (--import
 * also runs in worker threads).
 *
 * Compiled to register.mjs (an ES module: `--import` needs one to run before
 * the app's graph is linked); everything else it uses is the package's
 * CommonJS code, loaded through `createRequire`.
 */
import module from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

type Config = typeof import('./config.js');
type Catalog = typeof import('./catalog.js');
type Utils = typeof import('./utils.js');
type Preload = typeof import('./index.js');

/** Read by start.ts: instrumentations are created at start-up, not at the first require. */
const ESM_FLAG = Symbol.for('@shopfloor/otel-bootstrap.esm');
/** Set by index.ts once the CommonJS preload has booted (e.g. from an earlier --require). */
const PRELOAD_STATE = Symbol.for('@shopfloor/otel-bootstrap');
/** This entry ran already (two copies, or imported twice). */
const REGISTERED = Symbol.for('@shopfloor/otel-bootstrap.register');

// `require` is not defined in an ES module; `module.createRequire` is looked up
// at call time (default import) so a failing `register` can be simulated in tests.
const require = module.createRequire(import.meta.url);

/**
 * The loader hook of the import-in-the-middle copy that the instrumentations'
 * own `Hook()` calls use: the instrumentation packages are required from
 * auto-instrumentations-node's location, and they (and it) use its
 * @opentelemetry/instrumentation. A hook from another copy would wrap modules
 * whose hooks never fire. Only resolved, not loaded, here.
 */
function iitmLoaderUrl(): URL {
  const fromBundle = module.createRequire(require.resolve('@opentelemetry/auto-instrumentations-node'));
  const fromInstrumentation = module.createRequire(fromBundle.resolve('@opentelemetry/instrumentation'));
  return pathToFileURL(fromInstrumentation.resolve('import-in-the-middle/hook.mjs'));
}

function boot(): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[REGISTERED]) return;
  g[REGISTERED] = true;
  if (!isMainThread) return;

  let warn = (message: string): void => {
    try {
      process.stderr.write(`[otel-bootstrap] warn: ${message}\n`);
    } catch {
      // stderr gone: stay silent.
    }
  };
  let describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));
  try {
    const { Logger, describeError } = require('./utils.js') as Utils;
    describe = describeError;
    if (g[PRELOAD_STATE] !== undefined) {
      // `--require @shopfloor/otel-bootstrap` (e.g. in NODE_OPTIONS) ran first
      // and started the SDK for a CommonJS app: it stays as it is.
      warn(
        'both --require @shopfloor/otel-bootstrap and --import @shopfloor/otel-bootstrap/register are given; ' +
          'the CommonJS preload started first, so modules the app imports are not instrumented (use only --import for an ES-module app)',
      );
      return;
    }
    const { parseConfig } = require('./config.js') as Config;
    // Configuration warnings are reported once, by the CommonJS preload below.
    const { config } = parseConfig(process.env);
    if (!config.disabled) {
      const logger = new Logger(config.logLevel);
      warn = message => void logger.warn(message);
      try {
        const { triggerModules } = require('./catalog.js') as Catalog;
        const include = triggerModules(config.instrumentations);
        module.register(iitmLoaderUrl(), import.meta.url, { data: { include } });
      } catch (err) {
        warn(`the ES-module loader hook is not registered, so modules the app imports are not instrumented: ${describe(err)}`);
      }
      // Even without the hook: instrumentations created at start-up still
      // patch what is loaded through require() (e.g. inside CommonJS packages).
      g[ESM_FLAG] = true;
    }
  } catch (err) {
    warn(`the ES-module entry failed; the app runs without telemetry: ${describe(err)}`);
    return;
  }
  // Disabled: the CommonJS preload only reports configuration warnings and
  // loads nothing else, exactly as under --require.
  try {
    require('./index.js');
  } catch (err) {
    warn(`failed to start; the app runs without telemetry: ${describe(err)}`);
  }
}

boot();

const noop = (): Promise<void> => Promise.resolve();

/**
 * The CommonJS preload's `forceFlush` / `shutdown`, for ES-module apps:
 * `import { forceFlush } from '@shopfloor/otel-bootstrap/register'`.
 */
function preload(): Partial<Preload> {
  try {
    return require('./index.js') as Preload;
  } catch {
    return {};
  }
}

/** Exports spans still queued (see the CommonJS preload). No-op when disabled. */
export function forceFlush(): Promise<void> {
  return (preload().forceFlush ?? noop)();
}

/** Flushes and stops all telemetry. No-op when disabled. */
export function shutdown(): Promise<void> {
  return (preload().shutdown ?? noop)();
}

/**
 * Loading instrumentations only when the app uses what they instrument.
 *
 * beforeFirstRequire: runs a callback just before the app first require()s a given package, so an
 * instrumentation can be loaded only when the library it instruments is: an
 * app that never requires pg never loads instrumentation-pg (nor its
 * dependencies). The callback runs before the module is loaded, and the
 * require then goes through Module.prototype.require again, so a require hook
 * the callback installs (require-in-the-middle) sees this very require.
 *
 * No OpenTelemetry module is imported here.
 */
import * as diagnosticsChannel from 'diagnostics_channel';
import { existsSync } from 'fs';
import * as path from 'path';
import Module = require('module');

type RequireFn = (this: unknown, id: string) => unknown;

interface Entry {
  names: readonly string[];
  load: () => void;
}

const pending = new Map<string, Entry>();
let installed = false;

/**
 * The package a bare specifier names: `pg/lib/client` → `pg`, `@scope/pkg/x`
 * → `@scope/pkg`, `node:http` → `http`. Undefined for relative and absolute
 * paths (they never name a package by itself).
 */
export function packageOf(id: string): string | undefined {
  if (id === '' || id.startsWith('.') || id.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(id)) return undefined;
  const bare = id.startsWith('node:') ? id.slice(5) : id;
  const parts = bare.split('/');
  return bare.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function install(): void {
  if (installed) return;
  installed = true;
  const proto = Module.prototype as unknown as { require: RequireFn };
  const original = proto.require;
  proto.require = function lazyInstrumentationRequire(this: unknown, id: string): unknown {
    if (pending.size > 0 && typeof id === 'string') {
      const name = packageOf(id);
      const entry = name === undefined ? undefined : pending.get(name);
      if (entry) {
        for (const n of entry.names) pending.delete(n);
        try {
          entry.load();
        } catch {
          // `load` reports its own failures; the app's require goes on regardless.
        }
        // Again through the (possibly just hooked) require, which no longer stops here.
        // eslint-disable-next-line prefer-rest-params
        return proto.require.apply(this, arguments as unknown as [string]);
      }
    }
    // eslint-disable-next-line prefer-rest-params
    return original.apply(this, arguments as unknown as [string]);
  };
}

/** Calls `load` once, just before the first require() of any of `names`. */
export function beforeFirstRequire(names: readonly string[], load: () => void): void {
  install();
  const entry: Entry = { names, load };
  for (const n of names) pending.set(n, entry);
}

/**
 * Global fetch() is undici inside Node: it is never require()d, and reports
 * requests on diagnostics channels. Returns a function that calls `load` once
 * (call it at any time, e.g. at the first idle moment); until then a listener
 * on `undici:request:create` calls it on the first request, then publishes that
 * message again so the listeners `load` subscribed (instrumentation-undici)
 * see this request too. Other listeners of that channel, if any, see its
 * creation twice — only for a fetch() made before `load` ran.
 */
export function beforeFirstFetch(load: () => void): () => void {
  const channel = diagnosticsChannel.channel('undici:request:create');
  let done = false;
  const now = (): void => {
    if (done) return;
    done = true;
    channel.unsubscribe(onCreate);
    try {
      load();
    } catch {
      // `load` reports its own failures.
    }
  };
  function onCreate(message: unknown): void {
    if (done) return;
    now();
    channel.publish(message);
  }
  channel.subscribe(onCreate);
  return now;
}

/**
 * Whether `name` (a core module or a package) can be loaded by the app: a core
 * module, or a package folder in a node_modules above the main script (the
 * working directory for `node -e`). A directory check, not require.resolve:
 * ESM-only packages have no `require` export to resolve.
 */
export function isInstalled(name: string, from: string = appDirectory()): boolean {
  if (Module.isBuiltin(name)) return true;
  for (let dir = from; ; ) {
    if (existsSync(path.join(dir, 'node_modules', name, 'package.json'))) return true;
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

function appDirectory(): string {
  const main = process.argv[1];
  return main ? path.dirname(path.resolve(main)) : process.cwd();
}

/**
 * Small helpers with no run-time OpenTelemetry imports, so the preload can
 * report configuration problems even when it then decides to load nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { LogLevelName } from './types';

export const PREFIX = '[otel-bootstrap]';

type Severity = 'error' | 'warn' | 'info' | 'debug' | 'verbose';

const RANK: Record<LogLevelName | Severity, number> = {
  none: 0,
  error: 1,
  warn: 2,
  info: 3,
  debug: 4,
  verbose: 5,
  all: 6,
};

/** Bound on remembered messages: a pathological stream of distinct messages cannot grow memory without limit. */
const MAX_REMEMBERED = 1000;

/**
 * The preload's only voice: prefixed lines on stderr, filtered by
 * OTEL_LOG_LEVEL, and de-duplicated so that a recurring problem (a dead
 * Collector, a full queue) is reported once, not once per export.
 *
 * Messages are de-duplicated on a key that ignores digits, so "Dropped 3
 * spans" and "Dropped 17 spans" count as the same message. Callers that want
 * a problem reported again later (a new export-failure streak) pass an
 * explicit key and `forget` it when the problem clears.
 */
export class Logger {
  private readonly seen = new Set<string>();
  /** Substrings that mark a message as a repeat of a configuration warning already given. */
  private readonly alreadyReported: string[] = [];

  constructor(
    readonly level: LogLevelName,
    private readonly write: (line: string) => void = line => process.stderr.write(line),
  ) {}

  enabled(severity: Severity): boolean {
    return RANK[severity] <= RANK[this.level];
  }

  /** Logs unless filtered or already said; returns whether a line was written. */
  log(severity: Severity, message: string, key = dedupeKey(severity, message)): boolean {
    if (!this.enabled(severity)) return false;
    if (this.seen.has(key)) return false;
    if (this.seen.size >= MAX_REMEMBERED) this.seen.clear();
    this.seen.add(key);
    try {
      this.write(`${PREFIX} ${severity}: ${message}\n`);
    } catch {
      // stderr closed or broken: telemetry must not hurt the app, so stay silent.
    }
    return true;
  }

  error(message: string, key?: string): boolean {
    return this.log('error', message, key);
  }
  warn(message: string, key?: string): boolean {
    return this.log('warn', message, key);
  }
  info(message: string, key?: string): boolean {
    return this.log('info', message, key);
  }
  debug(message: string, key?: string): boolean {
    return this.log('debug', message, key);
  }

  /** Allows the message stored under `key` to be logged again. */
  forget(key: string): void {
    this.seen.delete(key);
  }

  /**
   * Marks a variable (and its rejected value) as reported by config.ts. The
   * SDK re-reads some variables itself and complains in its own words; those
   * echoes are dropped by `isEchoOfConfigWarning`.
   */
  markReported(variable: string, value: string): void {
    this.alreadyReported.push(variable);
    // Only distinctive values: quoting "1" would swallow unrelated messages.
    if (value.length >= 3) this.alreadyReported.push(`'${value}'`, `"${value}"`);
  }

  isEchoOfConfigWarning(message: string): boolean {
    return this.alreadyReported.some(s => message.includes(s));
  }
}

export function dedupeKey(severity: string, message: string): string {
  return `${severity}:${message.replace(/\d+/g, '#')}`;
}

/**
 * One line describing an error, without stack. Node's connection errors can
 * be AggregateErrors with an empty message (happy eyeballs tries ::1 and
 * 127.0.0.1), so their inner errors are spelled out.
 */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    const inner = [...new Set(err.errors.map(describeError))];
    return inner.join('; ');
  }
  if (err instanceof Error) {
    const code: unknown = (err as { code?: unknown }).code;
    const msg = err.message || err.name;
    // OTLPExporterError carries the HTTP status as a numeric code.
    if (typeof code === 'number') return `HTTP ${code}${msg ? ` ${msg}` : ''}`;
    return typeof code === 'string' && !msg.includes(code) ? `${code}: ${msg}` : msg;
  }
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

/**
 * Resolves when `work` settles or after `ms`, whichever comes first, and
 * reports which. The timer is unref'd: waiting for telemetry must never be the
 * reason a process stays alive.
 */
export function settleWithin(work: Promise<unknown>, ms: number): Promise<'settled' | 'timeout'> {
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
    const settled = () => {
      clearTimeout(timer);
      resolve('settled');
    };
    work.then(settled, settled);
  });
}

export interface PackageInfo {
  name?: string;
  version?: string;
  /** The package.json file the values came from. */
  file: string;
}

/**
 * The nearest package.json with a "name", walking up from `startDir`.
 * package.json files without a name (e.g. `{"type": "commonjs"}` markers in
 * build folders) are skipped. Never throws.
 */
export function findNearestPackage(
  startDir: string,
  readFile: (file: string) => string = f => fs.readFileSync(f, 'utf8'),
): PackageInfo | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    const file = path.join(dir, 'package.json');
    let text: string | undefined;
    try {
      text = readFile(file);
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      try {
        const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
        if (typeof pkg.name === 'string' && pkg.name !== '') {
          return {
            name: pkg.name,
            version: typeof pkg.version === 'string' && pkg.version !== '' ? pkg.version : undefined,
            file,
          };
        }
      } catch {
        // Unparseable package.json: keep walking, it tells us nothing.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

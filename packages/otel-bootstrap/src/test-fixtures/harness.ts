/**
 * Test plumbing for the child-process tests: a capture server standing in for
 * the Collector, a launcher for `node --require <preload> server.js`, and a
 * poll-with-deadline helper (no fixed sleeps: every wait names what it waits
 * for and fails saying what was missing).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import * as zlib from 'zlib';

export const PRELOAD = path.resolve(__dirname, '..', 'index.js');
export const FIXTURE_SERVER = path.resolve(__dirname, 'server.js');

/** Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
  describeState: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const state = describeState();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state ? `\n${state}` : ''}`);
    }
    await new Promise(r => setTimeout(r, 25));
  }
}

export interface Reply {
  status: number;
  body: string;
  ms: number;
}

export function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', c => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - started }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/**
 * Where `freePort()` picks: below the kernel's ephemeral range (32768 and up), so no `listen(0)`
 * and no outgoing connection of any process gets a port a test keeps closed on purpose; and one
 * range per test run (`SHOPFLOOR_TEST_PORTS=from-to`), so two runs side by side (the unit tests
 * and the preload's tests on Node 22) never pick the same one.
 */
const PORT_RANGE = ((): { from: number; to: number } => {
  const m = /^(\d+)-(\d+)$/.exec(process.env.SHOPFLOOR_TEST_PORTS ?? '');
  return m ? { from: Number(m[1]), to: Number(m[2]) } : { from: 20000, to: 24999 };
})();
const handedOut = new Set<number>();

/** A port of this run's range that was free a moment ago (listened on, closed) and not handed out before by this process. */
export async function freePort(): Promise<number> {
  const span = PORT_RANGE.to - PORT_RANGE.from + 1;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * span);
    if (handedOut.has(port)) continue;
    const server = http.createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!free) continue;
    await new Promise<void>((r) => server.close(() => r()));
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port in ${PORT_RANGE.from}-${PORT_RANGE.to} after 200 tries`);
}

// ---- capture server -------------------------------------------------------

type AnyValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

export interface CapturedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

function flatten(kvs: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of kvs ?? []) {
    out[key] = value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue ?? value;
  }
  return out;
}

/** One POST as received: path and the headers that say how the body is encoded. */
export interface CapturedRequest {
  path: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  authorization: string | undefined;
}

export interface CapturedLogRecord {
  body?: unknown;
  severityText?: string;
  traceId?: string;
  spanId?: string;
  attributes: Record<string, unknown>;
}

export interface Capture {
  url: string;
  /** Raw (decompressed) JSON request bodies received on /v1/traces, in order. */
  bodies: string[];
  /** Raw (decompressed) JSON request bodies received on /v1/logs, in order. */
  logBodies: string[];
  /** Every POST, on any path, in order. */
  requests: CapturedRequest[];
  logRecords: () => CapturedLogRecord[];
  /** Number of POSTs received (including rejected ones). */
  posts: () => number;
  spans: () => CapturedSpan[];
  /** 'ok' answers 200; 'reject' answers 400 (a non-retryable export failure). */
  setMode: (mode: 'ok' | 'reject') => void;
  close: () => Promise<void>;
}

/**
 * A stand-in Collector on 127.0.0.1, port 0 (or `port`): records every POST; keeps the
 * bodies of OTLP/HTTP JSON traces and logs (gzip or not). Protobuf bodies are
 * acknowledged and recorded in `requests` only.
 */
export async function startCapture(port = 0): Promise<Capture> {
  const bodies: string[] = [];
  const logBodies: string[] = [];
  const requests: CapturedRequest[] = [];
  let posts = 0;
  let mode: 'ok' | 'reject' = 'ok';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      if (req.method !== 'POST' || !['/v1/traces', '/v1/logs', '/v1/metrics'].includes(path)) {
        res.writeHead(404).end();
        return;
      }
      const contentType = req.headers['content-type'];
      const contentEncoding = req.headers['content-encoding'];
      requests.push({ path, contentType, contentEncoding, authorization: req.headers.authorization });
      if (path === '/v1/traces') posts++;
      if (mode === 'reject') {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      let raw = Buffer.concat(chunks);
      if (contentEncoding === 'gzip') raw = zlib.gunzipSync(raw);
      if (contentType === 'application/json') {
        if (path === '/v1/traces') bodies.push(raw.toString('utf8'));
        if (path === '/v1/logs') logBodies.push(raw.toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      }
    });
  });
  await new Promise<void>(r => server.listen(port, '127.0.0.1', r));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    bodies,
    logBodies,
    requests,
    logRecords: () =>
      logBodies.flatMap(body => {
        const doc = JSON.parse(body) as {
          resourceLogs?: {
            scopeLogs?: {
              logRecords?: { body?: unknown; severityText?: string; traceId?: string; spanId?: string; attributes?: KeyValue[] }[];
            }[];
          }[];
        };
        return (doc.resourceLogs ?? []).flatMap(rl =>
          (rl.scopeLogs ?? []).flatMap(sl =>
            (sl.logRecords ?? []).map(r => ({ ...r, attributes: flatten(r.attributes) })),
          ),
        );
      }),
    posts: () => posts,
    setMode: m => (mode = m),
    spans: () =>
      bodies.flatMap(body => {
        const doc = JSON.parse(body) as {
          resourceSpans?: {
            resource?: { attributes?: KeyValue[] };
            scopeSpans?: { spans?: (Omit<CapturedSpan, 'attributes' | 'resource'> & { attributes?: KeyValue[] })[] }[];
          }[];
        };
        return (doc.resourceSpans ?? []).flatMap(rs =>
          (rs.scopeSpans ?? []).flatMap(ss =>
            (ss.spans ?? []).map(s => ({
              ...s,
              attributes: flatten(s.attributes),
              resource: flatten(rs.resource?.attributes),
            })),
          ),
        );
      }),
    close: () =>
      new Promise<void>(r => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---- the service under test ----------------------------------------------

export interface Service {
  proc: ChildProcess;
  /** The fixture's HTTP port (0 for scripts that do not listen). */
  port: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with how the process ended; rejects after `timeoutMs`. */
  exited: (timeoutMs: number) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: () => void;
}

/**
 * The environment for a child: this process's environment minus every OTEL_*
 * variable and NODE_OPTIONS (so a developer's shell cannot change results),
 * plus `env`.
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('OTEL_') && k !== 'NODE_OPTIONS') base[k] = v;
  }
  // JSON, so the capture server can read what was sent; the default (protobuf) is tested on its own.
  return { ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', ...env };
}

export interface LaunchOptions {
  env: Record<string, string>;
  /** Script and arguments after the preload; default: the fixture server. */
  args?: string[];
  /** Wait for `LISTENING <port>` (default true). */
  waitListening?: boolean;
  preload?: boolean;
}

export async function launch(opts: LaunchOptions): Promise<Service> {
  const args = [...(opts.preload === false ? [] : ['--require', PRELOAD]), ...(opts.args ?? [FIXTURE_SERVER])];
  const proc = spawn(process.execPath, args, { env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', c => (out += c));
  proc.stderr!.setEncoding('utf8').on('data', c => (err += c));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve =>
    proc.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  const service: Service = {
    proc,
    port: 0,
    stdout: () => out,
    stderr: () => err,
    exited: timeoutMs =>
      waitFor('the child process to exit', () => exit, timeoutMs, () => `stdout:\n${out}\nstderr:\n${err}`).then(
        () => exitPromise,
      ),
    kill: () => {
      if (exit === undefined) proc.kill('SIGKILL');
    },
  };
  if (opts.waitListening !== false) {
    try {
      const port = await waitFor(
        'the fixture to print LISTENING <port>',
        () => {
          if (exit) throw new Error(`the fixture exited early (${JSON.stringify(exit)})\nstdout:\n${out}\nstderr:\n${err}`);
          const m = /LISTENING (\d+)/.exec(out);
          return m ? Number(m[1]) : undefined;
        },
        10000,
        () => `stdout:\n${out}\nstderr:\n${err}`,
      );
      service.port = port;
    } catch (e) {
      service.kill();
      throw e;
    }
  }
  return service;
}

/** Lines the preload wrote (its own prefix), for counting warnings. */
export function preloadLines(stderr: string): string[] {
  return stderr.split('\n').filter(l => l.startsWith('[otel-bootstrap]'));
}

/**
 * An OTLP/HTTP receiver (traces or logs) standing in for the Collector in the
 * buffer's tests, on a fixed port so it can be down (connections refused), up,
 * hung (accepts and reads, never answers) or answering a given status.
 */
import * as http from 'http';
import * as zlib from 'zlib';

export type ReceiverMode = 'ok' | 'hang' | { status: number; retryAfter?: string };

export interface ReceivedRequest {
  at: number;
  headers: http.IncomingHttpHeaders;
  /** Body as received (possibly gzipped). */
  bytes: number;
  /** How it was answered: a status, or held unanswered. */
  answer: number | 'held';
}

export class OtlpReceiver {
  mode: ReceiverMode = 'ok';
  /** Span names, or log record bodies, of the requests answered 2xx, in arrival order (JSON bodies only). */
  readonly names: string[] = [];
  /** Every request that arrived complete, answered or not. */
  readonly requests: ReceivedRequest[] = [];
  /** Bodies (decompressed) of the requests answered 2xx. */
  readonly accepted: Buffer[] = [];
  private readonly held = new Set<{ req: http.IncomingMessage; res: http.ServerResponse; body: Buffer }>();
  private readonly server: http.Server;

  constructor(
    readonly port: number,
    readonly path = '/v1/traces',
  ) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const mode = this.mode;
        this.requests.push({ at: Date.now(), headers: req.headers, bytes: raw.byteLength, answer: mode === 'hang' ? 'held' : mode === 'ok' ? 200 : mode.status });
        if (mode === 'hang') {
          const entry = { req, res, body: raw };
          this.held.add(entry);
          res.on('close', () => this.held.delete(entry));
          return;
        }
        if (mode !== 'ok') {
          res.writeHead(mode.status, mode.retryAfter !== undefined ? { 'retry-after': mode.retryAfter } : {}).end();
          return;
        }
        this.accept(req, res, raw);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}${this.path}`;
  }

  /** Requests being held unanswered right now. */
  get hanging(): number {
    return this.held.size;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops listening and drops every connection: from now on, connections are refused. */
  stop(): Promise<void> {
    return new Promise(resolve => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  /** A hung Collector resumes (SIGCONT): the requests it held are answered and kept, then it answers normally. */
  resume(): void {
    this.mode = 'ok';
    for (const h of [...this.held]) this.accept(h.req, h.res, h.body);
  }

  /** A hung Collector is restarted: the connections it held are dropped, then it answers normally. */
  restart(): void {
    this.mode = 'ok';
    for (const h of [...this.held]) h.res.destroy();
  }

  private accept(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
    const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
    this.accepted.push(body);
    if (req.headers['content-type'] === 'application/json') {
      const doc = JSON.parse(body.toString('utf8')) as {
        resourceSpans?: { scopeSpans?: { spans?: { name: string }[] }[] }[];
        resourceLogs?: { scopeLogs?: { logRecords?: { body?: { stringValue?: string } }[] }[] }[];
      };
      for (const rs of doc.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) this.names.push(s.name);
      for (const rl of doc.resourceLogs ?? []) {
        for (const sl of rl.scopeLogs ?? []) for (const l of sl.logRecords ?? []) this.names.push(String(l.body?.stringValue));
      }
    }
    res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/json') }).end();
  }
}

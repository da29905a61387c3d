/**
 * POSTs one encoded OTLP request and says what to do next: done, retry, or
 * give up on it. The buffer (buffered-exporter.ts) decides when to call it.
 *
 * Where and how to send (URL, OTEL_EXPORTER_OTLP_{,<SIGNAL>_}HEADERS, the
 * certificate variables, keep-alive) is resolved by @opentelemetry/otlp-exporter-base
 * exactly as for its own exporters; only the POST itself is ours, because
 * its transport is not public and retries on its own, per request, where the
 * buffer must own the retry policy (the head request stays until it is out).
 */
import type { Agent as HttpAgent, ClientRequest, IncomingHttpHeaders } from 'http';
import type { Socket } from 'net';
import { context, ROOT_CONTEXT, type Context } from '@opentelemetry/api';

/** What happened to one POST. */
export type SendOutcome =
  | { kind: 'sent' }
  /** Nothing got through or the Collector asked to come back later (connection error, timeout, 429, 502, 503, 504). */
  | {
      kind: 'retry';
      error: Error;
      retryAfterMillis?: number;
      /** No answer within the timeout: the peer may still have the request and process it later. */
      timedOut?: boolean;
    }
  /** The Collector refused this request for good (other 4xx and 5xx): sending it again would not help. */
  | { kind: 'rejected'; error: Error };

/** The POST got no answer in time. */
export class RequestTimeoutError extends Error {
  constructor(timeoutMillis: number) {
    super(`no answer within ${timeoutMillis} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** An HTTP status as an error; describeError prints it as "HTTP <code> <message>". */
export class HttpStatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpStatusError';
  }
}

/** OTLP/HTTP: these statuses mean "try again later"; every other non-2xx is final. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** Retry-After as ms (delay-seconds or an HTTP date); undefined if absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface SenderTarget {
  url: string;
  /** Resolved once (OTEL_EXPORTER_OTLP_{,<SIGNAL>_}HEADERS and the content type; read from the environment at start). */
  headers: () => Promise<Record<string, string>>;
  /** Keep-alive agent, with the TLS files of OTEL_EXPORTER_OTLP_*CERTIFICATE / *CLIENT_KEY when set. */
  agent: Promise<HttpAgent>;
  gzip: boolean;
  timeoutMillis: number;
}

/** What the buffer needs of a sender (a fake in some tests). */
export interface Sender {
  send(body: Uint8Array): Promise<SendOutcome>;
  keepProcessAlive(on: boolean): void;
  abort(): void;
}

export class OtlpHttpSender implements Sender {
  private readonly url: URL;
  private readonly request: typeof import('http').request;
  /** Agent and headers, settled before the first POST needs them. */
  private readonly ready: Promise<[HttpAgent, Record<string, string>]>;
  /** The exports of the SDK itself must not be traced (nor counted as the app's HTTP client calls). */
  private readonly untraced: Context;
  private inFlight: ClientRequest | undefined;
  private socket: Socket | undefined;
  private holdProcess = false;

  constructor(private readonly target: SenderTarget) {
    this.url = new URL(target.url);
    const lib = (this.url.protocol === 'https:' ? require('https') : require('http')) as typeof import('http');
    this.request = lib.request;
    this.ready = Promise.all([target.agent, target.headers()]);
    this.ready.catch(() => {}); // reported by the first send
    // Loaded by now: the tracer or logger provider that feeds this sender needs it.
    const { suppressTracing } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
    this.untraced = suppressTracing(ROOT_CONTEXT);
  }

  /**
   * Whether the socket of a POST keeps the process alive. Off while exports
   * run in the background: a hung Collector must not keep a finished process
   * running. On while someone waits for a flush, or the process could end
   * under it (beforeExit fires when nothing else is pending).
   */
  keepProcessAlive(on: boolean): void {
    this.holdProcess = on;
    if (on) this.socket?.ref();
    else this.socket?.unref();
  }

  /** Ends the POST in flight, if any (its outcome is then a retry). */
  abort(): void {
    this.inFlight?.destroy(new Error('aborted at shutdown'));
  }

  async send(body: Uint8Array): Promise<SendOutcome> {
    let agent: HttpAgent;
    let headers: Record<string, string>;
    try {
      [agent, headers] = await this.ready;
    } catch (err) {
      return { kind: 'rejected', error: err instanceof Error ? err : new Error(String(err)) };
    }
    return this.post(body, agent, headers);
  }

  private post(body: Uint8Array, agent: HttpAgent, baseHeaders: Record<string, string>): Promise<SendOutcome> {
    return new Promise<SendOutcome>(resolve => {
      let finished = false;
      const finish = (outcome: SendOutcome): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.inFlight = undefined;
        this.socket = undefined;
        resolve(outcome);
      };
      const headers: Record<string, string | number> = {
        ...baseHeaders,
        'Content-Length': body.byteLength,
        'User-Agent': 'OTel-OTLP-Exporter-JavaScript (@shopfloor/otel-bootstrap)',
      };
      if (this.target.gzip) headers['Content-Encoding'] = 'gzip';
      let req: ClientRequest;
      try {
        req = context.with(this.untraced, () =>
          this.request(this.url, { method: 'POST', headers, agent }, res => {
            const status = res.statusCode ?? 0;
            // The body (an OTLP response, maybe a partial-success note) is not needed: drained so the socket is reused.
            res.resume();
            res.on('error', error => finish({ kind: 'retry', error }));
            res.on('end', () => {
              if (status >= 200 && status < 300) finish({ kind: 'sent' });
              else if (isRetryableStatus(status)) {
                finish({
                  kind: 'retry',
                  error: new HttpStatusError(status, res.statusMessage ?? ''),
                  retryAfterMillis: parseRetryAfter(header(res.headers, 'retry-after')),
                });
              } else finish({ kind: 'rejected', error: new HttpStatusError(status, res.statusMessage ?? '') });
            });
          }),
        );
      } catch (err) {
        // An invalid header value and the like: every attempt would fail the same way.
        resolve({ kind: 'rejected', error: err instanceof Error ? err : new Error(String(err)) });
        return;
      }
      this.inFlight = req;
      // An absolute deadline: an idle timeout would let a trickling peer hold the head request forever.
      // Unref'd: the socket decides whether the process stays alive (keepProcessAlive).
      const timer = setTimeout(() => req.destroy(new RequestTimeoutError(this.target.timeoutMillis)), this.target.timeoutMillis);
      timer.unref();
      req.on('socket', socket => {
        this.socket = socket;
        if (!this.holdProcess) socket.unref();
      });
      // Refused, reset, DNS, TLS, timeout, abort: nothing was accepted, so the request is kept for a retry.
      req.on('error', error => finish({ kind: 'retry', error, timedOut: error instanceof RequestTimeoutError }));
      req.end(body);
    });
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

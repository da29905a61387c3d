import { authHeaders, type AuthedUrl } from './http-auth';

/** `fetch`, or a test's stand-in. */
export type FetchFn = typeof fetch;

/** The backend answered, but not 2xx. */
export class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`answered HTTP ${status}`);
  }
}

/** The answer was larger than the caller is willing to read. */
export class TooLargeError extends Error {}

export interface BoundedRequest {
  /** Aborts the request and the reading of its answer (the caller's deadline). */
  signal: AbortSignal;
  maxBytes: number;
  /** Sent as an x-www-form-urlencoded POST body; without it, a GET. */
  form?: URLSearchParams;
  fetchFn?: FetchFn;
}

/**
 * `pathAndQuery` of `target` (its credentials as a header), the answer's text. The page waits on
 * this: a slow backend is cut by `signal`, and a huge answer by `maxBytes` while it streams in,
 * so neither is ever held whole in memory.
 */
export async function boundedText(target: AuthedUrl, pathAndQuery: string, req: BoundedRequest): Promise<string> {
  const fetchFn = req.fetchFn ?? fetch;
  const headers = authHeaders(target, req.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {});
  const res = await fetchFn(`${target.url}${pathAndQuery}`, {
    method: req.form ? 'POST' : 'GET',
    headers,
    ...(req.form ? { body: req.form.toString() } : {}),
    signal: req.signal,
  });
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new HttpStatusError(res.status);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > req.maxBytes) {
      await reader.cancel().catch(() => {});
      throw new TooLargeError(`answered more than ${Math.round(req.maxBytes / 1024 / 1024)} MiB`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Why a request failed, as fixed words for the page ("Jaeger <this>"): never the error's own
 * message, which could quote a URL or a body.
 */
export function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof HttpStatusError) return err.message;
  if (err instanceof TooLargeError) return err.message;
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `did not answer within ${timeoutMs / 1000} s`;
  if (err instanceof SyntaxError) return 'answered something that is not JSON';
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && /^[A-Z_]{2,32}$/.test(code) ? `is unreachable (${code})` : 'is unreachable';
}

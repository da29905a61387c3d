import { fetchUrl } from './credentials';

/**
 * How long one request of a scenario may take. Generous: the suite runs four stacks on two
 * cores, and a request that is slow under that load is not what a scenario tests (its deadlines
 * are in `eventually`); a hung endpoint still fails it.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Small JSON-over-HTTP helpers for the scenarios. */
export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export async function requestJson<T = any>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const res = await fetchUrl(url, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

export async function getText(url: string): Promise<string> {
  const res = await fetchUrl(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return text;
}

/**
 * The containers stack's endpoints carry their basic-auth login in the URL
 * (`http://shopfloor:<password>@127.0.0.1:9090`), as compose's Prometheus, Alertmanager and the
 * Jaeger proxy require; fetch refuses such URLs, so the login moves into a header here.
 */
export interface UrlLogin {
  username: string;
  password: string;
}

/** The URL without its user info, and that user info (if any), decoded. */
export function splitLogin(url: string): { url: string; login?: UrlLogin } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url };
  const login = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  u.username = '';
  u.password = '';
  return { url: u.toString(), login };
}

/** The `Authorization` header value of a basic-auth login. */
export function basicAuth(login: UrlLogin): string {
  return `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}`;
}

/** fetch, with a URL's user info sent as `Authorization: Basic`. */
export function fetchUrl(url: string, init: RequestInit = {}): Promise<Response> {
  const { url: bare, login } = splitLogin(url);
  if (!login) return fetch(url, init);
  const headers = new Headers(init.headers);
  headers.set('authorization', basicAuth(login));
  return fetch(bare, { ...init, headers });
}

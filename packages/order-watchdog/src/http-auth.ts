/**
 * A base URL that may carry `user:password@` (compose's Alertmanager and Jaeger need basic
 * auth). fetch() refuses URLs with credentials, and they must never reach a log line or a link:
 * they are taken out of the URL and sent as an Authorization header instead.
 */
export interface AuthedUrl {
  /** The URL without credentials and without a trailing slash: safe to log and to link. */
  url: string;
  /** `Basic ...` when the URL carried credentials. */
  authorization?: string;
}

export function splitCredentials(raw: string): AuthedUrl {
  const u = new URL(raw);
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  const url = u.toString().replace(/\/$/, '');
  if (!user && !password) return { url };
  return { url, authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

/** Headers for a request to `target`: its Authorization, if any, plus `extra`. */
export function authHeaders(target: AuthedUrl, extra: Record<string, string> = {}): Record<string, string> {
  return target.authorization ? { ...extra, authorization: target.authorization } : extra;
}

/** The URL with its credentials replaced by `***` (for messages), or the text unchanged if it is not a URL. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString();
  } catch {
    return raw;
  }
}

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Header a script or the CLI sends the operator token in (the proxy's basic auth holds `Authorization`). */
export const TOKEN_HEADER = 'x-shopfloor-operator-token';
/** Cookie of an operator's browser session on the page (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'shopfloor_operator';
/** A token shorter than this is refused at start: it would be guessable. */
export const MIN_TOKEN_LENGTH = 16;

function same(a: string, b: string): boolean {
  // Hashed first: equal lengths for timingSafeEqual, and no early exit on the length.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

/** The user name of the proxy's basic auth, if the request carries one (who, in the audit). */
function proxyUser(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (!auth?.startsWith('Basic ')) return undefined;
  const user = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0];
  return user && /^[\w.@-]{1,64}$/.test(user) ? user : undefined;
}

/**
 * Who may replay. Read-only is the default: without WATCHDOG_OPERATOR_TOKEN nobody may. With it,
 * a request is an operator's when it carries the token in TOKEN_HEADER (scripts, the CLI), or the
 * session cookie the page's operator sign-in sets (an HMAC of the token, so the token itself is
 * never stored in a browser). Cookie-carried requests must also come from the page itself
 * (Origin or Sec-Fetch-Site), so another site cannot make an operator's browser replay.
 */
export class OperatorGate {
  private readonly session?: string;

  constructor(private readonly token?: string) {
    if (token) this.session = createHmac('sha256', token).update('shopfloor operator session').digest('hex');
  }

  get enabled(): boolean {
    return this.token !== undefined;
  }

  /** The token matches (sign-in form, header). */
  accepts(candidate: string): boolean {
    return this.token !== undefined && same(candidate, this.token);
  }

  sessionCookie(secure: boolean): string {
    return `${SESSION_COOKIE}=${this.session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800${secure ? '; Secure' : ''}`;
  }

  /** The page shows operator actions to this request (its cookie holds a session). */
  hasSession(req: IncomingMessage): boolean {
    const c = cookies(req).get(SESSION_COOKIE);
    return this.session !== undefined && c !== undefined && same(c, this.session);
  }

  /** Who, for the audit, when this request may replay; undefined when it may not. */
  operator(req: IncomingMessage): string | undefined {
    if (!this.token) return undefined;
    const header = req.headers[TOKEN_HEADER];
    const who = proxyUser(req);
    if (typeof header === 'string' && this.accepts(header)) return `${who ?? 'operator'} (token)`;
    if (this.hasSession(req) && sameOrigin(req)) return `${who ?? 'operator'} (page)`;
    return undefined;
  }
}

/** The request comes from a page of this server (a browser says so; scripts send neither header). */
export function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

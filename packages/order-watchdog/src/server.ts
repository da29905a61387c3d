import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { renderMetrics } from './metrics';
import { renderIndexPage, renderOrderPage, viewOfClosed, viewOfOpen, viewOfRecords, type OrderView } from './page';
import { escapeHtml } from './page';
import { orderEvidence } from './order-evidence';
import type { Links } from './alerts';
import type { Journey } from './journey';
import type { CheckHealth } from './metrics';
import { renderIndexReplay, renderOrderReplay, type ReplayPageContext } from './replay-page';
import { replayRoutes, type ReplayRoutesDeps } from './replay-routes';
import type { WatchdogState } from './state';

/** What the server reads: a Watchdog, or a test's stand-in. */
export interface WatchdogView {
  readonly journey: Journey;
  readonly state: WatchdogState;
  readonly health: CheckHealth;
  readonly links: Links;
  readonly config: { checkIntervalMs: number };
}

/**
 * The watchdog's HTTP endpoints: the page (`/`, `/orders?id=`), the same as JSON
 * (`/api/orders/<id>`, `/api/stalled`), `/metrics` for Prometheus and `/healthz`.
 */
/**
 * An order not followed, from its stage records: stage id → time, and its trace id if a record holds it.
 * Rejects when the records cannot be read (a database down): that is answered 503, never "no such order".
 */
export type RecordLookup = (orderId: string) => Promise<{ reached: Record<string, number>; traceId?: string }>;

/** Said when the look-up failed: fixed text, never the error's (it may name hosts, roles or URLs). */
const RECORDS_UNAVAILABLE = 'the stage records could not be read (a database is unreachable); try again shortly';
const RETRY_AFTER_S = '10';

function unavailablePage(orderId: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Order ${escapeHtml(orderId)}</title></head>
<body><h1>Where is my order?</h1><p id="unavailable">Order <code>${escapeHtml(orderId)}</code>: ${escapeHtml(RECORDS_UNAVAILABLE)}.</p><p><a href="./">Back</a></p></body></html>`;
}

/** `replay`: the replay's routes (POST); without it the page is read-only. */
export function createWatchdogServer(watchdog: WatchdogView, lookup: RecordLookup, replay?: ReplayRoutesDeps): Server {
  const { journey } = watchdog;

  /** 'unavailable': the order is neither open nor closed and its records could not be read. */
  async function view(orderId: string): Promise<OrderView | 'unavailable'> {
    const trace = (traceId?: string) => watchdog.links.trace(orderId, traceId);
    // Own keys only: an id such as "__proto__" or "constructor" is no open order.
    const open = Object.hasOwn(watchdog.state.open, orderId) ? watchdog.state.open[orderId] : undefined;
    if (open) return viewOfOpen(journey, open, trace(open.traceId));
    const closed = [...watchdog.state.closed].reverse().find((c) => c.orderId === orderId);
    if (closed) return viewOfClosed(journey, closed, trace(closed.traceId));
    const found = await lookup(orderId).catch(() => undefined);
    if (!found) return 'unavailable';
    return viewOfRecords(journey, orderId, found.reached, trace(found.traceId));
  }

  function lists() {
    const stalled = Object.values(watchdog.state.open)
      .filter((o) => o.flag)
      .sort((a, b) => a.acceptedAt - b.acceptedAt);
    const late = watchdog.state.closed.filter((c) => c.late).slice(-100).reverse();
    return { stalled, late };
  }

  const send = (res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(type.startsWith('text/html') ? { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" } : {}),
      ...extra,
    });
    res.end(body);
  };
  const replayRoute = replay && replayRoutes(replay, send);
  /** What this request sees of the replay: nothing without replay routes. */
  async function replayContext(req: IncomingMessage, orderId?: string): Promise<ReplayPageContext | undefined> {
    if (!replay) return undefined;
    const replays = await replay.audit.recent(20, orderId).catch(() => undefined);
    return { enabled: replay.gate.enabled, operator: replay.gate.hasSession(req), ...(replays ? { replays } : {}) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://watchdog');
    } catch {
      // e.g. "GET //": taken for an empty host, not a path.
      return send(res, 400, 'text/plain', 'bad request target\n');
    }
    if (replayRoute && (await replayRoute(req, res, url))) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
    const path = url.pathname;
    if (path === '/metrics') return send(res, 200, 'text/plain; version=0.0.4', renderMetrics(journey, watchdog.state, watchdog.health));
    if (path === '/healthz') {
      const last = watchdog.health.lastSuccessAt;
      const fresh = last !== undefined && Date.now() - last < 3 * watchdog.config.checkIntervalMs + 10_000;
      return send(res, fresh ? 200 : 503, 'application/json', JSON.stringify({ ok: fresh, lastCheckAt: last ? new Date(last).toISOString() : null }));
    }
    if (path === '/') {
      const { stalled, late } = lists();
      const ctx = await replayContext(req);
      const replayHtml = ctx ? renderIndexReplay(journey, stalled, ctx) : '';
      return send(res, 200, 'text/html; charset=utf-8', renderIndexPage(journey, stalled, late, { open: Object.keys(watchdog.state.open).length, lastCheckAt: watchdog.health.lastSuccessAt }, replayHtml));
    }
    if (path === '/orders') {
      const id = (url.searchParams.get('id') ?? '').trim();
      if (!id) return send(res, 303, 'text/plain', 'see /\n', { location: './' });
      if (id.length > 200) return send(res, 400, 'text/plain', 'order id too long\n');
      const v = await view(id);
      if (v === 'unavailable') return send(res, 503, 'text/html; charset=utf-8', unavailablePage(id), { 'retry-after': RETRY_AFTER_S });
      if (v.acceptedAt !== undefined) v.dashboardUrl = watchdog.links.dashboard(v.acceptedAt, v.completedAt ?? Date.now());
      // Its trace and log lines: at most ~3 s, a down backend is a note on the page (order-evidence.ts).
      const [evidence, ctx] = await Promise.all([orderEvidence(v, watchdog), replayContext(req, id)]);
      return send(res, v.status === 'not found' ? 404 : 200, 'text/html; charset=utf-8', renderOrderPage(journey, v, evidence, ctx ? renderOrderReplay(journey, v, ctx) : ''));
    }
    if (path === '/api/stalled') {
      const { stalled, late } = lists();
      return send(res, 200, 'application/json', JSON.stringify({ stalled, late }));
    }
    const api = /^\/api\/orders\/([^/]+)$/.exec(path);
    if (api) {
      const badId = (error: string) => send(res, 400, 'application/json', JSON.stringify({ error }));
      let id: string;
      try {
        id = decodeURIComponent(api[1]!);
      } catch {
        return badId('malformed percent-encoding in the order id');
      }
      if (id.length > 200) return badId('order id too long');
      const v = await view(id);
      if (v === 'unavailable') return send(res, 503, 'application/json', JSON.stringify({ orderId: id, error: RECORDS_UNAVAILABLE }), { 'retry-after': RETRY_AFTER_S });
      return send(res, v.status === 'not found' ? 404 : 200, 'application/json', JSON.stringify(v));
    }
    send(res, 404, 'text/plain', 'not found\n');
  }

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `error: ${(err as Error).message}\n`);
    });
  });
}

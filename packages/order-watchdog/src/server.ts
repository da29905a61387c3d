import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { renderMetrics } from './metrics';
import { renderIndexPage, renderOrderPage, viewOfClosed, viewOfOpen, viewOfRecords, type OrderView } from './page';
import type { Links } from './alerts';
import type { Journey } from './journey';
import type { CheckHealth } from './metrics';
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
/** An order not followed, from its stage records: stage id → time, and its trace id if a record holds it. */
export type RecordLookup = (orderId: string) => Promise<{ reached: Record<string, number>; traceId?: string }>;

export function createWatchdogServer(watchdog: WatchdogView, lookup: RecordLookup): Server {
  const { journey } = watchdog;

  async function view(orderId: string): Promise<OrderView> {
    const trace = (traceId?: string) => watchdog.links.trace(orderId, traceId);
    const open = watchdog.state.open[orderId];
    if (open) return viewOfOpen(journey, open, trace(open.traceId));
    const closed = [...watchdog.state.closed].reverse().find((c) => c.orderId === orderId);
    if (closed) return viewOfClosed(journey, closed, trace(closed.traceId));
    const found = await lookup(orderId);
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://watchdog');
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
      return send(res, 200, 'text/html; charset=utf-8', renderIndexPage(journey, stalled, late, { open: Object.keys(watchdog.state.open).length, lastCheckAt: watchdog.health.lastSuccessAt }));
    }
    if (path === '/orders') {
      const id = (url.searchParams.get('id') ?? '').trim();
      if (!id) return send(res, 303, 'text/plain', 'see /\n', { location: './' });
      if (id.length > 200) return send(res, 400, 'text/plain', 'order id too long\n');
      const v = await view(id).catch(() => ({ orderId: id, status: 'not found', stages: [], traceUrl: '' }) as OrderView);
      return send(res, v.status === 'not found' ? 404 : 200, 'text/html; charset=utf-8', renderOrderPage(journey, v));
    }
    if (path === '/api/stalled') {
      const { stalled, late } = lists();
      return send(res, 200, 'application/json', JSON.stringify({ stalled, late }));
    }
    const api = /^\/api\/orders\/([^/]{1,200})$/.exec(path);
    if (api) {
      const v = await view(decodeURIComponent(api[1]!)).catch(() => ({ orderId: api[1]!, status: 'not found', stages: [], traceUrl: '' }) as OrderView);
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

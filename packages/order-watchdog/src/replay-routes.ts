import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReplayAudit } from './audit';
import type { Journey } from './journey';
import { sameOrigin, type OperatorGate } from './operator';
import { REASONS } from './order';
import { escapeHtml } from './page';
import { BULK_MAX, selectForBulk, type Replayer, type ReplayOutcome } from './replay';
import type { WatchdogState } from './state';

/** Largest request body read (a form or a small JSON object). */
const BODY_MAX = 8 * 1024;
const BULK_DEFAULT = 100;

export interface ReplayRoutesDeps {
  journey: Journey;
  state: () => WatchdogState;
  replayer: Replayer;
  gate: OperatorGate;
  audit: Pick<ReplayAudit, 'recent'>;
}

type Send = (res: ServerResponse, status: number, type: string, body: string, extra?: Record<string, string>) => void;

class BadRequest extends Error {}

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_MAX) throw new BadRequest(`request body over ${BODY_MAX} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadRequest('the body is neither JSON nor a form');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadRequest('the body must be a JSON object');
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}

/** A bulk request's reason, stage and limit, checked against the journey. */
function bulkRequest(journey: Journey, body: Record<string, string>): { reason: string; stage: string; limit: number } {
  const { reason = '', stage = '' } = body;
  if (!(REASONS as readonly string[]).includes(reason)) throw new BadRequest(`reason: one of ${REASONS.join(', ')}`);
  if (!journey.stages.some((s) => s.id === stage)) throw new BadRequest(`stage: one of ${journey.stages.map((s) => s.id).join(', ')}`);
  const limit = body.limit === undefined || body.limit === '' ? BULK_DEFAULT : Number(body.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > BULK_MAX) throw new BadRequest(`limit: a whole number from 1 to ${BULK_MAX}`);
  return { reason, stage, limit };
}

function statusOf(outcomes: ReplayOutcome[]): number {
  if (outcomes.some((o) => o.outcome === 'failed')) return 502;
  return outcomes.length && outcomes.every((o) => o.outcome === 'refused') ? 409 : 200;
}

function resultPage(title: string, outcomes: ReplayOutcome[], back: string): string {
  const rows = outcomes
    .map((o) => `<tr data-order="${escapeHtml(o.orderId)}" class="${o.outcome}"><td><a href="orders?id=${encodeURIComponent(o.orderId)}">${escapeHtml(o.orderId)}</a></td><td class="outcome">${escapeHtml(o.outcome)}</td><td>${escapeHtml(o.detail)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}td{padding:.2rem .6rem}.replayed .outcome{color:#176d2c}.refused .outcome,.failed .outcome{color:#a40e26}</style></head>
<body><h1>${escapeHtml(title)}</h1>${outcomes.length ? `<table id="replay-result">${rows}</table>` : '<p id="replay-result">No order matched.</p>'}
<p><a id="back" href="${escapeHtml(back)}">Back</a></p></body></html>`;
}

/**
 * The replay's HTTP side: the operator's sign-in, the page's replay forms, the JSON API the CLI
 * uses, and the audit. Returns false for any other request.
 */
export function replayRoutes(deps: ReplayRoutesDeps, send: Send) {
  const { journey, gate } = deps;
  const forbidden = (res: ServerResponse, html: boolean) => {
    const why = gate.enabled ? 'replay needs an operator: sign in on the page, or send the operator token' : 'replay is off: no operator token is configured (WATCHDOG_OPERATOR_TOKEN)';
    return html ? send(res, 403, 'text/html; charset=utf-8', `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Forbidden</title></head><body><p id="forbidden">${escapeHtml(why)}</p><p><a href="./">Back</a></p></body></html>`) : send(res, 403, 'application/json', JSON.stringify({ error: why }));
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const post = req.method === 'POST';
    const html = path === '/operator' || path === '/orders/replay' || path === '/replay';
    try {
      if (path === '/api/replays' && (req.method === 'GET' || req.method === 'HEAD')) {
        const order = url.searchParams.get('order') ?? undefined;
        const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1), 1000);
        const replays = await deps.audit.recent(limit, order).catch(() => undefined);
        if (!replays) send(res, 503, 'application/json', JSON.stringify({ error: 'the replay audit could not be read (its database is unreachable)' }), { 'retry-after': '10' });
        else send(res, 200, 'application/json', JSON.stringify({ replays }));
        return true;
      }
      const one = /^\/api\/orders\/([^/]+)\/replay$/.exec(path);
      if (!html && !one && path !== '/api/replay') return false;
      if (!post) {
        send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'POST' });
        return true;
      }
      if (path === '/operator') {
        const body = await readBody(req);
        // Back to an order's page or the index only; rebuilt, so nothing of the form reaches the header as sent.
        const backId = body.back?.startsWith('orders?id=') ? new URLSearchParams(body.back.slice('orders?'.length)).get('id') : null;
        const back = backId ? `orders?id=${encodeURIComponent(backId)}` : './';
        if (!sameOrigin(req) || !gate.accepts(body.token ?? '')) {
          forbidden(res, true);
          return true;
        }
        const secure = req.headers['x-forwarded-proto'] === 'https';
        send(res, 303, 'text/plain', 'signed in\n', { location: back, 'set-cookie': gate.sessionCookie(secure) });
        return true;
      }
      const actor = gate.operator(req);
      if (!actor) {
        forbidden(res, html);
        return true;
      }
      const body = await readBody(req);
      let outcomes: ReplayOutcome[];
      let title: string;
      let back = './';
      if (one || path === '/orders/replay') {
        let id: string;
        try {
          id = one ? decodeURIComponent(one[1]!) : (body.id ?? '').trim();
        } catch {
          throw new BadRequest('malformed percent-encoding in the order id');
        }
        if (!id || id.length > 200) throw new BadRequest('an order id of 1 to 200 characters');
        outcomes = await deps.replayer.replay([id], actor);
        title = `Replay of order ${id}`;
        back = `orders?id=${encodeURIComponent(id)}`;
      } else {
        const { reason, stage, limit } = bulkRequest(journey, body);
        outcomes = await deps.replayer.replay(selectForBulk(deps.state(), reason, stage, limit), actor);
        title = `Replay of orders flagged ${reason} at ${stage}`;
      }
      if (html) send(res, statusOf(outcomes), 'text/html; charset=utf-8', resultPage(title, outcomes, back));
      else send(res, path === '/api/replay' ? 200 : statusOf(outcomes), 'application/json', JSON.stringify({ outcomes }));
      return true;
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      if (html) send(res, 400, 'text/plain', `${err.message}\n`);
      else send(res, 400, 'application/json', JSON.stringify({ error: err.message }));
      return true;
    }
  }
  return route;
}

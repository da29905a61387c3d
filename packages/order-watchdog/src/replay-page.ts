import type { ReplayRecord } from './audit';
import type { Journey } from './journey';
import type { Flag } from './order';
import { escapeHtml, type OrderView } from './page';
import { planFlag } from './replay';

/** What the page shows of the replay to this request. */
export interface ReplayPageContext {
  /** A token is configured: replay exists (else the page is read-only for all). */
  enabled: boolean;
  /** This request carries an operator's session: the page shows the actions. */
  operator: boolean;
  /** The audit, newest first; undefined when it could not be read. */
  replays?: ReplayRecord[];
}

function when(ms: number): string {
  return escapeHtml(new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC'));
}

function signIn(ctx: ReplayPageContext, back: string): string {
  if (!ctx.enabled) return '';
  if (ctx.operator) return '<p class="muted" id="operator">Signed in as operator: replay actions shown.</p>';
  return `<form id="operator-sign-in" method="post" action="operator"><input type="hidden" name="back" value="${escapeHtml(back)}">
<label for="token" class="muted" style="align-self:center">Operator token</label><input id="token" name="token" type="password" autocomplete="off" required><button type="submit">Sign in to replay</button></form>`;
}

function auditTable(id: string, records: ReplayRecord[] | undefined, withOrder: boolean): string {
  if (records === undefined) return `<p id="${id}-unavailable" class="muted">The replay audit could not be read.</p>`;
  if (!records.length) return `<p id="${id}-none" class="muted">No replay yet.</p>`;
  const rows = records
    .map((r) => `<tr data-order="${escapeHtml(r.orderId)}" class="${escapeHtml(r.outcome)}"><td>${when(r.at)}</td>${withOrder ? `<td><a href="orders?id=${encodeURIComponent(r.orderId)}"><code>${escapeHtml(r.orderId)}</code></a></td>` : ''}<td>${escapeHtml(r.actor)}</td><td>${escapeHtml(r.stage)}: ${escapeHtml(r.reason.replaceAll('_', ' '))}</td><td class="outcome">${escapeHtml(r.outcome)}</td><td>${escapeHtml(r.detail)}</td></tr>`)
    .join('\n');
  return `<table id="${id}"><thead><tr><th>When</th>${withOrder ? '<th>Order</th>' : ''}<th>Who</th><th>Flagged</th><th>Outcome</th><th>Detail</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** The order page's replay block: the action (operators, a replayable flag), its replays, the sign-in. */
export function renderOrderReplay(journey: Journey, view: OrderView, ctx: ReplayPageContext): string {
  const plan = view.status === 'stalled' && view.flag !== undefined ? planFlag(journey, view.flag) : undefined;
  const replayable = plan !== undefined && !('refused' in plan);
  const what = plan && 'kind' in plan && plan.kind === 'republish' ? `have ${plan.service} send it again from its record` : 'send its kept message back on its way';
  const action = ctx.operator && replayable
    ? `<form id="replay" method="post" action="orders/replay"><input type="hidden" name="id" value="${escapeHtml(view.orderId)}"><button type="submit">Replay: ${escapeHtml(what)}</button></form>`
    : '';
  const history = ctx.replays?.length || view.flag ? `<h3>Replays</h3>${auditTable('replays', ctx.replays, false)}` : '';
  return `${action}${history}${replayable ? signIn(ctx, `orders?id=${encodeURIComponent(view.orderId)}`) : ''}`;
}

/** The index page's replay block: bulk replay per reason and stage (operators), recent replays, the sign-in. */
export function renderIndexReplay(journey: Journey, stalled: { flag?: Flag }[], ctx: ReplayPageContext): string {
  const groups = new Map<string, { reason: string; stage: string; n: number }>();
  for (const o of stalled) {
    if (!o.flag || 'refused' in planFlag(journey, o.flag)) continue;
    const key = `${o.flag.reason}@${o.flag.stage}`;
    const g = groups.get(key) ?? { reason: o.flag.reason, stage: o.flag.stage, n: 0 };
    g.n++;
    groups.set(key, g);
  }
  const title = (id: string) => journey.stages.find((s) => s.id === id)?.title ?? id;
  const bulk = ctx.operator && groups.size
    ? [...groups.values()]
        .map((g) => `<form class="bulk-replay" id="bulk-replay-${escapeHtml(g.reason)}-${escapeHtml(g.stage)}" method="post" action="replay"><input type="hidden" name="reason" value="${escapeHtml(g.reason)}"><input type="hidden" name="stage" value="${escapeHtml(g.stage)}">
<label class="muted" style="align-self:center">${g.n} ${escapeHtml(g.reason.replaceAll('_', ' '))} after ${escapeHtml(title(g.stage))}: replay at most</label><input name="limit" type="number" min="1" max="1000" value="${Math.min(g.n, 100)}" style="width:6rem"><button type="submit">Replay</button></form>`)
        .join('\n')
    : '';
  return `${bulk}${groups.size ? signIn(ctx, './') : ''}<h2>Recent replays</h2>${auditTable('recent-replays', ctx.replays, true)}`;
}

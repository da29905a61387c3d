import { formatDuration } from './duration';
import type { Journey } from './journey';
import type { OrderEvidence } from './order-evidence';
import type { LogSection } from './order-logs';
import type { TraceSection } from './order-trace';
import type { ClosedOrder, Flag, OpenOrder } from './order';
import { progress } from './progress';

/** "Where is my order?": plain server-rendered HTML; every value is escaped. */

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface StageView {
  id: string;
  title: string;
  at?: number;
  /** How we know it was reached without a record (e.g. its message among dead letters). */
  evidence?: string;
  /** Deadline (epoch ms), for the stages not reached yet. */
  due?: number;
}

export interface OrderView {
  orderId: string;
  status: 'in progress' | 'stalled' | 'completed' | 'completed late' | 'not found';
  acceptedAt?: number;
  completedAt?: number;
  stages: StageView[];
  flag?: Flag;
  canary?: boolean;
  traceUrl: string;
  /** Its trace id, when the first stage's record holds its trace context (the page fetches that trace). */
  traceId?: string;
  /** The flow's dashboard around the order's time ('' or absent: none configured). */
  dashboardUrl?: string;
}

export function viewOfOpen(journey: Journey, order: OpenOrder, traceUrl: string): OrderView {
  const at = progress(journey, order);
  return {
    orderId: order.orderId,
    status: order.flag ? 'stalled' : 'in progress',
    acceptedAt: order.acceptedAt,
    stages: journey.stages.map((s, i) => ({
      id: s.id,
      title: s.title,
      ...(order.reached[s.id] !== undefined ? { at: order.reached[s.id] } : {}),
      ...(order.evidence?.[s.id] ? { evidence: order.evidence[s.id] } : i <= at.stoppedAt && order.reached[s.id] === undefined ? { evidence: 'implied by a later stage' } : {}),
      ...(i > at.stoppedAt && s.deadline !== undefined ? { due: order.acceptedAt + s.deadline } : {}),
    })),
    ...(order.flag ? { flag: order.flag } : {}),
    ...(order.canary ? { canary: true } : {}),
    traceUrl,
    ...(order.traceId ? { traceId: order.traceId } : {}),
  };
}

export function viewOfClosed(journey: Journey, order: ClosedOrder, traceUrl: string): OrderView {
  return {
    orderId: order.orderId,
    status: order.late ? 'completed late' : 'completed',
    acceptedAt: order.acceptedAt,
    completedAt: order.completedAt,
    stages: journey.stages.map((s) => ({
      id: s.id,
      title: s.title,
      ...(order.reached[s.id] !== undefined ? { at: order.reached[s.id] } : { evidence: 'implied by a later stage' }),
    })),
    ...(order.flag ? { flag: order.flag } : {}),
    ...(order.canary ? { canary: true } : {}),
    traceUrl,
    ...(order.traceId ? { traceId: order.traceId } : {}),
  };
}

/** An order the watchdog does not follow (older, or not seen yet): from its stage records alone. */
export function viewOfRecords(journey: Journey, orderId: string, reached: Record<string, number>, traceUrl: string): OrderView {
  const last = journey.stages[journey.stages.length - 1]!;
  const accepted = reached[journey.stages[0]!.id];
  if (accepted === undefined) return { orderId, status: 'not found', stages: [], traceUrl };
  const view = viewOfClosed(journey, { orderId, acceptedAt: accepted, completedAt: reached[last.id] ?? 0, reached, late: false }, traceUrl);
  if (reached[last.id] === undefined) {
    view.status = 'in progress';
    delete view.completedAt;
    view.stages = journey.stages.map((s) => ({ id: s.id, title: s.title, ...(reached[s.id] !== undefined ? { at: reached[s.id] } : {}) }));
  }
  return view;
}

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 1.5rem;color:#1b1b1b}
h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
form{display:flex;gap:.5rem;margin:0 0 1rem}input{flex:1;font:inherit;padding:.45rem .6rem;border:1px solid #999;border-radius:4px}
button{font:inherit;padding:.45rem 1rem;border:0;border-radius:4px;background:#1f5fbf;color:#fff;cursor:pointer}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f3f3f3}code{font-size:.9em}.stalled{color:#a40000;font-weight:600}.late{color:#8a5a00}.ok{color:#0a6b2a}
.muted{color:#666}.box{border:1px solid #ccc;border-radius:6px;padding:.8rem 1rem;margin:.5rem 0 1rem}
a{color:#1f5fbf}
.num{text-align:right;white-space:nowrap}tr.err td{background:#fff4f4}.sev-error{color:#a40000;font-weight:600}.sev-warn{color:#8a5a00;font-weight:600}
.wf{position:relative;height:.9rem;min-width:10rem;background:#f3f3f3;border-radius:2px}
.wf span{position:absolute;top:0;bottom:0;min-width:2px;background:#1f5fbf;border-radius:2px}.wf span.e{background:#a40000}
#trace td:nth-child(1),#trace td:nth-child(3),#logs td:nth-child(-n+3){white-space:nowrap}`;

function time(ms: number | undefined): string {
  return ms === undefined ? '' : `<time datetime="${escapeHtml(new Date(ms).toISOString())}">${escapeHtml(new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC'))}</time>`;
}

function layout(title: string, journey: Journey, body: string, query = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1><a href="./" style="color:inherit;text-decoration:none">Where is my order?</a> <span class="muted">${escapeHtml(journey.title ?? journey.name)}</span></h1>
<form method="get" action="orders" role="search"><label for="id" class="muted" style="align-self:center">Order id</label>
<input id="id" name="id" value="${escapeHtml(query)}" placeholder="e.g. 80d6a7d7-…" required autocomplete="off" spellcheck="false"><button type="submit">Find</button></form>
${body}
</body></html>`;
}

function reasonText(flag: Flag): string {
  return flag.reason.replaceAll('_', ' ');
}

/** A span's time: µs under a millisecond, ms under a second, else seconds. */
export function formatSpanMs(ms: number): string {
  if (ms <= 0) return '0 ms';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Percent of `whole`, within 0..100, as CSS wants it (computed numbers only, never input). */
function pct(part: number, whole: number): number {
  return whole > 0 ? Math.min(100, Math.max(0, (part / whole) * 100)) : 0;
}

/** The waterfall: one row per span, indented under its parent; the bar is inline CSS (no script: the CSP allows none). */
export function renderTraceSection(section: TraceSection): string {
  if (section.status === 'unavailable') return `<h2>Trace</h2>\n<p id="trace-note" class="muted">${escapeHtml(section.note)}</p>`;
  const ids = section.traceIds.map((id) => `<code>${escapeHtml(id)}</code>`).join(', ');
  const head = section.foundBy === 'trace id' ? `Trace ${ids}` : `${section.traceIds.length === 1 ? 'Trace' : 'Traces'} ${ids} (found by the order id)`;
  const cut = section.rows.length < section.totalSpans ? ` · <strong id="trace-cut">showing the first ${section.rows.length} of ${section.totalSpans} spans</strong>` : '';
  const rows = section.rows
    .map((r) => {
      const left = pct(r.offsetMs, section.totalMs);
      const width = Math.min(pct(r.durationMs, section.totalMs), 100 - left);
      const status = [
        r.error ? `<strong class="stalled">error</strong>${r.statusDescription !== undefined ? `: ${escapeHtml(r.statusDescription)}` : ''}` : '',
        r.deadLetterReason !== undefined ? `<strong class="stalled">dead-lettered</strong> (${escapeHtml(r.deadLetterReason)})` : '',
      ]
        .filter(Boolean)
        .join(' · ');
      return (
        `<tr data-span="${escapeHtml(r.spanId)}" data-depth="${r.depth}"${r.error ? ' class="err"' : ''}>` +
        `<td>${escapeHtml(r.service)}</td><td style="padding-left:${(0.6 + Math.min(r.depth, 15) * 0.9).toFixed(1)}rem">${escapeHtml(r.operation)}</td><td>${escapeHtml(r.kind)}</td>` +
        `<td class="num">+${escapeHtml(formatSpanMs(r.offsetMs))}</td><td class="num">${escapeHtml(formatSpanMs(r.durationMs))}</td>` +
        `<td><div class="wf"><span${r.error ? ' class="e"' : ''} style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span></div></td><td>${status}</td></tr>`
      );
    })
    .join('\n');
  return `<h2>Trace</h2>
<p class="muted" id="trace-summary">${head} · ${section.totalSpans} spans in ${escapeHtml(formatSpanMs(section.totalMs))}, from ${time(section.startedAt)}${cut}</p>
<table id="trace"><thead><tr><th>Service</th><th>Operation</th><th>Kind</th><th class="num">Start</th><th class="num">Duration</th><th style="width:30%">Timeline</th><th>Status</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/** The order's log lines, oldest first, severity as a word (coloured for warnings and errors). */
export function renderLogSection(section: LogSection): string {
  if (section.status === 'unavailable') return `<h2>Log lines</h2>\n<p id="logs-note" class="muted">${escapeHtml(section.note)}</p>`;
  const ids = section.traceIds.map((id) => `<code>${escapeHtml(id)}</code>`).join(', ');
  if (!section.rows.length) return `<h2>Log lines</h2>\n<p id="logs-none" class="muted">No log lines with trace id ${ids} (yet).</p>`;
  const rows = section.rows
    .map(
      (r) =>
        `<tr><td>${r.at !== undefined ? time(r.at) : escapeHtml(r.time)}</td><td>${escapeHtml(r.service)}</td>` +
        `<td${r.level === 'error' || r.level === 'warn' ? ` class="sev-${r.level}"` : ''}>${escapeHtml(r.severity || '—')}</td><td>${escapeHtml(r.message)}</td></tr>`,
    )
    .join('\n');
  const cut = section.cut ? ` · <strong id="logs-cut">only the newest ${section.rows.length} shown</strong>` : '';
  return `<h2>Log lines</h2>
<p class="muted" id="logs-summary">${section.rows.length} lines with trace id ${ids}, oldest first${cut}</p>
<table id="logs"><thead><tr><th>Time</th><th>Service</th><th>Severity</th><th>Message</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/** `evidence`: the order's trace and log lines (order-evidence.ts); without it, the page shows the records only. */
export function renderOrderPage(journey: Journey, view: OrderView, evidence?: OrderEvidence, replayHtml = ''): string {
  if (view.status === 'not found') {
    return layout(`Order ${view.orderId}`, journey, `<p id="not-found">No order <code>${escapeHtml(view.orderId)}</code> in ${escapeHtml(journey.stages[0]!.title)} records.</p>`, view.orderId);
  }
  const statusClass = view.status === 'stalled' ? 'stalled' : view.status === 'completed late' ? 'late' : view.status === 'completed' ? 'ok' : '';
  const rows = view.stages
    .map((s) => {
      const mark = s.at !== undefined ? '✔' : s.evidence ? '✔' : '…';
      const when = s.at !== undefined ? time(s.at) : s.evidence ? `<span class="muted">${escapeHtml(s.evidence)}</span>` : s.due !== undefined ? `<span class="muted">due by ${time(s.due)}</span>` : '';
      const since = s.at !== undefined && view.acceptedAt !== undefined ? `+${escapeHtml(formatDuration(s.at - view.acceptedAt))}` : '';
      const stalledHere = view.flag && view.status === 'stalled' && view.flag.awaiting === s.id ? ` <span class="stalled">stalled here: ${escapeHtml(reasonText(view.flag))}</span>` : '';
      return `<tr data-stage="${escapeHtml(s.id)}"><td>${mark}</td><td>${escapeHtml(s.title)}${stalledHere}</td><td>${when}</td><td>${since}</td></tr>`;
    })
    .join('\n');
  const flag = view.flag
    ? `<div class="box" id="flag"><div><span class="${view.status === 'stalled' ? 'stalled' : 'late'}">${view.status === 'stalled' ? 'Stalled' : 'Was stalled'}</span> after
<strong id="flag-stage">${escapeHtml(journey.stages.find((s) => s.id === view.flag!.stage)?.title ?? view.flag.stage)}</strong>,
waiting for <strong>${escapeHtml(journey.stages.find((s) => s.id === view.flag!.awaiting)?.title ?? view.flag.awaiting)}</strong>.</div>
<div>Reason: <strong id="flag-reason">${escapeHtml(reasonText(view.flag))}</strong> — <span id="flag-detail">${escapeHtml(view.flag.detail)}</span></div>
<div class="muted">Flagged ${time(view.flag.flaggedAt)}</div></div>`
    : '';
  const body = `<h2>Order <code id="order-id">${escapeHtml(view.orderId)}</code>${view.canary ? ' <span class="muted">(canary)</span>' : ''}</h2>
<p>Status: <strong id="status" class="${statusClass}">${escapeHtml(view.status)}</strong>
${view.completedAt !== undefined && view.acceptedAt !== undefined ? ` in ${escapeHtml(formatDuration(view.completedAt - view.acceptedAt))}` : ''}
· <a id="trace-link" href="${escapeHtml(view.traceUrl)}">its trace in Jaeger</a>${view.dashboardUrl ? ` · <a id="dashboard-link" href="${escapeHtml(view.dashboardUrl)}">the flow's dashboard at that time</a>` : ''}</p>
${flag}
${replayHtml}
<table id="stages"><thead><tr><th></th><th>Stage</th><th>Reached</th><th>After acceptance</th></tr></thead><tbody>
${rows}
</tbody></table>
${evidence ? `${renderTraceSection(evidence.trace)}\n${renderLogSection(evidence.logs)}` : ''}`;
  return layout(`Order ${view.orderId}`, journey, body, view.orderId);
}

export interface ListEntry {
  orderId: string;
  acceptedAt: number;
  flag?: Flag;
  completedAt?: number;
  canary?: boolean;
}

/** `replayHtml`: the replay block (replay-page.ts), after the stalled orders. */
export function renderIndexPage(journey: Journey, stalled: ListEntry[], late: ListEntry[], summary: { open: number; lastCheckAt?: number }, replayHtml = ''): string {
  const stageTitle = (id: string) => journey.stages.find((s) => s.id === id)?.title ?? id;
  const link = (id: string) => `<a href="orders?id=${encodeURIComponent(id)}"><code>${escapeHtml(id)}</code></a>`;
  const stalledRows = stalled
    .map((o) => `<tr data-order="${escapeHtml(o.orderId)}"><td>${link(o.orderId)}${o.canary ? ' <span class="muted">canary</span>' : ''}</td><td>${time(o.acceptedAt)}</td><td>${escapeHtml(stageTitle(o.flag!.stage))}</td><td class="stalled">${escapeHtml(reasonText(o.flag!))}</td><td>${escapeHtml(o.flag!.detail)}</td></tr>`)
    .join('\n');
  const lateRows = late
    .map((o) => `<tr data-order="${escapeHtml(o.orderId)}"><td>${link(o.orderId)}${o.canary ? ' <span class="muted">canary</span>' : ''}</td><td>${time(o.acceptedAt)}</td><td>${time(o.completedAt)}</td><td>${escapeHtml(formatDuration((o.completedAt ?? 0) - o.acceptedAt))}</td><td>${o.flag ? `${escapeHtml(stageTitle(o.flag.stage))}: ${escapeHtml(reasonText(o.flag))}` : ''}</td></tr>`)
    .join('\n');
  const body = `<p class="muted">${summary.open} open orders followed · last check ${summary.lastCheckAt ? time(summary.lastCheckAt) : 'not yet'}</p>
<h2>Stalled orders (${stalled.length})</h2>
${stalled.length ? `<table id="stalled"><thead><tr><th>Order</th><th>Accepted</th><th>Stopped at</th><th>Reason</th><th>Detail</th></tr></thead><tbody>\n${stalledRows}\n</tbody></table>` : '<p id="stalled-none">None.</p>'}
${replayHtml}
<h2>Late orders (${late.length})</h2>
${late.length ? `<table id="late"><thead><tr><th>Order</th><th>Accepted</th><th>Completed</th><th>Took</th><th>Was stalled</th></tr></thead><tbody>\n${lateRows}\n</tbody></table>` : '<p id="late-none">None recently.</p>'}`;
  return layout('Where is my order?', journey, body);
}

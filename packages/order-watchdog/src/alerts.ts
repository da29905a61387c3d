import { createHash } from 'node:crypto';
import type { Journey } from './journey';
import type { Flag, OpenOrder } from './order';
import { formatDuration } from './duration';
import { authHeaders, splitCredentials, type AuthedUrl } from './http-auth';

/** One alert as Alertmanager's API takes it (POST /api/v2/alerts). */
export interface AlertRecord {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** Set once resolved. */
  endsAt?: string;
  /** Until when a resolved alert is still re-sent (epoch ms). */
  resendUntil?: number;
}

export interface Links {
  /**
   * Link to the order's trace (Jaeger): the trace itself when its id is known (the trace context
   * the shop stored with the order), else a search by the order-id tag.
   */
  trace: (orderId: string, traceId?: string) => string;
  /** Link to the watchdog's page for the order. */
  page: (orderId: string) => string;
  /** Link to the flow's dashboard from 5 minutes before `from` to 5 minutes after `to` (epoch ms); '' without one. */
  dashboard: (from: number, to: number) => string;
}

/**
 * The links of the page and the alerts. The trace link goes straight to the order's trace when
 * its id is known (`traceparent` stored with the order), else to a Jaeger search by the order-id
 * tag. Links are shown to people: the credentials a Jaeger URL may carry are never in them.
 */
export function makeLinks(journey: Journey, config: { jaegerUiUrl?: string; grafanaDashboardUrl?: string; publicUrl: string }): Links {
  const ui = config.jaegerUiUrl ? splitCredentials(config.jaegerUiUrl).url : undefined;
  const dashboard = config.grafanaDashboardUrl ? new URL(splitCredentials(config.grafanaDashboardUrl).url) : undefined;
  const firstService = journey.stages.find((s) => s.span)?.span?.service ?? '';
  return {
    trace: (orderId, traceId) => {
      if (!ui) return '';
      if (traceId) return `${ui}/trace/${traceId}`;
      return `${ui}/search?${new URLSearchParams({ service: firstService, tags: JSON.stringify({ [journey.trace.order_id_tag]: orderId }), lookback: '2d' })}`;
    },
    page: (orderId) => `${config.publicUrl}/orders?id=${encodeURIComponent(orderId)}`,
    dashboard: (from, to) => {
      if (!dashboard) return '';
      const url = new URL(dashboard);
      url.searchParams.set('from', String(Math.floor(from - 5 * 60_000)));
      url.searchParams.set('to', String(Math.ceil(to + 5 * 60_000)));
      return url.toString();
    },
  };
}

/** Alertmanager's identity of an alert is its label set: the same labels, the same alert. */
export function fingerprint(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The alert of a flagged order: one per order and stage. */
export function alertFor(journey: Journey, order: OpenOrder, flag: Flag, links: Links): AlertRecord {
  const labels: Record<string, string> = {
    alertname: 'OrderStalled',
    journey: journey.name,
    order_id: order.orderId,
    stage: flag.stage,
    awaiting: flag.awaiting,
    reason: flag.reason,
    severity: 'warning',
  };
  if (flag.service) labels.service = flag.service;
  if (order.canary) labels.canary = 'true';
  const stageTitle = (id: string) => journey.stages.find((s) => s.id === id)?.title ?? id;
  return {
    labels,
    annotations: {
      summary: `Order ${order.orderId} stalled after "${stageTitle(flag.stage)}" (${flag.reason.replaceAll('_', ' ')})`,
      description:
        `Order ${order.orderId} was accepted ${new Date(order.acceptedAt).toISOString()} and did not reach ` +
        `"${stageTitle(flag.awaiting)}" within ${formatDuration(journey.stages.find((s) => s.id === flag.awaiting)?.deadline ?? 0)}: ${flag.detail}`,
      trace_url: links.trace(order.orderId, order.traceId),
      order_url: links.page(order.orderId),
      runbook_url: 'docs/runbooks.md#orderstalled',
    },
    startsAt: new Date(flag.flaggedAt).toISOString(),
  };
}

/** The same alert, resolved at `at`, re-sent until `resendUntil`. */
export function resolvedAlert(alert: AlertRecord, at: number, resendForMs: number): AlertRecord {
  return { ...alert, endsAt: new Date(at).toISOString(), resendUntil: at + resendForMs };
}

/**
 * What to POST: every active alert with endsAt a few resend intervals ahead (Alertmanager keeps
 * it firing while it is re-sent, and resolves it by itself if the watchdog dies), and the
 * resolved ones still within their resend window.
 */
export function alertsToSend(active: AlertRecord[], resolved: AlertRecord[], now: number, resendIntervalMs: number): AlertRecord[] {
  const endsAt = new Date(now + 4 * resendIntervalMs).toISOString();
  return [
    ...active.map((a) => ({ labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt })),
    ...resolved.filter((r) => (r.resendUntil ?? 0) > now).map((r) => ({ labels: r.labels, annotations: r.annotations, startsAt: r.startsAt, endsAt: r.endsAt })),
  ];
}

/** Drops resolved alerts whose resend window has passed. */
export function pruneResolved(resolved: AlertRecord[], now: number): AlertRecord[] {
  return resolved.filter((r) => (r.resendUntil ?? 0) > now);
}

/** Alertmanager's API; `user:password@` in its URL becomes basic auth (compose), never logged. */
export class AlertmanagerClient {
  private readonly target: AuthedUrl;

  constructor(baseUrl: string) {
    this.target = splitCredentials(baseUrl);
  }

  async post(alerts: AlertRecord[]): Promise<void> {
    if (!alerts.length) return;
    const res = await fetch(`${this.target.url}/api/v2/alerts`, {
      method: 'POST',
      headers: authHeaders(this.target, { 'content-type': 'application/json' }),
      body: JSON.stringify(alerts.map(({ labels, annotations, startsAt, endsAt }) => ({ labels, annotations, startsAt, endsAt, generatorURL: annotations.order_url }))),
      signal: AbortSignal.timeout(5000),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`Alertmanager answered ${res.status}: ${body.slice(0, 200)}`);
  }
}

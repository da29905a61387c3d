import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alertFor, AlertmanagerClient, makeLinks } from './alerts';
import { deadLetterReason } from './broker';
import { redactUrl, splitCredentials } from './http-auth';
import type { OpenOrder } from './order';
import { isoMicros, parsePgTimestampMicros, traceIdOf } from './records';
import { testJourney } from './test-journey';
import { addNewOrders, settle } from './tracker';
import { renderMetrics } from './metrics';
import { emptyState } from './state';

const j = testJourney();
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('trace links', () => {
  it('take the trace id from a stored traceparent or a bare id, and refuse anything else', () => {
    assert.equal(traceIdOf(`00-${TRACE}-00f067aa0ba902b7-01`), TRACE);
    assert.equal(traceIdOf(TRACE.toUpperCase()), TRACE);
    for (const bad of [null, undefined, '', 'x', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, `${TRACE}00`, 42]) assert.equal(traceIdOf(bad), undefined, String(bad));
  });

  it('go straight to the trace when the order carries its trace id, else search by the order id; never with credentials', () => {
    const links = makeLinks(j, { jaegerUiUrl: 'http://shopfloor:s3cret@jaeger.example:16686/', publicUrl: 'http://wd' });
    assert.equal(links.trace('o1', TRACE), `http://jaeger.example:16686/trace/${TRACE}`);
    const search = new URL(links.trace('o1'));
    assert.equal(search.pathname, '/search');
    assert.equal(search.searchParams.get('service'), 's1');
    assert.deepEqual(JSON.parse(search.searchParams.get('tags')!), { 'order.id': 'o1' });
    assert.doesNotMatch(links.trace('o1') + links.trace('o1', TRACE), /s3cret|shopfloor@/);
    assert.equal(makeLinks(j, { publicUrl: 'http://wd' }).trace('o1', TRACE), '', 'no Jaeger, no link');
  });

  it("the flow's dashboard around the order's time, 5 minutes either side, its variables kept; none configured, no link", () => {
    const links = makeLinks(j, { grafanaDashboardUrl: 'http://admin:pw@grafana.example:3000/d/flow-red?var-service=all', publicUrl: 'http://wd' });
    const url = new URL(links.dashboard(1_000_000_000, 1_000_060_000));
    assert.equal(`${url.origin}${url.pathname}`, 'http://grafana.example:3000/d/flow-red');
    assert.deepEqual([url.searchParams.get('var-service'), url.searchParams.get('from'), url.searchParams.get('to')], ['all', '999700000', '1000360000']);
    assert.doesNotMatch(url.toString(), /pw|admin@/);
    assert.equal(makeLinks(j, { publicUrl: 'http://wd' }).dashboard(0, 1), '');
  });

  it('the alert of an order with a stored traceparent links its trace; the order keeps it from its first record', () => {
    const state = emptyState('test', 0);
    addNewOrders(state, [{ orderId: 'o1', at: 10, traceId: TRACE }, { orderId: 'o2', at: 11 }], 'a');
    assert.equal(state.open.o1!.traceId, TRACE);
    assert.equal(state.open.o2!.traceId, undefined);
    const links = makeLinks(j, { jaegerUiUrl: 'http://jaeger:16686', publicUrl: 'http://wd' });
    const flag = { stage: 'b', awaiting: 'c', reason: 'vanished' as const, detail: 'x', flaggedAt: 20 };
    assert.equal(alertFor(j, state.open.o1 as OpenOrder, flag, links).annotations.trace_url, `http://jaeger:16686/trace/${TRACE}`);
    assert.match(alertFor(j, state.open.o2 as OpenOrder, flag, links).annotations.trace_url!, /\/search\?/);
  });
});

describe('dead-letter reasons', () => {
  it('prefer the consumer\'s reason header, else what RabbitMQ wrote in x-death', () => {
    assert.equal(deadLetterReason({ 'x-shopfloor-reason': Buffer.from('rejected by fault injection') }, 'x-shopfloor-reason'), 'rejected by fault injection');
    const expired = { 'x-death': [{ count: 1, reason: 'expired', queue: 'mes.production-requested', exchange: 'shopfloor.orders' }], 'x-first-death-reason': 'expired' };
    assert.equal(deadLetterReason(expired, 'x-shopfloor-reason'), 'expired (dead-lettered by RabbitMQ from mes.production-requested)');
    assert.equal(deadLetterReason({ 'x-first-death-reason': 'maxlen', 'x-first-death-queue': 'q1' }, 'x-shopfloor-reason'), 'maxlen (dead-lettered by RabbitMQ from q1)');
    assert.equal(deadLetterReason({ 'x-death': [{ reason: Buffer.from('rejected') }] }, 'x-shopfloor-reason'), 'rejected (dead-lettered by RabbitMQ)');
    assert.equal(deadLetterReason({}, 'x-shopfloor-reason'), '');
    assert.equal(deadLetterReason(undefined, 'x-shopfloor-reason'), '');
  });
});

describe('URLs with credentials', () => {
  it('are split into a clean URL and a basic-auth header, and redacted in messages', () => {
    assert.deepEqual(splitCredentials('http://alertmanager:9093/'), { url: 'http://alertmanager:9093' });
    const s = splitCredentials('http://shopfloor:p%40ss@alertmanager:9093');
    assert.equal(s.url, 'http://alertmanager:9093');
    assert.equal(s.authorization, `Basic ${Buffer.from('shopfloor:p@ss').toString('base64')}`);
    assert.equal(redactUrl('http://u:secret@h:1/x'), 'http://***@h:1/x');
  });

  it('Alertmanager gets the basic auth, and the password is in no error message', async () => {
    let seen: IncomingHttpHeaders | undefined;
    const server = createServer((req, res) => {
      seen = req.headers;
      req.resume();
      req.on('end', () => {
        res.writeHead(req.headers.authorization ? 200 : 401).end('');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const alert = { labels: { alertname: 'OrderStalled' }, annotations: {}, startsAt: new Date(0).toISOString() };
      await new AlertmanagerClient(`http://shopfloor:s3cret@127.0.0.1:${port}`).post([alert]);
      assert.equal(seen?.authorization, `Basic ${Buffer.from('shopfloor:s3cret').toString('base64')}`);
      await assert.rejects(new AlertmanagerClient(`http://127.0.0.1:${port}`).post([alert]), (err: Error) => /401/.test(err.message) && !/s3cret/.test(err.message));
    } finally {
      server.close();
    }
  });
});

describe('canary metrics', () => {
  it('export the pace, the last completed canary (else the start) and the longest healthy gap', () => {
    const state = emptyState('test', 0);
    const health = { failures: 0, alertPostFailures: 0, canary: { intervalMs: 30_000, maxAgeMs: 40_000 + 60_000 + 10_000, startedAt: 5_000 } };
    let text = renderMetrics(j, state, health);
    assert.match(text, /^shopfloor_watchdog_canary_interval_seconds\{journey="test"\} 30$/m);
    assert.match(text, /^shopfloor_watchdog_canary_last_completed_timestamp_seconds\{journey="test"\} 5$/m);
    assert.match(text, /^shopfloor_watchdog_canary_max_age_seconds\{journey="test"\} 110$/m);
    addNewOrders(state, [{ orderId: 'c1', at: 10_000 }], 'a', new Set(['c1']));
    state.open.c1!.reached.e = 42_000;
    settle(j, state, 50_000, makeLinks(j, { publicUrl: 'http://wd' }), { resolvedResendMs: 1000, forgetAfterMs: 1e9 });
    assert.equal(state.counters.canaryCompleted, 1);
    text = renderMetrics(j, state, health);
    assert.match(text, /^shopfloor_watchdog_canary_last_completed_timestamp_seconds\{journey="test"\} 42$/m);
    const off = renderMetrics(j, state, { ...health, canary: { ...health.canary, intervalMs: 0 } });
    assert.match(off, /^shopfloor_watchdog_canary_interval_seconds\{journey="test"\} 0$/m);
    assert.doesNotMatch(off, /canary_last_completed|canary_max_age/);
  });
});

describe('PostgreSQL timestamps', () => {
  it('are read to the microsecond, and written back exactly', () => {
    const us = parsePgTimestampMicros('2026-11-28 21:51:18.510759+00');
    assert.equal(us, Date.UTC(2026, 10, 28, 21, 51, 18) * 1000 + 510_759);
    assert.equal(isoMicros(us), '2026-11-28T21:51:18.510759Z');
    assert.equal(parsePgTimestampMicros('2026-11-28 23:51:18.5+02'), Date.UTC(2026, 10, 28, 21, 51, 18) * 1000 + 500_000);
    assert.equal(parsePgTimestampMicros('2026-11-28 16:21:18-05:30'), Date.UTC(2026, 10, 28, 21, 51, 18) * 1000);
    assert.equal(parsePgTimestampMicros('2026-11-28T21:51:18.000001Z'), Date.UTC(2026, 10, 28, 21, 51, 18) * 1000 + 1);
    assert.equal(isoMicros(Date.UTC(2026, 0, 1) * 1000 + 7), '2026-01-01T00:00:00.000007Z');
  });
});

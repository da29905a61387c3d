import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { orderEvidence, traceIdOfLink, type OrderEvidence } from './order-evidence';
import { renderOrderPage, type OrderView } from './page';
import { testJourney } from './test-journey';

const j = testJourney();
const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const ACCEPTED = Date.UTC(2026, 0, 1, 10);

function view(over: Partial<OrderView> = {}): OrderView {
  return { orderId: 'o-1', status: 'in progress', acceptedAt: ACCEPTED, stages: [{ id: 'a', title: 'accepted', at: ACCEPTED }], traceUrl: '', ...over };
}

const jaegerTrace = (name = 'POST /orders') => ({
  traceID: T,
  processes: { p1: { serviceName: 's1' } },
  spans: [{ traceID: T, spanID: 'a1', operationName: name, processID: 'p1', startTime: ACCEPTED * 1000, duration: 1000, references: [], tags: [{ key: 'span.kind', value: 'server' }] }],
});

const servers: Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

/** A stand-in backend: records each request, answers with `answer` (or never, when it returns undefined). */
async function backend(answer: (req: Seen) => { status?: number; body: string } | undefined): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) };
      seen.push(s);
      const a = answer(s);
      if (!a) return; // hang
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
      res.end(a.body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const logLine = (msg: string, extra: Record<string, string> = {}) => JSON.stringify({ _time: '2026-01-01T10:00:00.001Z', _msg: msg, 'service.name': 's1', severity_text: 'info', ...extra });

describe('order evidence: the trace and log lines of an order page', () => {
  it('takes the trace id from the view, else from its trace link', () => {
    assert.equal(traceIdOfLink(`http://jaeger:16686/trace/${T}`), T);
    assert.equal(traceIdOfLink('http://jaeger:16686/search?service=s1'), undefined);
    assert.equal(traceIdOfLink(''), undefined);
  });

  it('with the trace id known: asks Jaeger for that trace and VictoriaLogs for its lines, at once, credentials as a header', async () => {
    const jaeger = await backend((r) => (r.url === `/api/traces/${T}` ? { body: JSON.stringify({ data: [jaegerTrace()] }) } : { status: 404, body: '{}' }));
    const logs = await backend(() => ({ body: `${logLine('request', { severity_text: 'warn' })}\n${logLine('first', { _time: '2026-01-01T10:00:00Z' })}\n` }));
    const ev = await orderEvidence(view({ traceId: T }), { journey: j, config: { checkIntervalMs: 1000, jaegerUrl: `http://shopfloor:s3cr%40t@${jaeger.base}/`, victoriaLogsUrl: `http://vl:pw-9f@${logs.base}` } });
    assert.equal(ev.trace.status, 'found');
    assert.equal(ev.trace.status === 'found' && ev.trace.rows[0]!.operation, 'POST /orders');
    assert.equal(jaeger.seen[0]!.authorization, `Basic ${Buffer.from('shopfloor:s3cr@t').toString('base64')}`);
    assert.equal(logs.seen[0]!.authorization, `Basic ${Buffer.from('vl:pw-9f').toString('base64')}`);
    assert.equal(logs.seen[0]!.method, 'POST');
    assert.equal(logs.seen[0]!.url, '/select/logsql/query');
    const form = new URLSearchParams(logs.seen[0]!.body);
    assert.match(form.get('query')!, new RegExp(`^trace_id:"${T}" \\|`));
    assert.equal(form.get('start'), new Date(ACCEPTED - 3_600_000).toISOString());
    assert.equal(ev.logs.status, 'found');
    assert.deepEqual(ev.logs.status === 'found' && ev.logs.rows.map((r) => [r.message, r.severity]), [['first', 'INFO'], ['request', 'WARN']]);
    const html = renderOrderPage(j, view({ traceId: T }), ev);
    assert.doesNotMatch(html, /s3cr|pw-9f|shopfloor:|vl:/, 'no credentials on the page');
    assert.match(html, /<table id="trace">/);
    assert.match(html, /<table id="logs">/);
  });

  it('without a trace id: searches Jaeger by the order-id tag in every journey service, then asks for the found trace’s lines', async () => {
    const jaeger = await backend((r) => {
      const q = new URL(r.url, 'http://x').searchParams;
      return { body: JSON.stringify({ data: q.get('service') === 's2' ? [jaegerTrace()] : [] }) };
    });
    const logs = await backend(() => ({ body: logLine('found by the searched trace') }));
    const ev = await orderEvidence(view(), { journey: j, config: { checkIntervalMs: 1000, jaegerUrl: `http://${jaeger.base}`, victoriaLogsUrl: `http://${logs.base}` } }, { now: ACCEPTED + 60_000 });
    const asked = jaeger.seen.map((s) => new URL(s.url, 'http://x').searchParams);
    assert.deepEqual(asked.map((q) => q.get('service')).sort(), ['s1', 's2', 's3']);
    for (const q of asked) {
      assert.deepEqual(JSON.parse(q.get('tags')!), { 'order.id': 'o-1' });
      assert.equal(q.get('start'), String((ACCEPTED - 3_600_000) * 1000), 'searched from an hour before the acceptance (Jaeger ignores lookback)');
      assert.equal(q.get('end'), String((ACCEPTED + 60_000) * 1000));
    }
    assert.equal(ev.trace.status === 'found' && ev.trace.foundBy, 'order-id tag');
    assert.match(new URLSearchParams(logs.seen[0]!.body).get('query')!, new RegExp(`^trace_id:"${T}"`));
    assert.equal(ev.logs.status === 'found' && ev.logs.rows[0]!.message, 'found by the searched trace');
  });

  it('says in one line what is not configured', async () => {
    const ev = await orderEvidence(view({ traceId: T }), { journey: j, config: { checkIntervalMs: 1000 } });
    assert.deepEqual(ev, {
      trace: { status: 'unavailable', note: 'No trace: no Jaeger configured (WATCHDOG_JAEGER_URL).' },
      logs: { status: 'unavailable', note: 'No log lines: no VictoriaLogs configured (WATCHDOG_VICTORIALOGS_URL).' },
    });
    const noId = await orderEvidence(view(), { journey: j, config: { checkIntervalMs: 1000, victoriaLogsUrl: 'http://127.0.0.1:1' } });
    assert.equal(noId.logs.status === 'unavailable' && noId.logs.note, 'No log lines: they are found by trace id, and none is known for this order.');
    const page = renderOrderPage(j, view(), ev);
    assert.match(page, /<p id="trace-note" class="muted">No trace: no Jaeger configured \(WATCHDOG_JAEGER_URL\)\.<\/p>/);
    assert.match(page, /<p id="logs-note" class="muted">No log lines: no VictoriaLogs configured/);
  });

  it('a hung, failing or missing backend costs at most the timeout and becomes a note, never an error', async () => {
    const hung = await backend(() => undefined);
    const failing = await backend(() => ({ status: 500, body: 'boom: secret detail' }));
    const started = Date.now();
    const ev = await orderEvidence(view({ traceId: T }), { journey: j, config: { checkIntervalMs: 1000, jaegerUrl: `http://${hung.base}`, victoriaLogsUrl: `http://${failing.base}` } }, { timeoutMs: 300 });
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.deepEqual(ev.trace, { status: 'unavailable', note: 'No trace: Jaeger did not answer within 0.3 s.' });
    assert.deepEqual(ev.logs, { status: 'unavailable', note: 'No log lines: VictoriaLogs answered HTTP 500.' });

    const closed = await backend(() => undefined);
    const port = closed.base;
    servers.pop()!.close(); // a port nobody listens on
    await new Promise((r) => setTimeout(r, 50));
    const down = await orderEvidence(view({ traceId: T }), { journey: j, config: { checkIntervalMs: 1000, jaegerUrl: `http://${port}`, victoriaLogsUrl: `http://u:p@${port}` } }, { timeoutMs: 1000 });
    assert.deepEqual(down.trace, { status: 'unavailable', note: 'No trace: Jaeger is unreachable (ECONNREFUSED).' });
    assert.deepEqual(down.logs, { status: 'unavailable', note: 'No log lines: VictoriaLogs is unreachable (ECONNREFUSED).' });
  });

  it('bounds the wait even when a request ignores its abort signal', async () => {
    const never = (() => new Promise<Response>(() => {})) as typeof fetch;
    const started = Date.now();
    const ev = await orderEvidence(view({ traceId: T }), { journey: j, config: { checkIntervalMs: 1000, jaegerUrl: 'http://jaeger', victoriaLogsUrl: 'http://vl' } }, { timeoutMs: 100, fetchFn: never });
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.deepEqual(ev.trace, { status: 'unavailable', note: 'No trace: Jaeger did not answer within 0.1 s.' });
    assert.deepEqual(ev.logs, { status: 'unavailable', note: 'No log lines: VictoriaLogs did not answer within 0.1 s.' });
  });

  it('a trace Jaeger does not have, and an order that does not exist', async () => {
    const jaeger = await backend(() => ({ status: 404, body: JSON.stringify({ data: null, errors: [{ code: 404, msg: 'trace not found' }] }) }));
    const ev = await orderEvidence(view({ traceId: T }), { journey: j, config: { checkIntervalMs: 1000, jaegerUrl: `http://${jaeger.base}` } });
    assert.deepEqual(ev.trace, { status: 'unavailable', note: `Jaeger has no trace ${T} (not yet, or no longer).` });
    const before = jaeger.seen.length;
    const none = await orderEvidence({ orderId: 'x', status: 'not found', stages: [], traceUrl: '' }, { journey: j, config: { checkIntervalMs: 1000, jaegerUrl: `http://${jaeger.base}` } });
    assert.equal(none.trace.status, 'unavailable');
    assert.equal(jaeger.seen.length, before, 'nothing asked for an order that does not exist');
  });
});

describe('the order page with its evidence', () => {
  const evil = '<script>alert(1)</script>';
  const evidence: OrderEvidence = {
    trace: {
      status: 'found',
      foundBy: 'trace id',
      traceIds: [T],
      startedAt: ACCEPTED,
      totalMs: 100,
      totalSpans: 400,
      rows: [
        { traceId: T, spanId: 'a1', depth: 0, service: '<b>svc</b>', operation: evil, kind: 'server', offsetMs: 0, durationMs: 100, error: false },
        { traceId: T, spanId: 'a"2', depth: 2, service: 'mes-api', operation: 'mes process', kind: 'consumer', offsetMs: 90, durationMs: 20, error: true, statusDescription: '"rejected" & <x>', deadLetterReason: '<rejected>' },
      ],
    },
    logs: {
      status: 'found',
      traceIds: [T],
      cut: true,
      rows: [
        { at: ACCEPTED, time: '2026-01-01T10:00:00Z', service: 'mes-api', severity: 'WARN', level: 'warn', message: '<img src=x onerror=alert(1)>' },
        { time: '<bad time>', service: '<svc>', severity: '<ERR>', level: 'error', message: 'plain' },
      ],
    },
  };
  const html = renderOrderPage(j, view(), evidence);

  it('escapes every value: names, attributes, messages, times', () => {
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the span name, escaped');
    assert.doesNotMatch(html, /<script|<img|<b>svc|<x>|<rejected>|<svc>|<ERR>|<bad time>/i);
    assert.ok(html.includes('&quot;rejected&quot; &amp; &lt;x&gt;'));
    assert.ok(html.includes('data-span="a&quot;2"'));
  });

  it('draws the waterfall with inline widths, indentation, the error and the dead-letter reason; says when cut', () => {
    assert.match(html, /<tr data-span="a1" data-depth="0"><td>&lt;b&gt;svc&lt;\/b&gt;<\/td><td style="padding-left:0.6rem">/);
    assert.match(html, /<span style="left:0.00%;width:100.00%"><\/span>/);
    assert.match(html, /data-depth="2" class="err">.*<td style="padding-left:2.4rem">mes process<\/td><td>consumer<\/td><td class="num">\+90.0 ms<\/td><td class="num">20.0 ms<\/td>/);
    assert.match(html, /<span class="e" style="left:90.00%;width:10.00%"><\/span>/, 'a bar never runs past the end');
    assert.match(html, /<strong class="stalled">error<\/strong>: &quot;rejected&quot; &amp; &lt;x&gt; · <strong class="stalled">dead-lettered<\/strong> \(&lt;rejected&gt;\)/);
    assert.match(html, /<strong id="trace-cut">showing the first 2 of 400 spans<\/strong>/);
  });

  it('lists the log lines with time, service, a visible severity and the message; says when cut', () => {
    assert.match(html, /<tr><td><time datetime="2026-01-01T10:00:00.000Z">[^<]*<\/time><\/td><td>mes-api<\/td><td class="sev-warn">WARN<\/td><td>&lt;img src=x onerror=alert\(1\)&gt;<\/td><\/tr>/);
    assert.match(html, /<td class="sev-error">&lt;ERR&gt;<\/td>/);
    assert.match(html, /<strong id="logs-cut">only the newest 2 shown<\/strong>/);
  });

  it('has no script and no external resource (the CSP allows inline style only)', () => {
    assert.doesNotMatch(html, /<script|<link |<img |<iframe|javascript:/i);
    assert.doesNotMatch(html, / on[a-z]+="/i);
  });

  it('without evidence, the page is as before', () => {
    const plain = renderOrderPage(j, view());
    assert.doesNotMatch(plain, /id="trace"|id="logs"|trace-note|logs-note/);
  });
});

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DEV_PARTNER, randomOrder, type Stack } from '@shopfloor/stack-contract';
import { getText, REQUEST_TIMEOUT_MS, requestJson } from './clients/http';
import { fetchUrl } from './clients/credentials';
import { VictoriaLogsClient, type LogEntry } from './clients/victorialogs';
import { eventually } from './eventually';
import { placeOrder } from './orders';
import { stackUp } from './stack';

const SERVICES = ['shop-api', 'crm-api', 'mes-api'] as const;
const EXPORTER = 'otlp_http/victorialogs';

const newTraceId = () => randomBytes(16).toString('hex');
const traceparent = (traceId: string) => `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
const serviceOf = (e: LogEntry) => e['service.name'];

/** The value of one series of the Collector's own metrics (`name{...exporter="..."...}`), or undefined. */
function collectorMetric(text: string, name: string, exporter = EXPORTER): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!line.includes(`exporter="${exporter}"`)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('logs in VictoriaLogs, one query from a trace', () => {
  let stack: Stack;
  let logs: VictoriaLogsClient;

  before(async () => {
    stack = await stackUp();
    logs = new VictoriaLogsClient(stack.endpoints.victoriaLogs);
  });


  /** Waits until the trace's entries include lines of every service in `services`; returns them. */
  function linesOfTrace(traceId: string, services: readonly string[] = SERVICES, timeoutMs = 45_000): Promise<LogEntry[]> {
    return eventually(`log lines of ${services.join(', ')} with trace_id ${traceId} in VictoriaLogs`, async () => {
      const entries = await logs.byTraceId(traceId);
      const have = new Set(entries.map(serviceOf));
      const missing = services.filter((s) => !have.has(s));
      if (missing.length) {
        throw new Error(`trace_id:"${traceId}" has ${entries.length} lines, none of ${missing.join(', ')} (have: ${[...have].join(', ') || 'nothing'})`);
      }
      return entries;
    }, timeoutMs);
  }

  it('serves its web UI (vmui, embedded in the Go build) at /select/vmui/', async () => {
    const html = await getText(`${stack.endpoints.victoriaLogs}/select/vmui/`);
    assert.match(html, /<!DOCTYPE html>/i);
    const script = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, `the vmui page references its script bundle: ${html.slice(0, 300)}`);
    const js = await fetchUrl(`${stack.endpoints.victoriaLogs}/select/vmui/${script}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    assert.equal(js.status, 200, `GET /select/vmui/${script}`);
  });

  it("finds an order's log lines of shop-api, crm-api and mes-api by its trace id; stdout keeps them too", async () => {
    const traceId = newTraceId();
    const { orderId } = await placeOrder(stack.endpoints.shopApi, { traceparent: traceparent(traceId) });
    const entries = await linesOfTrace(traceId);

    for (const e of entries) {
      assert.equal(e.trace_id, traceId);
      assert.match(e.span_id ?? '', /^[0-9a-f]{16}$/, `every line of the trace names its span: ${JSON.stringify(e)}`);
      assert.ok(e.severity_text || e.severity_number, `severity on ${JSON.stringify(e)}`);
    }
    const shopRequest = entries.find((e) => serviceOf(e) === 'shop-api' && e._msg === 'request' && e.path === '/orders');
    assert.ok(shopRequest, `shop-api's access log line of POST /orders: ${entries.map((e) => `${serviceOf(e)}: ${e._msg}`).join(' | ')}`);
    assert.ok(
      entries.some((e) => serviceOf(e) === 'crm-api' && JSON.stringify(e).includes(orderId)),
      `a crm-api line names order ${orderId}`,
    );
    assert.ok(
      entries.some((e) => serviceOf(e) === 'mes-api' && JSON.stringify(e).includes(orderId)),
      `a mes-api line names order ${orderId}`,
    );

    // stdout stays: the same request's line in the component log, with its trace id.
    const stdout = await stack.serviceStdout('shop-api');
    assert.ok(stdout.split('\n').some((l) => l.includes(traceId) && l.includes('"msg":"request"')), 'shop-api stdout has the request line with its trace id');
  });

  it('a dead-lettered message leaves a line with the dead-letter reason and the trace id', async () => {
    await stack.restartService('mes-api', { MES_FAULT_REJECT: 'true' });
    try {
      const traceId = newTraceId();
      const { orderId } = await placeOrder(stack.endpoints.shopApi, { traceparent: traceparent(traceId) });
      const line = await eventually(`mes-api's "message dead-lettered" line of order ${orderId} (trace ${traceId})`, async () => {
        const entries = await logs.byTraceId(traceId);
        const found = entries.find((e) => serviceOf(e) === 'mes-api' && e._msg === 'message dead-lettered');
        if (!found) throw new Error(`trace_id:"${traceId}" has ${entries.length} lines, no mes-api "message dead-lettered": ${entries.map((e) => `${serviceOf(e)}: ${e._msg}`).join(' | ')}`);
        return found;
      });
      assert.equal(line.trace_id, traceId);
      assert.equal(line.reason, 'rejected by fault injection', `the reason field: ${JSON.stringify(line)}`);
      assert.equal(line.deadLetterQueue, 'mes.production-requested.dlq');
      assert.ok(['WARN', 'warn'].includes(line.severity_text ?? '') || Number(line.severity_number) >= 13, `a warning: ${JSON.stringify(line)}`);
    } finally {
      await stack.restartService('mes-api');
    }
  });

  it('keeps an Authorization header, a partner key and a password field out of the store', async () => {
    const bearer = `tok-${randomBytes(12).toString('hex')}`;
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const wrongKey = `key-${randomBytes(12).toString('hex')}`;
    const traceId = newTraceId();
    const tp = traceparent(traceId);

    // An order carrying a bearer token and a password field in its body.
    const order = randomOrder() as Record<string, any>;
    order.customer = { ...order.customer, password };
    order.password = password;
    const placed = await requestJson<{ orderId: string }>(`${stack.endpoints.shopApi}/orders`, {
      method: 'POST',
      body: order,
      headers: { authorization: `Bearer ${bearer}`, traceparent: tp },
    });
    assert.ok([201, 202, 400].includes(placed.status), `POST /orders with extra fields answered ${placed.status}: ${JSON.stringify(placed.body)}`);
    // A bad login-like body the shop refuses (400): its failure is logged, its password must not be.
    const bad = await requestJson(`${stack.endpoints.shopApi}/orders`, {
      method: 'POST',
      body: { customer: { name: '', email: 'x', password }, items: [], password },
      headers: { authorization: `Bearer ${bearer}`, traceparent: tp },
    });
    assert.equal(bad.status, 400);
    // The MES partner API with the real partner key and with a wrong one (401), under the same trace.
    const orderId = placed.body.orderId ?? (await placeOrder(stack.endpoints.shopApi)).orderId;
    await eventually(`order ${orderId} at MES`, async () => {
      const r = await requestJson(`${stack.endpoints.mesApi}/jobs/${orderId}`);
      if (r.status !== 200) throw new Error(`GET /jobs answered ${r.status}`);
    });
    const partner = await requestJson(`${stack.endpoints.mesApi}/partner/v1/jobs/${orderId}`, { headers: { 'x-api-key': DEV_PARTNER.key, traceparent: tp } });
    assert.equal(partner.status, 200);
    const refused = await requestJson(`${stack.endpoints.mesApi}/partner/v1/jobs/${orderId}`, { headers: { 'x-api-key': wrongKey, traceparent: tp } });
    assert.equal(refused.status, 401);

    // Those requests' lines are in the store (so the check below is not vacuous) ...
    await eventually(`the access log lines of the secret-carrying requests (trace ${traceId})`, async () => {
      const entries = await logs.byTraceId(traceId);
      const shop = entries.filter((e) => serviceOf(e) === 'shop-api' && e._msg === 'request').length;
      // By status, not path: the 401 is answered inside the router mounted at /partner/v1, and
      // the access log's req.path is then relative to that mount (/jobs/<id>).
      const mes = entries.filter((e) => serviceOf(e) === 'mes-api' && e._msg === 'request').map((e) => Number(e.status));
      if (shop < 2 || !mes.includes(200) || !mes.includes(401)) {
        throw new Error(`have ${shop} shop-api request lines (want 2) and mes-api request lines with status ${mes.join(', ') || 'none'} (want 200 and 401)`);
      }
    });
    // ... and no value of a secret is anywhere in it: every field of every line of the last 15 minutes.
    const everything = await logs.query('_time:15m', 1_000_000);
    const text = JSON.stringify(everything);
    assert.ok(everything.length > 0);
    for (const [what, value] of [['the bearer token', bearer], ['the password', password], ['the partner key', DEV_PARTNER.key], ['the wrong partner key', wrongKey]] as const) {
      assert.ok(!text.includes(value), `${what} (${value}) reached VictoriaLogs: ${everything.filter((e) => JSON.stringify(e).includes(value)).map((e) => JSON.stringify(e)).join('\n')}`);
    }
  });

  it('the store down for 60 s loses no request and no log line; the Collector queue stays bounded', async () => {
    const before = await getText(stack.endpoints.collectorTelemetry);
    const capacity = collectorMetric(before, 'otelcol_exporter_queue_capacity');
    assert.ok(capacity !== undefined && capacity > 0, `otelcol_exporter_queue_capacity{exporter="${EXPORTER}"} on :8888: ${capacity}`);
    const failedBefore = collectorMetric(before, 'otelcol_exporter_enqueue_failed_log_records') ?? 0;

    await stack.stopComponent('victorialogs');
    const outageTraces: string[] = [];
    const failures: string[] = [];
    const queueSizes: number[] = [];
    let requests = 0;
    try {
      const end = Date.now() + 60_000;
      let nextSample = 0;
      while (Date.now() < end) {
        const traceId = newTraceId();
        const res = await requestJson<{ orderId: string }>(`${stack.endpoints.shopApi}/orders`, {
          method: 'POST',
          body: randomOrder(),
          headers: { traceparent: traceparent(traceId) },
        });
        requests++;
        if (res.status === 201 || res.status === 202) {
          outageTraces.push(traceId);
          const read = await requestJson(`${stack.endpoints.shopApi}/orders/${res.body.orderId}`);
          requests++;
          if (read.status !== 200) failures.push(`GET /orders/${res.body.orderId}: ${read.status}`);
        } else {
          failures.push(`POST /orders: ${res.status} ${JSON.stringify(res.body)}`);
        }
        if (Date.now() >= nextSample) {
          nextSample = Date.now() + 5_000;
          const m = await getText(stack.endpoints.collectorTelemetry);
          const size = collectorMetric(m, 'otelcol_exporter_queue_size');
          const cap = collectorMetric(m, 'otelcol_exporter_queue_capacity');
          assert.ok(size !== undefined && cap !== undefined, `otelcol_exporter_queue_size/_capacity for ${EXPORTER} on :8888`);
          assert.ok(size <= cap, `queue size ${size} within its capacity ${cap}`);
          queueSizes.push(size);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await stack.startComponent('victorialogs');
    }
    process.stderr.write(`# outage: ${requests} requests, ${outageTraces.length} orders, queue sizes ${queueSizes.join(', ')} (capacity ${capacity})\n`);
    assert.deepEqual(failures, [], `every request during the outage answered 2xx (${requests} requests)`);
    // One order at a time (POST, then GET): how many fit in the minute depends on the machine's
    // load and the stack (in containers 48 to 87 with four stacks on 2 cores, natively 150 to 220);
    // at least one every 3 s is a steady stream.
    assert.ok(outageTraces.length >= 20, `a steady stream of orders during the outage: ${outageTraces.length} in 60 s`);
    assert.ok(Math.max(...queueSizes) > 0, `the Collector held the logs in its queue during the outage: sizes ${queueSizes.join(', ')}`);

    // After the store is back, the lines logged during the outage arrive: every outage order's
    // trace has its shop-api request line and its MES line.
    await eventually(`the lines of ${outageTraces.length} orders placed during the outage to reach VictoriaLogs`, async () => {
      const entries = await logs.query('_time:10m trace_id:*', 1_000_000);
      const services = new Map<string, Set<string>>();
      for (const e of entries) {
        if (!e.trace_id) continue;
        const set = services.get(e.trace_id) ?? new Set<string>();
        set.add(serviceOf(e) ?? '');
        services.set(e.trace_id, set);
      }
      const missing = outageTraces.filter((t) => SERVICES.some((s) => !services.get(t)?.has(s)));
      if (missing.length) {
        const t = missing[0]!;
        throw new Error(`${missing.length} of ${outageTraces.length} outage orders lack lines; e.g. trace ${t} has: ${[...(services.get(t) ?? [])].join(', ') || 'nothing'}`);
      }
    }, 120_000);

    const afterText = await getText(stack.endpoints.collectorTelemetry);
    const failedAfter = collectorMetric(afterText, 'otelcol_exporter_enqueue_failed_log_records') ?? 0;
    assert.equal(failedAfter - failedBefore, 0, 'no log record was refused by the full queue');
    const sendFailed = collectorMetric(afterText, 'otelcol_exporter_send_failed_log_records') ?? 0;
    process.stderr.write(`# after: otelcol_exporter_send_failed_log_records=${sendFailed} (failed attempts, retried)\n`);
  });
});

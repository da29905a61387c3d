import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DEV_PARTNER, randomOrder, type Stack } from '@shopfloor/stack-contract';
import { getText, REQUEST_TIMEOUT_MS, requestJson } from './clients/http';
import { flatten, isAncestor, JaegerClient, type Span } from './clients/jaeger';
import { PrometheusClient } from './clients/prometheus';
import { eventually } from './eventually';
import { placeOrder } from './orders';
import { stackUp } from './stack';

const SERVICES = ['shop-api', 'crm-api', 'mes-api'] as const;
/** Every hop of an order's trace, as service and span kind. */
const HOPS = [
  ['shop-api', 'server'], ['shop-api', 'producer'],
  ['crm-api', 'consumer'], ['crm-api', 'producer'],
  ['mes-api', 'consumer'],
] as const;

describe('one order, one trace: Shop → RabbitMQ → CRM → MES', () => {
  let stack: Stack;
  let jaeger: JaegerClient;
  let prom: PrometheusClient;

  before(async () => {
    stack = await stackUp();
    jaeger = new JaegerClient(stack.endpoints.jaeger);
    prom = new PrometheusClient(stack.endpoints.prometheus);
  });


  /**
   * Waits for the order's trace to hold every hop: each service's spans are exported in its own
   * batches, so a consumer span, which ends last, may arrive after the next service's spans.
   */
  async function completeTrace(orderId: string): Promise<Span[]> {
    return eventually(`the trace of order ${orderId} to hold every hop`, async () => {
      const traces = await jaeger.findTraces('shop-api', { 'order.id': orderId });
      if (traces.length !== 1) throw new Error(`Jaeger has ${traces.length} traces tagged order.id=${orderId}`);
      const spans = flatten(traces[0]!);
      const missing = HOPS.filter(([service, kind]) => !spans.some((s) => s.service === service && s.kind === kind));
      if (missing.length) throw new Error(`the trace has no ${missing.map(([service, kind]) => `${service} ${kind}`).join(', ')} span yet`);
      if (!spans.some(isMesJobInsert)) throw new Error('the trace has no MES INSERT INTO jobs span yet');
      return spans;
    });
  }

  function isMesJobInsert(s: Span): boolean {
    return s.service === 'mes-api' && s.kind === 'client' &&
      Object.values(s.tags).some((v) => typeof v === 'string' && /insert\s+into\s+jobs/i.test(v));
  }

  function one(spans: Span[], what: string, pred: (s: Span) => boolean): Span {
    const found = spans.filter(pred);
    assert.equal(found.length, 1, `expected exactly one ${what}, found ${found.length}: ${spans.map((s) => `${s.service}/${s.kind}/${s.name}`).join(', ')}`);
    return found[0]!;
  }

  /** Uploads a random 3D model to shop-api; returns its key and size. */
  async function uploadModel(bytes: number): Promise<{ s3Key: string; bucket: string; bytes: number }> {
    const model = randomBytes(bytes);
    const res = await fetch(`${stack.endpoints.shopApi}/models?name=bracket.stl`, {
      method: 'POST',
      headers: { 'content-type': 'model/stl' },
      body: model,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await res.json()) as { s3Key: string; bucket: string; bytes: number };
    assert.equal(res.status, 201, `POST /models answered ${res.status}: ${JSON.stringify(body)}`);
    assert.equal(body.bytes, model.length);
    return body;
  }

  it('stores an uploaded 3D model in S3 and carries its key to MES in one trace', async () => {
    const body = await uploadModel(64 * 1024);

    const order = await requestJson<{ orderId: string }>(`${stack.endpoints.shopApi}/orders`, {
      method: 'POST',
      body: { customer: { name: 'Model Maker', email: 'maker@example.com' }, items: [{ sku: 'BRACKET-PLA', quantity: 2 }], model: { s3Key: body.s3Key } },
    });
    assert.equal(order.status, 201);
    await eventually(`the job of order ${order.body.orderId} with its model key`, async () => {
      const job = await requestJson<{ modelKey: string | null }>(`${stack.endpoints.mesApi}/jobs/${order.body.orderId}`);
      if (job.status !== 200) throw new Error(`GET /jobs answered ${job.status}`);
      assert.equal(job.body.modelKey, body.s3Key);
    });
    // Run first (as it is), this is the first order after start-up: its publish must not be
    // queued outside the request's trace. The assertion holds for any order.
    await completeTrace(order.body.orderId);
  });

  it('rejects a bad order with a clear 400', async () => {
    const res = await requestJson<{ error: string; details: { path: string }[] }>(`${stack.endpoints.shopApi}/orders`, {
      method: 'POST',
      body: { customer: { name: '', email: 'not-an-email' }, items: [] },
    });
    assert.equal(res.status, 400);
    assert.ok(Array.isArray(res.body.details) && res.body.details.length >= 2, `400 body names the bad fields: ${JSON.stringify(res.body)}`);
  });

  it('produces one causally chained trace, findable by the order id', async () => {
    const { orderId } = await placeOrder(stack.endpoints.shopApi);
    const spans = await completeTrace(orderId);

    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'all spans share one trace id');
    const shopServer = one(spans, 'shop POST /orders server span', (s) => s.service === 'shop-api' && s.kind === 'server' && s.tags['http.route'] === '/orders');
    const shopPublish = one(spans, 'shop publish', (s) => s.service === 'shop-api' && s.kind === 'producer');
    const crmConsume = one(spans, 'crm consume', (s) => s.service === 'crm-api' && s.kind === 'consumer');
    const crmPublish = one(spans, 'crm publish', (s) => s.service === 'crm-api' && s.kind === 'producer');
    const mesConsume = one(spans, 'mes consume', (s) => s.service === 'mes-api' && s.kind === 'consumer');
    const mesInsert = one(spans, 'mes INSERT INTO jobs', isMesJobInsert);

    assert.equal(shopServer.parentId, undefined, 'the shop server span is the root');
    assert.ok(isAncestor(spans, shopServer, shopPublish), 'shop publish descends from the shop server span');
    assert.equal(crmConsume.parentId, shopPublish.id, 'crm consume is a child of the shop publish');
    assert.ok(isAncestor(spans, crmConsume, crmPublish), 'crm publish descends from crm consume');
    assert.equal(mesConsume.parentId, crmPublish.id, 'mes consume is a child of the crm publish');
    assert.ok(isAncestor(spans, mesConsume, mesInsert), 'the MES insert descends from mes consume');

    const job = await requestJson<{ orderId: string }>(`${stack.endpoints.mesApi}/jobs/${orderId}`);
    assert.equal(job.status, 200, 'the MES operator API has the job');
    const status = await requestJson<{ flow: { stage: string } }>(`${stack.endpoints.shopApi}/orders/${orderId}`);
    assert.equal(status.body.flow.stage, 'mes', 'the shop reports the order as arrived at MES');
  });

  it('continues a valid incoming traceparent and starts a new trace on a malformed one', async () => {
    const traceId = randomBytes(16).toString('hex');
    const continued = await placeOrder(stack.endpoints.shopApi, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    const spansA = await completeTrace(continued.orderId);
    assert.equal(spansA[0]!.traceId, traceId, 'the order joins the caller trace');

    const malformed = `00-${'z'.repeat(32)}-nothex-01`;
    const fresh = await placeOrder(stack.endpoints.shopApi, { traceparent: malformed });
    const spansB = await completeTrace(fresh.orderId);
    const root = one(spansB, 'shop server span', (s) => s.service === 'shop-api' && s.kind === 'server' && s.tags['http.route'] === '/orders');
    assert.equal(root.parentId, undefined, 'the malformed header is ignored: a new root span');
    assert.match(root.traceId, /^[0-9a-f]{32}$/);
  });

  it('derives RED metrics from spans for all three services, consumers included', async () => {
    await placeOrder(stack.endpoints.shopApi);
    for (const service of SERVICES) {
      await eventually(`span metrics of ${service} in Prometheus`, async () => {
        const calls = await prom.query(`sum(traces_span_metrics_calls_total{service_name="${service}"})`);
        if (!calls.length || Number(calls[0]!.value[1]) <= 0) throw new Error(`no traces_span_metrics_calls_total for ${service}`);
        const hist = await prom.query(`count(traces_span_metrics_duration_milliseconds_bucket{service_name="${service}"})`);
        if (!hist.length) throw new Error(`no traces_span_metrics_duration_milliseconds_bucket for ${service}`);
      });
    }
    for (const service of ['crm-api', 'mes-api']) {
      await eventually(`consumer span metrics of ${service}`, async () => {
        const r = await prom.query(`traces_span_metrics_calls_total{service_name="${service}",span_kind="SPAN_KIND_CONSUMER"}`);
        if (!r.length) throw new Error(`no consumer span metrics for ${service}`);
      });
    }
    await eventually("Jaeger's Monitor API (SPM) call rates for mes-api consumer spans", async () => {
      const body = await jaeger.callRates('mes-api', 'consumer');
      const points = body.metrics.flatMap((m) => m.metricPoints);
      if (!points.length) throw new Error(`/api/metrics/calls answered no points: ${JSON.stringify(body).slice(0, 200)}`);
    });
  });

  it("exposes the HTTP duration histogram, CPU and memory on every service's /metrics", async () => {
    for (const service of SERVICES) {
      const text = await getText(stack.endpoints.serviceMetrics[service]);
      for (const series of [/^http_server_request_duration_seconds_bucket\{/m, /^process_cpu_time_seconds_total\{/m, /^process_memory_usage_bytes\{/m, /^nodejs_eventloop_delay_/m]) {
        assert.match(text, series, `${service} /metrics lacks ${series.source}`);
      }
    }
  });

  it('authenticates partners by API key and keeps the key out of telemetry', async () => {
    const { orderId } = await placeOrder(stack.endpoints.shopApi);
    await completeTrace(orderId);
    const url = `${stack.endpoints.mesApi}/partner/v1/jobs/${orderId}`;
    assert.equal((await requestJson(url)).status, 401, 'no key: 401');
    assert.equal((await requestJson(url, { headers: { 'x-api-key': 'wrong' } })).status, 401, 'wrong key: 401');
    assert.equal((await requestJson(url, { headers: { 'x-api-key': DEV_PARTNER.key } })).status, 200, 'partner key: 200');

    const traces = await eventually('the partner request trace in Jaeger', async () => {
      const found = await jaeger.findTraces('mes-api', { 'partner.id': DEV_PARTNER.id });
      if (!found.length) throw new Error(`no mes-api trace tagged partner.id=${DEV_PARTNER.id}`);
      return found;
    });
    assert.ok(!JSON.stringify(traces).includes(DEV_PARTNER.key), 'the API key is not in any span');
    const metrics = await getText(stack.endpoints.serviceMetrics['mes-api']);
    assert.ok(!metrics.includes(DEV_PARTNER.key), 'the API key is not in any metric');
  });

  it('keeps taking orders with the Collector stopped', async () => {
    await stack.stopComponent('otel-collector');
    try {
      const orders = [];
      for (let i = 0; i < 5; i++) orders.push(await placeOrder(stack.endpoints.shopApi));
      for (const { orderId } of orders) {
        await eventually(`order ${orderId} to reach MES without a Collector`, async () => {
          const res = await requestJson(`${stack.endpoints.mesApi}/jobs/${orderId}`);
          if (res.status !== 200) throw new Error(`GET /jobs/${orderId} answered ${res.status}`);
        });
      }
    } finally {
      await stack.startComponent('otel-collector');
    }
    const { orderId } = await placeOrder(stack.endpoints.shopApi);
    await completeTrace(orderId);
  });

  const reachesMes = (orderId: string, why: string) =>
    eventually(`order ${orderId} to reach MES ${why}`, async () => {
      const res = await requestJson(`${stack.endpoints.mesApi}/jobs/${orderId}`);
      if (res.status !== 200) throw new Error(`GET /jobs/${orderId} answered ${res.status}`);
    }, 90_000);

  it('keeps no order lost across a RabbitMQ restart', async () => {
    await stack.stopComponent('rabbitmq');
    let accepted: string;
    try {
      const res = await requestJson<{ orderId: string; status: string }>(`${stack.endpoints.shopApi}/orders`, {
        method: 'POST',
        body: { customer: { name: 'Broker Down', email: 'down@example.com' }, items: [{ sku: 'GEAR-PETG', quantity: 1 }] },
      });
      assert.equal(res.status, 202, `with RabbitMQ down the order is stored and accepted: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.status, 'accepted');
      accepted = res.body.orderId;
    } finally {
      await stack.startComponent('rabbitmq');
    }
    await reachesMes(accepted, 'after RabbitMQ came back (republished from the shop database)');
  });

  it('answers 503 with Retry-After while PostgreSQL is down, and takes orders again once it is back', async () => {
    // An order from before the outage, to read back during and after it.
    const before = await placeOrder(stack.endpoints.shopApi);
    await reachesMes(before.orderId, 'before PostgreSQL is stopped');

    await stack.stopComponent('postgres');
    try {
      const unavailable = { error: 'service temporarily unavailable', dependency: 'postgres' };
      const checks: Array<[string, Promise<{ status: number; body: unknown; headers: Headers }>]> = [
        ['shop-api POST /orders', requestJson(`${stack.endpoints.shopApi}/orders`, { method: 'POST', body: randomOrder() })],
        ['shop-api GET /orders/:id', requestJson(`${stack.endpoints.shopApi}/orders/${before.orderId}`)],
        ['mes-api GET /jobs/:orderId', requestJson(`${stack.endpoints.mesApi}/jobs/${before.orderId}`)],
      ];
      for (const [what, pending] of checks) {
        const res = await pending;
        assert.equal(res.status, 503, `${what} with PostgreSQL down answered ${res.status}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(res.body, unavailable, `${what}: 503 body`);
        const retryAfter = res.headers.get('retry-after');
        assert.match(retryAfter ?? '', /^[1-9]\d*$/, `${what}: Retry-After is a number of seconds, got ${retryAfter}`);
      }
      const health = await requestJson<{ status: string; down?: string[] }>(`${stack.endpoints.shopApi}/healthz`);
      assert.equal(health.status, 503, `shop-api /healthz with PostgreSQL down: ${JSON.stringify(health.body)}`);
      assert.deepEqual(health.body.down, ['postgres']);
    } finally {
      await stack.startComponent('postgres');
    }

    const { orderId } = await eventually('shop-api to take orders again after PostgreSQL is back', () => placeOrder(stack.endpoints.shopApi));
    await reachesMes(orderId, 'after PostgreSQL is back');
    const again = await requestJson<{ orderId: string }>(`${stack.endpoints.shopApi}/orders/${before.orderId}`);
    assert.equal(again.status, 200, 'the order from before the outage is readable again');
    assert.equal(again.body.orderId, before.orderId);
  });

  // Known gap (closing note of issue 8): against the MinIO stand-in container, bucket usage (MinIO's
  // data scanner) counted the first object but not a second one within 240 s; natively the same
  // binary counts it. Cause not found yet.
  it("measures the model bucket's size and object count in Prometheus", async () => {
    const bucketTotals = async () => {
      const [bytes] = await prom.query('sum(minio_bucket_usage_total_bytes{bucket="shop-models"})');
      const [objects] = await prom.query('sum(minio_bucket_usage_object_total{bucket="shop-models"})');
      return { bytes: Number(bytes?.value[1] ?? 0), objects: Number(objects?.value[1] ?? 0) };
    };
    const before = await bucketTotals();
    const upload = await uploadModel(256 * 1024);
    await eventually(
      `minio_bucket_usage_total_bytes / _object_total for the model bucket to count an upload of ${upload.bytes} bytes (MinIO scans usage in the background; before: ${JSON.stringify(before)})`,
      async () => {
        const now = await bucketTotals();
        if (now.bytes < before.bytes + upload.bytes) throw new Error(`bucket size is ${now.bytes}, want ≥ ${before.bytes + upload.bytes}`);
        if (now.objects < before.objects + 1) throw new Error(`object count is ${now.objects}, want ≥ ${before.objects + 1}`);
      },
      240_000,
    );
  });
});

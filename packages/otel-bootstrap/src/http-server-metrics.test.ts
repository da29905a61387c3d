import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { contentLength, recordHttpServerMetrics, routeOf } from './http-server-metrics';

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function points(rm: ResourceMetrics, name: string) {
  const metric = rm.scopeMetrics.flatMap(s => s.metrics).find(m => m.descriptor.name === name);
  return metric?.dataPoints ?? [];
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('http server metrics', () => {
  it('counts requests in flight and records body sizes by route', async t => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const stop = recordHttpServerMetrics(provider.getMeter('test'));
    t.after(() => stop());

    let release!: () => void;
    const held = new Promise<void>(r => (release = r));
    const { server, port } = await listen(async (req, res) => {
      Object.assign(req, { baseUrl: '/api', route: { path: '/orders/:id' } });
      await held;
      res.setHeader('content-length', 5);
      res.end('hello');
    });
    t.after(() => server.close());

    const body = JSON.stringify({ a: 1 });
    const pending = fetch(`http://127.0.0.1:${port}/api/orders/7`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    let inFlight = 0;
    for (let i = 0; i < 100 && inFlight === 0; i++) {
      await new Promise(r => setTimeout(r, 10));
      const { resourceMetrics } = await reader.collect();
      inFlight = points(resourceMetrics, 'http.server.active_requests').reduce((n, p) => n + Number(p.value), 0);
    }
    assert.equal(inFlight, 1, 'one request in flight while the handler waits');
    release();
    assert.equal((await (await pending).text()), 'hello');

    const { resourceMetrics } = await reader.collect();
    const active = points(resourceMetrics, 'http.server.active_requests');
    assert.equal(active.reduce((n, p) => n + Number(p.value), 0), 0, 'back to zero after the response');
    const [req] = points(resourceMetrics, 'http.server.request.body.size');
    const [res] = points(resourceMetrics, 'http.server.response.body.size');
    assert.deepEqual(req?.attributes, { 'http.request.method': 'POST', 'http.response.status_code': 200, 'http.route': '/api/orders/:id' });
    assert.equal((req?.value as { sum: number }).sum, Buffer.byteLength(body));
    assert.equal((res?.value as { sum: number }).sum, 5);
  });

  it("ignores the preload's own /metrics server", async t => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const { server, port } = await listen((_req, res) => res.end('ok'));
    t.after(() => server.close());
    const stop = recordHttpServerMetrics(provider.getMeter('test'), port);
    t.after(() => stop());
    await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const { resourceMetrics } = await reader.collect();
    assert.equal(points(resourceMetrics, 'http.server.request.body.size').length, 0);
  });

  it('reads routes and lengths defensively', () => {
    assert.equal(routeOf({ baseUrl: '/a', route: { path: '/b' } } as never), '/a/b');
    assert.equal(routeOf({ route: { path: /re/ } } as never), undefined);
    assert.equal(contentLength('12'), 12);
    assert.equal(contentLength(undefined), 0);
    assert.equal(contentLength('nope'), 0);
  });
});

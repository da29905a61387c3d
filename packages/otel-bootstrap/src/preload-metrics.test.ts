/**
 * Child-process tests of the Prometheus endpoint: the series it serves, and
 * what happens when its port is taken.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { freePort, get, launch, preloadLines, startCapture, waitFor } from './test-fixtures/harness';

/** Sum of every sample of `series` (all label sets) in a Prometheus text page. */
function sumOf(page: string, series: string): number {
  let total = 0;
  for (const line of page.split('\n')) {
    if (line.startsWith(`${series}{`) || line.startsWith(`${series} `)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('Prometheus endpoint', () => {
  it('serves the HTTP server duration histogram, process CPU and memory, and event-loop delay', async t => {
    const capture = await startCapture();
    t.after(() => capture.close());
    const promPort = await freePort();
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(promPort),
        OTEL_SERVICE_NAME: 'metrics-fixture',
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
    });
    t.after(() => svc.kill());

    for (let i = 0; i < 3; i++) assert.equal((await get(`http://127.0.0.1:${svc.port}/m${i}`)).status, 200);
    // Let the SDK export to the capture server, so its own POSTs could show up below.
    await waitFor('an export to the capture server', () => capture.bodies.length > 0);

    const required = [
      /^http_server_request_duration_seconds_bucket\{.*http_request_method="GET".*http_response_status_code="200".*le="0\.005"\} \d+$/m,
      /^http_server_request_duration_seconds_count\{/m,
      /^http_server_request_duration_seconds_sum\{/m,
      /^process_cpu_time_seconds_total\{.*cpu_mode="user"/m,
      /^process_cpu_utilization_ratio\{/m,
      /^process_memory_usage_bytes\{.*\} [1-9]\d*$/m,
      /^nodejs_eventloop_delay_p99_seconds\{/m,
      /^nodejs_eventloop_delay_max_seconds\{/m,
      /^nodejs_eventloop_utilization_ratio\{/m,
      /^target_info\{.*service_name="metrics-fixture"/m,
      /^http_server_active_requests\{.*http_request_method="GET".*\} 0$/m,
      /^http_server_request_body_size_bytes_bucket\{/m,
      /^http_server_response_body_size_bytes_bucket\{/m,
      /^# TYPE http_server_request_duration_seconds histogram$/m,
    ];
    let page = '';
    await waitFor(
      'all required series on /metrics',
      async () => {
        const reply = await get(`http://127.0.0.1:${promPort}/metrics`);
        page = reply.body;
        return reply.status === 200 && required.every(re => re.test(page));
      },
      5000,
      () => `missing: ${required.filter(re => !re.test(page)).map(String).join(', ')}`,
    );
    // Three app requests; the scrapes above are not counted as HTTP server requests.
    assert.equal(sumOf(page, 'http_server_request_duration_seconds_count'), 3);
    // Nothing unit-less where a unit is known.
    assert.doesNotMatch(page, /^http_server_request_duration_(bucket|count|sum)\{/m);
    assert.doesNotMatch(page, /^process_memory_usage\{/m);
    assert.equal((await get(`http://127.0.0.1:${promPort}/other`)).status, 404, 'only /metrics is served');
    // The SDK's own exports are not app traffic.
    const capturePort = new URL(capture.url).port;
    assert.doesNotMatch(page, new RegExp(`^http_client_request_duration_seconds_count\\{.*server_port="${capturePort}"`, 'm'));
  });

  it('warns once and keeps the app serving when the Prometheus port is taken', async t => {
    const blocker = http.createServer((_req, res) => res.end('blocker'));
    await new Promise<void>(r => blocker.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>(r => blocker.close(() => r())));
    const takenPort = (blocker.address() as AddressInfo).port;

    const capture = await startCapture();
    t.after(() => capture.close());
    const svc = await launch({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(takenPort),
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
    });
    t.after(() => svc.kill());

    const line = await waitFor(
      'the port-in-use warning',
      () => preloadLines(svc.stderr()).find(l => l.includes('Prometheus') && l.includes(String(takenPort))),
      5000,
      () => svc.stderr(),
    );
    assert.match(line, /EADDRINUSE/);
    for (let i = 0; i < 5; i++) assert.equal((await get(`http://127.0.0.1:${svc.port}/still-up`)).status, 200);
    // Traces are unaffected.
    await waitFor('a span from the app', () => capture.spans().some(s => s.attributes['url.path'] === '/still-up'));
    assert.equal((await get(`http://127.0.0.1:${takenPort}/metrics`)).body, 'blocker', 'the other server keeps its port');
    const mentions = preloadLines(svc.stderr()).filter(l => l.includes('Prometheus'));
    assert.equal(mentions.length, 1, `one warning, got:\n${mentions.join('\n')}`);
    assert.equal(svc.proc.exitCode, null, 'still running');
  });
});

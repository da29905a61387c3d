import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import type { Stack } from '@shopfloor/stack-contract';
import { basicAuth, splitLogin } from '../clients/credentials';
import { REQUEST_TIMEOUT_MS } from '../clients/http';
import { stackLacks, stackUp } from '../stack';

/**
 * compose/docker-compose.yaml's promise: nothing it publishes answers without a login. Skipped
 * natively, where every port is on loopback without authentication, by design. Grafana is not
 * part of this suite (it cannot be had here).
 */
describe('compose: every published UI and OTLP refuse requests without their credentials', { concurrency: false, skip: stackLacks('published-behind-login') }, () => {
  let stack: Stack;

  before(async () => {
    stack = await stackUp();
  });


  /** The `Authorization` value the stack gives apps outside it (`Bearer <OTLP_TOKEN>`). */
  const bearerToken = (): string => decodeURIComponent(stack.otlpEnv.OTEL_EXPORTER_OTLP_HEADERS!.replace(/^Authorization=/, ''));

  async function status(url: string, authorization?: string): Promise<number> {
    const res = await fetch(url, { headers: authorization ? { authorization } : {}, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    await res.arrayBuffer();
    return res.status;
  }

  it('Jaeger, the order watchdog, VictoriaLogs, Prometheus and Alertmanager answer 401 without the login, 401 with a wrong one, 200 with it', async () => {
    const e = stack.endpoints;
    const pages: [string, string][] = [
      ['Jaeger (proxy)', `${e.jaeger}/api/services`],
      ['order watchdog (proxy)', `${e.orderWatchdog}/api/stalled`],
      ['VictoriaLogs (proxy)', `${e.victoriaLogs}/select/logsql/query?query=*&limit=1`],
      ['Prometheus', `${e.prometheus}/api/v1/status/buildinfo`],
      ['Alertmanager', `${e.alertmanager}/api/v2/status`],
    ];
    const wrong: string[] = [];
    for (const [name, withLogin] of pages) {
      const { url, login } = splitLogin(withLogin);
      assert.ok(login, `${name}: the stack gives its URL with a login`);
      assert.equal(await status(url), 401, `${name} without credentials: ${url}`);
      assert.equal(await status(url, basicAuth({ ...login, password: `${login.password}x` })), 401, `${name} with a wrong password`);
      const ok = await status(url, basicAuth(login));
      if (ok !== 200) wrong.push(`${name}: ${ok} with the login`);
    }
    assert.deepEqual(wrong, [], 'every UI answers its login');
  });

  it('docker inspect shows no secret of any container (environment, command, labels, health check): they come as compose secrets (files)', async () => {
    const { secretsShownByInspect } = await import('@shopfloor/compose-stack');
    const { containers, found } = secretsShownByInspect();
    assert.ok(containers >= 15, `only ${containers} containers inspected`);
    assert.deepEqual(found, [], 'what docker inspect shows that holds a secret of compose/.env');
  });

  it('OTLP/HTTP on :4318 refuses an export without the bearer token and accepts it with the token', async () => {
    const url = `${stack.endpoints.collectorOtlpHttp}/v1/traces`;
    const post = async (authorization?: string): Promise<number> => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ resourceSpans: [] }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await post(), 401, 'no token');
    assert.equal(await post('Bearer not-the-token'), 401, 'a wrong token');
    assert.equal(await post(bearerToken()), 200, 'the token from compose/.env');
  });

  it('OTLP/gRPC on :4317 answers UNAUTHENTICATED without the bearer token and OK with it', async () => {
    // An empty ExportTraceServiceRequest: one gRPC message frame of length 0.
    const grpcStatus = (authorization?: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const session = connect(stack.endpoints.collectorOtlpGrpc);
        session.on('error', reject);
        const req = session.request({
          ':method': 'POST',
          ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          'content-type': 'application/grpc',
          te: 'trailers',
          ...(authorization ? { authorization } : {}),
        });
        let status: string | undefined;
        req.on('response', (headers) => (status ??= headers['grpc-status'] as string | undefined));
        req.on('trailers', (trailers) => (status = trailers['grpc-status'] as string | undefined));
        req.on('error', reject);
        req.on('end', () => {
          session.close();
          status === undefined ? reject(new Error('no grpc-status in the answer')) : resolve(status);
        });
        req.resume();
        req.end(Buffer.alloc(5));
        req.setTimeout(10_000, () => req.close());
      });
    assert.equal(await grpcStatus(), '16', 'no token: UNAUTHENTICATED (16)');
    assert.equal(await grpcStatus('Bearer not-the-token'), '16', 'a wrong token: UNAUTHENTICATED (16)');
    assert.equal(await grpcStatus(bearerToken()), '0', 'the token: OK (0)');
  });
});

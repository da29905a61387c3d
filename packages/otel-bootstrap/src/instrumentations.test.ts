import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import type { IncomingMessage } from 'http';
import * as path from 'path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import { childEnv } from './test-fixtures/harness';
import { httpConfig, REDACTED_QUERY_PARAMS } from './instrumentations';

describe('http instrumentation config', () => {
  const req = (localPort: number) => ({ socket: { localPort } }) as unknown as IncomingMessage;

  it("ignores requests to the preload's own Prometheus port only", () => {
    const hook = httpConfig({ prometheusPort: 9464 }).ignoreIncomingRequestHook!;
    assert.equal(hook(req(9464)), true);
    assert.equal(hook(req(8080)), false);
  });
  it('has no ignore hook without a Prometheus endpoint', () => {
    assert.equal(httpConfig({ prometheusPort: undefined }).ignoreIncomingRequestHook, undefined);
  });
  it("ignores outgoing requests made with tracing suppressed (the SDK's own exports), and only those", () => {
    const hook = httpConfig({ prometheusPort: undefined }).ignoreOutgoingRequestHook!;
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      assert.equal(hook({}), false);
      assert.equal(context.with(suppressTracing(context.active()), () => hook({})), true);
    } finally {
      context.disable();
    }
  });
  it('records no headers', () => {
    assert.equal(httpConfig({ prometheusPort: 9464 }).headersToSpanAttributes, undefined);
  });
  it("redacts credential-carrying query parameters, keeping the instrumentation's defaults", () => {
    const cfg = httpConfig({ prometheusPort: undefined });
    for (const p of ['token', 'access_token', 'api_key', 'X-Amz-Signature', 'sig']) {
      assert.ok(REDACTED_QUERY_PARAMS.includes(p), p);
    }
    assert.equal(cfg.redactedQueryParams, REDACTED_QUERY_PARAMS);
    assert.equal(cfg.redactedQueryParamsServer, REDACTED_QUERY_PARAMS);
  });
});

/** Runs `code` in a fresh node process (instrumentations patch modules; keep that out of the test runner). */
function inChild(code: string): unknown {
  const out = execFileSync(process.execPath, ['-e', code], {
    env: childEnv({}),
    cwd: path.resolve(__dirname),
    encoding: 'utf8',
    timeout: 10_000,
  });
  return JSON.parse(out);
}

const PACKAGES = [
  'instrumentation-http',
  'instrumentation-express',
  'instrumentation-undici',
  'instrumentation-amqplib',
  'instrumentation-pg',
  'instrumentation-pino',
  'instrumentation-runtime-node',
];

const loadedProbe = `
  const loaded = () => ${JSON.stringify(PACKAGES)}.filter(p => Object.keys(require.cache).some(k => k.includes('/@opentelemetry/' + p + '/')));
`;

describe('the registry loads only what is enabled', () => {
  it('requiring the registry loads no instrumentation; creating "http" loads only that one', () => {
    const result = inChild(`
      ${loadedProbe}
      const reg = require(${JSON.stringify(path.join(__dirname, 'instrumentations.js'))});
      const before = loaded();
      const made = reg.createInstrumentations(['http'], { prometheusPort: undefined }, (n, e) => { throw e; });
      made.forEach(i => i.disable());
      process.stdout.write(JSON.stringify({ before, after: loaded(), names: made.map(i => i.instrumentationName) }));
    `);
    assert.deepEqual(result, { before: [], after: ['instrumentation-http'], names: ['@opentelemetry/instrumentation-http'] });
  });

  it('every curated instrumentation can be created', () => {
    const result = inChild(`
      const reg = require(${JSON.stringify(path.join(__dirname, 'instrumentations.js'))});
      const errors = [];
      const made = reg.createInstrumentations(Object.keys(reg.REGISTRY), { prometheusPort: 9464 }, (n, e) => errors.push(n + ': ' + e));
      made.forEach(i => i.disable());
      process.stdout.write(JSON.stringify({ errors, names: made.map(i => i.instrumentationName) }));
    `);
    assert.deepEqual(result, {
      errors: [],
      names: PACKAGES.map(p => `@opentelemetry/${p}`),
    });
  });

  it('a factory that throws is reported and skipped, the others still load', () => {
    const result = inChild(`
      const reg = require(${JSON.stringify(path.join(__dirname, 'instrumentations.js'))});
      reg.REGISTRY.pg = () => { throw new Error('broken install'); };
      const errors = [];
      const made = reg.createInstrumentations(['pg', 'http'], { prometheusPort: undefined }, (n, e) => errors.push(n + ': ' + e.message));
      made.forEach(i => i.disable());
      process.stdout.write(JSON.stringify({ errors, names: made.map(i => i.instrumentationName) }));
    `);
    assert.deepEqual(result, { errors: ['pg: broken install'], names: ['@opentelemetry/instrumentation-http'] });
  });
});

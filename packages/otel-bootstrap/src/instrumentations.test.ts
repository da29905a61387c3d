import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import type { IncomingMessage } from 'http';
import * as path from 'path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import { childEnv } from './test-fixtures/harness';
import { INSTRUMENTATION_NAMES, packageName } from './catalog';
import { httpConfig } from './instrumentations';

describe('http instrumentation config', () => {
  const req = (localPort: number) => ({ socket: { localPort } }) as unknown as IncomingMessage;

  it("ignores requests to the preload's own Prometheus port only", () => {
    const hook = httpConfig({ prometheusPort: 9464, logsExport: false }).ignoreIncomingRequestHook!;
    assert.equal(hook(req(9464)), true);
    assert.equal(hook(req(8080)), false);
  });
  it('has no ignore hook without a Prometheus endpoint', () => {
    assert.equal(httpConfig({ prometheusPort: undefined, logsExport: false }).ignoreIncomingRequestHook, undefined);
  });
  it("ignores outgoing requests made with tracing suppressed (the SDK's own exports), and only those", () => {
    const hook = httpConfig({ prometheusPort: undefined, logsExport: false }).ignoreOutgoingRequestHook!;
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      assert.equal(hook({}), false);
      assert.equal(context.with(suppressTracing(context.active()), () => hook({})), true);
    } finally {
      context.disable();
    }
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

const PACKAGES = INSTRUMENTATION_NAMES.map(packageName);
const INSTRUMENTATIONS = JSON.stringify(path.join(__dirname, 'instrumentations.js'));
const CTX = JSON.stringify({ prometheusPort: undefined, logsExport: false });

const loadedProbe = `
  const loaded = () => ${JSON.stringify(PACKAGES)}.filter(p => Object.keys(require.cache).some(k => k.includes('/' + p + '/')));
`;

describe('creating instrumentations', () => {
  it('requiring the module loads no instrumentation; creating "http" loads only that one', () => {
    const result = inChild(`
      ${loadedProbe}
      const reg = require(${INSTRUMENTATIONS});
      const before = loaded();
      const made = reg.createInstrumentations(['http'], ${CTX}, (n, e) => { throw e; });
      made.forEach(i => i.disable());
      process.stdout.write(JSON.stringify({ before, after: loaded(), names: made.map(i => i.instrumentationName) }));
    `);
    assert.deepEqual(result, { before: [], after: ['@opentelemetry/instrumentation-http'], names: ['@opentelemetry/instrumentation-http'] });
  });

  it('every instrumentation of the catalog can be created, from the package of that name', () => {
    const result = inChild(`
      const reg = require(${INSTRUMENTATIONS});
      const errors = [];
      const made = reg.createInstrumentations(${JSON.stringify(INSTRUMENTATION_NAMES)}, ${CTX}, (n, e) => errors.push(n + ': ' + e));
      made.forEach(i => i.disable());
      process.stdout.write(JSON.stringify({ errors, names: made.map(i => i.instrumentationName) }));
    `);
    assert.deepEqual(result, { errors: [], names: PACKAGES });
  });

  it('one that fails is reported and skipped, the others still load', () => {
    const result = inChild(`
      const reg = require(${INSTRUMENTATIONS});
      reg.SETTINGS.pg = () => { throw new Error('broken install'); };
      const errors = [];
      const made = reg.createInstrumentations(['pg', 'http'], ${CTX}, (n, e) => errors.push(n + ': ' + e.message));
      made.forEach(i => i.disable());
      process.stdout.write(JSON.stringify({ errors, names: made.map(i => i.instrumentationName) }));
    `);
    assert.deepEqual(result, { errors: ['pg: broken install'], names: ['@opentelemetry/instrumentation-http'] });
  });
});

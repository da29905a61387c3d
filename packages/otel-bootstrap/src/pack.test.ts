/**
 * The published package, installed the way a user installs it: `npm pack`
 * the built preload, `npm install` the tarball (and express) into a scratch
 * app outside this workspace — no root `overrides`, no hoisting from the
 * workspace's node_modules — and run that app under
 * `--require @shopfloor/otel-bootstrap` (CommonJS) and
 * `--import @shopfloor/otel-bootstrap/register` (ES module), against a
 * capture server standing in for the Collector.
 *
 * Needs the npm registry (or npm's cache) and takes a while on first run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { childEnv, freePort, get, startCapture, waitFor, type Capture, type CapturedSpan } from './test-fixtures/harness';

const PACKAGE_DIR = path.resolve(__dirname, '..');
const SPAN_KIND_SERVER = 2;
const NPM_TIMEOUT_MS = 8 * 60_000;

/** npm's environment: no npm_* variables of a surrounding `npm test` (workspace, prefix, …); this node first on PATH. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  return env;
}

function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8', timeout: NPM_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  const output = `$ npm ${args.join(' ')}   (in ${cwd})\n--- stdout\n${r.stdout ?? ''}\n--- stderr\n${r.stderr ?? ''}`;
  if (r.error || r.status !== 0) {
    throw new Error(`npm ${args[0]} failed (${r.error ? r.error.message : `exit status ${r.status}, signal ${r.signal}`})\n${output}`);
  }
  return output;
}

const APP_BODY = `
const app = express();
app.get('/hello/:name', (req, res) => {
  res.type('text/plain').send('hello ' + req.params.name);
});
app.get('/where', (_req, res) => {
  res.json({ preload: PRELOAD });
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write('LISTENING ' + server.address().port + '\\n');
});
`;

const CJS_APP = `'use strict';
const express = require('express');
const PRELOAD = require.resolve('@shopfloor/otel-bootstrap');
${APP_BODY}`;

const ESM_APP = `import express from 'express';
const PRELOAD = import.meta.resolve('@shopfloor/otel-bootstrap/register');
${APP_BODY}`;

interface App {
  proc: ChildProcess;
  port: number;
  output: () => string;
  kill: () => void;
}

async function runApp(cwd: string, args: string[], env: Record<string, string>): Promise<App> {
  const proc = spawn(process.execPath, args, { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let exited: string | undefined;
  proc.stdout!.setEncoding('utf8').on('data', c => (out += c));
  proc.stderr!.setEncoding('utf8').on('data', c => (err += c));
  proc.on('exit', (code, signal) => (exited = `code ${code}, signal ${signal}`));
  const output = (): string => `$ node ${args.join(' ')}   (in ${cwd})\n--- stdout\n${out}\n--- stderr\n${err}`;
  const kill = (): void => {
    if (exited === undefined) proc.kill('SIGKILL');
  };
  try {
    const port = await waitFor(
      'the app to print LISTENING <port>',
      () => {
        if (exited) throw new Error(`the app exited early (${exited})\n${output()}`);
        const m = /LISTENING (\d+)/.exec(out);
        return m ? Number(m[1]) : undefined;
      },
      20_000,
      output,
    );
    return { proc, port, output, kill };
  } catch (e) {
    kill();
    throw e;
  }
}

describe('the packed preload, installed into an app outside the workspace', { timeout: NPM_TIMEOUT_MS + 120_000 }, () => {
  let work: string;
  let appDir: string;
  let capture: Capture;

  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'otel-bootstrap-pack-'));
    const packDir = path.join(work, 'pack');
    appDir = path.join(work, 'app');
    for (const d of [packDir, appDir]) mkdirSync(d);

    npm(['pack', '--pack-destination', packDir, '--loglevel', 'warn'], PACKAGE_DIR);
    const tarballs = readdirSync(packDir).filter(f => f.endsWith('.tgz'));
    assert.equal(tarballs.length, 1, `npm pack made one tarball, got: ${tarballs.join(', ')}`);
    const tarball = path.join(packDir, tarballs[0]);

    writeFileSync(
      path.join(appDir, 'package.json'),
      JSON.stringify({ name: 'pack-scratch-app', version: '1.0.0', private: true, description: 'scratch app of pack.test' }, null, 2),
    );
    writeFileSync(path.join(appDir, 'app.js'), CJS_APP);
    writeFileSync(path.join(appDir, 'app.mjs'), ESM_APP);
    npm(['install', tarball, 'express@5.3.0', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel', 'warn'], appDir);
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  before(async () => {
    capture = await startCapture();
  });
  after(async () => {
    await capture?.close();
  });

  const cases = [
    { title: 'CommonJS: node --require @shopfloor/otel-bootstrap app.js', args: ['--require', '@shopfloor/otel-bootstrap', 'app.js'], service: 'pack-cjs' },
    { title: 'ES module: node --import @shopfloor/otel-bootstrap/register app.mjs', args: ['--import', '@shopfloor/otel-bootstrap/register', 'app.mjs'], service: 'pack-esm' },
  ];

  for (const c of cases) {
    it(`${c.title}: spans reach the Collector and /metrics serves the HTTP server histogram`, async t => {
      const promPort = await freePort();
      const app = await runApp(appDir, c.args, {
        OTEL_SERVICE_NAME: c.service,
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(promPort),
        OTEL_BSP_SCHEDULE_DELAY: '50',
      });
      t.after(() => app.kill());

      const where = await get(`http://127.0.0.1:${app.port}/where`);
      const preload = String((JSON.parse(where.body) as { preload: string }).preload);
      assert.ok(
        preload.replace(/^file:\/\//, '').startsWith(path.join(appDir, 'node_modules', '@shopfloor', 'otel-bootstrap')),
        `the preload comes from the scratch app's node_modules, not the workspace: ${preload}`,
      );

      const reply = await get(`http://127.0.0.1:${app.port}/hello/pack`);
      assert.equal(reply.status, 200, app.output());
      assert.equal(reply.body, 'hello pack');

      const span = await waitFor<CapturedSpan>(
        `the server span of GET /hello/pack from ${c.service}`,
        () =>
          capture
            .spans()
            .find(s => s.kind === SPAN_KIND_SERVER && s.resource['service.name'] === c.service && s.attributes['url.path'] === '/hello/pack'),
        10_000,
        app.output,
      );
      assert.equal(span.attributes['http.route'], '/hello/:name', app.output());

      // /metrics is set up at the first idle moment; the request above is in it.
      const metrics = await waitFor(
        'http_server_request_duration_seconds on /metrics',
        async () => {
          const page = await get(`http://127.0.0.1:${promPort}/metrics`).catch(() => undefined);
          return page?.status === 200 && /^http_server_request_duration_seconds_count\{.*http_route="\/hello\/:name"/m.test(page.body) ? page.body : undefined;
        },
        10_000,
        app.output,
      );
      assert.match(metrics, /^http_server_request_duration_seconds_bucket\{/m);
      assert.doesNotMatch(app.output().split('--- stderr')[1] ?? '', /\[otel-bootstrap\]/, `no warnings from the preload:\n${app.output()}`);
    });
  }
});

/**
 * An ES-module app under `--import @shopfloor/otel-bootstrap/register` is traced like its
 * CommonJS twin under `--require @shopfloor/otel-bootstrap`: the same logic (express + pg +
 * amqplib, `apps/esm-app/notes.cjs`), loaded once through `import` (app.mjs) and once through
 * `require` (app.cjs), against the stack's PostgreSQL, RabbitMQ, Collector and Jaeger. Each
 * request's trace is read back from Jaeger and reduced to its (kind, name, parent) tree; the
 * two trees must be equal, and each must have the expected shape: server span → express
 * request handler → pg INSERT; publish under the request; consume as a child of the publish;
 * the consumer's pg SELECT under it; one trace.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { LOOPBACK, waitFor, type Stack } from '@shopfloor/stack-contract';
import { requestJson } from './clients/http';
import { flatten, isAncestor, JaegerClient, type Span } from './clients/jaeger';
import { appEnv, freePort } from './apps';
import { eventually } from './eventually';
import { stackUp } from './stack';

const APP_DIR = resolve(__dirname, '..', 'apps', 'esm-app');

type Variant = 'cjs' | 'esm';

const LAUNCH: Record<Variant, string[]> = {
  cjs: ['--require', '@shopfloor/otel-bootstrap', join(APP_DIR, 'app.cjs')],
  esm: ['--import', '@shopfloor/otel-bootstrap/register', join(APP_DIR, 'app.mjs')],
};

interface App {
  proc: ChildProcess;
  port: number;
  output: () => string;
}


const isPgSpan = (s: Span, statement: RegExp): boolean =>
  s.kind === 'client' && Object.values(s.tags).some((v) => typeof v === 'string' && statement.test(v));

/** `kind name`, with the run-specific queue name replaced, so the two runs' labels compare. */
function label(s: Span, queue: string): string {
  return `${s.kind} ${s.name.split(queue).join('<queue>')}`;
}

/** The trace as sorted `parent label > child label` lines (a multiset: repeated shapes count). */
function shape(spans: Span[], queue: string): string[] {
  const byId = new Map(spans.map((s) => [s.id, s]));
  return spans
    .map((s) => {
      const parent = s.parentId ? byId.get(s.parentId) : undefined;
      return `${parent ? label(parent, queue) : '(root)'} > ${label(s, queue)}`;
    })
    .sort();
}

describe('an ES-module app under --import is traced like its CommonJS twin under --require', () => {
  let stack: Stack;
  let jaeger: JaegerClient;
  const apps: App[] = [];
  const runId = randomBytes(4).toString('hex');

  before(async () => {
    stack = await stackUp();
    jaeger = new JaegerClient(stack.endpoints.jaeger);
  });

  after(async () => {
    for (const app of apps) if (app.proc.exitCode === null && app.proc.signalCode === null) app.proc.kill('SIGTERM');
  });

  async function start(variant: Variant, queue: string): Promise<App> {
    const proc = spawn(process.execPath, LAUNCH[variant], {
      cwd: APP_DIR,
      env: appEnv({
        OTEL_SERVICE_NAME: `parity-${variant}`,
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=e2e',
        ...stack.otlpEnv,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_EXPORTER_PROMETHEUS_HOST: LOOPBACK,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        DATABASE_URL: stack.endpoints.databaseUrl('shop'),
        AMQP_URL: stack.endpoints.amqpUrl,
        PARITY_QUEUE: queue,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout!.setEncoding('utf8').on('data', (c) => (out += c));
    proc.stderr!.setEncoding('utf8').on('data', (c) => (err += c));
    const output = (): string => `$ node ${LAUNCH[variant].join(' ')}\n--- stdout\n${out}\n--- stderr\n${err}`;
    const app: App = { proc, port: 0, output };
    apps.push(app);
    app.port = await waitFor(
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`the ${variant} app exited early\n${output()}`);
        const m = /LISTENING (\d+)/.exec(out);
        if (!m) throw new Error(`the ${variant} app has not printed LISTENING yet\n${output()}`);
        return Number(m[1]);
      },
      { what: `the ${variant} parity app to listen`, timeoutMs: 30_000, intervalMs: 100 },
    );
    return app;
  }

  /** One request through the app; its whole trace (request, publish, consume) from Jaeger. */
  async function traceOfOneRequest(variant: Variant): Promise<{ spans: Span[]; queue: string }> {
    const queue = `parity.${variant}.${runId}`;
    const app = await start(variant, queue);
    const id = `${variant}-${runId}`;
    const res = await requestJson<{ id: string }>(`http://${LOOPBACK}:${app.port}/notes/${id}`);
    assert.equal(res.status, 201, `GET /notes/${id} answered ${res.status}: ${JSON.stringify(res.body)}\n${app.output()}`);

    const spans = await eventually(`the ${variant} app's trace of GET /notes/${id}, down to the consumer's query`, async () => {
      const traces = await jaeger.findTraces(`parity-${variant}`, { 'url.path': `/notes/${id}` });
      if (traces.length !== 1) throw new Error(`Jaeger has ${traces.length} traces of parity-${variant} with url.path=/notes/${id}\n${app.output()}`);
      const found = flatten(traces[0]!);
      // The consume span ends last (at the ack, after its query): once it is in, the trace is complete.
      const consume = found.find((s) => s.kind === 'consumer');
      if (!consume || !found.some((s) => isPgSpan(s, /select .*parity_notes/i) && isAncestor(found, consume, s))) {
        throw new Error(`the trace has no consume span with its SELECT yet:\n${shape(found, queue).join('\n')}`);
      }
      return found;
    });
    app.proc.kill('SIGTERM');
    return { spans, queue };
  }

  function one(spans: Span[], what: string, pred: (s: Span) => boolean): Span {
    const found = spans.filter(pred);
    assert.equal(found.length, 1, `expected exactly one ${what}, found ${found.length}: ${spans.map((s) => `${s.kind}/${s.name}`).join(', ')}`);
    return found[0]!;
  }

  /** server → express handler → pg INSERT; publish in the request; consume child of publish → pg SELECT. */
  function assertShape(variant: Variant, spans: Span[]): void {
    const why = (what: string): string => `${variant}: ${what}`;
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, why('all spans share one trace id'));
    const server = one(spans, 'server span', (s) => s.kind === 'server' && s.tags['http.route'] === '/notes/:id');
    assert.equal(server.parentId, undefined, why('the server span is the root'));
    const handlers = spans.filter((s) => s.tags['express.type'] === 'request_handler' && isAncestor(spans, server, s));
    assert.ok(handlers.length > 0, why('an express request-handler span under the server span'));
    const insert = one(spans, 'pg INSERT span', (s) => isPgSpan(s, /insert into parity_notes/i));
    assert.ok(handlers.some((h) => isAncestor(spans, h, insert)), why('the pg INSERT runs under the express request handler'));
    const publish = one(spans, 'publish span', (s) => s.kind === 'producer');
    assert.ok(isAncestor(spans, server, publish), why('the publish descends from the server span'));
    const consume = one(spans, 'consume span', (s) => s.kind === 'consumer');
    assert.equal(consume.parentId, publish.id, why('the consume span is a child of the publish span'));
    const select = one(spans, 'pg SELECT span', (s) => isPgSpan(s, /select .*parity_notes/i));
    assert.ok(isAncestor(spans, consume, select), why('the consumer query descends from the consume span'));
  }

  it('gives a request the same span tree under --import (ESM) as under --require (CommonJS)', async () => {
    const cjs = await traceOfOneRequest('cjs');
    const esm = await traceOfOneRequest('esm');
    assertShape('cjs', cjs.spans);
    assertShape('esm', esm.spans);
    assert.deepEqual(
      shape(esm.spans, esm.queue),
      shape(cjs.spans, cjs.queue),
      `span trees differ\n--- esm (--import)\n${shape(esm.spans, esm.queue).join('\n')}\n--- cjs (--require)\n${shape(cjs.spans, cjs.queue).join('\n')}`,
    );
  });
});

/**
 * The buffered OTLP exporter against a real local OTLP/HTTP receiver (a
 * stand-in for the Collector): refused connections, a hung peer, a full
 * buffer, refusals, Retry-After, shutdown deadlines. The outage cases run for
 * both signals (spans and log records); what only depends on the shared
 * sender and retry logic runs for traces. Every wait polls with a deadline
 * and names what it waits for.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'http';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BufferedOtlpExporter, createBufferedOtlpExporter } from './buffered-exporter';
import { DEFAULTS, parseConfig } from './config';
import { OtlpHttpSender, parseRetryAfter, type Sender } from './otlp-sender';
import { LOGS, TRACES, type BufferedSignal } from './otlp-signals';
import { freePort, launch, waitFor } from './test-fixtures/harness';
import { namedLogRecords, pinoLikeRecords } from './test-fixtures/log-records';
import { OtlpReceiver } from './test-fixtures/otlp-receiver';
import { httpServerSpans, namedSpans } from './test-fixtures/spans';
import { Logger } from './utils';

/** What a test needs to know of a signal. Items are spans or log records; `named` makes one per name. */
interface SignalCase {
  spec: BufferedSignal;
  path: string;
  named(names: string[]): unknown[];
  json: { serializeRequest(items: never[]): Uint8Array | undefined };
  defaultMaxBytes: number;
}
const TRACE_CASE: SignalCase = { spec: TRACES, path: '/v1/traces', named: namedSpans, json: JsonTraceSerializer, defaultMaxBytes: DEFAULTS.tracesBufferMaxBytes };
const LOG_CASE: SignalCase = { spec: LOGS, path: '/v1/logs', named: namedLogRecords, json: JsonLogsSerializer, defaultMaxBytes: DEFAULTS.logsBufferMaxBytes };
const CASES = [TRACE_CASE, LOG_CASE];

type Exporter = BufferedOtlpExporter<unknown>;

const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Options {
  signal?: SignalCase;
  maxBytes?: number;
  timeoutMillis?: number;
  flushTimeoutMillis?: number;
  level?: 'warn' | 'info';
}

/** A JSON, uncompressed exporter with a fast backoff (20..100 ms), and the preload lines it logs. */
function exporterFor(url: string, opts: Options = {}) {
  const lines: string[] = [];
  const agent = new http.Agent({ keepAlive: true });
  cleanups.push(() => agent.destroy());
  const real = new OtlpHttpSender({
    url,
    headers: async () => ({ 'Content-Type': 'application/json' }),
    agent: Promise.resolve(agent),
    gzip: false,
    timeoutMillis: opts.timeoutMillis ?? 1000,
  });
  /** Every body handed to the sender, in order (attempts, probes included). */
  const sends: Uint8Array[] = [];
  const sender: Sender = {
    send: body => {
      sends.push(body);
      return real.send(body);
    },
    keepProcessAlive: on => real.keepProcessAlive(on),
    abort: () => real.abort(),
  };
  const c = opts.signal ?? TRACE_CASE;
  const exporter: Exporter = new BufferedOtlpExporter<unknown>({
    signal: c.spec,
    encode: items => c.json.serializeRequest(items as never[]),
    gzip: false,
    sender,
    maxBytes: opts.maxBytes ?? c.defaultMaxBytes,
    flushTimeoutMillis: opts.flushTimeoutMillis ?? 500,
    target: url,
    logger: new Logger(opts.level ?? 'warn', l => lines.push(l)),
    backoff: { minMillis: 20, maxMillis: 100 },
  });
  cleanups.push(() => exporter.shutdown());
  return { exporter, lines, sends };
}

/** Exports synchronously acknowledged: the batch processor is told SUCCESS at once, whatever the Collector does. */
function exportNow(exporter: Exporter, items: unknown[]): void {
  let result: ExportResult | undefined;
  exporter.export(items, r => (result = r));
  assert.equal(result?.code, ExportResultCode.SUCCESS, 'acknowledged at once');
}

/** Batches b00..b(n-1) of `size` items named b<i>-s<j> (spans unless `c` says otherwise); returns the names in export order. */
function exportBatches(exporter: Exporter, n: number, size: number, from = 0, c: SignalCase = TRACE_CASE): string[] {
  const all: string[] = [];
  for (let i = from; i < from + n; i++) {
    const names = Array.from({ length: size }, (_, j) => `b${String(i).padStart(2, '0')}-s${j}`);
    exportNow(exporter, c.named(names));
    all.push(...names);
  }
  return all;
}

async function receiverOnFreePort(c: SignalCase = TRACE_CASE): Promise<OtlpReceiver> {
  const receiver = new OtlpReceiver(await freePort(), c.path);
  cleanups.push(() => receiver.stop());
  return receiver;
}

const warnings = (lines: string[], about: RegExp) => lines.filter(l => about.test(l));

for (const c of CASES) {
  const { noun, plural, counted, maxBytesVariable } = c.spec;
  describe(`BufferedOtlpExporter (${c.spec.signal}): a Collector that refuses connections`, () => {
    it(`keeps the ${plural} exported meanwhile and delivers them in order once it is up; warns once`, async () => {
      const receiver = await receiverOnFreePort(c); // not listening yet: connections are refused
      const { exporter, lines } = exporterFor(receiver.url, { signal: c });
      const expected = exportBatches(exporter, 5, 3, 0, c);
      await waitFor('the export-failure warning', () => lines.length > 0);
      assert.equal(exporter.stats().items, 15);

      await receiver.listen();
      await waitFor(`all 15 ${plural} at the receiver`, () => receiver.names.length >= 15, 5000, () => receiver.names.join(','));
      assert.deepEqual(receiver.names, expected, 'in export order, each once');
      // The receiver has the last request before the exporter has read its answer.
      await waitFor('the exporter to count all 15 as sent', () => exporter.stats().sentItems === 15, 5000, () => JSON.stringify(exporter.stats()));
      assert.equal(lines.length, 1, lines.join(''));
      assert.match(
        lines[0]!,
        new RegExp(`${noun} export to http://127\\.0\\.0\\.1:\\d+${esc(c.path)} failed \\(.*ECONNREFUSED.*\\); ${plural} are kept .*\\(up to ${maxBytesVariable}=`),
      );
      assert.deepEqual(exporter.stats(), { bytes: 0, items: 0, maxBytes: c.defaultMaxBytes, sentItems: 15, droppedItems: 0, rejectedItems: 0 });
    });
  });

  describe(`BufferedOtlpExporter (${c.spec.signal}): a Collector that accepts connections and never answers`, () => {
    it('loses nothing: the head request is retried after each timeout, the backlog arrives after a restart', async () => {
      const receiver = await receiverOnFreePort(c);
      await receiver.listen();
      receiver.mode = 'hang';
      const { exporter, lines, sends } = exporterFor(receiver.url, { signal: c, timeoutMillis: 200 });
      const expected = exportBatches(exporter, 4, 3, 0, c);
      await waitFor('the head request sent, timed out and probed twice', () => receiver.requests.length >= 3, 5000);
      assert.deepEqual(receiver.names, []);
      assert.equal(exporter.stats().items, 12, 'all still buffered');
      assert.match(lines[0] ?? '', /no answer within 200 ms/);
      assert.equal(sends.filter(b => b.byteLength > 100).length, 1, 'after the timeout only empty probes go to the hung peer');

      receiver.restart();
      await waitFor(`all 12 ${plural} at the receiver`, () => receiver.names.length >= 12, 5000, () => receiver.names.join(','));
      assert.deepEqual(receiver.names, expected);
      assert.equal(lines.length, 1, lines.join(''));
    });

    it('a request answered late, within the timeout (the Collector thawed), is delivered once', async () => {
      const receiver = await receiverOnFreePort(c);
      await receiver.listen();
      receiver.mode = 'hang';
      const { exporter } = exporterFor(receiver.url, { signal: c, timeoutMillis: 10_000 });
      const expected = exportBatches(exporter, 3, 2, 0, c);
      await waitFor('the head request held by the hung receiver', () => receiver.hanging === 1);
      receiver.resume();
      await waitFor(`all 6 ${plural} at the receiver`, () => receiver.names.length >= 6);
      assert.deepEqual(receiver.names, expected);
      assert.equal(receiver.requests.length, 3, 'one POST per batch, none repeated');
    });
  });

  describe(`BufferedOtlpExporter (${c.spec.signal}): the byte bound`, () => {
    it('holds; drops the oldest queued requests (never the one being sent), counts them, warns once per streak', async () => {
      const receiver = await receiverOnFreePort(c); // refusing
      const oneBatch = c.json.serializeRequest(c.named(['b00-s0', 'b00-s1', 'b00-s2', 'b00-s3']) as never[])!.byteLength;
      const maxBytes = Math.floor(oneBatch * 3.5); // room for three requests
      const { exporter, lines } = exporterFor(receiver.url, { signal: c, maxBytes, level: 'info' });

      const names: string[] = [];
      for (let i = 0; i < 10; i++) {
        names.push(...exportBatches(exporter, 1, 4, i, c));
        assert.ok(exporter.stats().bytes <= maxBytes, `${exporter.stats().bytes} bytes buffered, bound ${maxBytes}`);
        if (i === 0) await waitFor('the first attempt to have failed (b00 is being sent)', () => lines.length > 0);
      }
      const stats = exporter.stats();
      assert.equal(stats.items, 12);
      assert.equal(stats.droppedItems, 28, 'b01..b07 dropped');
      const full = () => warnings(lines, new RegExp(`warn: ${noun} buffer full \\(${maxBytesVariable}=\\d+\\) .* does not take ${plural}`));
      assert.equal(full().length, 1, lines.join(''));

      await receiver.listen();
      await waitFor(`the 12 buffered ${plural} at the receiver`, () => receiver.names.length >= 12);
      // b00 was being sent when the buffer filled; then the newest two.
      assert.deepEqual(receiver.names, names.filter(n => /^b0[089]-/.test(n)));
      await waitFor('the exporter to count the 12 as sent', () => exporter.stats().sentItems >= 12, 5000, () => JSON.stringify(exporter.stats()));
      assert.equal(exporter.stats().sentItems, 12);
      const drained = () => warnings(lines, new RegExp(`info: ${noun} buffer drained; 28 ${esc(counted)} were dropped`));
      await waitFor('the drained summary', () => drained().length === 1);

      // A new outage is a new streak: warned again, and summed up again once drained.
      await receiver.stop();
      exportBatches(exporter, 10, 4, 10, c);
      await waitFor('the second buffer-full warning', () => full().length === 2);
      assert.ok(exporter.stats().bytes <= maxBytes);
      await receiver.listen();
      await waitFor('the second drained summary', () => drained().length === 2, 5000, () => lines.join(''));
    });
  });

  describe(`BufferedOtlpExporter (${c.spec.signal}): flush and shutdown`, () => {
    it(`forceFlush resolves once the ${plural} exported before it are delivered`, async () => {
      const receiver = await receiverOnFreePort(c);
      await receiver.listen();
      const { exporter } = exporterFor(receiver.url, { signal: c });
      exportBatches(exporter, 3, 2, 0, c);
      await exporter.forceFlush();
      assert.equal(receiver.names.length, 6);
    });

    for (const dead of ['refusing', 'hung'] as const) {
      it(`shutdown with a ${dead} endpoint returns within its deadline, and says what was lost`, async () => {
        const receiver = await receiverOnFreePort(c);
        if (dead === 'hung') {
          await receiver.listen();
          receiver.mode = 'hang';
        }
        const { exporter, lines } = exporterFor(receiver.url, { signal: c, timeoutMillis: 10_000, flushTimeoutMillis: 300 });
        exportBatches(exporter, 2, 2, 0, c);
        const flushStart = Date.now();
        await exporter.forceFlush();
        const flushTook = Date.now() - flushStart;
        assert.ok(flushTook >= 250 && flushTook < 1500, `forceFlush took ${flushTook} ms (deadline 300)`);

        const started = Date.now();
        await exporter.shutdown();
        const took = Date.now() - started;
        assert.ok(took >= 250 && took < 1500, `shutdown took ${took} ms (deadline 300)`);
        assert.equal(warnings(lines, new RegExp(`4 buffered ${esc(counted)} were not delivered .* within 300 ms of shutdown`)).length, 1, lines.join(''));
        if (dead === 'hung') await waitFor('the hung request aborted', () => receiver.hanging === 0);
        let after: ExportResult | undefined;
        exporter.export(c.named(['late']), r => (after = r));
        assert.equal(after?.code, ExportResultCode.FAILED, 'nothing is accepted after shutdown');
      });
    }
  });
}

describe('BufferedOtlpExporter (traces): a frozen Collector', () => {

  it('a frozen Collector process (SIGSTOP), thawed: nothing lost, the head delivered at most twice', async t => {
    // A real hung peer: the kernel accepts connections and takes the requests; the process reads them only when thawed.
    const port = await freePort();
    const script = `
      const { OtlpReceiver } = require(${JSON.stringify(path.join(__dirname, 'test-fixtures', 'otlp-receiver.js'))});
      const r = new OtlpReceiver(${port});
      let printed = 0;
      r.listen().then(() => process.stdout.write('LISTENING ${port}\\n'));
      setInterval(() => { while (printed < r.names.length) process.stdout.write('SPAN ' + r.names[printed++] + '\\n'); }, 10);`;
    const collector = await launch({ env: {}, preload: false, args: ['-e', script] });
    t.after(() => collector.kill());
    collector.proc.kill('SIGSTOP');
    t.after(() => collector.proc.kill('SIGCONT'));

    const { exporter, lines, sends } = exporterFor(`http://127.0.0.1:${port}/v1/traces`, { timeoutMillis: 200 });
    const expected = exportBatches(exporter, 4, 3);
    await waitFor('five attempts at the frozen Collector', () => sends.length >= 5, 5000);
    assert.equal(exporter.stats().items, 12);
    const full = sends.filter(b => b.byteLength > 100).length;
    assert.equal(full, 1, `after the first timeout only empty probes are sent (${sends.map(b => b.byteLength).join(', ')} bytes)`);

    collector.proc.kill('SIGCONT');
    const received = () => collector.stdout().split('\n').filter(l => l.startsWith('SPAN ')).map(l => l.slice(5));
    await waitFor('every span at the thawed Collector', () => new Set(received()).size >= 12, 10_000, () => received().join(','));
    await exporter.forceFlush();
    assert.deepEqual([...new Set(received())], expected, 'in order');
    for (const name of expected) {
      const copies = received().filter(n => n === name).length;
      assert.ok(copies <= (name.startsWith('b00') ? 2 : 1), `${name} arrived ${copies} times`);
    }
    assert.equal(lines.length, 1, lines.join(''));
  });

});

describe('BufferedOtlpExporter (traces): refusals and retry hints', () => {
  it('drops a request the Collector refuses for good (400), counts it, warns once per failure streak', async () => {
    const receiver = await receiverOnFreePort();
    await receiver.listen();
    receiver.mode = { status: 400 };
    const { exporter, lines } = exporterFor(receiver.url);
    exportBatches(exporter, 3, 2);
    await waitFor('three POSTs, each once', () => receiver.requests.length === 3 && exporter.stats().items === 0);
    assert.equal(exporter.stats().rejectedItems, 6);
    assert.equal(lines.length, 1, lines.join(''));
    assert.match(lines[0]!, /failed \(HTTP 400.*\); 2 span\(s\) dropped/);

    receiver.mode = 'ok';
    exportBatches(exporter, 1, 1, 3);
    await waitFor('the good batch delivered', () => receiver.names.length === 1);
    receiver.mode = { status: 400 };
    exportBatches(exporter, 2, 1, 4);
    await waitFor('a warning for the new streak', () => lines.length === 2);
    await exporter.forceFlush();
    assert.equal(lines.length, 2, lines.join(''));
  });

  it('retries 503 until it is accepted, and honours Retry-After (429)', async () => {
    const receiver = await receiverOnFreePort();
    await receiver.listen();
    receiver.mode = { status: 503 };
    const { exporter } = exporterFor(receiver.url);
    exportBatches(exporter, 1, 2);
    await waitFor('three attempts at the 503', () => receiver.requests.length >= 3);
    receiver.mode = { status: 429, retryAfter: '1' };
    const askedAt = await waitFor('an attempt answered 429', () => receiver.requests.find(r => r.answer === 429)?.at);
    receiver.mode = 'ok';
    await waitFor('the batch delivered', () => receiver.names.length === 2, 5000);
    const accepted = receiver.requests.find(r => r.answer === 200)!;
    assert.equal(receiver.requests.filter(r => r.answer === 429).length, 1);
    assert.ok(accepted.at - askedAt >= 900, `next attempt ${accepted.at - askedAt} ms after "Retry-After: 1"`);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});

describe('BufferedOtlpExporter (traces): the process', () => {
  it('never keeps a process alive: a script whose export hangs at the Collector ends when its own work does', async () => {
    const receiver = await receiverOnFreePort();
    await receiver.listen();
    receiver.mode = 'hang';
    const dist = path.resolve(__dirname);
    const script = `
      const http = require('http');
      const { BufferedOtlpExporter } = require(${JSON.stringify(path.join(dist, 'buffered-exporter.js'))});
      const { TRACES } = require(${JSON.stringify(path.join(dist, 'otlp-signals.js'))});
      const { OtlpHttpSender } = require(${JSON.stringify(path.join(dist, 'otlp-sender.js'))});
      const { namedSpans } = require(${JSON.stringify(path.join(dist, 'test-fixtures', 'spans.js'))});
      const { Logger } = require(${JSON.stringify(path.join(dist, 'utils.js'))});
      const sender = new OtlpHttpSender({ url: ${JSON.stringify(receiver.url)}, headers: async () => ({ 'Content-Type': 'application/json' }),
        agent: Promise.resolve(new http.Agent({ keepAlive: true })), gzip: false, timeoutMillis: 30000 });
      const exporter = new BufferedOtlpExporter({ signal: TRACES, encode: s => Buffer.from(JSON.stringify(s.map(x => x.name))), gzip: true, sender,
        maxBytes: 1e6, flushTimeoutMillis: 30000, target: 'x', logger: new Logger('none') });
      exporter.export(namedSpans(['a', 'b']), () => {});
      // The app's own work: long enough for the POST to reach the hung receiver.
      setTimeout(() => process.stdout.write('DONE\\n'), 500);`;
    const started = Date.now();
    const child = await launch({ env: {}, preload: false, args: ['-e', script], waitListening: false });
    cleanups.push(() => child.kill());
    const how = await child.exited(5000);
    assert.equal(how.code, 0, child.stderr());
    assert.match(child.stdout(), /DONE/);
    assert.equal(receiver.requests.length, 1, 'the POST was held by the receiver when the script ended');
    assert.ok(Date.now() - started < 3000, `exited after ${Date.now() - started} ms; the request timeout is 30 s`);
  });
});

/**
 * A script that exports two spans (JSON, backoff 20..100 ms, flush deadline `flushMillis`) to `url`,
 * prints WARNED at the first failure, then awaits forceFlush() as an app does at exit (nothing else
 * keeps its event loop alive) and prints FLUSHED <ms> <sent items>.
 */
function awaitingFlushScript(url: string, flushMillis: number): string {
  const dist = path.resolve(__dirname);
  return `
    const http = require('http');
    const { BufferedOtlpExporter } = require(${JSON.stringify(path.join(dist, 'buffered-exporter.js'))});
    const { TRACES } = require(${JSON.stringify(path.join(dist, 'otlp-signals.js'))});
    const { OtlpHttpSender } = require(${JSON.stringify(path.join(dist, 'otlp-sender.js'))});
    const { namedSpans } = require(${JSON.stringify(path.join(dist, 'test-fixtures', 'spans.js'))});
    const { Logger } = require(${JSON.stringify(path.join(dist, 'utils.js'))});
    const { JsonTraceSerializer } = require(${JSON.stringify(require.resolve('@opentelemetry/otlp-transformer'))});
    const sender = new OtlpHttpSender({ url: ${JSON.stringify(url)}, headers: async () => ({ 'Content-Type': 'application/json' }),
      agent: Promise.resolve(new http.Agent({ keepAlive: true })), gzip: false, timeoutMillis: 30000 });
    const exporter = new BufferedOtlpExporter({ signal: TRACES, encode: s => JsonTraceSerializer.serializeRequest(s), gzip: false, sender,
      maxBytes: 1e6, flushTimeoutMillis: ${flushMillis}, target: 'x', logger: new Logger('warn', () => process.stdout.write('WARNED\\n')),
      backoff: { minMillis: 20, maxMillis: 100 } });
    exporter.export(namedSpans(['a', 'b']), () => {});
    const started = Date.now();
    exporter.forceFlush().then(() => process.stdout.write('FLUSHED ' + (Date.now() - started) + ' ' + exporter.stats().sentItems + '\\n'));`;
}

describe('BufferedOtlpExporter (traces): a flush awaited at exit', () => {
  // In child processes: the test runner of Node >= 24 keeps the loop alive while a test is pending, which would hide the point.
  it('keeps retrying a refusing Collector until the flush deadline, and delivers once it is back', async () => {
    const receiver = await receiverOnFreePort(); // refusing
    const child = await launch({ env: {}, preload: false, args: ['-e', awaitingFlushScript(receiver.url, 10_000)], waitListening: false });
    cleanups.push(() => child.kill());
    await waitFor('the first refused attempt', () => child.stdout().includes('WARNED'), 5000, () => child.stderr());
    await new Promise(r => setTimeout(r, 300)); // several backoffs while the flush is awaited
    await receiver.listen();
    const how = await child.exited(5000);
    assert.equal(how.code, 0, child.stderr());
    assert.match(child.stdout(), /FLUSHED \d+ 2\n/, 'the flush resolved after the delivery');
    assert.deepEqual(receiver.names, ['a', 'b']);
  });

  it('settles at its deadline when the Collector never comes back; the process then ends', async () => {
    const receiver = await receiverOnFreePort(); // refusing
    const child = await launch({ env: {}, preload: false, args: ['-e', awaitingFlushScript(receiver.url, 400)], waitListening: false });
    cleanups.push(() => child.kill());
    const how = await child.exited(5000);
    assert.equal(how.code, 0, child.stderr());
    const m = /FLUSHED (\d+) 0\n/.exec(child.stdout());
    assert.ok(m, `the awaited flush must resolve, not be abandoned with the process; stdout: ${child.stdout()}`);
    assert.ok(Number(m[1]) >= 350 && Number(m[1]) < 2000, `forceFlush took ${m[1]} ms (deadline 400)`);
  });
});

describe('createBufferedOtlpExporter', () => {
  const wire = [
    { c: TRACE_CASE, items: () => httpServerSpans(5), protobuf: ProtobufTraceSerializer as { serializeRequest(items: never[]): Uint8Array | undefined } },
    { c: LOG_CASE, items: () => pinoLikeRecords(5), protobuf: ProtobufLogsSerializer as { serializeRequest(items: never[]): Uint8Array | undefined } },
  ];
  for (const { c, items, protobuf } of wire) {
    const SIGNAL = c.spec.signal.toUpperCase();
    it(`${c.spec.signal}: sends protobuf, gzipped, with the OTEL_EXPORTER_OTLP_${SIGNAL}_HEADERS, to the configured endpoint`, async t => {
      const receiver = await receiverOnFreePort(c);
      await receiver.listen();
      const variable = `OTEL_EXPORTER_OTLP_${SIGNAL}_HEADERS`;
      const saved = process.env[variable];
      process.env[variable] = 'Authorization=Bearer%20t0ken,X-Tenant=floor';
      t.after(() => {
        if (saved === undefined) delete process.env[variable];
        else process.env[variable] = saved;
      });
      const { config } = parseConfig({ [`OTEL_EXPORTER_OTLP_${SIGNAL}_ENDPOINT`]: receiver.url });
      const exporter = createBufferedOtlpExporter<unknown>(c.spec, config[c.spec.signal], receiver.url, new Logger('warn', () => {}));
      cleanups.push(() => exporter.shutdown());
      const sent = items();
      exportNow(exporter, sent);
      await exporter.forceFlush();
      assert.equal(receiver.requests.length, 1);
      const { headers } = receiver.requests[0]!;
      assert.equal(headers['content-type'], 'application/x-protobuf');
      assert.equal(headers['content-encoding'], 'gzip');
      assert.equal(headers.authorization, 'Bearer t0ken');
      assert.equal(headers['x-tenant'], 'floor');
      assert.deepEqual(receiver.accepted[0], Buffer.from(protobuf.serializeRequest(sent as never[])!), 'the very bytes of the serializer');
      assert.equal(exporter.stats().maxBytes, c.defaultMaxBytes);
    });
  }
});

describe('encoded size of a typical HTTP server span (measurement)', () => {
  it('bytes per buffered span, by protocol and compression', t => {
    const rows: string[] = [];
    const perSpan: Record<string, number> = {};
    for (const batch of [512, 50]) {
      const spans = httpServerSpans(batch);
      for (const [protocol, serializer] of [['protobuf', ProtobufTraceSerializer], ['json', JsonTraceSerializer]] as const) {
        const raw = serializer.serializeRequest(spans)!;
        const gz = gzipSync(raw);
        perSpan[`${protocol}/${batch}/none`] = raw.byteLength / batch;
        perSpan[`${protocol}/${batch}/gzip`] = gz.byteLength / batch;
        rows.push(`${protocol.padEnd(8)} batch ${String(batch).padStart(3)}: ${(raw.byteLength / batch).toFixed(0)} B/span raw, ${(gz.byteLength / batch).toFixed(0)} B/span gzip`);
      }
    }
    for (const r of rows) t.diagnostic(r);
    const protoGzip = perSpan['protobuf/512/gzip']!;
    t.diagnostic(
      `default bound ${DEFAULTS.tracesBufferMaxBytes / 2 ** 20} MiB holds ~${Math.round(DEFAULTS.tracesBufferMaxBytes / protoGzip / 1000)}k such spans (protobuf, gzip)`,
    );
    // Sanity: the default pipeline (protobuf + gzip) holds spans at well under 200 B each.
    assert.ok(protoGzip < 200, `${protoGzip} B/span`);
    assert.ok(perSpan['protobuf/512/none']! < perSpan['json/512/none']!);
  });
});

describe('encoded size of a typical log record (measurement)', () => {
  it('bytes per buffered record, by protocol and compression', t => {
    const perRecord: Record<string, number> = {};
    for (const batch of [512, 50]) {
      const records = pinoLikeRecords(batch);
      for (const [protocol, serializer] of [['protobuf', ProtobufLogsSerializer], ['json', JsonLogsSerializer]] as const) {
        const raw = serializer.serializeRequest(records)!;
        const gz = gzipSync(raw);
        perRecord[`${protocol}/${batch}/gzip`] = gz.byteLength / batch;
        t.diagnostic(`${protocol.padEnd(8)} batch ${String(batch).padStart(3)}: ${(raw.byteLength / batch).toFixed(0)} B/record raw, ${(gz.byteLength / batch).toFixed(0)} B/record gzip`);
      }
    }
    const protoGzip = perRecord['protobuf/512/gzip']!;
    t.diagnostic(
      `default bound ${DEFAULTS.logsBufferMaxBytes / 2 ** 20} MiB holds ~${Math.round(DEFAULTS.logsBufferMaxBytes / protoGzip / 1000)}k such records (protobuf, gzip)`,
    );
    assert.ok(protoGzip < 300, `${protoGzip} B/record`);
  });
});

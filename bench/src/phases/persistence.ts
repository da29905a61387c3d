/**
 * Phase 7, persistence: what the persistent stores cost, measured side by side in one run against
 * their in-memory counterparts (ratios persistent / in-memory):
 *   1. the Collector's spans/s at saturation with the shipped persistent sending queue
 *      (file_storage) vs the same queue in memory, exporting to a Jaeger (memory store);
 *   2. Jaeger's write throughput (OTLP straight to Jaeger) and query latency
 *      (GET /api/traces/<id>, GET /api/traces?service=...&limit=20) on Badger vs memory;
 *   3. disk bytes per span: Badger's directory after the write run, and the Collector's queue
 *      file with Jaeger away (N spans queued).
 *   4. the preload's byte-bounded span buffer (SHOPFLOOR_TRACES_BUFFER_MAX_BYTES) in a Collector
 *      outage: a process making spans at a fixed rate under the preload, with its Collector
 *      away vs up, side by side for the same time: bytes per waiting span, RSS. Skipped (and
 *      noted) when the preload does not export through the buffer (bufferWired below).
 *
 * Standalone: it starts its own Collector and Jaeger processes from the binaries `npm run setup`
 * built (.run/tools.json), with the shipped configs plus an overlay (../persistence.ts) that
 * moves every listener to free ports the OS hands out, data in a temporary directory. It needs
 * no running stack and never binds the stack's ports: BENCH_ONLY=persistence starts nothing else.
 * Every process is stopped on the way out (../procs.ts), the temporary directory removed.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPaths, repoRoot } from '@shopfloor/stack-contract';
import { post, readingFrom, type CollectorReading, type Signal } from '../collector';
import type { RunContext } from '../context';
import { buildTemplate, CONTENT_TYPE, type PayloadTemplate } from '../otlp-payload';
import {
  alternate,
  COLLECTOR_TRACE_EXPORTER,
  collectorOverlay,
  jaegerOverlay,
  JAEGER_MEMORY_MAX_TRACES,
  JAEGER_TRACE_EXPORTER,
  percentile,
  perItem,
  persistenceRatios,
  type CollectorPorts,
  type CollectorQueue,
  type JaegerPorts,
  type JaegerStore,
  type PersistenceRatio,
} from '../persistence';
import { parsePrometheusText, sumOf } from '../promtext';
import { isRunning, memoryOf, sleep, spawnTracked, stopChild } from '../procs';
import { cleanEnv, preloadArgs } from '../variants';

const LOOPBACK = '127.0.0.1';
/** Requests in flight at saturation (closed loop: each sends its next request once answered). */
const CONCURRENCY = 8;
/** Seconds of load before the measured window (connections, JIT, queue consumers warm). */
const WARMUP_S = 2;
/** The service the payload's root spans belong to (otlp-payload.ts). */
const SEARCH_SERVICE = 'bench-shop';
/** At most this long per query series (per-id or search), so a slow store cannot stall the run. */
const QUERY_SERIES_MAX_MS = 20_000;

/** Spans per second the item-4 process makes (about 30 orders/s of the reference services). */
const PRELOAD_SPAN_RATE = 1000;
const SPAN_MAKER = join(__dirname, '..', 'fixtures', 'span-maker.js');

const COLLECTOR_SIGNAL: Signal = { path: '/v1/traces', items: 'spans', exporter: COLLECTOR_TRACE_EXPORTER };
const JAEGER_SIGNAL: Signal = { path: '/v1/traces', items: 'spans', exporter: JAEGER_TRACE_EXPORTER };

/** What the phase returns for the results file (its measurements are `persistence.*`). */
export interface PersistenceFigures {
  ratios: PersistenceRatio[];
  /** Collector and Jaeger configs: the shipped file plus the overlay (in-memory variants shown). */
  configs: { collector: string; jaeger: string; overlays: string };
  spansPerRequest: number;
  concurrency: number;
  loadS: number;
  rounds: number;
  queuedSpans?: number;
  bufferItem: string;
}

/** The phase's estimated length, for the full run's budget check. */
export function persistenceNeedS(s: RunContext['settings']): number {
  const collector = s.persistenceRounds * 2 * (s.persistenceLoadS + WARMUP_S + 12);
  const jaeger = s.persistenceRounds * 2 * (s.persistenceLoadS + WARMUP_S + 2 * (QUERY_SERIES_MAX_MS / 1000) + 12);
  return collector + jaeger + 60 + (s.persistenceOutageS + 20);
}

export async function persistencePhase(ctx: RunContext): Promise<PersistenceFigures | undefined> {
  const { settings: s, log, figures } = ctx;
  const tools = binaries();
  const work = mkdtempSync(join(tmpdir(), 'shopfloor-bench-persistence-'));
  const logDir = ctx.logDir;
  mkdirSync(logDir, { recursive: true });
  const env: PhaseEnv = { ...tools, work, logDir };
  const template = buildTemplate('protobuf', s.tracesPerRequest);
  log(`persistence: own Collector and Jaeger processes on free ports, data in ${work}; logs in ${logDir}/persistence-*.log`);
  log(`  load: OTLP/HTTP protobuf, ${template.items} spans (${(template.bytes.length / 1024).toFixed(0)} KiB) per request, ${CONCURRENCY} in flight, ${WARMUP_S} s warm-up + ${s.persistenceLoadS} s measured`);
  const result: PersistenceFigures = {
    ratios: [],
    configs: { collector: 'otel-collector/config.yaml', jaeger: 'compose/jaeger/config.yaml', overlays: 'bench/src/persistence.ts (collectorOverlay, jaegerOverlay)' },
    spansPerRequest: template.items,
    concurrency: CONCURRENCY,
    loadS: s.persistenceLoadS,
    rounds: s.persistenceRounds,
    bufferItem: '',
  };
  try {
    await collectorQueues(ctx, env, template);
    await jaegerStores(ctx, env, template);
    result.queuedSpans = await queueFileBytes(ctx, env, template);
    if (bufferWired()) {
      await preloadBuffer(ctx, env);
      result.bufferItem = `measured: ${PRELOAD_SPAN_RATE} spans/s for ${s.persistenceOutageS} s under the preload, Collector away vs up`;
    } else {
      result.bufferItem = 'skipped: the preload does not export through a byte-bounded span buffer (SHOPFLOOR_TRACES_BUFFER_MAX_BYTES) yet';
      figures.note(`persistence: preload span buffer ${result.bufferItem}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  result.ratios = persistenceRatios(figures.measurements);
  return result.ratios.length ? result : undefined;
}

/** 1. The Collector with the persistent vs the in-memory sending queue, to a Jaeger on memory. */
async function collectorQueues({ settings: s, log, figures }: RunContext, env: PhaseEnv, template: PayloadTemplate): Promise<void> {
  log('  1. Collector at saturation, persistent vs in-memory sending queue (exporting to a fresh Jaeger, memory store, per run)');
  const samples: Record<CollectorQueue, { accepted: number[]; sent: number[]; rss: number[] }> = {
    persistent: { accepted: [], sent: [], rss: [] },
    'in-memory': { accepted: [], sent: [], rss: [] },
  };
  for (const queue of alternate<CollectorQueue>(['persistent', 'in-memory'], s.persistenceRounds)) {
    // A fresh Jaeger each run: a memory store filled by the previous runs would slow the later ones.
    const jaeger = await Jaeger.start(env, 'memory', 'downstream');
    try {
      const collector = await Collector.start(env, queue, `${LOOPBACK}:${jaeger.ports.otlpGrpc}`);
      try {
        const r = await saturate(collector.otlpUrl, template, s.persistenceLoadS, () => collector.read());
        samples[queue].accepted.push(r.acceptedPerS);
        samples[queue].sent.push(r.exportedPerS);
        samples[queue].rss.push(r.rssMaxMiB);
        log(
          `    ${queue.padEnd(10)} accepted ${r.acceptedPerS.toFixed(0)}/s, sent to Jaeger ${r.exportedPerS.toFixed(0)}/s, ` +
            `RSS max ${r.rssMaxMiB.toFixed(0)} MiB${r.problems ? `; ${r.problems}` : ''}`,
        );
        if (r.problems) figures.note(`persistence collector ${queue}: ${r.problems}`);
      } finally {
        await collector.stop();
      }
    } finally {
      await jaeger.stop();
      rmSync(jaeger.dataDir, { recursive: true, force: true });
    }
  }
  for (const queue of ['persistent', 'in-memory'] as const) {
    figures.record('persistence.collector.accepted', queue, 'spans/s', samples[queue].accepted, 'otelcol_receiver_accepted_spans over the measured window, closed-loop load at saturation');
    figures.record('persistence.collector.sent', queue, 'spans/s', samples[queue].sent, `otelcol_exporter_sent_spans{exporter="${COLLECTOR_TRACE_EXPORTER}"} over the same window`);
    figures.record('persistence.collector.rss_max', queue, 'MiB', samples[queue].rss);
  }
}

/** 2 and 3a. Jaeger on Badger vs memory: spans/s written, query latency, Badger bytes per span. */
async function jaegerStores({ settings: s, log, figures }: RunContext, env: PhaseEnv, template: PayloadTemplate): Promise<void> {
  log('  2. Jaeger: OTLP/HTTP straight to Jaeger at saturation, then the query API, Badger vs memory');
  const names = ['written', 'get_trace_p50', 'get_trace_p99', 'search_p50', 'search_p99'] as const;
  const samples: Record<JaegerStore, Record<(typeof names)[number], number[]>> = {
    badger: { written: [], get_trace_p50: [], get_trace_p99: [], search_p50: [], search_p99: [] },
    memory: { written: [], get_trace_p50: [], get_trace_p99: [], search_p50: [], search_p99: [] },
  };
  const badgerBytes: number[] = [];
  const badgerApparent: number[] = [];
  for (const store of alternate<JaegerStore>(['badger', 'memory'], s.persistenceRounds)) {
    const jaeger = await Jaeger.start(env, store, store);
    let stored = 0;
    try {
      const ids: string[] = [];
      const r = await saturate(jaeger.otlpUrl, template, s.persistenceLoadS, () => jaeger.read(), ids);
      stored = (await jaeger.read()).exported;
      samples[store].written.push(r.exportedPerS);
      // Ids from the traces written last, within half the memory store's bound (it evicts the
      // oldest beyond it): the same recency on both stores. One id is kept per 10 requests.
      const recent = ids.slice(-Math.max(1, Math.floor(JAEGER_MEMORY_MAX_TRACES / 2 / (template.traces * 10))));
      const byId = await timeQueries(
        spread(recent, s.persistenceQueries).map(id => `${jaeger.queryUrl}/api/traces/${id}`),
        s.persistenceQueries,
      );
      const search = await timeQueries([`${jaeger.queryUrl}/api/traces?service=${SEARCH_SERVICE}&limit=20`], s.persistenceQueries);
      samples[store].get_trace_p50.push(percentile(byId.ms, 50));
      samples[store].get_trace_p99.push(percentile(byId.ms, 99));
      samples[store].search_p50.push(percentile(search.ms, 50));
      samples[store].search_p99.push(percentile(search.ms, 99));
      log(
        `    ${store.padEnd(6)} written ${r.exportedPerS.toFixed(0)}/s (${stored} spans stored); GET trace p50 ${percentile(byId.ms, 50).toFixed(1)} ms ` +
          `p99 ${percentile(byId.ms, 99).toFixed(1)} ms (${byId.ms.length}); search p50 ${percentile(search.ms, 50).toFixed(1)} ms p99 ${percentile(search.ms, 99).toFixed(1)} ms (${search.ms.length})` +
          `${r.problems ? `; ${r.problems}` : ''}`,
      );
      if (r.problems) figures.note(`persistence jaeger ${store}: ${r.problems}`);
      for (const [what, q] of [['GET /api/traces/<id>', byId], ['search', search]] as const) {
        if (q.failed) figures.note(`persistence jaeger ${store}: ${q.failed} of ${q.failed + q.ms.length} ${what} queries failed or found nothing`);
      }
    } finally {
      await jaeger.stop();
    }
    if (store === 'badger') {
      // After a clean stop: Badger has flushed its memtable into SST files and closed its value log.
      const du = diskUsage(jaeger.dataDir);
      badgerBytes.push(perItem(du.allocated, stored));
      badgerApparent.push(perItem(du.apparent, stored));
      log(`    badger directory ${(du.allocated / 2 ** 20).toFixed(1)} MiB on disk (${(du.apparent / 2 ** 20).toFixed(1)} MiB apparent) for ${stored} spans`);
    }
    rmSync(jaeger.dataDir, { recursive: true, force: true });
  }
  const notes: Record<(typeof names)[number], string> = {
    written: `otelcol_exporter_sent_spans{exporter="${JAEGER_TRACE_EXPORTER}"} (Jaeger's own telemetry) over the measured window`,
    get_trace_p50: `GET /api/traces/<id>, ids of the traces written last in the run, one at a time`,
    get_trace_p99: `GET /api/traces/<id>, ids of the traces written last in the run, one at a time`,
    search_p50: `GET /api/traces?service=${SEARCH_SERVICE}&limit=20, one at a time`,
    search_p99: `GET /api/traces?service=${SEARCH_SERVICE}&limit=20, one at a time`,
  };
  for (const store of ['badger', 'memory'] as const) {
    for (const name of names) figures.record(`persistence.jaeger.${name}`, store, name === 'written' ? 'spans/s' : 'ms', samples[store][name], notes[name]);
  }
  figures.record('persistence.jaeger.badger_bytes_per_span', 'badger', 'B', badgerBytes, 'allocated size (du) of the Badger directory after a clean stop / spans Jaeger stored');
  figures.record('persistence.jaeger.badger_apparent_bytes_per_span', 'badger', 'B', badgerApparent, 'apparent size (ls) of the Badger directory / spans stored');
}

/** 3b. The Collector's queue file with nothing to send to: bytes per queued span. */
async function queueFileBytes({ settings: s, log, figures }: RunContext, env: PhaseEnv, template: PayloadTemplate): Promise<number | undefined> {
  const requests = Math.ceil(s.persistenceQueuedSpans / template.items);
  log(`  3. Collector queue file: ${requests * template.items} spans queued with Jaeger away`);
  // A port nobody listens on: the exporter's sends fail, the spans stay in the queue file.
  const [nowhere] = await freePorts(1);
  const collector = await Collector.start(env, 'persistent', `${LOOPBACK}:${nowhere!}`);
  try {
    const before = await collector.read();
    const base = diskUsage(collector.storageDir, f => f.includes('jaeger'));
    const sent = await sendRequests(collector.otlpUrl, template, requests);
    // Wait for the queue to settle (the receiver has answered every request; the file stops growing).
    let last = -1;
    let reading = await collector.read();
    for (let i = 0; i < 30; i++) {
      await sleep(1000);
      reading = await collector.read();
      const size = diskUsage(collector.storageDir, f => f.includes('jaeger')).allocated;
      if (size === last) break;
      last = size;
    }
    const queued = reading.accepted - before.accepted;
    const du = diskUsage(collector.storageDir, f => f.includes('jaeger'));
    const queueBytes = sumOf(collector.lastSamples, 'otelcol_exporter_queue_size', { exporter: COLLECTOR_TRACE_EXPORTER });
    const fileBytes = du.allocated - base.allocated;
    log(
      `    ${queued} spans accepted (${sent.ok} of ${requests} requests answered 2xx), queue file ${(du.allocated / 2 ** 20).toFixed(1)} MiB ` +
        `(${(base.allocated / 2 ** 20).toFixed(2)} MiB empty): ${perItem(fileBytes, queued).toFixed(0)} B/span; queue's own count ${(queueBytes / 2 ** 20).toFixed(1)} MiB`,
    );
    if (reading.enqueueFailed > 0 || reading.refused > 0) figures.note(`persistence queue file: ${reading.enqueueFailed} spans not queued, ${reading.refused} refused`);
    figures.record('persistence.collector.queue_file_bytes_per_span', 'persistent', 'B', [perItem(fileBytes, queued)], `growth of the ${COLLECTOR_TRACE_EXPORTER} queue file (du) / spans queued, ${queued} spans, Jaeger away`);
    figures.record('persistence.collector.queue_counted_bytes_per_span', 'persistent', 'B', [perItem(queueBytes, queued)], 'otelcol_exporter_queue_size (sizer bytes: encoded spans) / spans queued');
    return queued;
  } finally {
    await collector.stop();
  }
}

/**
 * 4. The preload in a Collector outage: two span-making processes under the preload side by
 * side, one exporting to a port nobody listens on, one to a running Collector (which queues
 * them). After the outage: what the buffer holds (its own gauges on the process's /metrics) and
 * both processes' RSS.
 */
async function preloadBuffer({ settings: s, log, figures }: RunContext, env: PhaseEnv): Promise<void> {
  log(`  4. The preload's span buffer: ${PRELOAD_SPAN_RATE} spans/s for ${s.persistenceOutageS} s, Collector away vs Collector up`);
  const [nowhere, deadCollector] = await freePorts(2);
  const collector = await Collector.start(env, 'persistent', `${LOOPBACK}:${nowhere!}`);
  const makers: SpanMaker[] = [];
  try {
    makers.push(await SpanMaker.start(env, 'collector-down', `http://${LOOPBACK}:${deadCollector!}`));
    makers.push(await SpanMaker.start(env, 'collector-up', `http://${LOOPBACK}:${collector.ports.otlpHttp}`));
    const startRss = makers.map(m => m.rssMiB());
    await sleep(s.persistenceOutageS * 1000);
    for (const [i, m] of makers.entries()) {
      const b = await m.buffer();
      const rss = m.rssMiB();
      const perSpan = perItem(b.bytes, b.spans);
      log(
        `    ${m.label.padEnd(14)} RSS ${rss.toFixed(1)} MiB (+${(rss - startRss[i]!).toFixed(1)} since start); buffer ${(b.bytes / 2 ** 20).toFixed(2)} MiB, ` +
          `${b.spans} spans (${perSpan.toFixed(0)} B/span), ${b.dropped} dropped`,
      );
      figures.record('persistence.preload.rss', m.label, 'MiB', [rss], `RSS of a process making ${PRELOAD_SPAN_RATE} spans/s under the preload, after ${s.persistenceOutageS} s`);
      figures.record('persistence.preload.rss_growth', m.label, 'MiB', [rss - startRss[i]!], `RSS after ${s.persistenceOutageS} s minus RSS once started`);
      if (m.label === 'collector-down') {
        figures.record('persistence.preload.buffer_bytes', m.label, 'B', [b.bytes], 'otel_bootstrap_span_buffer_size (encoded, gzip-compressed requests waiting)');
        figures.record('persistence.preload.buffer_bytes_per_span', m.label, 'B', [perSpan], 'otel_bootstrap_span_buffer_size / otel_bootstrap_span_buffer_spans');
        figures.record('persistence.preload.buffered_spans', m.label, 'spans', [b.spans]);
      }
      if (b.dropped > 0) figures.note(`persistence preload ${m.label}: ${b.dropped} spans dropped`);
    }
  } finally {
    await Promise.all(makers.map(m => m.stop()));
    await collector.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// The processes.

interface Binaries {
  otelcol: string;
  jaeger: string;
}

/** The binaries, the phase's temporary directory, and where the processes log. */
interface PhaseEnv extends Binaries {
  work: string;
  logDir: string;
}

/** The Collector and Jaeger binaries `npm run setup` recorded in .run/tools.json. */
function binaries(): Binaries {
  const file = join(repoRoot, '.run', 'tools.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run setup\` first (it builds the Collector and Jaeger).`);
  const tools = JSON.parse(readFileSync(file, 'utf8')) as Partial<Binaries>;
  for (const name of ['otelcol', 'jaeger'] as const) {
    const path = tools[name];
    if (typeof path !== 'string' || !existsSync(path)) throw new Error(`${file}: no ${name} binary (run \`npm run setup\` again)`);
  }
  return tools as Binaries;
}

/** `n` distinct loopback ports the OS reports free (all held open until every one is picked). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, LOOPBACK, () => resolve());
      });
      servers.push(server);
    }
    return servers.map(srv => (srv.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(srv => new Promise(resolve => srv.close(resolve))));
  }
}

let started = 0;

/** Spawns `binary` with the shipped config and an overlay; resolves once `healthUrl` answers 200. */
async function startBinary(logDir: string, label: string, binary: string, configs: string[], env: Record<string, string>, healthUrl: string): Promise<ChildProcess> {
  const logFile = join(logDir, `persistence-${label}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  out.write(`\n--- ${new Date().toISOString()} ${binary} ${configs.map(c => `--config ${c}`).join(' ')}\n`);
  // Own process group (like the stack's components): Ctrl-C reaches the bench, which stops it.
  const child = spawnTracked(binary, configs.flatMap(c => ['--config', c]), { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  child.once('close', () => out.end());
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!isRunning(child)) throw new Error(`${label} exited during start-up (${child.exitCode ?? child.signalCode}); see ${logFile}`);
    if ((await status(healthUrl)) === 200) return child;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`${label} did not answer ${healthUrl} within 30 s; see ${logFile}`);
    }
    await sleep(100);
  }
}

async function status(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

class Collector {
  lastSamples: ReturnType<typeof parsePrometheusText> = [];
  private constructor(
    private readonly child: ChildProcess,
    readonly ports: CollectorPorts,
    readonly storageDir: string,
  ) {}

  get otlpUrl(): string {
    return `http://${LOOPBACK}:${this.ports.otlpHttp}/v1/traces`;
  }

  static async start(env: PhaseEnv, queue: CollectorQueue, jaegerGrpc: string): Promise<Collector> {
    const [otlpGrpc, otlpHttp, telemetry, spanMetrics, health, victoriaLogs] = await freePorts(6);
    const ports: CollectorPorts = { otlpGrpc: otlpGrpc!, otlpHttp: otlpHttp!, telemetry: telemetry!, spanMetrics: spanMetrics!, health: health! };
    const id = ++started;
    const storageDir = join(env.work, `otelcol-${id}`);
    const overlay = join(env.work, `otelcol-${id}.${queue}.json`);
    writeFileSync(overlay, `${JSON.stringify(collectorOverlay(ports, queue), null, 2)}\n`);
    const child = await startBinary(env.logDir, `otelcol-${queue}`, env.otelcol, [configPaths.collector, overlay], {
      OTELCOL_BIND_HOST: LOOPBACK,
      JAEGER_OTLP_GRPC_ENDPOINT: jaegerGrpc,
      // Nothing listens there: no logs are sent in this phase.
      VICTORIALOGS_OTLP_ENDPOINT: `http://${LOOPBACK}:${victoriaLogs!}/insert/opentelemetry`,
      OTELCOL_STORAGE_DIR: storageDir,
    }, `http://${LOOPBACK}:${ports.health}/`);
    return new Collector(child, ports, storageDir);
  }

  async read(): Promise<CollectorReading> {
    this.lastSamples = await scrape(`http://${LOOPBACK}:${this.ports.telemetry}/metrics`);
    return readingFrom(this.lastSamples, Date.now(), COLLECTOR_SIGNAL);
  }

  stop(): Promise<void> {
    return stopChild(this.child, 10_000);
  }
}

class Jaeger {
  private constructor(
    private readonly child: ChildProcess,
    readonly ports: JaegerPorts,
    readonly dataDir: string,
  ) {}

  get otlpUrl(): string {
    return `http://${LOOPBACK}:${this.ports.otlpHttp}/v1/traces`;
  }
  get queryUrl(): string {
    return `http://${LOOPBACK}:${this.ports.query}`;
  }

  static async start(env: PhaseEnv, store: JaegerStore, label: string): Promise<Jaeger> {
    const [otlpGrpc, otlpHttp, query, queryGrpc, telemetry, health, prometheus] = await freePorts(7);
    const ports: JaegerPorts = { otlpGrpc: otlpGrpc!, otlpHttp: otlpHttp!, query: query!, queryGrpc: queryGrpc!, telemetry: telemetry!, health: health! };
    const id = ++started;
    const dataDir = join(env.work, `jaeger-${id}`);
    const overlay = join(env.work, `jaeger-${id}.${store}.json`);
    writeFileSync(overlay, `${JSON.stringify(jaegerOverlay(ports, store, `http://${LOOPBACK}:${prometheus!}`), null, 2)}\n`);
    const child = await startBinary(env.logDir, `jaeger-${label}`, env.jaeger, [configPaths.jaeger, overlay], {
      JAEGER_BIND_HOST: LOOPBACK,
      JAEGER_BADGER_DIR: dataDir,
      PROMETHEUS_SERVER_URL: `http://${LOOPBACK}:${prometheus!}`,
    }, `http://${LOOPBACK}:${ports.health}/status`);
    return new Jaeger(child, ports, dataDir);
  }

  async read(): Promise<CollectorReading> {
    return readingFrom(await scrape(`http://${LOOPBACK}:${this.ports.telemetry}/metrics`), Date.now(), JAEGER_SIGNAL);
  }

  stop(): Promise<void> {
    // Badger closes cleanly on SIGTERM (memtable flushed); give it the time.
    return stopChild(this.child, 20_000);
  }
}

/** node --require <the shopfloor preload> span-maker.js, its metrics on a port of its own. */
class SpanMaker {
  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    private readonly metricsUrl: string,
  ) {}

  static async start(env: PhaseEnv, label: string, otlpEndpoint: string): Promise<SpanMaker> {
    const [metricsPort] = await freePorts(1);
    const logFile = join(env.logDir, `persistence-span-maker-${label}.log`);
    const out = createWriteStream(logFile, { flags: 'a' });
    out.write(`\n--- ${new Date().toISOString()} ${label} -> ${otlpEndpoint}\n`);
    const child = spawnTracked(process.execPath, [...preloadArgs('shopfloor'), SPAN_MAKER], {
      env: cleanEnv({
        OTEL_SERVICE_NAME: `bench-span-maker-${label}`,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_METRICS_EXPORTER: 'prometheus',
        OTEL_EXPORTER_PROMETHEUS_HOST: LOOPBACK,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort!),
        OTEL_LOGS_EXPORTER: 'none',
        OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
        OTEL_LOG_LEVEL: 'warn',
        SPAN_MAKER_RATE: String(PRELOAD_SPAN_RATE),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    child.once('close', () => out.end());
    const url = `http://${LOOPBACK}:${metricsPort!}/metrics`;
    const deadline = Date.now() + 20_000;
    while ((await status(url)) !== 200) {
      if (!isRunning(child) || Date.now() > deadline) {
        await stopChild(child);
        throw new Error(`span maker (${label}) did not serve ${url}; see ${logFile}`);
      }
      await sleep(100);
    }
    return new SpanMaker(label, child, url);
  }

  /** The buffer's own gauges (metrics.ts of otel-bootstrap). */
  async buffer(): Promise<{ bytes: number; spans: number; dropped: number }> {
    const samples = await scrape(this.metricsUrl);
    const pick = (prefix: string) => samples.filter(x => x.name.startsWith(prefix)).reduce((a, x) => a + x.value, 0);
    if (!samples.some(x => x.name.startsWith('otel_bootstrap_span_buffer'))) throw new Error(`${this.metricsUrl} has no otel_bootstrap_span_buffer_* series`);
    return { bytes: pick('otel_bootstrap_span_buffer_size'), spans: pick('otel_bootstrap_span_buffer_spans'), dropped: pick('otel_bootstrap_spans_dropped') };
  }

  rssMiB(): number {
    return (this.child.pid !== undefined && memoryOf(this.child.pid)?.rssMiB) || NaN;
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

/** GET a /metrics page and parse it; retried (a busy process may drop a connection), 3 attempts. */
async function scrape(url: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
      return parsePrometheusText(await res.text());
    } catch (err) {
      if (attempt >= 3) throw new Error(`GET ${url}: ${(err as Error).message} (${String((err as Error).cause ?? '')})`);
      await sleep(300);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Load and queries.


interface Saturation {
  acceptedPerS: number;
  exportedPerS: number;
  rssMaxMiB: number;
  /** Refused, failed, rejected or dropped items, in words; '' when none. */
  problems: string;
}

/**
 * Closed-loop load: CONCURRENCY senders, each posting its next request as soon as the last one
 * is answered, for WARMUP_S + `durationS` seconds. The rates come from the receiving process's
 * own counters between the end of the warm-up and the end of the load. The first trace id of
 * every 10th request goes to `ids` (for the query measurement).
 */
async function saturate(url: string, template: PayloadTemplate, durationS: number, read: () => Promise<CollectorReading>, ids?: string[]): Promise<Saturation> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let rejected = 0;
  let errors = 0;
  let n = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const { body, traceIds } = template.freshWithIds();
      if (ids && n++ % 10 === 0) ids.push(traceIds[0]!);
      try {
        const status = await post(url, agent, body, CONTENT_TYPE.protobuf);
        if (status < 200 || status >= 300) {
          rejected++;
          await sleep(50);
        }
      } catch {
        errors++;
        await sleep(50);
      }
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);
  let rssMax = 0;
  const rss = (r: CollectorReading) => (rssMax = Math.max(rssMax, r.rssMiB));
  try {
    await sleep(WARMUP_S * 1000);
    const first = await read();
    rss(first);
    const end = Date.now() + durationS * 1000;
    while (Date.now() < end) {
      await sleep(Math.min(1000, Math.max(0, end - Date.now())));
      // Only for the RSS peak: a missed reading costs nothing.
      await read().then(rss, () => {});
    }
    const last = await read();
    rss(last);
    const dt = (last.atMs - first.atMs) / 1000;
    const problems: string[] = [];
    const refused = last.refused - first.refused + (last.failed - first.failed);
    if (refused > 0) problems.push(`${refused} spans refused/failed by the receiver`);
    if (rejected > 0) problems.push(`${rejected} requests answered non-2xx`);
    if (errors > 0) problems.push(`${errors} requests failed`);
    if (last.exportFailed > first.exportFailed) problems.push(`${last.exportFailed - first.exportFailed} spans failed to export`);
    if (last.enqueueFailed > first.enqueueFailed) problems.push(`${last.enqueueFailed - first.enqueueFailed} spans dropped (queue full)`);
    return { acceptedPerS: (last.accepted - first.accepted) / dt, exportedPerS: (last.exported - first.exported) / dt, rssMaxMiB: rssMax, problems: problems.join('; ') };
  } finally {
    stop = true;
    await Promise.race([Promise.allSettled(workers), sleep(20_000)]);
    agent.destroy();
  }
}

/** Posts `requests` fresh payloads, CONCURRENCY at a time; how many were answered 2xx. */
async function sendRequests(url: string, template: PayloadTemplate, requests: number): Promise<{ ok: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < requests) {
      next++;
      const status = await post(url, agent, template.fresh(), CONTENT_TYPE.protobuf).catch(() => 0);
      if (status >= 200 && status < 300) ok++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return { ok };
}

/**
 * GETs `count` times, cycling through `urls`, one at a time, for at most QUERY_SERIES_MAX_MS;
 * the latencies of those answered 200 with at least one trace, and how many were not.
 */
async function timeQueries(urls: readonly string[], count: number): Promise<{ ms: number[]; failed: number }> {
  const ms: number[] = [];
  let failed = 0;
  if (urls.length === 0) return { ms, failed };
  const deadline = Date.now() + QUERY_SERIES_MAX_MS;
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    const t0 = performance.now();
    try {
      const res = await fetch(urls[i % urls.length]!, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as { data?: unknown[] };
      const t = performance.now() - t0;
      if (res.status === 200 && Array.isArray(body.data) && body.data.length > 0) ms.push(t);
      else failed++;
    } catch {
      failed++;
    }
  }
  return { ms, failed };
}

/** At most `n` items of `xs`, evenly spaced (first, ..., last). */
function spread<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return [...xs];
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * (xs.length - 1)) / Math.max(1, n - 1))]!);
}

/** Bytes of the files under `dir` (recursive): allocated on disk (st_blocks) and apparent (st_size). */
export function diskUsage(dir: string, include: (file: string) => boolean = () => true): { allocated: number; apparent: number } {
  let allocated = 0;
  let apparent = 0;
  if (!existsSync(dir)) return { allocated, apparent };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !include(entry.name)) continue;
    const st = statSync(join(entry.parentPath, entry.name));
    allocated += st.blocks * 512;
    apparent += st.size;
  }
  return { allocated, apparent };
}

/** Whether the preload's trace exporter goes through the byte-bounded span buffer (item 4). */
function bufferWired(): boolean {
  const dist = join(repoRoot, 'packages', 'otel-bootstrap', 'dist');
  if (!existsSync(dist)) return false;
  return readdirSync(dist).some(f => f.endsWith('.js') && !f.includes('.test.') && f !== 'buffered-exporter.js' && readFileSync(join(dist, f), 'utf8').includes('createBufferedOtlpExporter'));
}

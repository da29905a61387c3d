import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { COLLECTOR_OTLP_HTTP_URL, LOOPBACK, ports, repoRoot, tcpOpen, waitFor, type AlertTiming, type ServiceName, type StackEndpoints } from '@shopfloor/stack-contract';
import { alertmanager, alertWebhook } from './components/alertmanager';
import { collector } from './components/collector';
import { epmd, EPMD_PORT } from './components/epmd';
import { nodeExporter, postgresExporter } from './components/exporters';
import { jaeger } from './components/jaeger';
import { minio } from './components/minio';
import { mariadb, mysqlPassword, mysqlUrl } from './components/mariadb';
import { databaseUrl, postgres } from './components/postgres';
import { prometheus } from './components/prometheus';
import { amqpUrl, rabbitmq, rabbitmqctl } from './components/rabbitmq';
import { redis, redisUrl } from './components/redis';
import { service, serviceMetricsUrl, serviceNames, serviceUrl } from './components/services';
import { victoriaLogs, victoriaLogsUrl } from './components/victorialogs';
import { orderWatchdog, orderWatchdogUrl } from './components/order-watchdog';
import { readTools } from './paths';
import { claimStateDir } from './state-lock';
import { describeLeftovers, parseStat, STACK_MARKER, stopLeftovers, writeProcessRecord, type RecordedProcess } from './processes';
import { DEFAULT_BACKOFF } from './backoff';
import { ManagedProcess, type CrashReport } from './supervisor';
import type { ComponentSpec } from './types';

export interface StackOptions {
  /** Where data and logs go; default `.run/<profile>` in the repository. */
  profile?: string;
  /** Start from empty databases and queues. */
  fresh?: boolean;
  /** Extra environment per service (the services' fault-injection hooks, for tests). */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Extra environment of the order watchdog (tests: a journey with short deadlines, a faster check). */
  watchdogEnv?: Record<string, string>;
  /** Extra environment of MinIO (e.g. the tests' FAST_BUCKET_USAGE). */
  minioEnv?: Record<string, string>;
  /** Alerting for tests: where notifications go and how fast; the rule files stay the shipped ones. */
  alerting?: AlertingOptions;
  log?: (line: string) => void;
  /**
   * Aborts the start (e.g. Ctrl-C while it is still starting): what was started is stopped, then
   * start() rejects.
   */
  signal?: AbortSignal;
  /**
   * A component that was healthy exited without being stopped: where the report goes (default:
   * one line naming it and its exit code or signal, then its log tail, on stderr).
   */
  onCrash?: (report: CrashReport) => void;
}

export interface AlertingOptions {
  /**
   * Base URL of a webhook receiver of your own (e.g. a test's HTTP server): Alertmanager posts
   * to it, with the receiver's path (`/oncall`, `/support`, ...), and the stack's own
   * alert-webhook logger is not started.
   */
  webhookBase?: string;
  /** Prometheus rule evaluation interval (shipped: 15s). */
  evaluationInterval?: string;
  /** Alertmanager timing of every route (shipped: 30s / 5m / 4h, critical 10s). */
  timing?: AlertTiming;
}

/** Start-up waves: each wave starts in parallel once the one before is healthy. */
const WAVES: string[][] = [
  // RabbitMQ's port mapper first, so RabbitMQ's Erlang VM finds it and starts no daemon of its own.
  ['epmd'],
  ['postgres', 'rabbitmq', 'minio', 'redis', 'mariadb', 'victorialogs'],
  ['jaeger', 'prometheus', 'otel-collector', 'alertmanager', 'alert-webhook', 'node-exporter', 'postgres-exporter'],
  serviceNames,
  // Checks the services' records and queues, and sends its canary order to the shop.
  ['order-watchdog'],
];

/**
 * Restarted after a crash (1 s, doubling to 30 s; reset after 60 s up), like compose's
 * `restart: unless-stopped`: the reference services and the components that keep no state a
 * restart could harm. The data stores (PostgreSQL, RabbitMQ, MinIO, Redis, MariaDB, VictoriaLogs)
 * are reported, not restarted:
 * a crash there wants a look at its log first (disk full, corrupt data), not a restart loop.
 */
export const RESTARTED_ON_CRASH: readonly string[] = [
  ...serviceNames,
  'order-watchdog',
  'otel-collector',
  'jaeger',
  'prometheus',
  'alertmanager',
  'alert-webhook',
  'node-exporter',
  'postgres-exporter',
];

/** The whole stack as native processes on loopback. */
export class NativeStack {
  private readonly procs = new Map<string, ManagedProcess>();
  private release: () => void = () => {};
  private stopped?: Promise<void>;
  /** What runs now, per component, as written to `<stateDir>/processes.json` for the next start. */
  private readonly record = new Map<string, RecordedProcess>();
  readonly stateDir: string;
  readonly logDir: string;

  private constructor(private readonly opts: StackOptions) {
    this.stateDir = join(repoRoot, '.run', opts.profile ?? 'dev');
    this.logDir = join(this.stateDir, 'logs');
  }

  static async start(opts: StackOptions = {}): Promise<NativeStack> {
    const stack = new NativeStack(opts);
    mkdirSync(join(repoRoot, '.run'), { recursive: true });
    const profile = opts.profile ?? 'dev';
    const log = opts.log ?? ((line: string) => process.stderr.write(`[shopfloor] ${line}\n`));
    stack.release = claimStateDir(`${stack.stateDir}.lock`, profile);
    // The lock was free, so whatever the record or the marker still finds was left by a stack that
    // did not stop cleanly (killed with SIGKILL, a crashed machine's namespace, ...).
    try {
      const leftovers = await stopLeftovers(stack.stateDir);
      if (leftovers.length > 0) {
        log(`stopped what an earlier run of the "${profile}" stack left running: ${describeLeftovers(leftovers)}`);
      }
    } catch (err) {
      stack.release();
      throw err;
    }
    // An epmd that answers already is someone else's (another RabbitMQ): used, and left running.
    const ownEpmd = !(await tcpOpen(EPMD_PORT));
    if (!ownEpmd) log(`epmd already listens on ${EPMD_PORT}: RabbitMQ registers with it; the stack neither starts nor stops it`);
    if (opts.fresh) rmSync(stack.stateDir, { recursive: true, force: true });
    mkdirSync(stack.logDir, { recursive: true });
    const tools = readTools();
    const specs: ComponentSpec[] = [
      ...(ownEpmd ? [epmd()] : []),
      postgres(stack.stateDir),
      rabbitmq(stack.stateDir),
      minio(tools.minio, stack.stateDir, opts.minioEnv),
      victoriaLogs(tools.victorialogs, stack.stateDir),
      redis(stack.stateDir),
      // The initialized datadir is cached beside the profiles (survives `fresh`), once per version.
      mariadb(stack.stateDir, join(repoRoot, '.run')),
      collector(tools.otelcol, stack.stateDir),
      jaeger(tools.jaeger, stack.stateDir),
      prometheus(stack.stateDir, { evaluationInterval: opts.alerting?.evaluationInterval }),
      alertmanager(stack.stateDir, { webhookBase: opts.alerting?.webhookBase, timing: opts.alerting?.timing }),
      // A test that brings its own webhook receiver does not need the logger.
      ...(opts.alerting?.webhookBase ? [] : [alertWebhook()]),
      nodeExporter(),
      postgresExporter(),
      ...serviceNames.map((name) => service(name, opts.serviceEnv?.[name])),
      orderWatchdog(opts.watchdogEnv),
    ];
    for (const spec of specs) stack.procs.set(spec.name, stack.manage(spec));
    // Stopping kills what is starting, so the wave under way fails fast instead of finishing.
    const abort = () => void stack.stop();
    opts.signal?.addEventListener('abort', abort, { once: true });
    try {
      for (const wave of WAVES) {
        if (opts.signal?.aborted) break;
        await Promise.all(wave.filter((name) => stack.procs.has(name)).map((name) => stack.startComponent(name)));
      }
      if (opts.signal?.aborted) throw new Error('the start was aborted');
    } catch (err) {
      await stack.stop();
      throw opts.signal?.aborted ? new Error('the start was aborted') : err;
    } finally {
      opts.signal?.removeEventListener('abort', abort);
    }
    return stack;
  }

  get endpoints(): StackEndpoints {
    return {
      shopApi: serviceUrl('shop-api'),
      crmApi: serviceUrl('crm-api'),
      mesApi: serviceUrl('mes-api'),
      jaeger: `http://${LOOPBACK}:${ports.jaegerQuery}`,
      prometheus: `http://${LOOPBACK}:${ports.prometheus}`,
      collectorOtlpHttp: COLLECTOR_OTLP_HTTP_URL,
      collectorOtlpGrpc: `http://${LOOPBACK}:${ports.collectorOtlpGrpc}`,
      collectorSpanMetrics: `http://${LOOPBACK}:${ports.collectorSpanMetrics}/metrics`,
      collectorTelemetry: `http://${LOOPBACK}:${ports.collectorTelemetry}/metrics`,
      rabbitmqMetrics: `http://${LOOPBACK}:${ports.rabbitmqPrometheus}/metrics`,
      alertmanager: `http://${LOOPBACK}:${ports.alertmanager}`,
      nodeExporterMetrics: `http://${LOOPBACK}:${ports.nodeExporter}/metrics`,
      postgresExporterMetrics: `http://${LOOPBACK}:${ports.postgresExporter}/metrics`,
      victoriaLogs: victoriaLogsUrl,
      orderWatchdog: orderWatchdogUrl,
      serviceMetrics: Object.fromEntries(serviceNames.map((n) => [n, serviceMetricsUrl(n)])) as Record<ServiceName, string>,
      databaseUrl,
      amqpUrl,
      redisUrl,
      mysqlUrl: mysqlUrl(mysqlPassword(this.stateDir)),
    };
  }

  /** A supervised process for `spec`: crashes reported, and restarted where that is safe. */
  private manage(spec: ComponentSpec): ManagedProcess {
    // The marker is inherited by everything the component starts: a later start finds leftovers by it.
    return new ManagedProcess({ ...spec, env: { ...spec.env, [STACK_MARKER]: this.stateDir } }, this.logDir, {
      restart: RESTARTED_ON_CRASH.includes(spec.name) ? DEFAULT_BACKOFF : undefined,
      onCrash: this.opts.onCrash,
      onRestarted: (name, attempt) => this.opts.log?.(`${name} is up again (restart ${attempt})`),
      onSpawn: (name, pid) => this.recordSpawn(name, pid),
    });
  }

  /** Records a spawned component's pid and start time, so a start after a SIGKILL of this process can stop it. */
  private recordSpawn(component: string, pid: number): void {
    let startTime = Number.NaN;
    try {
      startTime = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.startTime ?? Number.NaN;
    } catch {
      // exited already: nothing to find later either
    }
    if (Number.isNaN(startTime)) return;
    this.record.set(component, { component, pid, startTime });
    writeProcessRecord(this.stateDir, [...this.record.values()]);
  }

  get components(): string[] {
    return [...this.procs.keys()];
  }

  private proc(name: string): ManagedProcess {
    const proc = this.procs.get(name);
    if (!proc) throw new Error(`unknown component ${name}; known: ${this.components.join(', ')}`);
    return proc;
  }

  async startComponent(name: string): Promise<void> {
    const t0 = Date.now();
    await this.proc(name).start();
    this.opts.log?.(`${name} is up (${Date.now() - t0} ms)`);
  }

  /**
   * Restarts one service with `extraEnv` on top of its start environment (e.g. a fault hook:
   * `CRM_FAULT_ERROR_RATE`); an empty `extraEnv` brings back the original environment.
   */
  async restartService(name: ServiceName, extraEnv: Record<string, string> = {}): Promise<void> {
    await this.stopComponent(name);
    const spec = service(name, { ...this.opts.serviceEnv?.[name], ...extraEnv });
    this.procs.set(name, this.manage(spec));
    await this.startComponent(name);
  }

  /** `rabbitmqctl <args>` against the stack's RabbitMQ node (e.g. `set_policy`); returns stdout. */
  rabbitmqctl(args: string[]): Promise<string> {
    return rabbitmqctl(this.stateDir, args);
  }

  async stopComponent(name: string): Promise<void> {
    await this.proc(name).stop();
    this.opts.log?.(`${name} stopped`);
  }

  /** SIGKILL to one component (a crash); resolves once its supervisor has it healthy again. */
  async crashComponent(name: string): Promise<void> {
    const proc = this.proc(name);
    const pid = proc.pid;
    if (pid === undefined) throw new Error(`${name} is not running`);
    if (!RESTARTED_ON_CRASH.includes(name)) throw new Error(`${name} is not restarted after a crash: kill it with stopComponent`);
    process.kill(pid, 'SIGKILL');
    this.opts.log?.(`${name} killed (SIGKILL, pid ${pid})`);
    await waitFor(async () => (proc.healthy && proc.pid !== pid ? true : undefined), {
      what: `${name} to be restarted after its SIGKILL`,
      timeoutMs: 120_000,
    });
  }

  /** SIGSTOP (`frozen`) or SIGCONT to one component: a hung process, and its recovery. */
  freezeComponent(name: string, frozen: boolean): void {
    const pid = this.proc(name).pid;
    if (pid === undefined) throw new Error(`${name} is not running`);
    process.kill(pid, frozen ? 'SIGSTOP' : 'SIGCONT');
    this.opts.log?.(`${name} ${frozen ? 'frozen (SIGSTOP)' : 'thawed (SIGCONT)'}`);
  }

  /**
   * Stops everything, newest wave first, so services flush their spans to a live Collector. A
   * second call (a second Ctrl-C) waits for the first instead of starting over.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      for (const wave of [...WAVES].reverse()) {
        await Promise.all(wave.map((name) => this.procs.get(name)?.stop()));
      }
      this.release();
    })();
    return this.stopped;
  }
}

import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { overrideEnvironment } from './scenario-env';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { renderAlertmanagerConfig } from '@shopfloor/native-stack';
import {
  configPaths, DEV_PARTNER, FAST_ALERTING, FAST_BUCKET_USAGE, LOOPBACK, ports, repoRoot, waitFor, type ServiceName, type Stack, type StackUpOptions,
} from '@shopfloor/stack-contract';
import { HOST_GATEWAY_NAME } from './docker-host';
import { fasterHealthcheck, type Healthcheck } from './healthcheck';

const run = promisify(execFile);

/**
 * `E2E_PROFILE` (default `e2e`) names the project and its state directory, and
 * `E2E_CONTAINERS_ADDRESS` (default 127.0.0.1) is the loopback address its ports are published
 * on: two stacks side by side (the suite's shards, e2e/src/runner) differ in both. A fixed name
 * per profile: a run interrupted before its cleanup is swept by the next one.
 */
const PROFILE = process.env.E2E_PROFILE ?? 'e2e';
const PROJECT = `shopfloor-${PROFILE}`;
const STATE_DIR = join(repoRoot, '.run', `containers-${PROFILE}`);
const ADDRESS = ((): string => {
  const address = process.env.E2E_CONTAINERS_ADDRESS ?? LOOPBACK;
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) throw new Error(`E2E_CONTAINERS_ADDRESS=${address} is not a loopback address (127.x.y.z)`);
  return address;
})();
/** The file Docker users run, unchanged, then the stand-in images (never an edit of the first). */
const COMPOSE_FILES = [join(repoRoot, 'compose', 'docker-compose.yaml'), join(__dirname, '..', 'standins', 'compose.standins.yaml')];
const RUN_FILE = join(STATE_DIR, 'compose.run.yaml');
const ENV_FILE = join(STATE_DIR, '.env');
const UP_TIMEOUT_MS = 300_000;
const HEALTHY_TIMEOUT_MS = 180_000;

/**
 * Internal ports the scenarios observe directly (metrics endpoints, the databases, the broker),
 * published on loopback by the e2e override only, at the port numbers of the native stack
 * (docs/ports.md). The users' file publishes none of them.
 */
const OBSERVED_PORTS: Record<string, number[]> = {
  postgres: [ports.postgres],
  rabbitmq: [ports.rabbitmqAmqp, ports.rabbitmqPrometheus],
  'otel-collector': [ports.collectorSpanMetrics, ports.collectorTelemetry],
  'node-exporter': [ports.nodeExporter],
  'postgres-exporter': [ports.postgresExporter],
  'shop-api': [ports.shopApiMetrics],
  'crm-api': [ports.crmApiMetrics],
  'mes-api': [ports.mesApiMetrics],
};

/**
 * The users' health checks, polled more often: the start order waits on each one in turn
 * (`service_healthy`), and at their 10 s intervals much of a start is waiting for the next probe
 * (Docker 20.10 has no `start_interval`). The probes, their start periods and the time they may
 * keep failing (interval x retries) stay the users': only the retries are scaled up.
 *
 * Not faster than 5 s: the probes run for the stack's whole life, and each is a process started
 * in its container (RabbitMQ's boots an Erlang VM: 0.5 s of CPU). Measured on 2 cores, an idle
 * stack took 61 % of the machine at 2 s, 27 % at 5 s, 17 % at 10 s; a start took 25, 33 and 57 s.
 */
const HEALTH_INTERVAL_S = 5;
function usersServices(): Record<string, { healthcheck?: Healthcheck; environment?: Record<string, unknown> }> {
  return (parse(readFileSync(COMPOSE_FILES[0]!, 'utf8'), { merge: true }) as { services: ReturnType<typeof usersServices> }).services;
}

function usersHealthchecks(): (readonly [string, Healthcheck])[] {
  return Object.entries(usersServices()).flatMap(([name, spec]) => (spec.healthcheck ? [[name, spec.healthcheck] as const] : []));
}


/** The secret values of the running stack's compose/.env (renderEnvFile). */
const runSecrets: string[] = [];

interface InspectedConfig {
  Env: string[] | null;
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  Labels: Record<string, string> | null;
  Healthcheck?: { Test?: string[] };
}

/**
 * What `docker inspect` shows of the stack's containers (the one-shots' too) that holds one of
 * this run's secrets: each environment variable (`<container> env <VAR>`), command, entrypoint,
 * label or health check; and how many containers were looked at.
 */
export function secretsShownByInspect(): { containers: number; found: string[] } {
  if (runSecrets.length === 0) throw new Error('no containers stack was brought up by this process');
  const ids = execFileSync('docker', ['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  if (ids.length === 0) return { containers: 0, found: [] };
  const inspected = JSON.parse(execFileSync('docker', ['inspect', ...ids], { encoding: 'utf8' })) as { Name: string; Config: InspectedConfig }[];
  const holdsSecret = (text: string): boolean => runSecrets.some((secret) => text.includes(secret));
  const found = inspected.flatMap(({ Name, Config }) => {
    const where = (what: string) => `${Name.replace(/^\//, '')} ${what}`;
    return [
      ...(Config.Env ?? []).filter((kv) => holdsSecret(kv.slice(kv.indexOf('=') + 1))).map((kv) => where(`env ${kv.slice(0, kv.indexOf('='))}`)),
      ...Object.entries(Config.Labels ?? {}).filter(([, v]) => holdsSecret(v)).map(([k]) => where(`label ${k}`)),
      ...([['command', Config.Cmd], ['entrypoint', Config.Entrypoint], ['health check', Config.Healthcheck?.Test]] as const)
        .filter(([, argv]) => holdsSecret((argv ?? []).join(' ')))
        .map(([what]) => where(what)),
    ];
  });
  return { containers: inspected.length, found };
}

/**
 * A secret for this run as a user would make one: random, and holding the characters that break a
 * URL or a config file left unencoded (`/ + = @ :` and a space, as issue 21 asks). Tokens go into
 * HTTP headers: base64 (`/ + =`), no space. Nor has POSTGRES_PASSWORD one: postgres_exporter
 * (v0.19.1, the compose file's) splits its connection string on spaces, answers no pg_settings_*,
 * pg_stat_activity_* or custom query metric, and logs the password (compose/.env.example says so).
 */
function randomSecret(name: string): string {
  const base64 = randomBytes(18).toString('base64');
  if (/TOKEN$/.test(name)) return `${base64}/+=`;
  const space = name === 'POSTGRES_PASSWORD' ? '' : ' ';
  return `${base64.slice(0, 12)}/+=@:${space}${base64.slice(12)}`;
}

/**
 * Secrets for compose/.env: every key of compose/.env.example, the empty ones (the secrets) random
 * for this run; MES_PARTNER_KEYS is the partner the scenarios call MES as.
 */
function renderEnvFile(): Record<string, string> {
  const env: Record<string, string> = {};
  runSecrets.length = 0;
  for (const line of readFileSync(join(repoRoot, 'compose', '.env.example'), 'utf8').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    env[m[1]!] = m[2] || randomSecret(m[1]!);
    if (!m[2]) runSecrets.push(env[m[1]!]!);
  }
  env.MES_PARTNER_KEYS = `${DEV_PARTNER.id}:${DEV_PARTNER.key}`;
  runSecrets.push(env.MES_PARTNER_KEYS);
  env.SHOPFLOOR_BIND = ADDRESS;
  // Single quotes: compose reads the value literally (spaces, `#`, `$`).
  writeFileSync(ENV_FILE, Object.entries(env).map(([k, v]) => `${k}='${v}'\n`).join(''), { mode: 0o600 });
  return env;
}

/** Prometheus' config as compose mounts it, evaluating every 5 s (the rules stay the shipped ones). */
function renderPrometheusConfig(): string {
  const config = parse(readFileSync(configPaths.prometheus, 'utf8')) as { global?: Record<string, unknown> };
  config.global = { ...config.global, evaluation_interval: FAST_ALERTING.evaluationInterval };
  return stringify(config);
}

/** Removes every container, network and volume of the project (what `compose down -v` removes), by label. */
function sweep(): void {
  const label = `label=com.docker.compose.project=${PROJECT}`;
  const ids = (kind: string[]): string[] =>
    execFileSync('docker', [...kind, '-q', '--filter', label], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const containers = ids(['ps', '-a']);
  if (containers.length) execFileSync('docker', ['rm', '-f', '-v', ...containers], { stdio: 'ignore' });
  const networks = ids(['network', 'ls']);
  if (networks.length) execFileSync('docker', ['network', 'rm', ...networks], { stdio: 'ignore' });
  const volumes = ids(['volume', 'ls']);
  if (volumes.length) execFileSync('docker', ['volume', 'rm', '-f', ...volumes], { stdio: 'ignore' });
}

/**
 * The contract's `Stack` as compose/docker-compose.yaml brought up through testcontainers' compose
 * support, with the stand-in images of standins/compose.standins.yaml and a generated override for
 * what the scenarios need (observed ports, fault environment, fast alerting, health polled every
 * 2 s). Grafana is not started (no image of it can be had here).
 */
export async function containersTestStack(opts: StackUpOptions = {}): Promise<Stack> {
  // Loaded here, not with the package: its dashboards and Docker helpers come without testcontainers.
  const { DockerComposeEnvironment, PullPolicy } = await import('testcontainers');
  const log = (line: string): void => {
    process.stderr.write(`# [containers] ${line}\n`);
  };
  rmSync(STATE_DIR, { recursive: true, force: true });
  mkdirSync(STATE_DIR, { recursive: true });
  sweep();
  const secrets = renderEnvFile();

  const configMounts: Record<string, string[]> = {};
  if (opts.fastAlerting) {
    writeFileSync(join(STATE_DIR, 'prometheus.yml'), renderPrometheusConfig());
    configMounts.prometheus = [`${join(STATE_DIR, 'prometheus.yml')}:/etc/prometheus/prometheus.yml:ro`];
  }
  if (opts.fastAlerting || opts.alertWebhookBase) {
    // Template paths resolve inside the container, where compose mounts compose/alertmanager.
    const source = readFileSync(configPaths.alertmanager, 'utf8');
    const rendered = renderAlertmanagerConfig(source, '/etc/alertmanager', {
      webhookBase: opts.alertWebhookBase,
      timing: opts.fastAlerting ? FAST_ALERTING.timing : undefined,
    });
    writeFileSync(join(STATE_DIR, 'alertmanager.yml'), rendered);
    configMounts.alertmanager = [`${join(STATE_DIR, 'alertmanager.yml')}:/etc/alertmanager/alertmanager.yml:ro`];
  }
  const extraEnv: Record<string, Record<string, string>> = { 'order-watchdog': { ...opts.watchdogEnv }, minio: { ...FAST_BUCKET_USAGE } };
  if (opts.watchdogJourney) {
    writeFileSync(join(STATE_DIR, 'journey.yaml'), opts.watchdogJourney, { mode: 0o644 });
    configMounts['order-watchdog'] = [`${join(STATE_DIR, 'journey.yaml')}:/etc/order-watchdog/journey.yaml:ro`];
    extraEnv['order-watchdog']!.WATCHDOG_JOURNEY = '/etc/order-watchdog/journey.yaml';
  }
  const healthchecks = usersHealthchecks();
  const users = usersServices();
  const writeRunFile = (): void => {
    const services: Record<string, Record<string, unknown>> = {};
    const svc = (name: string) => (services[name] ??= {});
    for (const [name, users] of healthchecks) svc(name).healthcheck = fasterHealthcheck(users, HEALTH_INTERVAL_S);
    for (const [name, list] of Object.entries(OBSERVED_PORTS)) svc(name).ports = list.map((p) => `${ADDRESS}:${p}:${p}`);
    for (const [name, mounts] of Object.entries(configMounts)) svc(name).volumes = mounts;
    for (const [name, env] of Object.entries(extraEnv)) if (Object.keys(env).length) svc(name).environment = overrideEnvironment(users[name]?.environment, env);
    // A receiver on a host without a bridge address is reached by this name (dockerHostAddress).
    svc('alertmanager').extra_hosts = [`${HOST_GATEWAY_NAME}:host-gateway`];
    writeFileSync(RUN_FILE, stringify({ services }));
  };
  writeRunFile();
  const files = [...COMPOSE_FILES, RUN_FILE];

  const compose = async (args: string[]): Promise<string> => {
    const argv = ['compose', '-p', PROJECT, ...files.flatMap((f) => ['-f', f]), '--env-file', ENV_FILE, ...args];
    try {
      return (await run('docker', argv, { maxBuffer: 256 * 1024 * 1024 })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`docker ${argv.slice(0, 3).join(' ')} … ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
    }
  };
  const healthOf = async (service: string): Promise<string> => {
    const out = await compose(['ps', '-a', '--format', '{{.State}} {{.Health}}', service]);
    return out.trim() || 'absent';
  };
  const waitHealthy = (service: string): Promise<boolean> =>
    waitFor(
      async () => {
        const state = await healthOf(service);
        if (state !== 'running healthy') throw new Error(`${service} is ${state}`);
        return true;
      },
      { timeoutMs: HEALTHY_TIMEOUT_MS, what: `${service} healthy` },
    );

  // Interrupted (Ctrl-C, the runner's timeout): nothing may stay behind.
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: removing the project's containers, networks and volumes`);
    sweep();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const forgetSignals = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };

  const started = Date.now();
  log(`building the services' images and starting ${PROJECT} (compose/docker-compose.yaml + stand-ins)`);
  const up = () =>
    new DockerComposeEnvironment(repoRoot, files)
      .withProjectName(PROJECT)
      .withEnvironmentFile(ENV_FILE)
      .withBuild()
      // No registry here: every image is local (stand-ins, or built by compose).
      .withPullPolicy(PullPolicy.neverPull())
      // Ryuk, testcontainers' reaper, is an image that cannot be pulled here: this stack removes
      // what it started itself (down(), the signal handlers, the sweep before the next up).
      .withAutoCleanup(false)
      .withStartupTimeout(UP_TIMEOUT_MS)
      .up();
  let environment;
  for (let attempt = 1; ; attempt++) {
    try {
      environment = await up();
      break;
    } catch (err) {
      const message = (err as Error).message;
      const unhealthy = new RegExp(`container ${PROJECT}-([\\w-]+)-\\d+ is unhealthy`).exec(message)?.[1];
      // What the failing container said and its health probes' last answers, for the record.
      const logs = await compose(['logs', '--no-color', '--tail', unhealthy ? '60' : '20', ...(unhealthy ? [unhealthy] : [])]).catch(() => '');
      const health = unhealthy
        ? await compose(['ps', '-a', '-q', unhealthy]).then((id) => run('docker', ['inspect', '-f', '{{json .State}}', id.trim()])).then((r) => r.stdout, () => '')
        : '';
      // Seen once on a cold run: RabbitMQ reported unhealthy within 20 s of its first start while
      // the native suite's fault scenario loaded both cores (cause not found yet). One more
      // start, from nothing, after saying so; a second failure fails the run.
      if (attempt === 1 && unhealthy) {
        log(`the stack did not come up (${unhealthy} unhealthy); its state: ${health.trim()}\n${logs}\nremoving it and starting once more`);
        sweep();
        continue;
      }
      forgetSignals();
      sweep();
      throw new Error(`the compose stack did not come up: ${message}\n${health}\n${logs}`);
    }
  }
  log(`up in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const login = (password: string): string => `shopfloor:${encodeURIComponent(password)}@`;
  const ui = login(secrets.JAEGER_UI_PASSWORD!);
  const url = (port: number, path = '', auth = ''): string => `http://${auth}${ADDRESS}:${port}${path}`;
  const serviceMetrics: Record<ServiceName, string> = {
    'shop-api': url(ports.shopApiMetrics, '/metrics'),
    'crm-api': url(ports.crmApiMetrics, '/metrics'),
    'mes-api': url(ports.mesApiMetrics, '/metrics'),
  };
  const unavailable = (what: string): string => `${what}: not part of compose/docker-compose.yaml`;

  return {
    endpoints: {
      shopApi: url(ports.shopApi),
      crmApi: url(ports.crmApi),
      mesApi: url(ports.mesApi),
      jaeger: url(ports.jaegerQuery, '', ui),
      prometheus: url(ports.prometheus, '', login(secrets.PROMETHEUS_PASSWORD!)),
      collectorOtlpHttp: url(ports.collectorOtlpHttp),
      collectorOtlpGrpc: url(ports.collectorOtlpGrpc),
      collectorSpanMetrics: url(ports.collectorSpanMetrics, '/metrics'),
      collectorTelemetry: url(ports.collectorTelemetry, '/metrics'),
      rabbitmqMetrics: url(ports.rabbitmqPrometheus, '/metrics'),
      alertmanager: url(ports.alertmanager, '', login(secrets.ALERTMANAGER_PASSWORD!)),
      nodeExporterMetrics: url(ports.nodeExporter, '/metrics'),
      postgresExporterMetrics: url(ports.postgresExporter, '/metrics'),
      victoriaLogs: url(ports.victoriaLogs, '', ui),
      orderWatchdog: url(ports.orderWatchdog, '', ui),
      serviceMetrics,
      databaseUrl: (db) => `postgres://shopfloor:${encodeURIComponent(secrets.POSTGRES_PASSWORD!)}@${ADDRESS}:${ports.postgres}/${db}`,
      amqpUrl: `amqp://${secrets.RABBITMQ_USER}:${encodeURIComponent(secrets.RABBITMQ_PASSWORD!)}@${ADDRESS}:${ports.rabbitmqAmqp}`,
      redisUrl: unavailable('Redis'),
      mysqlUrl: unavailable('MariaDB'),
    },
    otlpEnv: {
      OTEL_EXPORTER_OTLP_ENDPOINT: url(ports.collectorOtlpHttp),
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${encodeURIComponent(secrets.OTLP_TOKEN!)}`,
    },
    stopComponent: async (name) => {
      await compose(['stop', name]);
    },
    startComponent: async (name) => {
      await compose(['start', name]);
      await waitHealthy(name);
    },
    crashComponent: async (name) => {
      // SIGKILL to the container's main process from the host, as a crash: `docker kill` would
      // count as a deliberate stop, which restart policies leave alone.
      const id = (await compose(['ps', '-q', name])).trim();
      const inspect = async (): Promise<{ pid: number; restarts: number }> => {
        const [pid, restarts] = (await run('docker', ['inspect', '-f', '{{.State.Pid}} {{.RestartCount}}', id])).stdout.trim().split(' ').map(Number);
        return { pid: pid!, restarts: restarts! };
      };
      const before = await inspect();
      if (!before.pid) throw new Error(`${name} is not running`);
      process.kill(before.pid, 'SIGKILL');
      log(`${name} killed (SIGKILL, host pid ${before.pid})`);
      await waitFor(async () => ((await inspect()).restarts > before.restarts ? true : undefined), {
        timeoutMs: HEALTHY_TIMEOUT_MS,
        what: `Docker to restart ${name} after its SIGKILL (restart policy)`,
      });
      await waitHealthy(name);
    },
    restartAll: async () => {
      await compose(['stop']);
      // The same containers and volumes, started again in dependency order; then every
      // long-running one healthy (one-shot set-up containers run again and exit).
      await compose(['start']);
      await waitFor(
        async () => {
          const rows = (await compose(['ps', '-a', '--format', '{{.Service}} {{.State}} {{.Health}} {{.ExitCode}}'])).trim().split('\n');
          const waiting = rows.filter((r) => {
            const [, state, health, exit] = r.split(' ');
            return state === 'running' ? health !== '' && health !== 'healthy' : !(state === 'exited' && exit === '0');
          });
          if (waiting.length) throw new Error(`not yet up: ${waiting.join('; ')}`);
          return true;
        },
        { timeoutMs: HEALTHY_TIMEOUT_MS, what: 'every container up again after the restart' },
      );
    },
    freezeComponent: async (name, frozen) => {
      await compose([frozen ? 'pause' : 'unpause', name]);
    },
    restartService: async (name, env = {}) => {
      extraEnv[name] = env;
      writeRunFile();
      // Recreated with the new environment; the others keep running.
      await compose(['up', '-d', '--no-deps', '--force-recreate', name]);
      await waitHealthy(name);
    },
    rabbitmqctl: (args) => compose(['exec', '-T', 'rabbitmq', 'rabbitmqctl', ...args]),
    serviceStdout: (name) => compose(['logs', '--no-color', '--no-log-prefix', name]),
    down: async () => {
      try {
        await environment.down({ removeVolumes: true, timeout: 10_000 });
      } finally {
        // Also what down() may have missed (containers created by a restart, a failed down).
        sweep();
        forgetSignals();
      }
    },
  };
}

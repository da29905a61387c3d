import { join } from 'node:path';
import { readSecretEnv } from '@shopfloor/secret-env';
import { MIN_TOKEN_LENGTH } from './operator';

/** The watchdog's settings, all from the environment (README.md lists them). */
export interface WatchdogConfig {
  journeyPath: string;
  host: string;
  port: number;
  /** PostgreSQL URL of the watchdog's own database, where its state is kept (may carry a password: never log it). */
  stateDatabaseUrl: string;
  checkIntervalMs: number;
  batchSize: number;
  startLookbackMs: number;
  forgetAfterMs: number;
  amqpUrl: string;
  rabbitmqMetricsUrl?: string;
  jaegerUrl?: string;
  jaegerUiUrl?: string;
  /** A dashboard of the flow (Grafana's `/d/<uid>`): the order page links to it around the order's time. */
  grafanaDashboardUrl?: string;
  /** VictoriaLogs (LogsQL), for the log lines on an order's page; may carry `user:password@` (never logged or shown). */
  victoriaLogsUrl?: string;
  alertmanagerUrl?: string;
  alertResendMs: number;
  resolvedResendMs: number;
  telemetryGiveUpMs: number;
  publicUrl: string;
  canaryIntervalMs: number;
  /** Who may replay (README "Replay"); none: nobody, the page is read-only. Never logged. */
  operatorToken?: string;
  /** Most messages a replay sends per second. */
  replayRatePerS: number;
}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name}=${raw} is not a number ≥ ${min}`);
  return value;
}

function opt(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** An optional http(s) URL, checked at start; the message never repeats the value (it may hold a password). */
function httpUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = opt(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} is not a URL (http://[user:password@]host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name} is not an http:// or https:// URL`);
  return raw;
}

/** A required postgres:// URL naming a database; the message never repeats the value (it holds a password). */
function postgresUrl(env: NodeJS.ProcessEnv, name: string): string {
  const raw = opt(env, name);
  if (raw === undefined) throw new Error(`${name} is required: the PostgreSQL database of the watchdog's state (README.md, "Restarts")`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} is not a URL (postgres://user:password@host:port/database)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error(`${name} is not a postgres:// URL`);
  if (url.pathname.replace(/^\//, '') === '') throw new Error(`${name} names no database (postgres://user:password@host:port/database)`);
  return raw;
}

/** Optional; when set, long enough not to be guessed (the message never repeats it). */
function operatorToken(env: NodeJS.ProcessEnv): string | undefined {
  const token = opt(env, 'WATCHDOG_OPERATOR_TOKEN');
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) throw new Error(`WATCHDOG_OPERATOR_TOKEN is shorter than ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 24)`);
  return token;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): WatchdogConfig {
  const port = num(env, 'WATCHDOG_PORT', 8084, 0);
  const jaegerUrl = opt(env, 'WATCHDOG_JAEGER_URL');
  return {
    journeyPath: journeyPathOf(env),
    host: opt(env, 'WATCHDOG_HOST') ?? '0.0.0.0',
    port,
    stateDatabaseUrl: postgresUrl(env, 'WATCHDOG_STATE_DATABASE_URL'),
    checkIntervalMs: num(env, 'WATCHDOG_CHECK_INTERVAL_MS', 10_000, 100),
    batchSize: num(env, 'WATCHDOG_BATCH_SIZE', 1000, 1),
    startLookbackMs: num(env, 'WATCHDOG_START_LOOKBACK_MS', 10 * 60_000),
    forgetAfterMs: num(env, 'WATCHDOG_FORGET_AFTER_MS', 24 * 3_600_000, 1000),
    amqpUrl: opt(env, 'WATCHDOG_AMQP_URL') ?? 'amqp://guest:guest@127.0.0.1:5672',
    rabbitmqMetricsUrl: opt(env, 'WATCHDOG_RABBITMQ_METRICS_URL'),
    jaegerUrl,
    jaegerUiUrl: opt(env, 'WATCHDOG_JAEGER_UI_URL') ?? jaegerUrl,
    grafanaDashboardUrl: opt(env, 'WATCHDOG_GRAFANA_DASHBOARD_URL'),
    victoriaLogsUrl: httpUrl(env, 'WATCHDOG_VICTORIALOGS_URL'),
    alertmanagerUrl: opt(env, 'WATCHDOG_ALERTMANAGER_URL'),
    alertResendMs: num(env, 'WATCHDOG_ALERT_RESEND_MS', 60_000, 100),
    resolvedResendMs: num(env, 'WATCHDOG_RESOLVED_RESEND_MS', 15 * 60_000),
    telemetryGiveUpMs: num(env, 'WATCHDOG_TELEMETRY_GIVE_UP_MS', 10 * 60_000),
    publicUrl: (opt(env, 'WATCHDOG_PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/$/, ''),
    canaryIntervalMs: num(env, 'WATCHDOG_CANARY_INTERVAL_MS', 0),
    operatorToken: operatorToken(env),
    replayRatePerS: num(env, 'WATCHDOG_REPLAY_RATE', 50, 1),
  };
}

/** WATCHDOG_JOURNEY, else the shipped journey (read before the secrets: it names database URLs). */
export function journeyPathOf(env: NodeJS.ProcessEnv = process.env): string {
  return opt(env, 'WATCHDOG_JOURNEY') ?? join(__dirname, '..', 'journeys', 'shopfloor.yaml');
}

/**
 * The environment with the watchdog's secrets read, each from its variable or from the file
 * `<NAME>_FILE` names (compose secrets): WATCHDOG_DB_PASSWORD goes into
 * WATCHDOG_STATE_DATABASE_URL and the journey's database URLs (`databaseUrlEnvs`, its
 * `databases.*.url_env`), WATCHDOG_AMQP_PASSWORD into WATCHDOG_AMQP_URL,
 * WATCHDOG_ALERTMANAGER_PASSWORD into WATCHDOG_ALERTMANAGER_URL (percent-encoded: those URLs then
 * name only the user); WATCHDOG_OPERATOR_TOKEN. Throws naming the variables, never a value.
 */
export function readSecrets(env: NodeJS.ProcessEnv = process.env, databaseUrlEnvs: readonly string[] = []): NodeJS.ProcessEnv {
  return readSecretEnv(env, [
    { name: 'WATCHDOG_DB_PASSWORD', intoUrls: [...new Set(['WATCHDOG_STATE_DATABASE_URL', ...databaseUrlEnvs])] },
    { name: 'WATCHDOG_AMQP_PASSWORD', intoUrls: ['WATCHDOG_AMQP_URL'] },
    { name: 'WATCHDOG_ALERTMANAGER_PASSWORD', intoUrls: ['WATCHDOG_ALERTMANAGER_URL'] },
    { name: 'WATCHDOG_OPERATOR_TOKEN' },
  ]);
}

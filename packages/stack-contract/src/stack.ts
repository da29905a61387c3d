/** The three reference services. */
export type ServiceName = 'shop-api' | 'crm-api' | 'mes-api';

/** Where a running stack's parts answer (behind a login, the URL carries it: `http://user:password@host:port`). */
export interface StackEndpoints {
  shopApi: string;
  crmApi: string;
  mesApi: string;
  /** Jaeger query HTTP API (and UI, where its assets were built). */
  jaeger: string;
  prometheus: string;
  /** The Collector's OTLP/HTTP receiver (`http://127.0.0.1:4318`; `/v1/traces` etc.). */
  collectorOtlpHttp: string;
  /** The Collector's OTLP/gRPC receiver (`http://127.0.0.1:4317`). */
  collectorOtlpGrpc: string;
  collectorSpanMetrics: string;
  /** The Collector's own metrics (`otelcol_*`: queue sizes, sent and failed items). */
  collectorTelemetry: string;
  rabbitmqMetrics: string;
  /** Alertmanager's API and UI. */
  alertmanager: string;
  nodeExporterMetrics: string;
  postgresExporterMetrics: string;
  /**
   * VictoriaLogs (`http://127.0.0.1:9428`): LogsQL on `/select/logsql/query`, its web UI on
   * `/select/vmui/`, OTLP logs in on `/insert/opentelemetry/v1/logs`.
   */
  victoriaLogs: string;
  /** The order watchdog: its page ("Where is my order?"), /api/..., /metrics. */
  orderWatchdog: string;
  /** Each service's Prometheus endpoint (the preload's /metrics). */
  serviceMetrics: Record<ServiceName, string>;
  databaseUrl: (db: 'shop' | 'crm' | 'mes') => string;
  amqpUrl: string;
  /** Redis on loopback, no password: `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /**
   * MariaDB database `foreign` as user `shopfloor` with the stack's generated password:
   * `mysql://shopfloor:<password>@127.0.0.1:3306/foreign` (mysql2 takes it as `uri`).
   */
  mysqlUrl: string;
}

export interface StackUpOptions {
  /**
   * Base URL of a webhook receiver the test runs: Alertmanager posts every notification there,
   * with the receiver's path (`/oncall`, `/support`, `/developers`, `/operations`).
   */
  alertWebhookBase?: string;
  /**
   * Alerts within test time: Prometheus evaluates every 5 s and Alertmanager sends after 1 s.
   * The rule files, thresholds and `for:` durations stay the shipped ones.
   */
  fastAlerting?: boolean;
  /** Extra environment of the order watchdog (e.g. a faster check). */
  watchdogEnv?: Record<string, string>;
  /** The order watchdog's journey (YAML text, e.g. with short deadlines) instead of the shipped one. */
  watchdogJourney?: string;
}

/**
 * What the scenarios need from a running stack, whichever runner brought it up: native processes
 * (`nativeTestStack` of @shopfloor/native-stack) or compose in Docker (`containersTestStack` of
 * @shopfloor/compose-stack).
 */
export interface Stack {
  readonly endpoints: StackEndpoints;
  /** Stop one component (e.g. `otel-collector`) to inject a fault; `startComponent` brings it back. */
  stopComponent(name: string): Promise<void>;
  startComponent(name: string): Promise<void>;
  /**
   * Kill one component with SIGKILL, as a crash would (no shutdown, no flush), and resolve once
   * what supervises it (the native supervisor, Docker's restart policy) has it healthy again.
   */
  crashComponent(name: string): Promise<void>;
  /** Freeze one component (SIGSTOP; `docker pause`): a hung process that holds its sockets open. `false` thaws it. */
  freezeComponent(name: string, frozen: boolean): Promise<void>;
  /** Restart one service with extra environment (its fault hooks); `{}` restores its normal start. */
  restartService(name: ServiceName, env?: Record<string, string>): Promise<void>;
  /** `rabbitmqctl <args>` against the stack's broker (operator actions such as a policy); returns stdout. */
  rabbitmqctl(args: string[]): Promise<string>;
  /** What a service (or the order watchdog) wrote to stdout since the stack came up (its JSON log lines). */
  serviceStdout(name: ServiceName | 'order-watchdog'): Promise<string>;
  /**
   * The OTLP settings an app outside the stack needs to send to its Collector
   * (`OTEL_EXPORTER_OTLP_ENDPOINT`, and `OTEL_EXPORTER_OTLP_HEADERS` where ingest needs a token).
   */
  readonly otlpEnv: Readonly<Record<string, string>>;
  /**
   * Stop every component and start them again, keeping all their data (what a user's
   * `npm start` after a stop, or `docker compose stop` and `up`, does). Endpoints stay the same.
   */
  restartAll(): Promise<void>;
  down(): Promise<void>;
}

/** How to run one component of the stack as a native process. */
export interface ComponentSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Ports it will listen on, checked to be free before it starts. */
  ports: Record<string, number>;
  /** One-time preparation (data directories, rendered config). */
  prepare?: () => Promise<void>;
  /** True once the component serves. */
  healthy: () => Promise<boolean>;
  /** Work after it is healthy (create databases, ...). */
  afterStart?: () => Promise<void>;
  stopSignal?: NodeJS.Signals;
  startTimeoutMs?: number;
}

export type ServiceName = 'shop-api' | 'crm-api' | 'mes-api';

export interface StackEndpoints {
  shopApi: string;
  crmApi: string;
  mesApi: string;
  /** Jaeger query HTTP API (and UI, where its assets were built). */
  jaeger: string;
  prometheus: string;
  collectorSpanMetrics: string;
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

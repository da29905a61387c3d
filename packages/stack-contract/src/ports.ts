/** The port plan (docs/ports.md): the same ports in the native stack and in compose. */
export const ports = {
  postgres: 5432,
  rabbitmqAmqp: 5672,
  rabbitmqPrometheus: 15692,
  collectorOtlpGrpc: 4317,
  collectorOtlpHttp: 4318,
  collectorSpanMetrics: 8889,
  collectorTelemetry: 8888,
  collectorHealth: 13133,
  jaegerOtlpGrpc: 14317,
  jaegerOtlpHttp: 14318,
  jaegerQuery: 16686,
  jaegerQueryGrpc: 16685,
  jaegerTelemetry: 14269,
  jaegerHealth: 14133,
  prometheus: 9090,
  alertmanager: 9093,
  alertWebhook: 9095,
  nodeExporter: 9100,
  postgresExporter: 9187,
  minioApi: 9000,
  minioConsole: 9001,
  victoriaLogs: 9428,
  redis: 6379,
  mariadb: 3306,
  shopApi: 8081,
  shopApiMetrics: 9461,
  crmApi: 8082,
  crmApiMetrics: 9462,
  mesApi: 8083,
  mesApiMetrics: 9463,
  orderWatchdog: 8084,
} as const;

export const LOOPBACK = '127.0.0.1';

/** Where an app on this host sends OTLP/HTTP: the stack's Collector. */
export const COLLECTOR_OTLP_HTTP_URL = `http://${LOOPBACK}:${ports.collectorOtlpHttp}`;

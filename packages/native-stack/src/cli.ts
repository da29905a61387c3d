#!/usr/bin/env node
import { OrderGenerator } from './generator';
import { DEV_PARTNER } from './components/services';
import { NativeStack } from './stack';

const log = (line: string) => process.stdout.write(`[shopfloor] ${line}\n`);

async function start(): Promise<void> {
  const t0 = Date.now();
  log('starting PostgreSQL, RabbitMQ, MinIO, Redis, MariaDB, VictoriaLogs, Jaeger, Prometheus, Alertmanager, exporters, the Collector, the three services and the order watchdog ...');
  const stack = await NativeStack.start({ profile: 'dev', log });
  const e = stack.endpoints;
  const interval = Number(process.env.ORDER_INTERVAL_MS ?? 2000);
  const generator = new OrderGenerator(e.shopApi, interval, log);
  generator.start();
  log(`all healthy in ${((Date.now() - t0) / 1000).toFixed(1)} s; logs in ${stack.logDir}`);
  process.stdout.write(
    [
      '',
      `  Shop API        ${e.shopApi}   (POST /orders, GET /orders/:id)`,
      `  CRM API         ${e.crmApi}   (GET /contracts/:orderId)`,
      `  MES API         ${e.mesApi}   (GET /jobs, partner: GET /partner/v1/jobs/:orderId, X-API-Key: ${DEV_PARTNER.key})`,
      `  Jaeger API      ${e.jaeger}/api/services   (traces: /api/traces?service=shop-api)`,
      `  Prometheus UI   ${e.prometheus}/graph   (alerts: ${e.prometheus}/alerts)`,
      `  Alertmanager    ${e.alertmanager}   (notifications: ${stack.logDir}/alert-webhook.log)`,
      `  Where is my order? ${e.orderWatchdog}/   (order watchdog: stalled and late orders, /metrics)`,
      `  Logs            ${e.victoriaLogs}/select/vmui/   (LogsQL: trace_id:"<id>", docs/logs.md)`,
      `  Span metrics    ${e.collectorSpanMetrics}`,
      `  Redis           ${e.redisUrl}`,
      `  MariaDB         ${e.mysqlUrl.replace(/:[^:@/]*@/, '@')}   (password: ${stack.stateDir}/mariadb/password)`,
      `  Order generator one order every ${interval} ms (ORDER_INTERVAL_MS)`,
      '',
      '  A component that dies is reported here with the end of its log; the services and the',
      '  telemetry components are restarted (1 s, doubling to 30 s). Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    generator.stop();
    log(`stopping (${generator.sent} orders sent) ...`);
    await stack.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

const [command] = process.argv.slice(2);
if (command !== 'start') {
  process.stderr.write('usage: shopfloor-stack start\n');
  process.exit(2);
}
start().catch((err: Error) => {
  process.stderr.write(`[shopfloor] could not start the stack: ${err.message}\n`);
  process.exit(1);
});

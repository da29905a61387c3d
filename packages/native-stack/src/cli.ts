#!/usr/bin/env node
import { DEV_PARTNER, OrderGenerator } from '@shopfloor/stack-contract';
import { NativeStack } from './stack';

const log = (line: string) => process.stdout.write(`[shopfloor] ${line}\n`);

/** How often the stack checks that the process that started it (npm, a shell) is still there. */
const PARENT_POLL_MS = 500;

async function start(): Promise<void> {
  const t0 = Date.now();
  // A reader that went away (npm killed, a closed pipe) must not crash the shutdown with EPIPE.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});

  const aborted = new AbortController();
  let stack: NativeStack | undefined;
  let generator: OrderGenerator | undefined;
  let stopping = false;
  const stopAndExit = async (running: NativeStack) => {
    await running.stop();
    log('stopped');
    process.exit(0);
  };
  const shutdown = (why: string) => {
    if (stopping) {
      // The stop under way goes on (SIGKILL for what ignores its signal 10 s); exiting now would strand the rest.
      log(`${why}: already stopping, please wait`);
      return;
    }
    stopping = true;
    clearInterval(parentWatch);
    generator?.stop();
    log(`${why}: stopping${generator ? ` (${generator.sent} orders sent)` : ''} ...`);
    // Still starting: the start stops what it started and rejects (handled below).
    if (stack) void stopAndExit(stack);
    else aborted.abort();
  };
  // `npm start` execs us, so npm's SIGINT and SIGTERM reach us. Without that exec (`sh -c` of an
  // older script, a wrapper of the user's), the shell dies on SIGTERM without passing it on, and a
  // service manager may kill just its main process: either way our parent goes away, and we stop.
  const parent = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid !== parent) shutdown(`the parent process ${parent} is gone`);
  }, PARENT_POLL_MS);
  // Installed before the start: a signal while starting stops what is up so far.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));

  log('starting PostgreSQL, RabbitMQ, MinIO, Redis, MariaDB, VictoriaLogs, Jaeger, Prometheus, Alertmanager, exporters, the Collector, the three services and the order watchdog ...');
  try {
    stack = await NativeStack.start({ profile: 'dev', log, signal: aborted.signal });
  } catch (err) {
    if (!stopping) throw err;
    log('stopped');
    process.exit(0);
  }
  // Asked to stop just as the start finished (after its last look at the abort signal).
  if (stopping) return stopAndExit(stack);
  const e = stack.endpoints;
  const interval = Number(process.env.ORDER_INTERVAL_MS ?? 2000);
  generator = new OrderGenerator(e.shopApi, interval, log);
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

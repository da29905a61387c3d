/**
 * Every instrumentation that `@opentelemetry/auto-instrumentations-node` ships,
 * by its short name (the package name after `@opentelemetry/instrumentation-`,
 * as used by OTEL_NODE_ENABLED_INSTRUMENTATIONS / _DISABLED_), with what makes
 * the preload load it.
 *
 * The instrumentation packages themselves come from auto-instrumentations-node
 * (a dependency): they are required through its location, so the versions are
 * exactly the ones it was released with. catalog.test.ts derives the list, the
 * class names and the patched modules from that package and fails when an entry
 * is missing or stale.
 *
 * Plain data: no OpenTelemetry module is loaded here (config.ts uses it).
 */

/** When an instrumentation is loaded. */
export type Trigger =
  /** Just before the app first requires (or, under --import, imports) one of these packages or core modules. */
  | { modules: readonly string[] }
  /** With the metrics pipeline, at the first idle moment (metrics-only instrumentations). */
  | { withMetrics: true }
  /** At the first fetch() (undici is built into Node and never required) or the first require of `undici`. */
  | { fetch: true }
  /** At start-up, only inside AWS Lambda (the handler module is named by `_HANDLER`). */
  | { lambda: true };

export interface CatalogEntry {
  /** Exported class of the package. */
  className: string;
  trigger: Trigger;
  /**
   * Off unless named in OTEL_NODE_ENABLED_INSTRUMENTATIONS. Like the stock
   * bundle we leave fs off; we also leave dns and net off: they make a span
   * for every lookup and socket of every request (an HTTP client call becomes
   * three spans) and explain little that the http, database and messaging
   * spans do not. And router: Express 5 dispatches through the `router`
   * package, so with express instrumented it adds a second span for every
   * layer (measured: 0.22 → 0.14 ms CPU per trivial GET without it). Unlike
   * the stock bundle we keep host-metrics on, limited to the process's own CPU
   * and memory (instrumentations.ts), for the saturation alerts.
   */
  defaultOff?: true;
}

const on = (className: string, ...modules: string[]): CatalogEntry => ({ className, trigger: { modules } });

export const CATALOG = {
  amqplib: on('AmqplibInstrumentation', 'amqplib'),
  'aws-lambda': { className: 'AwsLambdaInstrumentation', trigger: { lambda: true } },
  'aws-sdk': on(
    'AwsInstrumentation',
    '@aws-sdk/middleware-stack',
    '@smithy/middleware-stack',
    '@smithy/core',
    '@aws-sdk/smithy-client',
    '@smithy/smithy-client',
  ),
  bunyan: on('BunyanInstrumentation', 'bunyan'),
  'cassandra-driver': on('CassandraDriverInstrumentation', 'cassandra-driver'),
  connect: on('ConnectInstrumentation', 'connect'),
  cucumber: on('CucumberInstrumentation', '@cucumber/cucumber'),
  dataloader: on('DataloaderInstrumentation', 'dataloader'),
  dns: { ...on('DnsInstrumentation', 'dns'), defaultOff: true },
  express: on('ExpressInstrumentation', 'express'),
  fs: { ...on('FsInstrumentation', 'fs'), defaultOff: true },
  'generic-pool': on('GenericPoolInstrumentation', 'generic-pool'),
  graphql: on('GraphQLInstrumentation', 'graphql'),
  grpc: on('GrpcInstrumentation', '@grpc/grpc-js'),
  hapi: on('HapiInstrumentation', '@hapi/hapi'),
  'host-metrics': { className: 'HostMetricsInstrumentation', trigger: { withMetrics: true } },
  http: on('HttpInstrumentation', 'http', 'https'),
  ioredis: on('IORedisInstrumentation', 'ioredis'),
  kafkajs: on('KafkaJsInstrumentation', 'kafkajs'),
  knex: on('KnexInstrumentation', 'knex'),
  koa: on('KoaInstrumentation', 'koa'),
  'lru-memoizer': on('LruMemoizerInstrumentation', 'lru-memoizer'),
  memcached: on('MemcachedInstrumentation', 'memcached'),
  mongodb: on('MongoDBInstrumentation', 'mongodb'),
  mongoose: on('MongooseInstrumentation', 'mongoose'),
  mysql: on('MySQLInstrumentation', 'mysql'),
  mysql2: on('MySQL2Instrumentation', 'mysql2'),
  'nestjs-core': on('NestInstrumentation', '@nestjs/core'),
  net: { ...on('NetInstrumentation', 'net'), defaultOff: true },
  openai: on('OpenAIInstrumentation', 'openai'),
  oracledb: on('OracleInstrumentation', 'oracledb'),
  pg: on('PgInstrumentation', 'pg', 'pg-pool'),
  pino: on('PinoInstrumentation', 'pino'),
  redis: on('RedisInstrumentation', 'redis', '@redis/client', '@node-redis/client'),
  restify: on('RestifyInstrumentation', 'restify'),
  router: { ...on('RouterInstrumentation', 'router'), defaultOff: true },
  'runtime-node': { className: 'RuntimeNodeInstrumentation', trigger: { withMetrics: true } },
  'socket.io': on('SocketIoInstrumentation', 'socket.io'),
  tedious: on('TediousInstrumentation', 'tedious'),
  undici: { className: 'UndiciInstrumentation', trigger: { fetch: true } },
  winston: on('WinstonInstrumentation', 'winston'),
} as const satisfies Record<string, CatalogEntry>;

/** Short names, as used by OTEL_NODE_ENABLED_INSTRUMENTATIONS / _DISABLED_. */
export type InstrumentationName = keyof typeof CATALOG;

export const INSTRUMENTATION_NAMES = Object.keys(CATALOG) as InstrumentationName[];

export const DEFAULT_INSTRUMENTATIONS = INSTRUMENTATION_NAMES.filter(
  n => !(CATALOG[n] as CatalogEntry).defaultOff,
);

export function entryOf(name: InstrumentationName): CatalogEntry {
  return CATALOG[name];
}

export function packageName(name: InstrumentationName): string {
  return `@opentelemetry/instrumentation-${name}`;
}

/** The packages and core modules whose first require/import loads one of `names`. */
export function triggerModules(names: readonly InstrumentationName[]): string[] {
  const out = new Set<string>();
  for (const n of names) {
    const t = entryOf(n).trigger;
    if ('modules' in t) for (const m of t.modules) out.add(m);
    if ('fetch' in t) out.add('undici');
  }
  return [...out];
}

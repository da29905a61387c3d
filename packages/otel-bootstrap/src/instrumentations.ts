/**
 * The curated instrumentation registry.
 *
 * Each entry is a factory that `require`s its package only when called, so a
 * disabled instrumentation costs nothing: not its load time, not its
 * require-hook, not its memory. Configuration is chosen for "no secrets in
 * telemetry" first and low noise second; see the README for the reasoning.
 */
import type { IncomingMessage } from 'http';
import { context } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http';
import type { InstrumentationName } from './types';
import { core } from './tracing';

export interface InstrumentationContext {
  /** Port of the preload's own Prometheus server, whose scrapes must not become spans. */
  prometheusPort: number | undefined;
}

/**
 * Query parameters whose values are replaced by "REDACTED" in url.query /
 * url.full. The instrumentation's defaults (cloud signature parameters) are
 * replaced, not extended, when this option is set, so they are restated.
 */
export const REDACTED_QUERY_PARAMS = [
  // instrumentation-http defaults
  'sig',
  'Signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  // common credential carriers in query strings
  'access_token',
  'api_key',
  'apikey',
  'api-key',
  'code',
  'client_secret',
  'id_token',
  'key',
  'password',
  'refresh_token',
  'secret',
  'token',
];

/**
 * http: no `headersToSpanAttributes` at all, so no request or response header
 * (Authorization, Cookie, Set-Cookie, X-API-Key, …) is ever recorded.
 * Requests arriving on the preload's own Prometheus port are ignored: the
 * exporter's server is an ordinary `http` server, so without this every
 * scrape would become a trace and a histogram sample.
 * Outgoing requests made with tracing suppressed are ignored entirely: those
 * are the SDK's own exports (the batch processor suppresses tracing around
 * them). instrumentation-http skips their spans but would still record them
 * in http.client.request.duration, as if the app were calling the Collector.
 */
export function httpConfig(ctx: InstrumentationContext): HttpInstrumentationConfig {
  const port = ctx.prometheusPort;
  return {
    ignoreIncomingRequestHook:
      port === undefined ? undefined : (req: IncomingMessage) => req.socket?.localPort === port,
    // @opentelemetry/core is loaded by then: instrumentation-http itself requires it.
    ignoreOutgoingRequestHook: () => core().isTracingSuppressed(context.active()),
    redactedQueryParams: REDACTED_QUERY_PARAMS,
    redactedQueryParamsServer: REDACTED_QUERY_PARAMS,
  };
}

type Factory = (ctx: InstrumentationContext) => Instrumentation;

export const REGISTRY: Record<InstrumentationName, Factory> = {
  http: ctx => {
    const m = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
    return new m.HttpInstrumentation(httpConfig(ctx));
  },

  // Middleware layers (body parsers, cors, helmet, …) each become a span by
  // default; they rarely explain latency and triple the span count. Router
  // and request-handler spans stay, and http.route is still set on the
  // server span (it comes from the route layers, not middleware).
  express: () => {
    const m = require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
    return new m.ExpressInstrumentation({ ignoreLayersType: [m.ExpressLayerType.MIDDLEWARE] });
  },

  // fetch() in Node is undici. No headersToSpanAttributes: headers never recorded.
  undici: () => {
    const m = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
    return new m.UndiciInstrumentation({});
  },

  // Bodies are never read by the instrumentation itself; they would only be
  // recorded by publishHook/consumeHook, which we do not set. The connection
  // URL it records has its password censored by the instrumentation.
  amqplib: () => {
    const m = require('@opentelemetry/instrumentation-amqplib') as typeof import('@opentelemetry/instrumentation-amqplib');
    return new m.AmqplibInstrumentation({});
  },

  // enhancedDatabaseReporting=false: parameter values (`$1` bindings) are not
  // recorded. The (parameterised) query text is, as semconv prescribes.
  pg: () => {
    const m = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
    return new m.PgInstrumentation({ enhancedDatabaseReporting: false });
  },

  // Correlation only: trace_id/span_id/trace_flags are added to log records.
  // Log *sending* through the OTel Logs SDK is off (no logs pipeline here;
  // logs keep going wherever pino sends them).
  pino: () => {
    const m = require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
    return new m.PinoInstrumentation({ disableLogSending: true, disableLogCorrelation: false });
  },

  // Event-loop delay/utilization, GC and heap metrics.
  'runtime-node': () => {
    const m = require('@opentelemetry/instrumentation-runtime-node') as typeof import('@opentelemetry/instrumentation-runtime-node');
    return new m.RuntimeNodeInstrumentation({});
  },
};

/**
 * Instrumentations loaded just before the app first requires one of these
 * packages (lazy-require.ts), instead of at start-up: an app that never uses
 * pg pays nothing for instrumentation-pg. Each list names the packages whose
 * code the instrumentation patches (they load, at the latest, with the first
 * of them). Not listed: undici (global fetch() is never require()d; see
 * beforeFirstFetch in lazy-load.ts) and runtime-node (it comes with the
 * metrics).
 */
export const LOAD_ON_FIRST_REQUIRE: Partial<Record<InstrumentationName, readonly string[]>> = {
  http: ['http', 'https'],
  express: ['express'],
  amqplib: ['amqplib'],
  pg: ['pg', 'pg-pool'],
  pino: ['pino'],
};

/**
 * Instantiates the named instrumentations. One that fails to load (a broken
 * install, an incompatible peer) is skipped with a warning; the rest still work.
 */
export function createInstrumentations(
  names: readonly InstrumentationName[],
  ctx: InstrumentationContext,
  onError: (name: InstrumentationName, err: unknown) => void,
): Instrumentation[] {
  const out: Instrumentation[] = [];
  for (const name of names) {
    try {
      out.push(REGISTRY[name](ctx));
    } catch (err) {
      onError(name, err);
    }
  }
  return out;
}

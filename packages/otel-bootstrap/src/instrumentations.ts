/**
 * Creating instrumentations: the package of each is `require`d only when it is
 * created, so a disabled or not-yet-needed instrumentation costs nothing: not
 * its load time, not its require-hook, not its memory. Where we depart from an
 * instrumentation's defaults it is for "no secrets in telemetry" first and low
 * noise second; see the README for the reasoning.
 */
import type { IncomingMessage } from 'http';
import { createRequire } from 'module';
import { context } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http';
import { entryOf, packageName, type InstrumentationName } from './catalog';
import { core } from './tracing';

export interface InstrumentationContext {
  /** Port of the preload's own Prometheus server, whose scrapes must not become spans. */
  prometheusPort: number | undefined;
  /** OTEL_LOGS_EXPORTER=otlp: the logger instrumentations send records. */
  logsExport: boolean;
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

/**
 * Our settings where the defaults are noisy or could record secrets; every
 * other instrumentation of the catalog runs with its defaults.
 */
export const SETTINGS: Partial<Record<InstrumentationName, (ctx: InstrumentationContext) => object>> = {
  http: httpConfig,

  // Middleware layers (body parsers, cors, helmet, …) each become a span by
  // default; they rarely explain latency and triple the span count. Router
  // and request-handler spans stay, and http.route is still set on the
  // server span (it comes from the route layers, not middleware).
  express: () => ({ ignoreLayersType: ['middleware'] }),

  // enhancedDatabaseReporting=false: parameter values (`$1` bindings) are not
  // recorded. The (parameterised) query text is, as semconv prescribes.
  pg: () => ({ enhancedDatabaseReporting: false }),

  // Bodies are never read by the instrumentation itself; they would only be
  // recorded by publishHook/consumeHook, which we do not set.
  amqplib: () => ({}),

  // Log correlation (trace_id/span_id/trace_flags in each record) always;
  // records go out over OTLP only with OTEL_LOGS_EXPORTER=otlp.
  pino: ctx => ({ disableLogSending: !ctx.logsExport, disableLogCorrelation: false }),
  winston: ctx => ({ disableLogSending: !ctx.logsExport, disableLogCorrelation: false }),
  bunyan: ctx => ({ disableLogSending: !ctx.logsExport, disableLogCorrelation: false }),

  // Process CPU and memory only: the system.* groups describe the whole host
  // (node_exporter's job) and system.network probes interfaces on every collection.
  'host-metrics': () => ({ metricGroups: ['process.cpu', 'process.memory'] }),
};

let fromBundle: NodeJS.Require | undefined;

/**
 * The instrumentation packages are those auto-instrumentations-node depends
 * on, required from its location (npm may nest them under it).
 */
function loadPackage(name: InstrumentationName): Record<string, unknown> {
  fromBundle ??= createRequire(require.resolve('@opentelemetry/auto-instrumentations-node'));
  return fromBundle(packageName(name)) as Record<string, unknown>;
}

export function createInstrumentation(name: InstrumentationName, ctx: InstrumentationContext): Instrumentation {
  const { className } = entryOf(name);
  const Ctor = loadPackage(name)[className] as (new (config: object) => Instrumentation) | undefined;
  if (typeof Ctor !== 'function') throw new Error(`${packageName(name)} does not export ${className}`);
  return new Ctor(SETTINGS[name]?.(ctx) ?? {});
}

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
      out.push(createInstrumentation(name, ctx));
    } catch (err) {
      onError(name, err);
    }
  }
  return out;
}

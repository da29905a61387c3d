/**
 * HTTP server metrics that instrumentation-http 0.223 does not record: requests in flight
 * (`http.server.active_requests`) and request / response body sizes
 * (`http.server.request.body.size`, `http.server.response.body.size`), per the stable HTTP
 * semantic conventions. Fed by Node's built-in `http.server.*` diagnostics channels, so they
 * need no patching and cost nothing when no server runs.
 */
import * as diagnosticsChannel from 'diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'http';
import type { Attributes, Meter } from '@opentelemetry/api';

interface ServerMessage {
  request: IncomingMessage & { baseUrl?: string; route?: { path?: unknown } };
  response: ServerResponse;
  server: Server;
}

/** Powers of ten from 0 B to 100 MB: a JSON order and a 3D model file land in different buckets. */
const BODY_SIZE_BUCKETS = [0, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/** The matched route template, where the framework recorded one (Express sets req.route). */
export function routeOf(req: ServerMessage['request']): string | undefined {
  const path = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : undefined;
}

export function contentLength(value: string | number | string[] | undefined): number {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

/**
 * Starts recording. `ignorePort` is the preload's own /metrics server: scrapes are not traffic.
 * Returns a function that stops recording.
 */
export function recordHttpServerMetrics(meter: Meter, ignorePort?: number): () => void {
  const active = meter.createUpDownCounter('http.server.active_requests', {
    unit: '{request}',
    description: 'Number of active HTTP server requests.',
  });
  const advice = { advice: { explicitBucketBoundaries: BODY_SIZE_BUCKETS } };
  const requestSize = meter.createHistogram('http.server.request.body.size', {
    unit: 'By',
    description: 'Size of HTTP server request bodies.',
    ...advice,
  });
  const responseSize = meter.createHistogram('http.server.response.body.size', {
    unit: 'By',
    description: 'Size of HTTP server response bodies.',
    ...advice,
  });

  // The socket's local port is cached by Node; server.address() would ask the OS per request.
  const ignored = (req: IncomingMessage) => ignorePort !== undefined && req.socket.localPort === ignorePort;
  const activeAttributes = (req: IncomingMessage): Attributes => ({
    'http.request.method': req.method ?? '_OTHER',
    'url.scheme': (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
  });

  const onStart = (message: unknown) => {
    const { request, response } = message as ServerMessage;
    if (ignored(request)) return;
    const attributes = activeAttributes(request);
    active.add(1, attributes);
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      active.add(-1, attributes);
      const route = routeOf(request);
      const sized: Attributes = {
        'http.request.method': attributes['http.request.method'],
        'http.response.status_code': response.statusCode,
        ...(route ? { 'http.route': route } : {}),
      };
      requestSize.record(contentLength(request.headers['content-length']), sized);
      responseSize.record(contentLength(response.getHeader('content-length') as string | number | undefined), sized);
    };
    // 'close' also covers aborted requests, which never 'finish': the gauge must come back down.
    response.once('finish', end);
    response.once('close', end);
  };

  diagnosticsChannel.subscribe('http.server.request.start', onStart);
  return () => diagnosticsChannel.unsubscribe('http.server.request.start', onStart);
}

/**
 * 2. The request path: fixed-concurrency load with autocannon, in this process.
 */
import autocannon from 'autocannon';

/** The order every POST sends: valid, fixed, no 3D model (the same work for every request). */
export const ORDER_BODY = JSON.stringify({
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  items: [
    { sku: 'BRACKET-PLA', quantity: 2 },
    { sku: 'GEAR-PETG', quantity: 5 },
  ],
});

export interface Route {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

export type RouteName = 'post' | 'get' | 'live';

export const ROUTES: Record<RouteName, Route> = {
  post: { name: 'orders.post', method: 'POST', path: '/orders', body: ORDER_BODY },
  // Runs SELECT 1 against PostgreSQL.
  get: { name: 'healthz.get', method: 'GET', path: '/healthz' },
  // No I/O at all: the HTTP path's own cost.
  live: { name: 'livez.get', method: 'GET', path: '/livez' },
};

export interface LoadResult {
  /** Successful (2xx) responses per second. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** 2xx responses. */
  ok: number;
  non2xx: number;
  errors: number;
}

export async function runLoad(baseUrl: string, route: Route, connections: number, durationS: number): Promise<LoadResult> {
  const result = await autocannon({
    url: `${baseUrl}${route.path}`,
    method: route.method,
    connections,
    duration: durationS,
    timeout: 10,
    ...(route.body === undefined ? {} : { body: route.body, headers: { 'content-type': 'application/json' } }),
  });
  const ok = result.requests.total - result.non2xx;
  return {
    throughput: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    ok,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

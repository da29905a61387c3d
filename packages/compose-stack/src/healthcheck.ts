/** A compose health check's timing (the fields read here). */
export interface Healthcheck {
  interval?: string;
  retries?: number;
}

/** Seconds in a compose duration (`1m30s`, `10s`, `500ms`, `1h`); throws on anything else. */
export function composeDurationSeconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6, ns: 1e-9 };
  const parts = [...duration.trim().matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== duration.trim()) throw new Error(`not a compose duration: "${duration}"`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit!]!, 0);
}

/**
 * A health check polled every `intervalSeconds` that may keep failing for as long as `users`
 * may (interval x retries): a test run polls more often to start sooner, and must not give a
 * slow first start less time than the users' file does.
 */
export function fasterHealthcheck(users: Healthcheck, intervalSeconds: number): { interval: string; retries: number } {
  // Compose's defaults: 30 s, 3 retries.
  const budget = composeDurationSeconds(users.interval ?? '30s') * (users.retries ?? 3);
  return { interval: `${intervalSeconds}s`, retries: Math.ceil(budget / intervalSeconds) };
}

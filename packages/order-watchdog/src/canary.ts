import type { Journey } from './journey';

/**
 * Sends the journey's canary order (a real order, marked by its body) to the entry point.
 * Returns the new order's id.
 */
export async function sendCanary(journey: Journey, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const canary = journey.canary;
  if (!canary) throw new Error(`journey ${journey.name} defines no canary`);
  const url = env[canary.url_env];
  if (!url) throw new Error(`the canary needs its URL in ${canary.url_env}`);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopfloor-canary': 'true' },
    body: JSON.stringify(canary.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`canary POST answered ${res.status}: ${text.slice(0, 200)}`);
  const id = (JSON.parse(text) as Record<string, unknown>)[canary.order_id_field];
  if (typeof id !== 'string' || !id) throw new Error(`canary answer has no ${canary.order_id_field}: ${text.slice(0, 200)}`);
  return id;
}

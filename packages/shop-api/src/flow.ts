/** Where an order is in the flow Shop → CRM → MES, as reported by GET /orders/:id. */

/** A downstream record, `null` when it does not exist (404), "unavailable" when the service failed. */
export type Downstream = Record<string, unknown> | null | 'unavailable';

export type Stage = 'shop' | 'crm' | 'mes';

export function deriveStage(crm: Downstream, mes: Downstream): Stage {
  if (mes !== null && mes !== 'unavailable') return 'mes';
  if (crm !== null && crm !== 'unavailable') return 'crm';
  return 'shop';
}

/** 200 + JSON object → the object, 404 → null, anything else → "unavailable". */
export function interpretDownstream(status: number, body: unknown): Downstream {
  if (status === 404) return null;
  if (status >= 200 && status < 300 && typeof body === 'object' && body !== null && !Array.isArray(body)) {
    return body as Record<string, unknown>;
  }
  return 'unavailable';
}

/** GET `url` with a hard timeout; a failing downstream never fails the caller. */
export async function fetchDownstream(url: string, timeoutMs: number): Promise<Downstream> {
  try {
    const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    if (response.status !== 200) {
      await response.body?.cancel();
      return interpretDownstream(response.status, undefined);
    }
    return interpretDownstream(response.status, await response.json());
  } catch {
    return 'unavailable';
  }
}

export function downstreamUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

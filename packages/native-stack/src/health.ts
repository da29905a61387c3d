import { createServer, connect } from 'node:net';

export interface WaitOptions {
  /** What is being waited for, for the error message. */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns a value other than undefined, or fails after the deadline with
 * the last reason the probe gave (a thrown error's message).
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what} (last: ${last})`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

/** Resolves true when an HTTP GET answers 2xx; throws with the status otherwise. */
export async function httpOk(url: string): Promise<true> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return true;
}

/** A health probe: true when GET `url` answers 2xx, false otherwise. */
export function httpHealthy(url: string): Promise<boolean> {
  return httpOk(url).catch(() => false);
}

export function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(false));
  });
}

/** Throws a clear error when something already listens on `port`, instead of a hang later. */
export async function ensurePortFree(port: number, owner: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!free || (await tcpOpen(port))) {
    throw new Error(
      `port ${port} (${owner}) is already in use: stop what listens there ` +
        `(\`ss -ltnp 'sport = :${port}'\` shows it) and try again.`,
    );
  }
}

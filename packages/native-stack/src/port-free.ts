import { createServer } from 'node:net';
import { tcpOpen } from '@shopfloor/stack-contract';

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

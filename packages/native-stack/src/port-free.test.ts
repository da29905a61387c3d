import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ensurePortFree } from './port-free';

test('a port in use is a clear error', async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  try {
    await assert.rejects(ensurePortFree(port, 'demo'), new RegExp(`port ${port} \\(demo\\) is already in use`));
  } finally {
    server.close();
  }
});

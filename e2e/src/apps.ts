/** Running a test app of e2e/apps under the preload: a free port and a clean environment. */
import { createServer } from 'node:net';
import { LOOPBACK } from '@shopfloor/stack-contract';

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, LOOPBACK, () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

/** This process's environment without OTEL_* and NODE_OPTIONS (a developer's shell must not change results), plus `env`. */
export function appEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && k !== 'NODE_OPTIONS') base[k] = v;
  return { ...base, ...env };
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@shopfloor/stack-contract';

export interface Tools {
  otelcol: string;
  jaeger: string;
  minio: string;
  victorialogs: string;
}

/** Binaries built by `npm run setup` (cached outside the repo; their paths are recorded here). */
export function readTools(): Tools {
  const file = join(repoRoot, '.run', 'tools.json');
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run setup\` first (it builds the Collector and Jaeger).`);
  }
  const tools = JSON.parse(readFileSync(file, 'utf8')) as Tools;
  // A tools.json from before a tool was added lacks its key: setup builds and records it.
  for (const name of ['otelcol', 'jaeger', 'minio', 'victorialogs'] as const) {
    if (typeof tools[name] !== 'string') throw new Error(`${file} has no ${name} binary: run \`npm run setup\` again.`);
  }
  for (const [name, path] of Object.entries(tools)) {
    if (!existsSync(path)) throw new Error(`${name} binary ${path} is gone: run \`npm run setup\` again.`);
  }
  return tools;
}

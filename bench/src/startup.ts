/**
 * 1. Start-up on an empty script: wall time from spawn to exit, and peak RSS, per variant.
 */
import { join } from 'node:path';
import { preloadArgs } from './variants';
import { spawnTracked } from './procs';
import type { VariantName } from './stats';

const FIXTURES = join(__dirname, 'fixtures');
export const EMPTY_SCRIPT = join(FIXTURES, 'empty.js');
export const RSS_PROBE = join(FIXTURES, 'rss-probe.js');

export interface EmptyScriptRun {
  wallMs: number;
  peakRssMiB: number;
}

/** `node [preload] --require rss-probe.js empty.js`; rejects if it fails or takes over 20 s. */
export function emptyScriptRun(variant: VariantName, env: NodeJS.ProcessEnv): Promise<EmptyScriptRun> {
  return new Promise((resolve, reject) => {
    const args = [...preloadArgs(variant), '--require', RSS_PROBE, EMPTY_SCRIPT];
    const t0 = process.hrtime.bigint();
    const child = spawnTracked(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    let wallMs = NaN;
    child.once('exit', () => (wallMs = Number(process.hrtime.bigint() - t0) / 1e6));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const kb = /BENCH_MAXRSS_KB=(\d+)/.exec(stderr)?.[1];
      if (code !== 0 || kb === undefined) {
        reject(new Error(`${variant} empty-script run ended with ${code ?? signal}: ${stderr.trim().slice(0, 500)}`));
        return;
      }
      resolve({ wallMs, peakRssMiB: Number(kb) / 1024 });
    });
  });
}

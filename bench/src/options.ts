/**
 * What the environment asks of a run (the bench takes no command-line arguments). Pure
 * (unit-tested).
 *   BENCH_ONLY=watchdog|logs|persistence  that phase alone, its figures merged into the results
 *                            file (persistence needs no running stack: none is started)
 *   BENCH_QUICK=1             a smoke run: shorter runs, written where git does not look
 */
import { DEFAULTS, QUICK, type Settings } from './settings';

/** The phases that run alone. */
export const ALONE = ['watchdog', 'logs', 'persistence'] as const;
export type AlonePhase = (typeof ALONE)[number];

export interface Options {
  /** The phase run alone, or undefined for the full run. */
  only: AlonePhase | undefined;
  quick: boolean;
  settings: Settings;
}

export type Parsed = { ok: true; options: Options } | { ok: false; error: string };

export function parseOptions(env: NodeJS.ProcessEnv): Parsed {
  const only = env.BENCH_ONLY ?? '';
  if (only !== '' && !isAlone(only)) {
    return { ok: false, error: `BENCH_ONLY=${only}: the phases that run alone are: ${ALONE.join(', ')}` };
  }
  const quick = env.BENCH_QUICK === '1';
  return { ok: true, options: { only: only === '' ? undefined : only, quick, settings: quick ? QUICK : DEFAULTS } };
}

function isAlone(name: string): name is AlonePhase {
  return (ALONE as readonly string[]).includes(name);
}

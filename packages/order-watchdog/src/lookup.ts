import type { Journey, Stage } from './journey';
import type { RecordLookup } from './server';
import type { StageRow } from './tracker';

/**
 * A PostgreSQL data exception (SQLSTATE class 22, e.g. 22P02: an id that is not a uuid for
 * `$1::uuid[]`; 22021: a NUL byte): the id cannot be in that stage's records, so it has none
 * there. Any other failure (refused, timed out, authentication) means the records could not be read.
 */
export function isDataException(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/**
 * The page's look-up of an order not followed: each stage's record of it. Rejects when a
 * database cannot be read (the page answers 503 rather than "no such order").
 */
export function recordLookup(journey: Journey, readStage: (stage: Stage, orderId: string) => Promise<StageRow[]>): RecordLookup {
  return async (orderId) => {
    const reached: Record<string, number> = {};
    let traceId: string | undefined;
    for (const stage of journey.stages) {
      const rows = await readStage(stage, orderId).catch((err: unknown) => {
        if (isDataException(err)) return [];
        throw err;
      });
      for (const row of rows) {
        reached[stage.id] = row.at;
        traceId ??= row.traceId;
      }
    }
    return { reached, traceId };
  };
}

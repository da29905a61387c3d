import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { emptyState, type WatchdogState } from './state';

/**
 * The state as one JSON file, replaced atomically (write a temporary file, then rename), so a
 * crash mid-write leaves the previous state. A missing file starts fresh; a file of another
 * journey or an unreadable one is an error (never silently reset: alerts would repeat).
 */
export function loadState(path: string, journey: string, freshCursorAt: number): WatchdogState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState(journey, freshCursorAt);
    throw err;
  }
  const state = JSON.parse(text) as WatchdogState;
  if (state.version !== 1) throw new Error(`${path}: state version ${String(state.version)} is not 1`);
  if (state.journey !== journey) throw new Error(`${path} holds the state of journey "${state.journey}", not "${journey}": give each journey its own WATCHDOG_STATE_FILE`);
  const fresh = emptyState(journey, freshCursorAt);
  return { ...fresh, ...state, counters: { ...fresh.counters, ...state.counters } };
}

export function saveState(path: string, state: WatchdogState): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, path);
}

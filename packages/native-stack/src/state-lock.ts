import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { parseStat } from './processes';

/**
 * A process's start time (/proc/<pid>/stat), NaN when it is gone. A zombie counts as gone: it is
 * dead, only not yet reaped (an init that reaps late keeps a SIGKILLed holder a zombie a while).
 */
function startTime(pid: number): number {
  try {
    const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return stat && stat.state !== 'Z' ? stat.startTime : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * One stack per state directory: a second start of the same profile (another terminal, another
 * network namespace) would wipe or share the first one's data. A lock left by a dead process is
 * taken over, also when its pid now belongs to another process (the lock records the holder's
 * start time too).
 */
export function claimStateDir(lockFile: string, profile: string): () => void {
  let holder = Number.NaN;
  let holderStart = Number.NaN;
  try {
    [holder = Number.NaN, holderStart = Number.NaN] = readFileSync(lockFile, 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    // no lock yet
  }
  const running = Number.isInteger(holder) ? startTime(holder) : Number.NaN;
  // A lock without a start time (written by an older version): any live process with its pid holds it.
  if (holder !== process.pid && !Number.isNaN(running) && (Number.isNaN(holderStart) || running === holderStart)) {
    throw new Error(`the "${profile}" stack is already running (process ${holder}, lock ${lockFile}): stop it first.`);
  }
  writeFileSync(lockFile, `${process.pid} ${startTime(process.pid)}`);
  return () => {
    try {
      unlinkSync(lockFile);
    } catch {
      // already gone
    }
  };
}

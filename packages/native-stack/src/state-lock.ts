import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One stack per state directory: a second start of the same profile (another terminal, another
 * network namespace) would wipe or share the first one's data. A lock left by a dead process is
 * taken over.
 */
export function claimStateDir(lockFile: string, profile: string): () => void {
  let holder = Number.NaN;
  try {
    holder = Number(readFileSync(lockFile, 'utf8').trim());
  } catch {
    // no lock yet
  }
  if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
    throw new Error(`the "${profile}" stack is already running (process ${holder}, lock ${lockFile}): stop it first.`);
  }
  writeFileSync(lockFile, String(process.pid));
  return () => {
    try {
      unlinkSync(lockFile);
    } catch {
      // already gone
    }
  };
}

/**
 * What every phase is handed: the run's settings, its log, its time budget and the figures
 * taken so far. cli.ts makes one per run; nothing here is module state.
 */
import type { Settings } from './settings';
import { measurement, type Measurement } from './stats';

export type Log = (line: string) => void;

/** The run's log: lines stamped with the seconds since `t0`, dropped once silenced. */
export function createLog(t0: number, write: (text: string) => void = text => process.stdout.write(text)): { log: Log; silence: () => void } {
  let silenced = false;
  return {
    log: line => {
      if (!silenced) write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
    },
    // Once the run is being stopped (Ctrl-C, SIGTERM, time limit), phases still unwinding stay quiet.
    silence: () => {
      silenced = true;
    },
  };
}

/** The run's time budget: a phase that no longer fits is skipped, and listed. */
export class Budget {
  private readonly end: number;
  readonly skipped: string[] = [];
  constructor(
    t0: number,
    seconds: number,
    private readonly log: Log,
    private readonly now: () => number = Date.now,
  ) {
    this.end = t0 + seconds * 1000;
  }
  leftS(): number {
    return (this.end - this.now()) / 1000;
  }
  /** True if `needS` still fits; otherwise records the phase as skipped. */
  fits(what: string, needS: number): boolean {
    if (this.leftS() >= needS) return true;
    this.skipped.push(`${what} (needed ~${Math.round(needS)} s, ${Math.round(this.leftS())} s left)`);
    this.log(`skipping ${what}: not enough time left`);
    return false;
  }
}

/**
 * The measurements and notes of a run, in the order taken (the results file keeps it). Phases
 * record into it as they go, so a run that fails part-way still writes what it measured.
 */
export class Figures {
  readonly measurements: Measurement[] = [];
  readonly notes: string[] = [];
  /** Summarises one figure's runs; one without a single finite sample becomes a note instead. */
  record(name: string, variant: string, unit: string, samples: readonly number[], note?: string): void {
    const ok = samples.filter(Number.isFinite);
    if (ok.length === 0) {
      this.notes.push(`${name} (${variant}): no successful run`);
      return;
    }
    this.measurements.push(measurement(name, variant, unit, ok, note));
  }
  note(line: string): void {
    this.notes.push(line);
  }
}

export interface RunContext {
  settings: Settings;
  log: Log;
  budget: Budget;
  figures: Figures;
  /** Where the bench's own shop-api and watchdog processes log (.run/bench/logs). */
  logDir: string;
}

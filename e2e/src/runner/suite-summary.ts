/** What one suite's run came to: its test runner's closing counts, its exit code and time. */
export interface SuiteSummary {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  cancelled: number;
  exitCode: number;
  durationMs: number;
}

/**
 * Reads node's test runner closing counts (`ℹ pass 53` with the spec reporter, `# pass 53` with
 * tap) from a suite's output; the last count of each kind wins (subtests print none at the top).
 */
export function parseSummary(name: string, lines: readonly string[], exitCode: number, durationMs: number): SuiteSummary {
  const counts: Record<string, number> = {};
  for (const line of lines) {
    const m = /^(?:ℹ|#) (pass|fail|skipped|cancelled) (\d+)\s*$/.exec(line);
    if (m) counts[m[1]!] = Number(m[2]);
  }
  return {
    name,
    passed: counts.pass ?? 0,
    failed: counts.fail ?? 0,
    skipped: counts.skipped ?? 0,
    cancelled: counts.cancelled ?? 0,
    exitCode,
    durationMs,
  };
}

/**
 * The counts of every suite together. A cancelled test is a failed one, and so is a suite that
 * exited non-zero without reporting a failure (it crashed, or its runner never closed).
 */
export function totals(summaries: readonly SuiteSummary[]): { passed: number; failed: number; skipped: number } {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const s of summaries) {
    passed += s.passed;
    skipped += s.skipped;
    const reported = s.failed + s.cancelled;
    failed += reported === 0 && s.exitCode !== 0 ? 1 : reported;
  }
  return { passed, failed, skipped };
}

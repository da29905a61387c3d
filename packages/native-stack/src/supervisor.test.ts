import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '@shopfloor/stack-contract';
import { ManagedProcess, type CrashReport } from './supervisor';
import type { ComponentSpec } from './types';

/**
 * A real child: writes a ready file, waits until the health probe has taken it (so it dies only
 * after it was seen healthy), prints 20 lines and exits with code 3.
 */
function crasher(dir: string): ComponentSpec {
  const ready = join(dir, 'ready');
  const script = `
    const fs = require('node:fs');
    fs.writeFileSync(${JSON.stringify(ready)}, String(process.pid));
    const t = setInterval(() => {
      if (fs.existsSync(${JSON.stringify(ready)})) return;
      clearInterval(t);
      for (let i = 1; i <= 20; i++) console.log('last words ' + i);
      process.exit(3);
    }, 20);`;
  return {
    name: 'crasher',
    command: process.execPath,
    args: ['-e', script],
    ports: {},
    healthy: async () => {
      if (!existsSync(ready)) return false;
      unlinkSync(ready);
      return true;
    },
    startTimeoutMs: 10_000,
  };
}

test('a component that dies after it was healthy is reported (name, exit code, log tail) and restarted with backoff', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'supervisor-test-'));
  const reports: CrashReport[] = [];
  const restarted: number[] = [];
  const proc = new ManagedProcess(crasher(dir), dir, {
    restart: { initialMs: 50, maxMs: 200, resetAfterMs: 60_000 },
    onCrash: (r) => reports.push(r),
    onRestarted: (_name, attempt) => restarted.push(attempt),
  });
  t.after(async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  await proc.start();
  const first = await waitFor(async () => reports[0], { what: 'the first crash report', timeoutMs: 10_000, intervalMs: 20 });
  assert.equal(first.component, 'crasher');
  assert.equal(first.code, 3);
  assert.equal(first.signal, null);
  assert.equal(first.restartInMs, 50);
  assert.match(first.message.split('\n')[0], /^\[shopfloor\] crasher died \(exit code 3\) after \S+ m?s up; restarting in 50 ms \(restart 1\)\. Last lines of .*crasher\.log:$/);
  assert.match(first.message, /last words 20/);
  // The last ~15 lines, not the whole log.
  assert.match(first.logTail, /last words 20/);
  assert.match(first.logTail, /last words 6\n/);
  assert.doesNotMatch(first.logTail, /last words 5\n/);

  // Restarted (healthy again), died again: the next delay doubles.
  await waitFor(async () => (restarted.includes(1) ? true : undefined), { what: 'the first restart', timeoutMs: 10_000, intervalMs: 20 });
  const second = await waitFor(async () => reports[1], { what: 'the second crash report', timeoutMs: 10_000, intervalMs: 20 });
  assert.equal(second.code, 3);
  assert.equal(second.restartInMs, 100);
  assert.match(readFileSync(first.logFile, 'utf8'), /restart 1 of crasher/);
});

test('a deliberate stop is neither reported nor followed by a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'supervisor-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const reports: CrashReport[] = [];
  const proc = new ManagedProcess(
    {
      name: 'sleeper',
      command: process.execPath,
      args: ['-e', 'setInterval(() => {}, 1000)'],
      ports: {},
      healthy: async () => true,
    },
    dir,
    { restart: { initialMs: 10, maxMs: 10, resetAfterMs: 60_000 }, onCrash: (r) => reports.push(r) },
  );
  await proc.start();
  const pid = proc.pid;
  assert.ok(pid);
  // The exit handler runs in the same 'exit' event that ends stop(): nothing was reported.
  await proc.stop();
  assert.equal(proc.running, false);
  assert.equal(reports.length, 0);
  assert.throws(() => process.kill(pid, 0), /ESRCH/);

  // A component killed from outside (not by stop()) is a crash: reported, with its signal.
  await proc.start();
  process.kill(proc.pid!, 'SIGKILL');
  const report = await waitFor(async () => reports[0], { what: 'the crash report', timeoutMs: 10_000, intervalMs: 20 });
  assert.equal(report.signal, 'SIGKILL');
  assert.equal(report.code, null);
  assert.match(report.message, /sleeper died \(signal SIGKILL\)/);
  await proc.stop();
});

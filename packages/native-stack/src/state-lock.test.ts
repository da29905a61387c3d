import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimStateDir } from './state-lock';
import { parseStat } from './processes';

test('a profile held by a live process cannot be claimed twice', async (t) => {
  const lock = join(mkdtempSync(join(tmpdir(), 'lock-')), 'dev.lock');
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  t.after(() => other.kill());
  writeFileSync(lock, String(other.pid));
  assert.throws(() => claimStateDir(lock, 'dev'), /"dev" stack is already running \(process \d+/);
});

test('a stale lock is taken over and released', () => {
  const lock = join(mkdtempSync(join(tmpdir(), 'lock-')), 'dev.lock');
  writeFileSync(lock, '999999999');
  const release = claimStateDir(lock, 'dev');
  assert.ok(existsSync(lock));
  release();
  assert.ok(!existsSync(lock));
});

test('a lock whose pid now belongs to another process (other start time) is taken over', async (t) => {
  const lock = join(mkdtempSync(join(tmpdir(), 'lock-')), 'dev.lock');
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  t.after(() => other.kill());
  writeFileSync(lock, `${other.pid} 1`);
  const release = claimStateDir(lock, 'dev');
  assert.match(readFileSync(lock, 'utf8'), new RegExp(`^${process.pid} \\d+$`));
  release();
  // The same pid with its real start time is a live holder.
  writeFileSync(lock, `${other.pid} ${parseStat(readFileSync(`/proc/${other.pid}/stat`, 'utf8'))!.startTime}`);
  assert.throws(() => claimStateDir(lock, 'dev'), /already running/);
});

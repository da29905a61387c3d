import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions } from './options';
import { DEFAULTS, QUICK } from './settings';

describe('parseOptions', () => {
  it('no BENCH_ONLY (or an empty one): the full run with the default settings', () => {
    for (const env of [{}, { BENCH_ONLY: '' }]) {
      assert.deepEqual(parseOptions(env), { ok: true, options: { only: undefined, quick: false, settings: DEFAULTS } });
    }
  });
  it('BENCH_ONLY=watchdog, logs and persistence run that phase alone', () => {
    const only = (name: string) => {
      const p = parseOptions({ BENCH_ONLY: name });
      return p.ok ? p.options.only : p.error;
    };
    assert.equal(only('watchdog'), 'watchdog');
    assert.equal(only('logs'), 'logs');
    assert.equal(only('persistence'), 'persistence');
  });
  it('any other BENCH_ONLY is refused, naming the phases that do run alone', () => {
    for (const name of ['collector', 'Watchdog', 'watchdog,logs']) {
      const p = parseOptions({ BENCH_ONLY: name });
      assert.equal(p.ok, false);
      if (!p.ok) assert.equal(p.error, `BENCH_ONLY=${name}: the phases that run alone are: watchdog, logs, persistence`);
    }
  });
  it('BENCH_QUICK=1, and only that value, makes a smoke run with the quick settings', () => {
    const quick = parseOptions({ BENCH_QUICK: '1', BENCH_ONLY: 'logs' });
    assert.deepEqual(quick, { ok: true, options: { only: 'logs', quick: true, settings: QUICK } });
    for (const value of ['0', 'true', 'yes', '']) {
      const p = parseOptions({ BENCH_QUICK: value });
      assert.ok(p.ok && !p.options.quick && p.options.settings === DEFAULTS, value);
    }
  });
});

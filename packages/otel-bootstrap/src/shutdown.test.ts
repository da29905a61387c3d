import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'events';
import { installShutdownHooks, type Flushable, type ProcessLike } from './shutdown';
import { Logger } from './utils';

/** A process stand-in that records kill() and exit() instead of doing them. */
class FakeProcess extends EventEmitter implements ProcessLike {
  readonly pid = 12345;
  readonly kills: { pid: number; signal: string; listenersLeft: number }[] = [];
  exits = 0;
  kill(pid: number, signal: string): boolean {
    this.kills.push({ pid, signal, listenersLeft: this.listenerCount(signal) });
    return true;
  }
  exit(): void {
    this.exits++;
  }
}

function target(behaviour: 'fast' | 'hang' | 'reject' = 'fast') {
  const calls: string[] = [];
  const work = (name: string) => (): Promise<void> => {
    calls.push(name);
    if (behaviour === 'hang') return new Promise(() => {});
    if (behaviour === 'reject') return Promise.reject(new Error('boom'));
    return Promise.resolve();
  };
  const t: Flushable = { forceFlush: work('forceFlush'), shutdown: work('shutdown') };
  return { t, calls };
}

const quietLogger = () => {
  const lines: string[] = [];
  return { logger: new Logger('warn', l => lines.push(l)), lines };
};

const settle = () => new Promise(r => setTimeout(r, 0));

describe('signals when ours is the only listener', () => {
  it('shuts down, removes itself and re-raises the same signal', async () => {
    const proc = new FakeProcess();
    const { t, calls } = target();
    installShutdownHooks(t, { logger: quietLogger().logger, proc, timeoutMs: 1000 });
    proc.emit('SIGTERM');
    await settle();
    assert.deepEqual(calls, ['shutdown']);
    assert.deepEqual(proc.kills, [{ pid: 12345, signal: 'SIGTERM', listenersLeft: 0 }]);
  });

  it('works for SIGINT too', async () => {
    const proc = new FakeProcess();
    installShutdownHooks(target().t, { logger: quietLogger().logger, proc, timeoutMs: 1000 });
    proc.emit('SIGINT');
    await settle();
    assert.deepEqual(proc.kills.map(k => k.signal), ['SIGINT']);
    assert.equal(proc.listenerCount('SIGTERM'), 1, 'the other signal is still handled');
  });

  it('re-raises after the hard timeout when flushing hangs, with a warning', async () => {
    const proc = new FakeProcess();
    const { logger, lines } = quietLogger();
    installShutdownHooks(target('hang').t, { logger, proc, timeoutMs: 30 });
    proc.emit('SIGTERM');
    await settle();
    assert.equal(proc.kills.length, 0, 'waits for the flush first');
    await new Promise(r => setTimeout(r, 60));
    assert.deepEqual(proc.kills.map(k => k.signal), ['SIGTERM']);
    assert.match(lines.join(''), /did not finish within 30 ms/);
  });

  it('re-raises even when the flush fails', async () => {
    const proc = new FakeProcess();
    installShutdownHooks(target('reject').t, { logger: quietLogger().logger, proc, timeoutMs: 1000 });
    proc.emit('SIGTERM');
    await settle();
    await settle();
    assert.equal(proc.kills.length, 1);
  });

  it('a second signal while flushing re-raises at once', async () => {
    const proc = new FakeProcess();
    installShutdownHooks(target('hang').t, { logger: quietLogger().logger, proc, timeoutMs: 10_000 });
    proc.emit('SIGINT');
    proc.emit('SIGINT');
    assert.deepEqual(proc.kills.map(k => k.signal), ['SIGINT']);
  });
});

describe("signals when the app listens too", () => {
  it('only flushes and leaves the exit to the app', async () => {
    const proc = new FakeProcess();
    const { t, calls } = target();
    installShutdownHooks(t, { logger: quietLogger().logger, proc, timeoutMs: 1000 });
    let appSaw = 0;
    proc.on('SIGTERM', () => appSaw++);
    proc.emit('SIGTERM');
    await new Promise(r => setTimeout(r, 20));
    assert.equal(appSaw, 1);
    assert.deepEqual(calls, ['forceFlush'], 'flush, not shutdown: the app may still produce spans');
    assert.deepEqual(proc.kills, []);
    assert.equal(proc.listenerCount('SIGTERM'), 2, 'our listener stays for the next time');
  });
});

describe('beforeExit', () => {
  it('flushes once', async () => {
    const proc = new FakeProcess();
    const { t, calls } = target();
    installShutdownHooks(t, { logger: quietLogger().logger, proc, timeoutMs: 1000 });
    proc.emit('beforeExit', 0);
    proc.emit('beforeExit', 0);
    await settle();
    assert.deepEqual(calls, ['forceFlush']);
    assert.equal(proc.exits, 0);
  });

  it('ends the process after the timeout if only our export keeps it alive', async () => {
    const proc = new FakeProcess();
    const { logger, lines } = quietLogger();
    installShutdownHooks(target('hang').t, { logger, proc, timeoutMs: 20 });
    proc.emit('beforeExit', 0);
    await new Promise(r => setTimeout(r, 60));
    assert.equal(proc.exits, 1);
    assert.match(lines.join(''), /at exit/);
  });

  it('does not end the process if the app also listens to beforeExit', async () => {
    const proc = new FakeProcess();
    installShutdownHooks(target('hang').t, { logger: quietLogger().logger, proc, timeoutMs: 20 });
    proc.on('beforeExit', () => {});
    proc.emit('beforeExit', 0);
    await new Promise(r => setTimeout(r, 60));
    assert.equal(proc.exits, 0);
  });
});

describe('uninstall', () => {
  it('removes every listener it added', () => {
    const proc = new FakeProcess();
    const remove = installShutdownHooks(target().t, { logger: quietLogger().logger, proc });
    assert.equal(proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT') + proc.listenerCount('beforeExit'), 3);
    remove();
    assert.equal(proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT') + proc.listenerCount('beforeExit'), 0);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { describeError, findNearestPackage, Logger, settleWithin } from './utils';

function capture(level: ConstructorParameters<typeof Logger>[0] = 'warn') {
  const lines: string[] = [];
  const logger = new Logger(level, line => lines.push(line));
  return { logger, lines };
}

describe('Logger', () => {
  it('prefixes lines and ends them with a newline', () => {
    const { logger, lines } = capture();
    logger.warn('hello');
    assert.deepEqual(lines, ['[otel-bootstrap] warn: hello\n']);
  });

  it('filters by level', () => {
    const { logger, lines } = capture('error');
    logger.warn('not shown');
    logger.info('not shown');
    logger.error('shown');
    assert.equal(lines.length, 1);
    const none = capture('none');
    none.logger.error('silent');
    assert.deepEqual(none.lines, []);
    const all = capture('all');
    all.logger.log('verbose', 'v');
    assert.equal(all.lines.length, 1);
  });

  it('says the same thing once, numbers aside', () => {
    const { logger, lines } = capture();
    assert.equal(logger.warn('Dropped 3 spans because maxQueueSize reached'), true);
    assert.equal(logger.warn('Dropped 17 spans because maxQueueSize reached'), false);
    assert.equal(logger.warn('Dropped 3 spans because maxQueueSize reached'), false);
    logger.warn('something else');
    assert.equal(lines.length, 2);
  });

  it('an explicit key can be forgotten to allow the message again', () => {
    const { logger, lines } = capture();
    logger.warn('export failed (a)', 'k');
    logger.warn('export failed (b)', 'k');
    assert.equal(lines.length, 1);
    logger.forget('k');
    logger.warn('export failed (c)', 'k');
    assert.equal(lines.length, 2);
    assert.match(lines[1], /\(c\)/);
  });

  it('remembers a bounded number of messages', () => {
    const { logger, lines } = capture();
    for (let i = 0; i < 1500; i++) logger.warn(`distinct ${String.fromCharCode(65 + (i % 26))}${'x'.repeat(Math.floor(i / 26))}`);
    assert.equal(lines.length, 1500, 'all distinct messages are printed');
    assert.ok((logger as unknown as { seen: Set<string> }).seen.size <= 1000);
  });

  it('never throws when stderr is broken', () => {
    const logger = new Logger('warn', () => {
      throw new Error('EPIPE');
    });
    assert.doesNotThrow(() => logger.warn('x'));
  });

  it('recognises SDK echoes of reported configuration problems', () => {
    const { logger } = capture();
    logger.markReported('OTEL_TRACES_SAMPLER', 'bogus');
    logger.markReported('OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url');
    logger.markReported('OTEL_TRACES_SAMPLER_ARG', '2');
    assert.equal(logger.isEchoOfConfigWarning('OTEL_TRACES_SAMPLER value "bogus" invalid'), true);
    assert.equal(logger.isEchoOfConfigWarning("Could not parse environment-provided export URL: 'not a url'"), true);
    // Short values are not matched on their own: "2" is everywhere.
    assert.equal(logger.isEchoOfConfigWarning("retry '2' of 5"), false);
    assert.equal(logger.isEchoOfConfigWarning('unrelated message'), false);
  });
});

describe('describeError', () => {
  it('includes the errno code once', () => {
    const e = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(describeError(e), 'connect ECONNREFUSED 127.0.0.1:1');
    const f = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    assert.equal(describeError(f), 'ECONNRESET: socket hang up');
  });
  it('spells out AggregateErrors (happy eyeballs)', () => {
    const agg = new AggregateError([new Error('connect ECONNREFUSED ::1:4318'), new Error('connect ECONNREFUSED 127.0.0.1:4318')], '');
    assert.equal(describeError(agg), 'connect ECONNREFUSED ::1:4318; connect ECONNREFUSED 127.0.0.1:4318');
  });
  it('shows HTTP status codes of exporter errors', () => {
    const e = Object.assign(new Error('Bad Request'), { code: 400 });
    assert.equal(describeError(e), 'HTTP 400 Bad Request');
  });
  it('copes with non-errors', () => {
    assert.equal(describeError('plain'), 'plain');
    assert.equal(describeError({ a: 1 }), '{"a":1}');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.equal(typeof describeError(circular), 'string');
  });
});

describe('settleWithin', () => {
  it('reports settled work', async () => {
    assert.equal(await settleWithin(Promise.resolve(), 1000), 'settled');
    assert.equal(await settleWithin(Promise.reject(new Error('x')), 1000), 'settled');
  });
  it('reports a timeout for work that never settles', async () => {
    // Its timer is unref'd, so something else must keep this process alive meanwhile.
    const keepAlive = setTimeout(() => {}, 5000);
    try {
      assert.equal(await settleWithin(new Promise(() => {}), 20), 'timeout');
    } finally {
      clearTimeout(keepAlive);
    }
  });
  it('does not keep a process alive while waiting', () => {
    const started = Date.now();
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(__dirname, 'utils.js'))}).settleWithin(new Promise(() => {}), 60000)`]);
    assert.ok(Date.now() - started < 5000);
  });
});

describe('findNearestPackage', () => {
  const files: Record<string, string> = {
    '/srv/app/package.json': JSON.stringify({ name: 'my-app', version: '2.0.0' }),
    '/srv/app/dist/package.json': JSON.stringify({ type: 'commonjs' }),
    '/srv/app/broken/package.json': '{ not json',
    '/srv/noversion/package.json': JSON.stringify({ name: 'nv' }),
  };
  const read = (f: string): string => {
    const text = files[f.split(path.sep).join('/')];
    if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return text;
  };
  it('skips nameless and unparseable package.json files', () => {
    assert.deepEqual(findNearestPackage('/srv/app/dist/server', read), { name: 'my-app', version: '2.0.0', file: path.resolve('/srv/app/package.json') });
    assert.equal(findNearestPackage('/srv/app/broken', read)?.name, 'my-app');
  });
  it('returns a name without version when there is none', () => {
    assert.deepEqual(findNearestPackage('/srv/noversion/x', read), { name: 'nv', version: undefined, file: path.resolve('/srv/noversion/package.json') });
  });
  it('returns undefined at the root', () => assert.equal(findNearestPackage('/elsewhere/deep', read), undefined));
  it('finds this package from its own dist folder (real file system)', () => {
    assert.equal(findNearestPackage(__dirname)?.name, '@shopfloor/otel-bootstrap');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, env, loadConfig, redactUrl } from './config';

const DB = 'postgres://shop:secret@127.0.0.1:5432/shop';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig({ defaultPort: 8081, env: { DATABASE_URL: DB } });
    assert.equal(config.PORT, 8081);
    assert.equal(config.AMQP_URL, 'amqp://guest:guest@127.0.0.1:5672');
    assert.equal(config.LOG_LEVEL, 'info');
    assert.equal(config.DATABASE_URL, DB);
    assert.equal(config.CONSUMER_MAX_RETRIES, 10);
  });

  it('parses values and treats empty strings as unset', () => {
    const config = loadConfig({
      defaultPort: 8081,
      env: { DATABASE_URL: DB, PORT: '9000', LOG_LEVEL: 'DEBUG', AMQP_URL: '' },
    });
    assert.equal(config.PORT, 9000);
    assert.equal(config.LOG_LEVEL, 'debug');
    assert.equal(config.AMQP_URL, 'amqp://guest:guest@127.0.0.1:5672');
  });

  it('names every bad variable without echoing values', () => {
    assert.throws(
      () => loadConfig({ defaultPort: 8081, env: { PORT: 'eighty', AMQP_URL: 'http://user:hunter2@x', LOG_LEVEL: 'loud' } }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /PORT: must be an integer between 1 and 65535/);
        assert.match(err.message, /DATABASE_URL: is required/);
        assert.match(err.message, /AMQP_URL: must be a amqp:\/\/ or amqps:\/\/ URL/);
        assert.match(err.message, /LOG_LEVEL: must be one of/);
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      },
    );
  });

  it('rejects an out-of-range port', () => {
    assert.throws(() => loadConfig({ defaultPort: 1, env: { DATABASE_URL: DB, PORT: '70000' } }), /PORT: must be an integer/);
  });

  it('parses per-service extras', () => {
    const config = loadConfig({
      defaultPort: 8082,
      env: { DATABASE_URL: DB, RATE: '0.25', FLAG: 'TRUE', TARGET: 'http://127.0.0.1:1' },
      extra: {
        RATE: env.number({ min: 0, max: 1, default: 0 }),
        FLAG: env.bool(false),
        OTHER: env.bool(true),
        TARGET: env.url(['http:', 'https:'], 'http://x'),
      },
    });
    assert.equal(config.RATE, 0.25);
    assert.equal(config.FLAG, true);
    assert.equal(config.OTHER, true);
    assert.equal(config.TARGET, 'http://127.0.0.1:1');
  });

  it('rejects bad extras by name', () => {
    assert.throws(
      () =>
        loadConfig({
          defaultPort: 8082,
          env: { DATABASE_URL: DB, RATE: '1.5', FLAG: 'maybe' },
          extra: { RATE: env.number({ min: 0, max: 1, default: 0 }), FLAG: env.bool(false) },
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /RATE: must be a number between 0 and 1/);
        assert.match(err.message, /FLAG: must be true or false/);
        return true;
      },
    );
  });
});

describe('redactUrl', () => {
  it('hides the password', () => {
    assert.equal(redactUrl('amqp://guest:guest@127.0.0.1:5672'), 'amqp://guest:***@127.0.0.1:5672');
    assert.equal(redactUrl('postgres://u@h/db'), 'postgres://u@h/db');
    assert.equal(redactUrl('not a url'), '[unparseable URL]');
  });
});

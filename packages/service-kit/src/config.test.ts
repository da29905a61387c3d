import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parsePgUrl } from 'pg-connection-string';
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

describe('loadConfig: secrets from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'service-kit-secrets-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const secretFile = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `${content}\n`);
    return path;
  };
  // The characters a generated password holds (openssl rand -base64), and the URL's own delimiters.
  const password = 'a/b+c=@d: e%f';

  it("puts DATABASE_PASSWORD_FILE's password into DATABASE_URL so that pg reads it back", () => {
    const config = loadConfig({
      defaultPort: 8081,
      env: { DATABASE_URL: 'postgres://shop@db:5432/shop', DATABASE_PASSWORD_FILE: secretFile('db', password) },
    });
    const parsed = parsePgUrl(config.DATABASE_URL);
    assert.equal(parsed.password, password);
    assert.equal(parsed.user, 'shop');
    assert.equal(parsed.host, 'db');
    assert.equal(parsed.database, 'shop');
  });

  it("puts AMQP_PASSWORD_FILE's password into AMQP_URL", () => {
    const config = loadConfig({
      defaultPort: 8081,
      env: { DATABASE_URL: DB, AMQP_URL: 'amqp://shopfloor@mq:5672', AMQP_PASSWORD_FILE: secretFile('amqp', password) },
    });
    const url = new URL(config.AMQP_URL);
    assert.equal(decodeURIComponent(url.password), password);
    assert.equal(url.host, 'mq:5672');
  });

  it("reads a service's own secret from <NAME>_FILE", () => {
    const config = loadConfig({
      defaultPort: 8081,
      env: { DATABASE_URL: DB, S3_SECRET_ACCESS_KEY_FILE: secretFile('s3', password) },
      extra: { S3_SECRET_ACCESS_KEY: env.string('dev') },
      secrets: ['S3_SECRET_ACCESS_KEY'],
    });
    assert.equal(config.S3_SECRET_ACCESS_KEY, password);
  });

  it('refuses a password with no URL to go into, or a file that cannot be read, as a ConfigError without the secret', () => {
    assert.throws(
      () => loadConfig({ defaultPort: 8081, env: { DATABASE_URL: DB, AMQP_PASSWORD: 'amqp-secret' } }),
      (err: unknown) => err instanceof ConfigError && /AMQP_PASSWORD is set but AMQP_URL is not/.test(err.message) && !err.message.includes('amqp-secret'),
    );
    assert.throws(
      () => loadConfig({ defaultPort: 8081, env: { DATABASE_URL: 'postgres://shop@db/shop', DATABASE_PASSWORD_FILE: join(dir, 'missing') } }),
      (err: unknown) => err instanceof ConfigError && /DATABASE_PASSWORD_FILE: cannot read .*missing \(ENOENT\)/.test(err.message),
    );
  });
});

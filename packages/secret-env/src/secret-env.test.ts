import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSecretEnv, SecretEnvError } from './secret-env';

describe('readSecretEnv', () => {
  let dir: string;
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'secret-env-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a secret from its _FILE, without the trailing line break, and leaves the rest of the environment alone', () => {
    const env = readSecretEnv({ S3_SECRET_ACCESS_KEY_FILE: file('s3', 'k3y with space\n'), PORT: '8081' }, [{ name: 'S3_SECRET_ACCESS_KEY' }]);
    assert.equal(env.S3_SECRET_ACCESS_KEY, 'k3y with space');
    assert.equal(env.PORT, '8081');
  });

  it('keeps a secret given in the variable itself', () => {
    assert.equal(readSecretEnv({ S3_SECRET_ACCESS_KEY: 'plain' }, [{ name: 'S3_SECRET_ACCESS_KEY' }]).S3_SECRET_ACCESS_KEY, 'plain');
  });

  it('puts a password from a file into every URL it is for, percent-encoded', () => {
    const password = 'a/b+c=@d: e';
    const env = readSecretEnv(
      {
        WATCHDOG_DB_PASSWORD_FILE: file('db', `${password}\r\n`),
        WATCHDOG_SHOP_DATABASE_URL: 'postgres://watchdog@db:5432/shop',
        WATCHDOG_MES_DATABASE_URL: 'postgres://watchdog@db:5432/mes',
      },
      [{ name: 'WATCHDOG_DB_PASSWORD', intoUrls: ['WATCHDOG_SHOP_DATABASE_URL', 'WATCHDOG_CRM_DATABASE_URL', 'WATCHDOG_MES_DATABASE_URL'] }],
    );
    for (const name of ['WATCHDOG_SHOP_DATABASE_URL', 'WATCHDOG_MES_DATABASE_URL']) {
      const url = new URL(env[name]!);
      assert.equal(decodeURIComponent(url.password), password, name);
      assert.equal(url.username, 'watchdog');
    }
    assert.equal(env.WATCHDOG_CRM_DATABASE_URL, undefined, 'an unset URL stays unset');
  });

  it('lists every problem at once, naming variables and files but never a secret', () => {
    const missing = join(dir, 'nope');
    let error: unknown;
    try {
      readSecretEnv(
        {
          A: 'one-secret',
          A_FILE: file('a', 'other-secret'),
          B_FILE: missing,
          C_FILE: file('c', '\n'),
          D: 'd-secret',
          D_URL: 'amqp://u:already-there@mq',
          E: 'e-secret',
        },
        [{ name: 'A' }, { name: 'B' }, { name: 'C' }, { name: 'D', intoUrls: ['D_URL'] }, { name: 'E', intoUrls: ['E_URL'] }],
      );
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof SecretEnvError, 'no SecretEnvError thrown');
    const message = error.message;
    assert.match(message, /A and A_FILE are both set/);
    assert.match(message, new RegExp(`B_FILE: cannot read ${missing} \\(ENOENT\\)`));
    assert.match(message, /C_FILE: .* is empty/);
    assert.match(message, /D_URL already carries a password/);
    assert.match(message, /E is set but E_URL is not/);
    for (const secret of ['one-secret', 'other-secret', 'd-secret', 'already-there', 'e-secret']) assert.ok(!message.includes(secret), `the message shows ${secret}`);
  });
});

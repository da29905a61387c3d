import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { journeyPathOf, readConfig, readSecrets } from './config';

describe('readSecrets: the watchdog secrets from files (compose secrets)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'watchdog-secrets-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const secretFile = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `${content}\n`);
    return path;
  };
  const password = 'a/b+c=@d: e';

  it("puts the database password into the state URL and the journey's database URLs, the others into theirs", () => {
    const env = readSecrets({
      WATCHDOG_DB_PASSWORD_FILE: secretFile('db', password),
      WATCHDOG_STATE_DATABASE_URL: 'postgres://watchdog@postgres:5432/watchdog',
      WATCHDOG_SHOP_DATABASE_URL: 'postgres://watchdog@postgres:5432/shop',
      WATCHDOG_MES_DATABASE_URL: 'postgres://watchdog@postgres:5432/mes',
      WATCHDOG_AMQP_URL: 'amqp://shopfloor@rabbitmq:5672',
      WATCHDOG_AMQP_PASSWORD_FILE: secretFile('amqp', `${password}!`),
      WATCHDOG_ALERTMANAGER_URL: 'http://shopfloor@alertmanager:9093',
      WATCHDOG_ALERTMANAGER_PASSWORD_FILE: secretFile('am', `${password}?`),
      WATCHDOG_OPERATOR_TOKEN_FILE: secretFile('token', 'operator token of 24 chars'),
      ERP_DB: 'postgres://watchdog@erp:5432/erp',
      OTHER_DATABASE_URL: 'postgres://someone@else:5432/x',
    }, ['WATCHDOG_SHOP_DATABASE_URL', 'WATCHDOG_MES_DATABASE_URL', 'ERP_DB']);
    const passwordOf = (name: string): string => decodeURIComponent(new URL(env[name]!).password);
    for (const name of ['WATCHDOG_STATE_DATABASE_URL', 'WATCHDOG_SHOP_DATABASE_URL', 'WATCHDOG_MES_DATABASE_URL', 'ERP_DB']) assert.equal(passwordOf(name), password, name);
    assert.equal(env.OTHER_DATABASE_URL, 'postgres://someone@else:5432/x', 'a URL the journey does not name is left alone');
    assert.equal(passwordOf('WATCHDOG_AMQP_URL'), `${password}!`);
    assert.equal(passwordOf('WATCHDOG_ALERTMANAGER_URL'), `${password}?`);
    const config = readConfig(env);
    assert.equal(config.operatorToken, 'operator token of 24 chars');
    assert.equal(new URL(config.stateDatabaseUrl).pathname, '/watchdog');
  });

  it('leaves URLs that carry their password alone when no password variable is set', () => {
    const env = readSecrets({ WATCHDOG_STATE_DATABASE_URL: 'postgres://watchdog:pw@db/watchdog' });
    assert.equal(env.WATCHDOG_STATE_DATABASE_URL, 'postgres://watchdog:pw@db/watchdog');
  });

  it('refuses a database password with no database URL, naming the variables only', () => {
    assert.throws(
      () => readSecrets({ WATCHDOG_DB_PASSWORD: 'db-secret-value' }),
      (err: unknown) => err instanceof Error && /WATCHDOG_DB_PASSWORD is set but WATCHDOG_STATE_DATABASE_URL is not/.test(err.message) && !err.message.includes('db-secret-value'),
    );
  });
});

describe('the shipped journey and readSecrets', () => {
  it('names the database URLs the native stack and compose set', async () => {
    const { loadJourney } = await import('./journey');
    const urls = Object.values(loadJourney(journeyPathOf({})).databases).map((d) => d.url_env).sort();
    assert.deepEqual(urls, ['WATCHDOG_CRM_DATABASE_URL', 'WATCHDOG_MES_DATABASE_URL', 'WATCHDOG_SHOP_DATABASE_URL']);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMesConfig } from './config';
import { findPartner, PartnerKeysError, parsePartnerKeys } from './partners';

describe('parsePartnerKeys', () => {
  it('parses id:key pairs, ignoring blanks and spaces', () => {
    const partners = parsePartnerKeys(' acme:k-acme-123 , ,globex:k:with:colons ');
    assert.deepEqual(
      partners.map((p) => p.id),
      ['acme', 'globex'],
    );
    assert.equal(findPartner(partners, 'k:with:colons'), 'globex');
  });

  it('is empty for an empty string', () => {
    assert.deepEqual(parsePartnerKeys(''), []);
  });

  it('rejects malformed entries without echoing keys', () => {
    for (const raw of ['acme', ':key', 'acme:', 'bad id:key', 'acme:k1,acme:k2', 'a:same,b:same']) {
      assert.throws(
        () => parsePartnerKeys(raw),
        (err: unknown) => {
          assert.ok(err instanceof PartnerKeysError);
          assert.doesNotMatch(err.message, /k1|k2|same/);
          return true;
        },
        raw,
      );
    }
  });
});

describe('findPartner', () => {
  const partners = parsePartnerKeys('acme:secret-acme,globex:secret-globex');

  it('finds the partner owning the key', () => {
    assert.equal(findPartner(partners, 'secret-acme'), 'acme');
    assert.equal(findPartner(partners, 'secret-globex'), 'globex');
  });

  it('rejects missing, empty, wrong or prefix keys', () => {
    assert.equal(findPartner(partners, undefined), null);
    assert.equal(findPartner(partners, ''), null);
    assert.equal(findPartner(partners, 'secret'), null);
    assert.equal(findPartner(partners, 'secret-acme '), null);
    assert.equal(findPartner([], 'secret-acme'), null);
  });
});

describe('loadMesConfig', () => {
  const DB = 'postgres://u:p@127.0.0.1/mes';

  it('defaults: port 8083, no partners, faults off', () => {
    const config = loadMesConfig({ DATABASE_URL: DB });
    assert.equal(config.PORT, 8083);
    assert.deepEqual(config.MES_PARTNER_KEYS, []);
    assert.equal(config.MES_FAULT_DELAY_MS, 0);
    assert.equal(config.MES_FAULT_REJECT, false);
    assert.equal(config.MES_FAULT_ACK_THEN_CRASH, 0);
  });

  it('parses partner keys and fault hooks', () => {
    const config = loadMesConfig({ DATABASE_URL: DB, MES_PARTNER_KEYS: 'acme:k1', MES_FAULT_DELAY_MS: '250', MES_FAULT_REJECT: 'true', MES_FAULT_ACK_THEN_CRASH: '20' });
    assert.deepEqual(config.MES_PARTNER_KEYS.map((p) => p.id), ['acme']);
    assert.equal(config.MES_FAULT_DELAY_MS, 250);
    assert.equal(config.MES_FAULT_REJECT, true);
    assert.equal(config.MES_FAULT_ACK_THEN_CRASH, 20);
  });

  it('names MES_PARTNER_KEYS when it is malformed, without the key', () => {
    assert.throws(
      () => loadMesConfig({ DATABASE_URL: DB, MES_PARTNER_KEYS: 'acme:topsecret,acme:other' }),
      (err: unknown) => {
        assert.match(String(err), /MES_PARTNER_KEYS: entry 2: partner id acme is listed twice/);
        assert.doesNotMatch(String(err), /topsecret|other/);
        return true;
      },
    );
  });
});

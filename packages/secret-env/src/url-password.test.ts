import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { urlWithPassword } from './url-password';

const NASTY = ['a/b+c=d', 'p@ss:word', 'with space', '100%sure', 'ü€#?&', "quote'\"`\\"];

describe('urlWithPassword', () => {
  it('puts any password into the URL so that decoding the URL gives it back', () => {
    for (const password of NASTY) {
      const url = new URL(urlWithPassword('postgres://shopfloor@db:5432/shop?sslmode=disable', password));
      assert.equal(decodeURIComponent(url.password), password);
      assert.equal(url.username, 'shopfloor');
      assert.equal(url.host, 'db:5432');
      assert.equal(url.pathname, '/shop');
      assert.equal(url.search, '?sslmode=disable');
    }
  });

  it('keeps special schemes (http) working too', () => {
    const url = new URL(urlWithPassword('http://shopfloor@alertmanager:9093', 'x/y z'));
    assert.equal(url.host, 'alertmanager:9093');
    assert.equal(decodeURIComponent(url.password), 'x/y z');
  });

  it('refuses a URL that already has a password, or no user, without echoing the secret', () => {
    assert.throws(() => urlWithPassword('amqp://u:old@mq:5672', 'new-secret', 'AMQP_URL'), (err: Error) => /AMQP_URL already carries a password/.test(err.message) && !err.message.includes('new-secret') && !err.message.includes('old'));
    assert.throws(() => urlWithPassword('amqp://mq:5672', 'new-secret', 'AMQP_URL'), /AMQP_URL names no user/);
    assert.throws(() => urlWithPassword('not a url', 's', 'DATABASE_URL'), /DATABASE_URL is not a URL/);
  });
});

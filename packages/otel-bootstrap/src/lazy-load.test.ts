import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as diagnosticsChannel from 'diagnostics_channel';
import { beforeFirstFetch, packageOf } from './lazy-load';

describe('packageOf', () => {
  it('names the package of a bare specifier', () => {
    assert.equal(packageOf('pg'), 'pg');
    assert.equal(packageOf('pg/lib/client.js'), 'pg');
    assert.equal(packageOf('@scope/pkg/sub'), '@scope/pkg');
    assert.equal(packageOf('node:http'), 'http');
    assert.equal(packageOf('https'), 'https');
  });
  it('relative and absolute paths name no package', () => {
    for (const id of ['./pg', '../x', '/abs/pg', 'C:\\x\\pg', '']) assert.equal(packageOf(id), undefined, id);
  });
});

describe('beforeFirstFetch', () => {
  it('loads on the first request message, which the listeners it added then see too; once', () => {
    const channel = diagnosticsChannel.channel('undici:request:create');
    const seen: unknown[] = [];
    const listener = (m: unknown) => seen.push(m);
    let loads = 0;
    const now = beforeFirstFetch(() => {
      loads++;
      channel.subscribe(listener);
    });
    try {
      channel.publish({ request: 1 });
      channel.publish({ request: 2 });
      now();
      assert.equal(loads, 1);
      assert.deepEqual(seen, [{ request: 1 }, { request: 2 }]);
    } finally {
      channel.unsubscribe(listener);
    }
  });

  it('calling it first loads at once, and the listener is gone', () => {
    const channel = diagnosticsChannel.channel('undici:request:create');
    let loads = 0;
    const now = beforeFirstFetch(() => loads++);
    now();
    now();
    channel.publish({ request: 3 });
    assert.equal(loads, 1);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OtlpBuffer, type EncodedRequest } from './otlp-buffer';

let seq = 0;
const req = (bytes: number, items = 1): EncodedRequest => ({ body: new Uint8Array(bytes), items, seq: ++seq });

describe('OtlpBuffer', () => {
  it('is a FIFO that counts bytes and items, the request being sent included', () => {
    const b = new OtlpBuffer(100);
    const [r1, r2] = [req(10, 2), req(20, 3)];
    b.push(r1);
    b.push(r2);
    assert.deepEqual([b.bytes, b.items], [30, 5]);
    assert.equal(b.next(), r1);
    assert.equal(b.next(), r1, 'the head stays until it is done (a retry)');
    assert.deepEqual([b.bytes, b.items], [30, 5]);
    assert.equal(b.done(), r1);
    assert.equal(b.next(), r2);
    b.done();
    assert.equal(b.isEmpty, true);
    assert.deepEqual([b.bytes, b.items, b.oldestSeq], [0, 0, Infinity]);
  });

  it('at the bound drops the oldest queued requests, never the one being sent', () => {
    const b = new OtlpBuffer(100);
    const sending = req(40);
    b.push(sending);
    b.next();
    const [a, c] = [req(30), req(30)];
    b.push(a);
    b.push(c);
    const d = req(30);
    assert.deepEqual(b.push(d), [a]);
    assert.equal(b.bytes, 100);
    assert.equal(b.next(), sending);
    b.done();
    assert.equal(b.next(), c);
    b.done();
    assert.equal(b.next(), d);
  });

  it('drops a request that could never fit, keeping the others', () => {
    const b = new OtlpBuffer(100);
    b.push(req(40));
    b.next();
    const kept = req(30);
    b.push(kept);
    const huge = req(61);
    assert.deepEqual(b.push(huge), [huge]);
    assert.equal(b.bytes, 70);
  });

  it('stays O(1) per request over many pushes and shifts (compaction)', () => {
    const b = new OtlpBuffer(1000);
    for (let i = 0; i < 100_000; i++) {
      b.push(req(10));
      if (i % 2 === 0) {
        b.next();
        b.done();
      }
    }
    assert.ok(b.bytes <= 1000);
    assert.equal(b.items, b.bytes / 10);
  });

  it('clear() empties it and says how many items it held', () => {
    const b = new OtlpBuffer(100);
    b.push(req(10, 4));
    b.next();
    b.push(req(10, 5));
    assert.equal(b.clear(), 9);
    assert.equal(b.isEmpty, true);
    assert.equal(b.bytes, 0);
  });
});

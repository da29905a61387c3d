import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from './logger';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes JSON with a level label and redacts secrets', () => {
    const out = capture();
    const logger = createLogger({ service: 'test', level: 'info', destination: out.stream });
    logger.info(
      {
        req: { headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'x-api-key': 'k-123', accept: '*/*' } },
        headers: { 'x-api-key': 'k-456' },
        user: { password: 'hunter2' },
        password: 'top',
      },
      'hello',
    );
    const [line] = out.lines();
    assert.equal(line?.level, 'info');
    assert.equal(line?.service, 'test');
    assert.equal(line?.msg, 'hello');
    const text = JSON.stringify(line);
    for (const secret of ['Bearer abc', 'sid=1', 'k-123', 'k-456', 'hunter2', '"top"']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.ok(text.includes('*/*'));
  });
});

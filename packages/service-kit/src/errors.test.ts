import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { describeError, formatPath, loggableError, parseOrThrow, parseUuidParam, ValidationError } from './errors';

describe('formatPath', () => {
  it('renders nested paths', () => {
    assert.equal(formatPath(['items', 0, 'sku']), 'items[0].sku');
    assert.equal(formatPath([]), '(root)');
  });
});

describe('parseOrThrow', () => {
  it('lists every failing field', () => {
    const schema = z.object({ a: z.string(), b: z.array(z.object({ n: z.int() })) });
    try {
      parseOrThrow(schema, { b: [{ n: 1.5 }] }, 'invalid thing');
      assert.fail('expected a ValidationError');
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.publicMessage, 'invalid thing');
      assert.deepEqual(
        err.details.map((d) => d.path),
        ['a', 'b[0].n'],
      );
    }
  });
});

describe('parseUuidParam', () => {
  it('accepts UUIDs and rejects the rest', () => {
    assert.equal(parseUuidParam('0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10', 'orderId'), '0b3a9c1e-8f2d-4c55-9a57-2c1f0e6d7b10');
    assert.throws(() => parseUuidParam('42', 'orderId'), /invalid orderId/);
  });
});

describe('describeError', () => {
  it('adds the code and flattens whitespace', () => {
    const err = Object.assign(new Error('connect failed\n  here'), { code: 'ECONNREFUSED' });
    assert.equal(describeError(err), 'connect failed here (ECONNREFUSED)');
    assert.equal(describeError('plain'), 'plain');
    assert.equal(describeError('x'.repeat(20), 10).length, 10);
    const aggregate = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:5432'), new Error('connect ECONNREFUSED 127.0.0.1:5432')], ''), { code: 'ECONNREFUSED' });
    assert.equal(describeError(aggregate), 'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
  });
});

describe('parseUuidParam details', () => {
  it('names the parameter', () => {
    try {
      parseUuidParam('42', 'orderId');
      assert.fail('expected a ValidationError');
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.details, [{ path: 'orderId', message: 'must be a UUID' }]);
    }
  });
});

describe('errors that quote their input', () => {
  const secret = 'hunter2xyz';
  function parseError(text: string): SyntaxError {
    try {
      JSON.parse(text);
    } catch (err) {
      return err as SyntaxError;
    }
    throw new Error('parsed');
  }

  it('describes a JSON.parse error by class and position, not by the text it quotes', () => {
    const quoting = parseError(secret);
    assert.ok(quoting.message.includes(secret), `precondition: Node quotes the input: ${quoting.message}`);
    assert.equal(describeError(quoting), 'SyntaxError');
    const positioned = parseError(`{"password":"${secret}", x}`);
    assert.equal(describeError(positioned), `SyntaxError at position ${`{"password":"${secret}", `.length}`);
  });

  it('logs an error as type, bounded message and stack frames only', () => {
    const err = parseError(secret);
    const logged = loggableError(err);
    assert.equal(logged.type, 'SyntaxError');
    assert.ok(!JSON.stringify(logged).includes(secret), JSON.stringify(logged));
    assert.ok(logged.stack?.split('\n').every((line) => line.startsWith('at ')), `stack frames only: ${logged.stack}`);
    const detailed = Object.assign(new Error('duplicate key value violates unique constraint "orders_pkey"'), {
      code: '23505',
      detail: `Key (email)=(${secret}@example.com) already exists.`,
    });
    assert.ok(!JSON.stringify(loggableError(detailed)).includes(secret), 'a pg error\'s detail (row values) is not logged');
    assert.match(loggableError(detailed).message, /unique constraint "orders_pkey" \(23505\)/);
  });
});

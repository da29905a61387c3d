import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTransientDbError } from './db';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isTransientDbError', () => {
  it('treats unreachable / restarting PostgreSQL as transient', () => {
    assert.equal(isTransientDbError(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')), true);
    assert.equal(isTransientDbError(withCode('the database system is starting up', '57P03')), true);
    assert.equal(isTransientDbError(withCode('terminating connection due to administrator command', '57P01')), true);
    assert.equal(isTransientDbError(withCode('connection failure', '08006')), true);
    assert.equal(isTransientDbError(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isTransientDbError(new Error('timeout exceeded when trying to connect')), true);
  });

  it('treats query errors as not transient', () => {
    assert.equal(isTransientDbError(withCode('syntax error at or near "SELEC"', '42601')), false);
    assert.equal(isTransientDbError(withCode('duplicate key value violates unique constraint', '23505')), false);
    assert.equal(isTransientDbError(withCode('password authentication failed', '28P01')), false);
    assert.equal(isTransientDbError('ECONNREFUSED'), false);
  });
});

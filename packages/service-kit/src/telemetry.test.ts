import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorType } from './telemetry';

class InjectedFault extends Error {}

test('error.type is the exception class, never its message', () => {
  assert.equal(errorType(new InjectedFault('order 42 of alice@example.com')), 'InjectedFault');
  assert.equal(errorType(new TypeError('x')), 'TypeError');
  assert.equal(errorType('a string'), '_OTHER');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '@shopfloor/service-kit';
import { modelKey } from './models';

test('model keys are namespaced per upload', () => {
  assert.equal(modelKey('bracket_v2.stl', 'abc'), 'models/abc/bracket_v2.stl');
});

test('a name that is a path, empty or too long is a 400', () => {
  for (const bad of ['../etc/passwd', 'a/b.stl', '', '.hidden', 'x'.repeat(129), undefined, ['a.stl']]) {
    assert.throws(() => modelKey(bad), (err: unknown) => err instanceof HttpError && err.status === 400, String(bad));
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overrideEnvironment } from './scenario-env';

test("a scenario's secret empties the users' file variable of it, and nothing else", () => {
  const users = { WATCHDOG_OPERATOR_TOKEN_FILE: '/run/secrets/watchdog_operator_token', WATCHDOG_DB_PASSWORD_FILE: '/run/secrets/watchdog_db_password', WATCHDOG_PORT: '8084' };
  assert.deepEqual(overrideEnvironment(users, { WATCHDOG_OPERATOR_TOKEN: 'scenario-token-0123456789', WATCHDOG_CHECK_INTERVAL_MS: '2000' }), {
    WATCHDOG_OPERATOR_TOKEN: 'scenario-token-0123456789',
    WATCHDOG_OPERATOR_TOKEN_FILE: '',
    WATCHDOG_CHECK_INTERVAL_MS: '2000',
  });
  // A scenario that sets the file variable itself keeps it.
  assert.deepEqual(overrideEnvironment(users, { WATCHDOG_OPERATOR_TOKEN: 't', WATCHDOG_OPERATOR_TOKEN_FILE: '/x' }), { WATCHDOG_OPERATOR_TOKEN: 't', WATCHDOG_OPERATOR_TOKEN_FILE: '/x' });
  assert.deepEqual(overrideEnvironment(undefined, { A: '1' }), { A: '1' });
});

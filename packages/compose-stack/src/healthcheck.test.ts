import { it } from 'node:test';
import assert from 'node:assert/strict';
import { composeDurationSeconds, fasterHealthcheck } from './healthcheck';

it('composeDurationSeconds reads the units compose accepts, combined', () => {
  assert.equal(composeDurationSeconds('10s'), 10);
  assert.equal(composeDurationSeconds('1m30s'), 90);
  assert.equal(composeDurationSeconds('1h'), 3600);
  assert.equal(composeDurationSeconds('500ms'), 0.5);
});

it('composeDurationSeconds refuses what is no duration', () => {
  for (const bad of ['', '10', 's', '10 s', '1d', '5x']) assert.throws(() => composeDurationSeconds(bad), /not a compose duration/, bad);
});

it('fasterHealthcheck polls more often and keeps the time a check may fail', () => {
  // RabbitMQ's: 10 retries 10 s apart = 100 s, now 50 probes 2 s apart.
  assert.deepEqual(fasterHealthcheck({ interval: '10s', retries: 10 }, 2), { interval: '2s', retries: 50 });
  assert.deepEqual(fasterHealthcheck({ interval: '15s', retries: 5 }, 2), { interval: '2s', retries: 38 });
  // Compose's defaults (30 s x 3) when the file leaves them out.
  assert.deepEqual(fasterHealthcheck({}, 2), { interval: '2s', retries: 45 });
});

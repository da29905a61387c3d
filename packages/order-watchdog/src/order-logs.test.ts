import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { logRows, logsQuery, parseLogLines, timeMicros } from './order-logs';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const U = 'a'.repeat(31) + 'b';
const FIELDS = ' | sort by (_time desc) | limit 201 | fields _time, service.name, severity_text, severity_number, _msg';

describe('log lines (VictoriaLogs)', () => {
  it('asks by trace_id, for valid trace ids only', () => {
    assert.equal(logsQuery([T]), `trace_id:"${T}"${FIELDS}`);
    assert.equal(logsQuery([`00-${T.toUpperCase()}-00f067aa0ba902b7-01`, T, U]), `trace_id:in("${T}", "${U}")${FIELDS}`);
    assert.equal(logsQuery([`${T}" or *`, 'x', '0'.repeat(32)]), undefined, 'nothing but 32 hex digits reaches the query');
    assert.equal(logsQuery([T], 11), `trace_id:"${T}" | sort by (_time desc) | limit 11 | fields _time, service.name, severity_text, severity_number, _msg`);
  });

  it('reads JSON lines, skipping what is not an object', () => {
    const body = `{"_msg":"a"}\n\nnot json\n[1,2]\n{"_msg":"b"}\n{"_msg":`;
    assert.deepEqual(parseLogLines(body), [{ _msg: 'a' }, { _msg: 'b' }]);
  });

  it('orders by time to the microsecond, whatever the number of digits', () => {
    assert.equal(timeMicros('2026-01-01T10:00:00Z'), Date.parse('2026-01-01T10:00:00Z') * 1000);
    assert.equal(timeMicros('2026-01-01T10:00:00.123456789Z'), Date.parse('2026-01-01T10:00:00Z') * 1000 + 123456);
    assert.equal(timeMicros('2026-01-01T12:00:00.5+02:00'), Date.parse('2026-01-01T10:00:00Z') * 1000 + 500000);
    assert.equal(timeMicros('yesterday'), undefined);
    const { rows, cut } = logRows([
      { _time: '2026-01-01T10:00:00.5Z', _msg: 'third', 'service.name': 'mes-api', severity_text: 'warn', severity_number: '13' },
      { _time: '2026-01-01T10:00:00.123456789Z', _msg: 'second', 'service.name': 'crm-api', severity_number: '17' },
      { _time: '2026-01-01T10:00:00Z', _msg: 'first', 'service.name': 'shop-api', severity_text: 'info' },
      { _msg: 'no time' },
    ]);
    assert.equal(cut, false);
    assert.deepEqual(
      rows.map((r) => [r.message, r.service, r.severity, r.level]),
      [
        ['no time', '?', '', ''],
        ['first', 'shop-api', 'INFO', 'info'],
        ['second', 'crm-api', 'ERROR', 'error'],
        ['third', 'mes-api', 'WARN', 'warn'],
      ],
    );
    assert.equal(rows[1]!.at, Date.parse('2026-01-01T10:00:00Z'));
    assert.equal(rows[2]!.at, Date.parse('2026-01-01T10:00:00.123Z'));
    assert.equal(rows[0]!.at, undefined);
  });

  it('keeps the newest lines, newest last, and says when it cut', () => {
    const entries = Array.from({ length: 250 }, (_, i) => ({ _time: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), _msg: `line ${i}` })).reverse();
    const { rows, cut } = logRows(entries, 200);
    assert.equal(cut, true);
    assert.equal(rows.length, 200);
    assert.equal(rows[0]!.message, 'line 50');
    assert.equal(rows[199]!.message, 'line 249');
  });

  it('cuts a long message', () => {
    const { rows } = logRows([{ _time: '2026-01-01T10:00:00Z', _msg: 'x'.repeat(5000) }]);
    assert.equal(rows[0]!.message.length, 1001);
  });
});

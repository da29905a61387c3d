import { boundedText, describeFailure, type FetchFn } from './bounded-fetch';
import type { AuthedUrl } from './http-auth';
import { traceIdOf } from './records';

/** Most log lines shown (the newest). */
export const MAX_LOG_LINES = 200;
/** Most bytes read of VictoriaLogs' answer (200 lines of five fields each). */
const MAX_LOG_BYTES = 4 * 1024 * 1024;
/** A message is cut to this many characters. */
const MAX_MESSAGE = 1000;
/** VictoriaLogs is asked from this long before the order's acceptance (clocks, a request's start). */
const SINCE_MARGIN_MS = 3_600_000;

/** A log entry as VictoriaLogs returns it: one JSON object per line, every value a string. */
export type LogEntryJson = Record<string, unknown>;

export interface LogRow {
  /** Epoch ms; undefined when `_time` could not be read (then `time` holds it as given). */
  at?: number;
  time: string;
  service: string;
  /** As written (`severity_text`, upper-cased), else named from `severity_number`. */
  severity: string;
  level: 'error' | 'warn' | 'info' | 'debug' | '';
  message: string;
}

export type LogSection =
  | { status: 'unavailable'; note: string }
  | { status: 'found'; traceIds: string[]; rows: LogRow[]; cut: boolean };

/**
 * The LogsQL of an order's lines: by `trace_id`, the field VictoriaLogs' OTLP ingestion stores
 * the record's trace id in (docs/logs.md), newest first and at most `limit`, and only the fields
 * the page shows (the others may hold request details). Trace ids are checked to be 32 hex
 * digits first: nothing else reaches the query. Undefined without a valid id.
 */
export function logsQuery(traceIds: readonly string[], limit = MAX_LOG_LINES + 1): string | undefined {
  const ids = [...new Set(traceIds.map(traceIdOf).filter((id): id is string => id !== undefined))];
  if (!ids.length) return undefined;
  const filter = ids.length === 1 ? `trace_id:"${ids[0]}"` : `trace_id:in(${ids.map((id) => `"${id}"`).join(', ')})`;
  return `${filter} | sort by (_time desc) | limit ${limit} | fields _time, service.name, severity_text, severity_number, _msg`;
}

/** VictoriaLogs' answer (JSON lines) → entries; a line that is not a JSON object is skipped. */
export function parseLogLines(body: string): LogEntryJson[] {
  const out: LogEntryJson[] = [];
  for (const line of body.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as unknown;
      if (entry && typeof entry === 'object' && !Array.isArray(entry)) out.push(entry as LogEntryJson);
    } catch {
      // A line cut by a proxy, or not JSON: the others are still worth showing.
    }
  }
  return out;
}

/**
 * `_time` (RFC 3339, up to nanoseconds) → epoch microseconds, for ordering: lines logged in the
 * same millisecond keep their order. Its digits vary in number (trailing zeros dropped), so the
 * text itself does not sort.
 */
export function timeMicros(value: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return seconds * 1000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
}

const SEVERITY_NAMES: [number, string][] = [
  [21, 'FATAL'],
  [17, 'ERROR'],
  [13, 'WARN'],
  [9, 'INFO'],
  [5, 'DEBUG'],
  [1, 'TRACE'],
];

function severityOf(entry: LogEntryJson): Pick<LogRow, 'severity' | 'level'> {
  const number = Number(entry.severity_number);
  const written = typeof entry.severity_text === 'string' ? entry.severity_text.trim().toUpperCase().slice(0, 16) : '';
  const named = Number.isFinite(number) && number > 0 ? SEVERITY_NAMES.find(([min]) => number >= min)?.[1] : undefined;
  const severity = written || named || '';
  const key = named ?? written;
  const level = key === 'FATAL' || key === 'ERROR' ? 'error' : key === 'WARN' || key === 'WARNING' ? 'warn' : key === 'INFO' ? 'info' : key === 'DEBUG' || key === 'TRACE' ? 'debug' : '';
  return { severity, level };
}

/** Entries → rows, oldest first (newest last), keeping the newest `max`; `cut` when there were more. */
export function logRows(entries: LogEntryJson[], max = MAX_LOG_LINES): { rows: LogRow[]; cut: boolean } {
  const keyed = entries.map((entry) => {
    const time = typeof entry._time === 'string' ? entry._time : '';
    const micros = timeMicros(time);
    const message = typeof entry._msg === 'string' ? entry._msg : '';
    const row: LogRow = {
      ...(micros !== undefined ? { at: Math.floor(micros / 1000) } : {}),
      time,
      service: String(entry['service.name'] ?? '?').slice(0, 100),
      ...severityOf(entry),
      message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message,
    };
    return { micros: micros ?? -Infinity, row };
  });
  keyed.sort((a, b) => a.micros - b.micros);
  return { rows: keyed.slice(-max).map((k) => k.row), cut: keyed.length > max };
}

export interface LogRequest {
  signal: AbortSignal;
  timeoutMs: number;
  fetchFn?: FetchFn;
}

/** The order's log lines from VictoriaLogs (`/select/logsql/query`), by the trace ids of the order. */
export async function loadLogSection(victoriaLogs: AuthedUrl | undefined, traceIds: readonly string[], order: { since?: number }, req: LogRequest): Promise<LogSection> {
  if (!victoriaLogs) return { status: 'unavailable', note: 'No log lines: no VictoriaLogs configured (WATCHDOG_VICTORIALOGS_URL).' };
  const query = logsQuery(traceIds);
  if (!query) return { status: 'unavailable', note: 'No log lines: they are found by trace id, and none is known for this order.' };
  const form = new URLSearchParams({ query });
  if (order.since !== undefined) form.set('start', new Date(order.since - SINCE_MARGIN_MS).toISOString());
  try {
    const body = await boundedText(victoriaLogs, '/select/logsql/query', { signal: req.signal, maxBytes: MAX_LOG_BYTES, form, ...(req.fetchFn ? { fetchFn: req.fetchFn } : {}) });
    const ids = [...new Set(traceIds.map(traceIdOf).filter((id): id is string => id !== undefined))];
    return { status: 'found', traceIds: ids, ...logRows(parseLogLines(body)) };
  } catch (err) {
    return { status: 'unavailable', note: `No log lines: VictoriaLogs ${describeFailure(err, req.timeoutMs)}.` };
  }
}

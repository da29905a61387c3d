import { fetchUrl } from './credentials';
import { REQUEST_TIMEOUT_MS } from './http';
/** A log entry as VictoriaLogs returns it: `_msg`, `_time`, `_stream`, then every field. */
export type LogEntry = Record<string, string>;

/** VictoriaLogs' HTTP query API (LogsQL). */
export class VictoriaLogsClient {
  constructor(private readonly base: string) {}

  /**
   * `/select/logsql/query`: the matching entries (JSON lines), newest first per VictoriaLogs'
   * own order. `limit` caps the answer.
   */
  async query(logsql: string, limit = 10_000): Promise<LogEntry[]> {
    const url = `${this.base}/select/logsql/query?${new URLSearchParams({ query: logsql, limit: String(limit) })}`;
    const res = await fetchUrl(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await res.text();
    if (!res.ok) throw new Error(`LogsQL ${logsql} answered ${res.status}: ${text.slice(0, 300)}`);
    return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as LogEntry);
  }

  /** Every entry of one trace: `trace_id:"<id>"` (the query docs/logs.md documents). */
  byTraceId(traceId: string): Promise<LogEntry[]> {
    return this.query(`trace_id:"${traceId}"`);
  }
}

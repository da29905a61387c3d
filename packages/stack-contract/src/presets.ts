/** Notification timing of every Alertmanager route, for tests that cannot wait the shipped 30 s / 5 m. */
export interface AlertTiming {
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

/**
 * Alerts within test time, for either stack: Prometheus evaluates every 5 s and Alertmanager
 * sends 1 s after an alert fires. The rule files, thresholds and `for:` durations stay the shipped ones.
 */
export const FAST_ALERTING: { evaluationInterval: string; timing: AlertTiming } = {
  evaluationInterval: '5s',
  timing: { groupWait: '1s', groupInterval: '5s', repeatInterval: '1h' },
};

/**
 * Bucket usage within test time, for either stack: MinIO's data scanner (which computes a
 * bucket's size and object count for its metrics) runs without pauses every second, instead of
 * a cycle a minute throttled while the host is busy, as on a loaded 2-core test machine. Users
 * keep MinIO's default, which spares their CPU.
 */
export const FAST_BUCKET_USAGE: Readonly<Record<string, string>> = { MINIO_SCANNER_SPEED: 'fastest' };

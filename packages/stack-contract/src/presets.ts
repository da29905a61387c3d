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

import type { AlertTiming } from './components/alertmanager';

/**
 * Alerts within test time, for either stack: Prometheus evaluates every 5 s and Alertmanager
 * sends 1 s after an alert fires. The rule files, thresholds and `for:` durations stay the shipped ones.
 */
export const FAST_ALERTING: { evaluationInterval: string; timing: AlertTiming } = {
  evaluationInterval: '5s',
  timing: { groupWait: '1s', groupInterval: '5s', repeatInterval: '1h' },
};

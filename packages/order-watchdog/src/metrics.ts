import type { Journey } from './journey';
import { progress } from './progress';
import type { WatchdogState } from './state';

/** Health of the watchdog itself, beside its state. */
export interface CheckHealth {
  lastSuccessAt?: number;
  lastDurationMs?: number;
  failures: number;
  alertPostFailures: number;
  /** The canary's pace (0: off), and the longest a healthy canary may take to complete after the previous one. */
  canary?: { intervalMs: number; maxAgeMs: number; startedAt: number };
  /** Successful checks since start. */
  checks?: number;
  /** Time waiting for the databases' answers, and queries, since start. */
  db?: { queryMs: number; queries: number };
  /** Saves of the state that failed (database unreachable), and the last that succeeded. */
  stateSaveFailures?: number;
  lastStateSaveAt?: number;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Prometheus text exposition of the watchdog's figures (every series carries `journey`). */
export function renderMetrics(journey: Journey, state: WatchdogState, health: CheckHealth): string {
  const j = { journey: journey.name };
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of samples) out.push(`${name}${labels({ ...j, ...l })} ${v}`);
  };

  const open = Object.values(state.open);
  const byStage = new Map(journey.stages.map((s) => [s.id, 0]));
  const stalled = new Map<string, number>();
  for (const order of open) {
    const stage = journey.stages[progress(journey, order).stoppedAt]!.id;
    byStage.set(stage, (byStage.get(stage) ?? 0) + 1);
    if (order.flag) {
      const key = `${order.flag.stage}\u0000${order.flag.reason}`;
      stalled.set(key, (stalled.get(key) ?? 0) + 1);
    }
  }
  metric('shopfloor_watchdog_orders', 'gauge', 'Open orders by the last stage they reached.', [...byStage].map(([stage, n]) => [{ stage }, n]));
  metric(
    'shopfloor_watchdog_orders_stalled',
    'gauge',
    'Open orders that missed a stage deadline, by the stage they stopped at and the reason.',
    [...stalled].map(([key, n]) => {
      const [stage, reason] = key.split('\u0000') as [string, string];
      return [{ stage, reason }, n];
    }),
  );
  metric(
    'shopfloor_watchdog_orders_flagged_total',
    'counter',
    'Orders flagged as stalled, by stage and reason (once per order and stage).',
    Object.entries(state.counters.flagged).map(([key, n]) => {
      const [stage, reason] = key.split('/') as [string, string];
      return [{ stage, reason }, n];
    }),
  );
  metric('shopfloor_watchdog_orders_completed_total', 'counter', 'Orders that reached the last stage.', [[{}, state.counters.completed]]);
  metric('shopfloor_watchdog_orders_late_total', 'counter', 'Completed orders that were flagged or finished after the last deadline.', [[{}, state.counters.late]]);
  metric('shopfloor_watchdog_orders_telemetry_incomplete_total', 'counter', 'Completed orders whose trace lacks at least one stage (telemetry loss, not a lost order).', [[{}, state.counters.telemetryIncomplete]]);
  metric(
    'shopfloor_watchdog_telemetry_missing_stage_total',
    'counter',
    'Completed orders whose trace lacks the span of this stage.',
    Object.entries(state.counters.telemetryMissingStage).map(([stage, n]) => [{ stage }, n]),
  );
  metric('shopfloor_watchdog_telemetry_unchecked_total', 'counter', 'Completed orders whose trace could not be checked (Jaeger unreachable).', [[{}, state.counters.telemetryUnchecked]]);
  metric('shopfloor_watchdog_orders_forgotten_total', 'counter', 'Open orders dropped after WATCHDOG_FORGET_AFTER_MS without completing.', [[{}, state.counters.forgotten]]);
  metric('shopfloor_watchdog_canary_sent_total', 'counter', 'Canary orders sent.', [[{}, state.counters.canarySent]]);
  metric('shopfloor_watchdog_canary_failed_total', 'counter', 'Canary orders the entry point refused or did not answer.', [[{}, state.counters.canaryFailed]]);
  metric('shopfloor_watchdog_canary_completed_total', 'counter', 'Canary orders that reached the last stage.', [[{}, state.counters.canaryCompleted]]);
  metric('shopfloor_watchdog_check_failures_total', 'counter', 'Checks that failed (a database unreachable, ...).', [[{}, health.failures]]);
  metric('shopfloor_watchdog_alert_post_failures_total', 'counter', 'Failed POSTs to Alertmanager.', [[{}, health.alertPostFailures]]);
  if (health.stateSaveFailures !== undefined) {
    metric('shopfloor_watchdog_state_save_failures_total', 'counter', 'Saves of the state to its database that failed (the state is kept in memory and saved again after the next check).', [[{}, health.stateSaveFailures]]);
  }
  if (health.lastStateSaveAt !== undefined) {
    metric('shopfloor_watchdog_state_last_saved_timestamp_seconds', 'gauge', 'Time of the last successful save of the state (Unix seconds).', [[{}, health.lastStateSaveAt / 1000]]);
  }
  if (health.canary) {
    const c = health.canary;
    metric('shopfloor_watchdog_canary_interval_seconds', 'gauge', 'Pace of the canary orders (0: no canary).', [[{}, c.intervalMs / 1000]]);
    if (c.intervalMs > 0) {
      metric('shopfloor_watchdog_canary_last_completed_timestamp_seconds', 'gauge', 'When the last canary order completed (Unix seconds); before the first one, when the canary started.', [
        [{}, Math.max(state.canaryLastCompletedAt ?? 0, c.startedAt) / 1000],
      ]);
      metric('shopfloor_watchdog_canary_max_age_seconds', 'gauge', 'Longest a healthy flow goes without a completed canary: the last deadline, two canary intervals and a check.', [[{}, c.maxAgeMs / 1000]]);
    }
  }
  metric('shopfloor_watchdog_checks_total', 'counter', 'Successful checks since start.', [[{}, health.checks ?? 0]]);
  if (health.db) {
    metric('shopfloor_watchdog_db_query_seconds_total', 'counter', 'Time spent waiting for stage-record queries since start.', [[{}, health.db.queryMs / 1000]]);
    metric('shopfloor_watchdog_db_queries_total', 'counter', 'Stage-record queries since start.', [[{}, health.db.queries]]);
  }
  if (health.lastSuccessAt !== undefined) {
    metric('shopfloor_watchdog_last_check_timestamp_seconds', 'gauge', 'Time of the last successful check (Unix seconds).', [[{}, health.lastSuccessAt / 1000]]);
  }
  if (health.lastDurationMs !== undefined) {
    metric('shopfloor_watchdog_check_duration_seconds', 'gauge', 'Duration of the last check.', [[{}, health.lastDurationMs / 1000]]);
  }
  return `${out.join('\n')}\n`;
}

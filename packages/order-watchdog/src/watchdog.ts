import { AlertmanagerClient, alertsToSend, makeLinks, pruneResolved, type Links } from './alerts';
import { BrokerObserver } from './broker';
import { sendCanary } from './canary';
import type { WatchdogConfig } from './config';
import { explain, queuesToObserve, type ErrorSpan, type Observations, type Unknown, isUnknown } from './explain';
import { deadLetterQueue, finalDeadline, type Journey } from './journey';
import type { CheckHealth } from './metrics';
import type { OpenOrder } from './order';
import { RecordReader } from './records';
import type { WatchdogState } from './state';
import { StateConflictError, type StateStore } from './state-store';
import { CheckLookups, firstErrorSpan, telemetryPass, TraceFinder } from './traces';
import { type StageRow, activeAlerts, addNewOrders, applyStageRows, flagOrder, newlyOverdue, ordersMissing, settle } from './tracker';

export type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

const ID_CHUNK = 1000;
/** Most completed orders whose trace is checked per check (the rest wait for the next one). */
const TELEMETRY_PER_CHECK = 200;
/** Least time a check may spend on Jaeger look-ups (the check interval when that is longer). */
const LOOKUP_MIN_BUDGET_MS = 1000;
/** Most new orders read per check (batches of WATCHDOG_BATCH_SIZE). */
const NEW_BATCHES_PER_CHECK = 20;

/** The check loop: records → progress → flags → state saved → alerts. */
export class Watchdog {
  readonly state: WatchdogState;
  readonly health: CheckHealth = { failures: 0, alertPostFailures: 0, stateSaveFailures: 0 };
  readonly links: Links;
  private readonly records: RecordReader;
  private readonly broker: BrokerObserver;
  private readonly traces: TraceFinder;
  private readonly alertmanager?: AlertmanagerClient;
  private readonly canaries = new Set<string>();
  private timer?: NodeJS.Timeout;
  private canaryTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastAlertPost = 0;
  private alertsDirty = true;
  private stopped = false;
  /** Another instance wrote the stored state: this one stops (its state is stale). */
  private superseded = false;
  /** Called once when another instance took the state over (main exits: a loud failure). */
  onSuperseded?: (err: StateConflictError) => void;

  /** `state`: as `store` loaded it (StateStore.load). */
  constructor(
    readonly journey: Journey,
    readonly config: WatchdogConfig,
    private readonly log: Log,
    private readonly store: StateStore,
    state: WatchdogState,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.state = state;
    this.records = new RecordReader(journey, env);
    this.health.db = this.records.spent;
    this.broker = new BrokerObserver(config.amqpUrl, config.rabbitmqMetricsUrl);
    this.traces = new TraceFinder(journey, config.jaegerUrl);
    if (config.alertmanagerUrl) this.alertmanager = new AlertmanagerClient(config.alertmanagerUrl);
    this.links = makeLinks(journey, config);
    const intervalMs = journey.canary ? config.canaryIntervalMs : 0;
    this.health.canary = { intervalMs, maxAgeMs: finalDeadline(journey) + 2 * intervalMs + config.checkIntervalMs, startedAt: Date.now() };
  }

  /** The record of one stage for one order (the page's look-up of orders not followed). */
  async lookupStage(stage: Journey['stages'][number], orderId: string): Promise<StageRow[]> {
    return this.records.reached(stage, [orderId]);
  }

  /** The queues' consumers and messages now (a replay's check that the cause no longer holds). */
  queueStats(queues: Iterable<string>): ReturnType<BrokerObserver['queueStats']> {
    return this.broker.queueStats(queues);
  }

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.checkOnce();
      await this.running;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.config.checkIntervalMs);
    };
    void loop();
    if (this.config.canaryIntervalMs > 0 && this.journey.canary) {
      this.canaryTimer = setInterval(() => void this.canary(), this.config.canaryIntervalMs);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.canaryTimer);
    await this.running;
    // A last save: what changed since the last check (canary counters) and a clean hand-over.
    if (!this.superseded) await this.saveState();
    await Promise.all([this.records.close(), this.broker.close(), this.store.close()]);
  }

  /**
   * Saves the state. A database outage costs nothing but durability: the state stays in memory
   * and the next check saves it (the page keeps serving). A conflict (another instance wrote)
   * stops this instance: going on would overwrite the other's state or repeat its alerts.
   */
  async saveState(): Promise<void> {
    if (this.superseded) return;
    try {
      await this.store.save(this.state);
      this.health.lastStateSaveAt = Date.now();
    } catch (err) {
      if (err instanceof StateConflictError) {
        this.superseded = true;
        this.stopped = true;
        clearTimeout(this.timer);
        clearInterval(this.canaryTimer);
        this.log('error', 'the state was written by another instance: this one stops checking', { error: err.message });
        this.onSuperseded?.(err);
        return;
      }
      this.health.stateSaveFailures = (this.health.stateSaveFailures ?? 0) + 1;
      this.log('error', 'saving the state failed: kept in memory, saved again after the next check', { error: (err as Error).message });
    }
  }

  private async canary(): Promise<void> {
    if (this.stopped) return;
    try {
      const id = await sendCanary(this.journey);
      this.canaries.add(id);
      const open = this.state.open[id];
      if (open) open.canary = true;
      this.state.counters.canarySent++;
    } catch (err) {
      this.state.counters.canaryFailed++;
      this.log('warn', 'canary order failed', { error: (err as Error).message });
    }
  }

  /** One check; failures are logged and counted (the dead-man alert watches the last success). */
  async checkOnce(): Promise<void> {
    const t0 = Date.now();
    let checked = false;
    try {
      await this.check(t0);
      checked = true;
      this.health.lastSuccessAt = Date.now();
      this.health.checks = (this.health.checks ?? 0) + 1;
      this.health.lastDurationMs = Date.now() - t0;
    } catch (err) {
      this.health.failures++;
      this.log('error', 'check failed', { error: (err as Error).message });
    }
    // Saved outside the check: a failed save is not a failed check (the orders were checked).
    if (checked) await this.saveState();
    if (this.superseded) return;
    await this.postAlerts().catch((err: unknown) => {
      this.health.alertPostFailures++;
      this.log('warn', 'posting alerts to Alertmanager failed', { error: (err as Error).message });
    });
  }

  private async check(now: number): Promise<void> {
    const { journey, state } = this;
    const accepted = journey.stages[0]!;
    for (let i = 0; i < NEW_BATCHES_PER_CHECK; i++) {
      const rows = await this.records.newOrders(state.cursor, this.config.batchSize);
      addNewOrders(state, rows, accepted.id, this.canaries);
      for (const row of rows) this.canaries.delete(row.orderId);
      if (rows.length < this.config.batchSize) break;
    }
    for (const stage of journey.stages.slice(1)) {
      if (!stage.record) continue;
      const ids = ordersMissing(state, stage.id);
      for (let i = 0; i < ids.length; i += ID_CHUNK) applyStageRows(state, stage.id, await this.records.reached(stage, ids.slice(i, i + ID_CHUNK)));
    }
    const events = settle(journey, state, now, this.links, { resolvedResendMs: this.config.resolvedResendMs, forgetAfterMs: this.config.forgetAfterMs });
    for (const c of events.completed) if (c.late) this.log('info', 'late order completed', { orderId: c.orderId, tookMs: c.completedAt - c.acceptedAt, wasFlagged: c.flag?.reason });
    if (events.resolved.length) this.alertsDirty = true;

    const lookups = new CheckLookups((order) => this.traces.spans(order), Math.max(LOOKUP_MIN_BUDGET_MS, this.config.checkIntervalMs));
    const overdue = newlyOverdue(journey, state, now);
    if (overdue.length) {
      const obs = await this.observe(overdue);
      for (const order of overdue) {
        let result = explain(journey, order, obs);
        if (result === 'trace') {
          if (lookups.spent) continue; // explained at the next check
          obs.errorSpans.set(order.orderId, await this.errorSpan(order, lookups));
          result = explain(journey, order, obs);
        }
        if (!result || result === 'trace') continue;
        flagOrder(state, order, result, now);
        this.alertsDirty = true;
        this.log('warn', 'order stalled', { orderId: order.orderId, stage: result.stage, awaiting: result.awaiting, reason: result.reason, detail: result.detail });
      }
    }
    await this.checkTelemetry(now, lookups);
    state.resolved = pruneResolved(state.resolved, now);
  }

  private async observe(orders: OpenOrder[]): Promise<Observations> {
    const m = this.journey.messages;
    const queues = queuesToObserve(this.journey, orders);
    const deadLetters = new Map<string, Map<string, string> | Unknown>();
    for (const q of queues) {
      const dlq = deadLetterQueue(this.journey, q);
      deadLetters.set(dlq, await this.broker.peek(dlq, m.peek_limit, m.order_id_header, m.order_id_json_field, m.reason_header));
    }
    const unroutable = m.unroutable_queue
      ? await this.broker.peek(m.unroutable_queue, m.peek_limit, m.order_id_header, m.order_id_json_field, m.reason_header)
      : ({ unknown: 'no unroutable queue configured' } as Unknown);
    return {
      unroutable: isUnknown(unroutable) ? unroutable : new Set(unroutable.keys()),
      deadLetters,
      queues: await this.broker.queueStats(queues),
      errorSpans: new Map(),
    };
  }

  private async errorSpan(order: OpenOrder, lookups: CheckLookups): Promise<ErrorSpan | null | Unknown> {
    const spans = await lookups.spans(order);
    return isUnknown(spans) ? spans : firstErrorSpan(spans);
  }

  /**
   * Completed orders whose trace lacks a stage: telemetry loss, counted, never alerted. After the
   * flags, with what is left of the check's look-up budget (and at most TELEMETRY_PER_CHECK orders).
   */
  private async checkTelemetry(now: number, lookups: CheckLookups): Promise<void> {
    const { state } = this;
    const grace = this.journey.trace.grace;
    const due = state.telemetryPending.filter((p) => p.completedAt + grace <= now).slice(0, TELEMETRY_PER_CHECK);
    if (!due.length) return;
    const { checked, givenUp } = await telemetryPass(this.journey, due, lookups, { now, giveUpMs: this.config.telemetryGiveUpMs });
    state.counters.telemetryUnchecked += givenUp.length;
    for (const [orderId, missing] of checked) {
      if (!missing.length) continue;
      state.counters.telemetryIncomplete++;
      for (const stage of missing) state.counters.telemetryMissingStage[stage] = (state.counters.telemetryMissingStage[stage] ?? 0) + 1;
      const closed = state.closed.find((c) => c.orderId === orderId);
      if (closed) closed.telemetryMissing = missing;
    }
    const done = new Set([...checked.keys(), ...givenUp]);
    state.telemetryPending = state.telemetryPending.filter((p) => !done.has(p.orderId));
  }

  /** Posts on change, and every WATCHDOG_ALERT_RESEND_MS while anything is active or recently resolved. */
  private async postAlerts(): Promise<void> {
    if (!this.alertmanager) return;
    const now = Date.now();
    if (!this.alertsDirty && now - this.lastAlertPost < this.config.alertResendMs) return;
    const alerts = alertsToSend(activeAlerts(this.journey, this.state, this.links), this.state.resolved, now, this.config.alertResendMs);
    this.lastAlertPost = now;
    if (!alerts.length) {
      this.alertsDirty = false;
      return;
    }
    await this.alertmanager.post(alerts);
    this.alertsDirty = false;
  }
}

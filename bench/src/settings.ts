/**
 * Run lengths. The defaults fit the whole bench in about 25 minutes (hard limit 29) on the project's 2-core
 * machine; BENCH_QUICK=1 shrinks everything for a smoke test (its numbers mean little).
 */
export interface Settings {
  /** Empty-script runs per variant (interleaved). */
  startupRuns: number;
  /** shop-api starts per variant for the time-to-first-answer figure (interleaved). */
  firstAnswerRuns: number;
  /** Request-path rounds; each round runs every variant once (A B C A B C …). */
  loadRounds: number;
  connections: number;
  warmupS: number;
  loadS: number;
  /** Longest wait for RabbitMQ's queues to drain after a POST /orders run. */
  drainMaxS: number;
  freshnessRuns: number;
  /** Offered rates of the Collector steps, spans/s, in order; the sweep stops at the first step not sustained. */
  collectorRates: number[];
  collectorStepS: number;
  collectorEncodings: ('json' | 'protobuf')[];
  /** Traces per OTLP request (10 spans each). */
  tracesPerRequest: number;
  /** Offered rates of the logs pipeline steps, log records/s, in order; the sweep stops at the first step not sustained. */
  logRates: number[];
  /** Log records per OTLP request. */
  logRecordsPerRequest: number;
  /** Orders placed with the CRM consumer stopped for the watchdog's detection latency. */
  watchdogFaultyOrders: number;
  /** Open orders (all flagged) the watchdog's check cost is measured with. */
  watchdogOpenOrders: number;
  /** Checks measured for the cost. */
  watchdogCostChecks: number;
  /** Persistence phase: rounds per comparison (each round runs both variants, A B then B A). */
  persistenceRounds: number;
  /** Persistence phase: measured seconds of each saturation run (after a 2 s warm-up). */
  persistenceLoadS: number;
  /** Persistence phase: queries per series (GET a trace by id; search), per Jaeger run. */
  persistenceQueries: number;
  /** Persistence phase: spans queued in the Collector's queue file with Jaeger away. */
  persistenceQueuedSpans: number;
  /** Persistence phase: seconds of Collector outage for the preload's span buffer. */
  persistenceOutageS: number;
  /** Hard limit for the whole run; phases that no longer fit are skipped (and say so). */
  budgetS: number;
}

export const DEFAULTS: Settings = {
  startupRuns: 15,
  firstAnswerRuns: 5,
  loadRounds: 4,
  connections: 10,
  warmupS: 2,
  loadS: 6,
  drainMaxS: 30,
  freshnessRuns: 7,
  collectorRates: [5_000, 20_000, 40_000, 60_000, 80_000, 100_000, 120_000, 150_000],
  collectorStepS: 8,
  collectorEncodings: ['json', 'protobuf'],
  tracesPerRequest: 50,
  logRates: [5_000, 20_000, 40_000, 60_000, 80_000, 100_000, 120_000, 160_000],
  logRecordsPerRequest: 200,
  watchdogFaultyOrders: 30,
  watchdogOpenOrders: 1000,
  watchdogCostChecks: 10,
  persistenceRounds: 3,
  persistenceLoadS: 10,
  persistenceQueries: 200,
  persistenceQueuedSpans: 200_000,
  persistenceOutageS: 60,
  budgetS: 29 * 60,
};

export const QUICK: Settings = {
  ...DEFAULTS,
  startupRuns: 3,
  firstAnswerRuns: 1,
  loadRounds: 1,
  warmupS: 1,
  loadS: 2,
  drainMaxS: 10,
  freshnessRuns: 2,
  collectorRates: [5_000, 20_000],
  collectorStepS: 3,
  collectorEncodings: ['json'],
  logRates: [5_000],
  watchdogFaultyOrders: 10,
  watchdogOpenOrders: 200,
  watchdogCostChecks: 3,
  persistenceRounds: 1,
  persistenceLoadS: 4,
  persistenceQueries: 30,
  persistenceQueuedSpans: 50_000,
  persistenceOutageS: 15,
};

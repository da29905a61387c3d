/**
 * Run lengths. The defaults fit the whole bench in about 20 minutes (hard limit 24) on the project's 2-core
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
  budgetS: 24 * 60,
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
};

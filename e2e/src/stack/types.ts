import type { ServiceName, StackEndpoints } from '@shopfloor/native-stack';

export type { ServiceName, StackEndpoints };

export interface StackUpOptions {
  /**
   * Base URL of a webhook receiver the test runs: Alertmanager posts every notification there,
   * with the receiver's path (`/oncall`, `/support`, `/developers`, `/operations`).
   */
  alertWebhookBase?: string;
  /**
   * Alerts within test time: Prometheus evaluates every 5 s and Alertmanager sends after 1 s.
   * The rule files, thresholds and `for:` durations stay the shipped ones.
   */
  fastAlerting?: boolean;
  /** Extra environment of the order watchdog (e.g. a faster check). */
  watchdogEnv?: Record<string, string>;
  /** The order watchdog's journey (YAML text, e.g. with short deadlines) instead of the shipped one. */
  watchdogJourney?: string;
}

/** What the scenarios need from a running stack: native processes (`native.ts`) or compose (`containers.ts`). */
export interface Stack {
  readonly endpoints: StackEndpoints;
  /** Stop one component (e.g. `otel-collector`) to inject a fault; `startComponent` brings it back. */
  stopComponent(name: string): Promise<void>;
  startComponent(name: string): Promise<void>;
  /** Restart one service with extra environment (its fault hooks); `{}` restores its normal start. */
  restartService(name: ServiceName, env?: Record<string, string>): Promise<void>;
  /** `rabbitmqctl <args>` against the stack's broker (operator actions such as a policy); returns stdout. */
  rabbitmqctl(args: string[]): Promise<string>;
  /** What a service wrote to stdout since the stack came up (its JSON log lines). */
  serviceStdout(name: ServiceName): Promise<string>;
  /**
   * The OTLP settings an app outside the stack needs to send to its Collector
   * (`OTEL_EXPORTER_OTLP_ENDPOINT`, and `OTEL_EXPORTER_OTLP_HEADERS` where ingest needs a token).
   */
  readonly otlpEnv: Readonly<Record<string, string>>;
  down(): Promise<void>;
}

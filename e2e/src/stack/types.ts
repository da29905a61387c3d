import type { StackEndpoints } from '@shopfloor/native-stack';

export type { StackEndpoints };

/** What the scenarios need from a running stack; implemented natively today, by containers later. */
export interface Stack {
  readonly endpoints: StackEndpoints;
  /** Stop one component (e.g. `otel-collector`) to inject a fault; `startComponent` brings it back. */
  stopComponent(name: string): Promise<void>;
  startComponent(name: string): Promise<void>;
  down(): Promise<void>;
}

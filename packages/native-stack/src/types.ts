/** How to run one component of the stack as a native process. */
export interface ComponentSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Ports it will listen on, checked to be free before it starts. */
  ports: Record<string, number>;
  /** One-time preparation (data directories, rendered config). */
  prepare?: () => Promise<void>;
  /** True once the component serves. */
  healthy: () => Promise<boolean>;
  /** Work after it is healthy (create databases, ...). */
  afterStart?: () => Promise<void>;
  stopSignal?: NodeJS.Signals;
  startTimeoutMs?: number;
}

import { isDeepStrictEqual } from 'node:util';
import type { Stack, StackUpOptions } from '@shopfloor/stack-contract';

/** What a scenario asks its stack for. */
export interface ScenarioStackOptions extends StackUpOptions {
  /**
   * A stack no other scenario has used (e.g. to see panels dark before a fault): the kept one is
   * taken down and a new one brought up.
   */
  pristine?: boolean;
}

/**
 * Whether a stack brought up with `current` serves a scenario that asks for `wanted`: the same
 * watchdog settings; a webhook or fast alerting serves a scenario that does not ask for them
 * (the rules, thresholds and routes are the shipped ones; only where notifications go and how
 * often rules are evaluated differ), never the reverse.
 */
export function serves(current: StackUpOptions, wanted: StackUpOptions): boolean {
  return (
    (wanted.alertWebhookBase === undefined || current.alertWebhookBase === wanted.alertWebhookBase) &&
    current.watchdogJourney === wanted.watchdogJourney &&
    isDeepStrictEqual(current.watchdogEnv ?? {}, wanted.watchdogEnv ?? {}) &&
    (!wanted.fastAlerting || current.fastAlerting === true)
  );
}

/**
 * One stack at a time on the stack's ports, kept from one scenario to the next while it serves
 * them: the suite brings a stack up once per set of options instead of once per scenario file.
 */
export class StackKeeper {
  private held: { stack: Stack; opts: StackUpOptions } | undefined;

  constructor(
    private readonly up: (opts: StackUpOptions) => Promise<Stack>,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** The kept stack when it serves `opts`, else a new one (the kept one taken down first: same ports). */
  async acquire(opts: ScenarioStackOptions = {}): Promise<Stack> {
    const { pristine = false, ...wanted } = opts;
    if (this.held && !pristine && serves(this.held.opts, wanted)) {
      this.log('the suite\'s stack is kept for this scenario');
      return this.held.stack;
    }
    if (this.held) this.log(pristine ? 'this scenario asks for a pristine stack: the kept one goes down' : 'this scenario asks for other settings: the kept stack goes down');
    await this.clear();
    const stack = await this.up(wanted);
    this.held = { stack, opts: wanted };
    return stack;
  }

  /** Takes the kept stack down, if any (its ports free again). */
  async clear(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    await held?.stack.down();
  }
}

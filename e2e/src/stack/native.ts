import { NativeStack } from '@shopfloor/native-stack';
import type { Stack, StackUpOptions } from './types';

/** The stack as native processes, from empty state, under `.run/e2e`. */
export async function nativeStack(opts: StackUpOptions = {}): Promise<Stack> {
  const stack = await NativeStack.start({
    // E2E_PROFILE: another state directory, so two e2e runs (e.g. in separate network namespaces) do not collide.
    profile: process.env.E2E_PROFILE ?? 'e2e',
    fresh: true,
    alerting: {
      webhookBase: opts.alertWebhookBase,
      ...(opts.fastAlerting ? { evaluationInterval: '5s', timing: { groupWait: '1s', groupInterval: '5s', repeatInterval: '1h' } } : {}),
    },
    watchdogEnv: opts.watchdogEnv,
    log: (line) => process.stderr.write(`# [stack] ${line}\n`),
  });
  return {
    endpoints: stack.endpoints,
    stopComponent: (name) => stack.stopComponent(name),
    startComponent: (name) => stack.startComponent(name),
    restartService: (name, env) => stack.restartService(name, env),
    rabbitmqctl: (args) => stack.rabbitmqctl(args),
    down: () => stack.stop(),
  };
}

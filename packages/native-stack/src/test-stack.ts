import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLLECTOR_OTLP_HTTP_URL, FAST_ALERTING, FAST_BUCKET_USAGE, repoRoot, type Stack, type StackUpOptions } from '@shopfloor/stack-contract';
import { NativeStack } from './stack';

/** A journey file for the watchdog process (outside the state directory, which a fresh start empties). */
function journeyFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'watchdog-e2e-')), 'journey.yaml');
  writeFileSync(path, yaml);
  return path;
}

/** The contract's `Stack` as native processes, from empty state, under `.run/e2e`. */
export async function nativeTestStack(opts: StackUpOptions = {}): Promise<Stack> {
  // E2E_PROFILE: another state directory, so two e2e runs (e.g. in separate network namespaces) do not collide.
  const profile = process.env.E2E_PROFILE ?? 'e2e';
  const start = (fresh: boolean): Promise<NativeStack> => NativeStack.start({
    profile,
    fresh,
    alerting: {
      webhookBase: opts.alertWebhookBase,
      ...(opts.fastAlerting ? FAST_ALERTING : {}),
    },
    minioEnv: FAST_BUCKET_USAGE,
    watchdogEnv: { ...opts.watchdogEnv, ...(opts.watchdogJourney ? { WATCHDOG_JOURNEY: journeyFile(opts.watchdogJourney) } : {}) },
    log: (line) => process.stderr.write(`# [stack] ${line}\n`),
  });
  let stack = await start(true);
  return {
    endpoints: stack.endpoints,
    stopComponent: (name) => stack.stopComponent(name),
    startComponent: (name) => stack.startComponent(name),
    crashComponent: (name) => stack.crashComponent(name),
    freezeComponent: async (name, frozen) => stack.freezeComponent(name, frozen),
    restartService: (name, env) => stack.restartService(name, env),
    rabbitmqctl: (args) => stack.rabbitmqctl(args),
    serviceStdout: (name) => readFile(join(repoRoot, '.run', profile, 'logs', `${name}.log`), 'utf8'),
    otlpEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: COLLECTOR_OTLP_HTTP_URL },
    restartAll: async () => {
      await stack.stop();
      stack = await start(false);
    },
    down: () => stack.stop(),
  };
}

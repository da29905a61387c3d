/**
 * shop-api under each variant, started by the bench itself with the native stack's own service
 * specification (command, working directory, environment), only the preload swapped.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import * as http from 'node:http';
import { join } from 'node:path';
import { service, serviceUrl } from '@shopfloor/native-stack';
import { COMMON_OTEL_ENV, cleanEnv, preloadArgs } from './variants';
import { cpuMsOf, isRunning, memoryOf, sleep, spawnTracked, stopChild } from './procs';
import type { VariantName } from './stats';

export const SHOP_API = serviceUrl('shop-api');

/** The stack's shop-api spec, its preload replaced by the variant's. */
export function shopApiCommand(variant: VariantName): { command: string; args: string[]; cwd?: string; env: NodeJS.ProcessEnv } {
  const spec = service('shop-api');
  const script = spec.args[spec.args.length - 1]!;
  return {
    command: spec.command,
    args: [...preloadArgs(variant), script],
    cwd: spec.cwd,
    env: cleanEnv({ ...(spec.env ?? {}), ...COMMON_OTEL_ENV }),
  };
}

/** One GET; resolves with the status code, or undefined when nothing answers (yet). */
export function probe(url: string, timeoutMs = 1000): Promise<number | undefined> {
  return new Promise(resolve => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, res => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

export class ShopApi {
  private constructor(
    readonly variant: VariantName,
    readonly child: ChildProcess,
    /** ms from spawn to the first 200 of GET /healthz. */
    readonly firstAnswerMs: number,
  ) {}

  /**
   * Starts shop-api and polls GET /healthz every 5 ms until it answers 200 (the service is
   * listening and has connected to PostgreSQL and RabbitMQ).
   */
  static async start(variant: VariantName, logDir: string, timeoutMs = 60_000): Promise<ShopApi> {
    const { command, args, cwd, env } = shopApiCommand(variant);
    const log = createWriteStream(join(logDir, `shop-api.${variant}.log`), { flags: 'a' });
    log.write(`\n--- ${new Date().toISOString()} ${args.join(' ')}\n`);
    const t0 = process.hrtime.bigint();
    // Own process group, like the stack's components: Ctrl-C reaches the bench, which stops it.
    const child = spawnTracked(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once('close', () => log.end());
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!isRunning(child)) throw new Error(`shop-api (${variant}) exited during start-up (${child.exitCode ?? child.signalCode}); see ${logDir}`);
      if ((await probe(`${SHOP_API}/healthz`, 1000)) === 200) break;
      if (Date.now() > deadline) {
        await stopChild(child);
        throw new Error(`shop-api (${variant}) did not answer GET /healthz within ${timeoutMs} ms`);
      }
      await sleep(5);
    }
    return new ShopApi(variant, child, Number(process.hrtime.bigint() - t0) / 1e6);
  }

  memory(): { rssMiB: number; peakMiB: number } | undefined {
    return this.child.pid === undefined ? undefined : memoryOf(this.child.pid);
  }

  /** CPU time used so far, ms. */
  cpuMs(): number {
    return this.child.pid === undefined ? NaN : cpuMsOf(this.child.pid) ?? NaN;
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

/**
 * Phase 2, the request path: rounds of every variant in turn; in each, shop-api under load on
 * GET /livez, GET /healthz and POST /orders, with its CPU and the trace pipeline's per request.
 */
import type { RunContext } from '../context';
import { pipelineCpuMs } from '../collector';
import { ROUTES, runLoad, type LoadResult, type RouteName } from '../load';
import { drainQueues } from '../queues';
import { SHOP_API, ShopApi } from '../service';
import type { VariantName } from '../stats';
import { VARIANTS } from '../variants';

type Run = LoadResult & { cpuMsPerRequest: number; pipelineCpuMsPerRequest: number };

export async function requestPathPhase({ settings: s, log, budget, figures, logDir }: RunContext): Promise<void> {
  const perRound = 3 * (4 + 2 * s.warmupS + 3 * s.loadS + 10);
  log(`request path: ${s.loadRounds} rounds x ${VARIANTS.join(', ')}; ${s.connections} connections, ${s.loadS} s per route after ${s.warmupS} s warm-up`);
  const results: Record<RouteName, Record<VariantName, Run[]>> = {
    post: { plain: [], shopfloor: [], stock: [] },
    get: { plain: [], shopfloor: [], stock: [] },
    live: { plain: [], shopfloor: [], stock: [] },
  };
  const peak: Record<VariantName, number[]> = { plain: [], shopfloor: [], stock: [] };
  let rounds = 0;
  for (let round = 1; round <= s.loadRounds; round++) {
    if (!budget.fits(`request path round ${round}`, perRound + 150)) break;
    for (const v of VARIANTS) {
      const api = await ShopApi.start(v, logDir);
      try {
        await runLoad(SHOP_API, ROUTES.get, s.connections, s.warmupS);
        await runLoad(SHOP_API, ROUTES.post, s.connections, s.warmupS);
        await drainQueues(s.drainMaxS);
        const measured = async (route: RouteName): Promise<Run> => {
          const [c0, p0] = [api.cpuMs(), await pipelineCpuMs()];
          const r = await runLoad(SHOP_API, ROUTES[route], s.connections, s.loadS);
          const [c1, p1] = [api.cpuMs(), await pipelineCpuMs()];
          return { ...r, cpuMsPerRequest: (c1 - c0) / r.ok, pipelineCpuMsPerRequest: (p1 - p0) / r.ok };
        };
        const live = await measured('live');
        const get = await measured('get');
        const post = await measured('post');
        results.live[v].push(live);
        results.get[v].push(get);
        results.post[v].push(post);
        peak[v].push(api.memory()?.peakMiB ?? NaN);
        const line = (name: string, r: Run) =>
          `${name} ${r.throughput.toFixed(0)}/s p99 ${r.p99Ms} ms, CPU ${r.cpuMsPerRequest.toFixed(2)} ms/req (+${r.pipelineCpuMsPerRequest.toFixed(2)} pipeline)` +
          `${r.non2xx + r.errors ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : ''}`;
        log(`  round ${round} ${v.padEnd(9)} ${line('GET /livez', live)}; ${line('GET /healthz', get)}; ${line('POST', post)}`);
      } finally {
        await api.stop();
      }
      const drained = await drainQueues(s.drainMaxS);
      if (drained >= s.drainMaxS) figures.note(`round ${round} ${v}: queues not empty after ${s.drainMaxS} s`);
    }
    rounds++;
  }
  if (rounds === 0) return;
  for (const route of ['post', 'get', 'live'] as const) {
    const name = ROUTES[route].name;
    for (const v of VARIANTS) {
      const rs = results[route][v];
      const failures = rs.reduce((a, r) => a + r.non2xx + r.errors, 0);
      const note = failures ? `${failures} non-2xx/errors over ${rs.reduce((a, r) => a + r.requests, 0)} requests` : undefined;
      figures.record(`${name}.throughput`, v, 'req/s', rs.map(r => r.throughput), note);
      figures.record(`${name}.latency_p50`, v, 'ms', rs.map(r => r.p50Ms));
      figures.record(`${name}.latency_p99`, v, 'ms', rs.map(r => r.p99Ms));
      figures.record(`${name}.cpu_per_request`, v, 'ms', rs.map(r => r.cpuMsPerRequest), 'shop-api process CPU (user + system) per 2xx response');
      figures.record(`${name}.pipeline_cpu_per_request`, v, 'ms', rs.map(r => r.pipelineCpuMsPerRequest), 'Collector + Jaeger CPU per 2xx response');
    }
  }
  for (const v of VARIANTS) figures.record('shop_api.peak_rss_under_load', v, 'MiB', peak[v]);
}

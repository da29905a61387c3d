/**
 * Phase 1, start-up: node on an empty script (wall time, peak RSS), then shop-api until its
 * first answer (and its RSS then), every variant interleaved.
 */
import { COLLECTOR_OTLP_HTTP_URL, LOOPBACK, ports } from '@shopfloor/stack-contract';
import type { RunContext } from '../context';
import { sleep } from '../procs';
import { ShopApi } from '../service';
import { emptyScriptRun } from '../startup';
import { interleave, upperMedian, type VariantName } from '../stats';
import { cleanEnv, COMMON_OTEL_ENV, VARIANTS } from '../variants';

export async function startupPhase(ctx: RunContext): Promise<void> {
  await emptyScript(ctx);
  await firstAnswer(ctx);
}

async function emptyScript({ settings: s, log, figures }: RunContext): Promise<void> {
  const env = cleanEnv({
    ...COMMON_OTEL_ENV,
    OTEL_SERVICE_NAME: 'bench-empty-script',
    OTEL_EXPORTER_OTLP_ENDPOINT: COLLECTOR_OTLP_HTTP_URL,
    OTEL_EXPORTER_PROMETHEUS_HOST: LOOPBACK,
    OTEL_EXPORTER_PROMETHEUS_PORT: String(ports.shopApiMetrics),
  });
  log(`start-up: empty script, ${s.startupRuns} runs per variant, interleaved`);
  for (const v of VARIANTS) await emptyScriptRun(v, env); // warm the page cache; not counted
  const wall: Record<VariantName, number[]> = { plain: [], shopfloor: [], stock: [] };
  const rss: Record<VariantName, number[]> = { plain: [], shopfloor: [], stock: [] };
  for (const v of interleave(VARIANTS, s.startupRuns)) {
    const r = await emptyScriptRun(v, env);
    wall[v].push(r.wallMs);
    rss[v].push(r.peakRssMiB);
  }
  for (const v of VARIANTS) {
    figures.record('startup.empty_script.wall', v, 'ms', wall[v]);
    figures.record('startup.empty_script.peak_rss', v, 'MiB', rss[v]);
  }
  log(`  wall medians: ${VARIANTS.map(v => `${v} ${upperMedian(wall[v]).toFixed(0)} ms`).join(', ')}`);
}

async function firstAnswer({ settings: s, log, figures, logDir }: RunContext): Promise<void> {
  log(`start-up: shop-api until its first answer, ${s.firstAnswerRuns} starts per variant, interleaved`);
  const ms: Record<VariantName, number[]> = { plain: [], shopfloor: [], stock: [] };
  const rss: Record<VariantName, number[]> = { plain: [], shopfloor: [], stock: [] };
  for (const v of interleave(VARIANTS, s.firstAnswerRuns)) {
    const api = await ShopApi.start(v, logDir);
    ms[v].push(api.firstAnswerMs);
    rss[v].push(api.memory()?.rssMiB ?? NaN);
    await api.stop();
    await sleep(300);
  }
  for (const v of VARIANTS) {
    figures.record('startup.shop_api.first_answer', v, 'ms', ms[v]);
    figures.record('startup.shop_api.rss_after_start', v, 'MiB', rss[v]);
  }
  log(`  first answer medians: ${VARIANTS.map(v => `${v} ${upperMedian(ms[v]).toFixed(0)} ms`).join(', ')}`);
}

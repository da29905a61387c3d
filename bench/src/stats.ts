/**
 * Pure helpers: summarising repeated runs, overhead ratios, and the printed table.
 * No I/O here (unit-tested in stats.test.ts).
 */

export type VariantName = 'plain' | 'shopfloor' | 'stock';

/** One figure, summarised over its runs: one line of bench/results/latest.json. */
export interface Measurement {
  name: string;
  /** plain / shopfloor / stock, or the component measured (collector, pipeline). */
  variant: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  /** How many runs the summary is over. */
  runs: number;
  /** Optional context (e.g. the offered load of a Collector step). */
  note?: string;
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Median (mean of the two middle values for an even count), min, max. Throws on no samples. */
export function summarize(samples: readonly number[]): Summary {
  const xs = samples.filter(x => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) throw new Error('no samples to summarise');
  const mid = xs.length >> 1;
  const median = xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  return { median, min: xs[0]!, max: xs[xs.length - 1]!, runs: xs.length };
}

/** Spread as a fraction of the median: (max - min) / median (0 when the median is 0). */
export function relativeSpread(s: Summary): number {
  return s.median === 0 ? 0 : (s.max - s.min) / Math.abs(s.median);
}

export function measurement(name: string, variant: string, unit: string, samples: readonly number[], note?: string): Measurement {
  const s = summarize(samples);
  return { name, variant, unit, ...s, ...(note === undefined ? {} : { note }) };
}

/** Rounds for JSON and display: 3 significant digits, at most 3 decimals. */
export function round(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const digits = Math.max(0, Math.min(3, 2 - Math.floor(Math.log10(Math.abs(x)))));
  return Number(x.toFixed(digits));
}

export interface RatioRow {
  name: string;
  unit: string;
  plain: number;
  shopfloor: number;
  stock: number;
  /** shopfloor / plain, stock / plain (medians). */
  shopfloorRatio: number;
  stockRatio: number;
  /** (shopfloor - plain) / (stock - plain): the share of the stock overhead that shopfloor costs. */
  overheadShare: number;
}

/**
 * For every figure measured for all three variants: the medians and the ratios to plain.
 * Figures measured for one component only (Collector, freshness) are left out.
 */
export function ratioRows(ms: readonly Measurement[]): RatioRow[] {
  const names: string[] = [];
  for (const m of ms) if (!names.includes(m.name)) names.push(m.name);
  const rows: RatioRow[] = [];
  for (const name of names) {
    const by = (v: VariantName) => ms.find(m => m.name === name && m.variant === v);
    const plain = by('plain');
    const shopfloor = by('shopfloor');
    const stock = by('stock');
    if (!plain || !shopfloor || !stock) continue;
    const extraStock = stock.median - plain.median;
    rows.push({
      name,
      unit: plain.unit,
      plain: plain.median,
      shopfloor: shopfloor.median,
      stock: stock.median,
      shopfloorRatio: ratio(shopfloor.median, plain.median),
      stockRatio: ratio(stock.median, plain.median),
      overheadShare: extraStock === 0 ? NaN : (shopfloor.median - plain.median) / extraStock,
    });
  }
  return rows;
}

export function ratio(a: number, b: number): number {
  return b === 0 ? NaN : a / b;
}

/** Fixed-width text table; numbers right-aligned. */
export type Row = ReadonlyArray<string | number>;

export function renderTable(header: readonly string[], rows: readonly Row[]): string {
  const cells = [header, ...rows].map(r => r.map(c => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = header.map((_, i) => Math.max(...cells.map(r => (r[i] ?? '').length)));
  const isNum = header.map((_, i) => rows.length > 0 && rows.every(r => typeof r[i] === 'number'));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (isNum[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map(w => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return '–';
  return String(round(x));
}

/** The measurements as a table: one line per figure and variant, median [min – max] (runs). */
export function renderMeasurements(ms: readonly Measurement[]): string {
  return renderTable(
    ['measurement', 'variant', 'unit', 'median', 'min', 'max', 'runs'],
    ms.map(m => [m.name, m.variant, m.unit, m.median, m.min, m.max, m.runs]),
  );
}

/** The overhead table: medians and ratios to plain. */
export function renderRatios(rows: readonly RatioRow[]): string {
  return renderTable(
    ['measurement', 'unit', 'plain', 'shopfloor', 'stock', 'shopfloor/plain', 'stock/plain'],
    rows.map(r => [r.name, r.unit, r.plain, r.shopfloor, r.stock, r.shopfloorRatio, r.stockRatio]),
  );
}

/**
 * For progress lines only: the upper of the two middle values of the finite samples (NaN when
 * there are none). The recorded figures use `summarize`.
 */
export function upperMedian(xs: readonly number[]): number {
  const ok = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return ok.length ? ok[ok.length >> 1]! : NaN;
}

/** Values in an interleaved schedule: round-robin over the variants, `rounds` times (A B C A B C …). */
export function interleave<T>(variants: readonly T[], rounds: number): T[] {
  const out: T[] = [];
  for (let r = 0; r < rounds; r++) out.push(...variants);
  return out;
}

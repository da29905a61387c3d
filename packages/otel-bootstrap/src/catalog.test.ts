import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { CATALOG, DEFAULT_INSTRUMENTATIONS, INSTRUMENTATION_NAMES, triggerModules, type InstrumentationName } from './catalog';
import { packageOf } from './lazy-load';
import { childEnv } from './test-fixtures/harness';

interface StockInstrumentation {
  name: string;
  className: string;
  modules: string[];
}

/** What @opentelemetry/auto-instrumentations-node itself creates, read in a fresh process (creating enables patching). */
function stock(options: object): StockInstrumentation[] {
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      `const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
       const all = getNodeAutoInstrumentations(${JSON.stringify(options)});
       const out = all.map(i => ({ name: i.instrumentationName, className: i.constructor.name,
         modules: (i.getModuleDefinitions ? i.getModuleDefinitions() : []).map(d => d.name) }));
       all.forEach(i => i.disable());
       process.stdout.write(JSON.stringify(out));`,
    ],
    { env: childEnv({}), cwd: path.resolve(__dirname), encoding: 'utf8', timeout: 30_000 },
  );
  return JSON.parse(out) as StockInstrumentation[];
}

const PREFIX = '@opentelemetry/instrumentation-';

describe('the catalog against @opentelemetry/auto-instrumentations-node', () => {
  const everything = stock({ [`${PREFIX}fs`]: { enabled: true }, [`${PREFIX}host-metrics`]: { enabled: true } });

  it('names exactly the instrumentations the stock bundle ships', () => {
    assert.deepEqual(everything.map(i => i.name.slice(PREFIX.length)).sort(), [...INSTRUMENTATION_NAMES].sort());
  });

  it('creates each from the class the stock bundle uses', () => {
    for (const i of everything) {
      const short = i.name.slice(PREFIX.length) as InstrumentationName;
      assert.equal(CATALOG[short]?.className, i.className, short);
    }
  });

  it('loads each no later than the first require of any module it patches', () => {
    for (const i of everything) {
      const short = i.name.slice(PREFIX.length) as InstrumentationName;
      const triggers = new Set(triggerModules([short]));
      const missing = i.modules.filter(m => !triggers.has(packageOf(m) ?? m));
      assert.deepEqual(missing, [], `${short} patches modules that do not load it`);
      if (i.modules.length === 0) assert.ok(!('modules' in CATALOG[short].trigger), `${short} patches no module yet waits for one`);
    }
  });

  it('leaves off by default what the stock bundle leaves off, and dns, net and router, but keeps host-metrics', () => {
    // host-metrics (process CPU and memory only, see instrumentations.ts) feeds the services' saturation alerts.
    const stockOn = new Set(stock({}).map(i => i.name.slice(PREFIX.length)));
    const stockOff = INSTRUMENTATION_NAMES.filter(n => !stockOn.has(n) && n !== 'host-metrics');
    const ourOff = INSTRUMENTATION_NAMES.filter(n => !DEFAULT_INSTRUMENTATIONS.includes(n));
    assert.deepEqual(ourOff.sort(), [...stockOff, 'dns', 'net', 'router'].sort());
  });
});

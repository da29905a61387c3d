/**
 * The resource: who is emitting this telemetry.
 *
 * service.name precedence: OTEL_SERVICE_NAME, then service.name in
 * OTEL_RESOURCE_ATTRIBUTES, then the "name" of the package.json nearest to the
 * main script (or the working directory), then `unknown_service:node`.
 * deployment.environment.name (and anything else) comes from
 * OTEL_RESOURCE_ATTRIBUTES as given.
 */
import { randomUUID } from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import type * as incubating from '@opentelemetry/semantic-conventions/incubating';
import type { BootstrapConfig } from './types';
import { findNearestPackage, type PackageInfo } from './utils';

// Incubating attribute names are copied rather than imported, as the
// semantic-conventions package recommends (its incubating entry point is
// unstable and ~1 MB, ~40 ms to load). The `typeof` annotations make the
// compiler check each copy against the installed package.
const ATTR_HOST_NAME: typeof incubating.ATTR_HOST_NAME = 'host.name';
const ATTR_HOST_ARCH: typeof incubating.ATTR_HOST_ARCH = 'host.arch';
const ATTR_PROCESS_PID: typeof incubating.ATTR_PROCESS_PID = 'process.pid';
const ATTR_PROCESS_RUNTIME_NAME: typeof incubating.ATTR_PROCESS_RUNTIME_NAME = 'process.runtime.name';
const ATTR_PROCESS_RUNTIME_VERSION: typeof incubating.ATTR_PROCESS_RUNTIME_VERSION = 'process.runtime.version';
const ATTR_PROCESS_RUNTIME_DESCRIPTION: typeof incubating.ATTR_PROCESS_RUNTIME_DESCRIPTION = 'process.runtime.description';

/** Node's process.arch → semconv host.arch values. */
const HOST_ARCH: Record<string, string> = {
  x64: 'amd64' satisfies typeof incubating.HOST_ARCH_VALUE_AMD64,
  arm64: 'arm64' satisfies typeof incubating.HOST_ARCH_VALUE_ARM64,
  arm: 'arm32' satisfies typeof incubating.HOST_ARCH_VALUE_ARM32,
  ia32: 'x86' satisfies typeof incubating.HOST_ARCH_VALUE_X86,
  ppc: 'ppc32' satisfies typeof incubating.HOST_ARCH_VALUE_PPC32,
  ppc64: 'ppc64' satisfies typeof incubating.HOST_ARCH_VALUE_PPC64,
  s390x: 's390x' satisfies typeof incubating.HOST_ARCH_VALUE_S390X,
};

export const UNKNOWN_SERVICE = 'unknown_service:node';

/** What the resource depends on besides configuration; injectable for tests. */
export interface ProcessFacts {
  /** process.argv[1]: the main script, if any (undefined for `node -e`). */
  mainScript: string | undefined;
  cwd: string;
  pid: number;
  hostname: string;
  arch: string;
  nodeVersion: string;
  newInstanceId: () => string;
  findPackage: (dir: string) => PackageInfo | undefined;
}

export function currentProcessFacts(): ProcessFacts {
  return {
    mainScript: process.argv[1],
    cwd: process.cwd(),
    pid: process.pid,
    hostname: os.hostname(),
    arch: process.arch,
    nodeVersion: process.versions.node,
    newInstanceId: randomUUID,
    findPackage: dir => findNearestPackage(dir),
  };
}

/**
 * The attributes this preload contributes, by precedence (later wins):
 * detected process/host basics, then OTEL_RESOURCE_ATTRIBUTES, then
 * OTEL_SERVICE_NAME. Deliberately absent: process.command_args and
 * process.command_line (argv may carry credentials) and process.owner.
 */
export function resourceAttributes(
  config: Pick<BootstrapConfig, 'serviceName' | 'resourceAttributes'>,
  facts: ProcessFacts,
): Record<string, string | number> {
  const fromEnv = config.resourceAttributes;
  const needsPackage = config.serviceName === undefined && fromEnv[ATTR_SERVICE_NAME] === undefined;
  const needsVersion = fromEnv[ATTR_SERVICE_VERSION] === undefined;
  let pkg: PackageInfo | undefined;
  if (needsPackage || needsVersion) {
    // The main script's folder first (what `node app/dist/server.js` runs),
    // else the working directory (`node -e`, the REPL).
    const start = facts.mainScript !== undefined ? path.dirname(path.resolve(facts.cwd, facts.mainScript)) : facts.cwd;
    pkg = facts.findPackage(start);
  }

  const attrs: Record<string, string | number> = {
    [ATTR_SERVICE_NAME]: pkg?.name ?? UNKNOWN_SERVICE,
    [ATTR_SERVICE_INSTANCE_ID]: facts.newInstanceId(),
    [ATTR_PROCESS_PID]: facts.pid,
    [ATTR_PROCESS_RUNTIME_NAME]: 'nodejs',
    [ATTR_PROCESS_RUNTIME_VERSION]: facts.nodeVersion,
    [ATTR_PROCESS_RUNTIME_DESCRIPTION]: 'Node.js',
    [ATTR_HOST_NAME]: facts.hostname,
    [ATTR_HOST_ARCH]: HOST_ARCH[facts.arch] ?? facts.arch,
  };
  if (pkg?.version !== undefined) attrs[ATTR_SERVICE_VERSION] = pkg.version;
  Object.assign(attrs, fromEnv);
  if (config.serviceName !== undefined) attrs[ATTR_SERVICE_NAME] = config.serviceName;
  return attrs;
}

/** The SDK resource: telemetry.sdk.* from the SDK's default resource, plus ours. */
export function buildResource(config: BootstrapConfig, facts: ProcessFacts = currentProcessFacts()): Resource {
  return defaultResource().merge(resourceFromAttributes(resourceAttributes(config, facts)));
}

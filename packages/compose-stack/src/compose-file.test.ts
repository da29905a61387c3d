/**
 * compose/docker-compose.yaml, the file Docker users run, checked without Docker (no registry is
 * reachable here and compose is not installed): published ports, pinned images, health checks,
 * restart policies, start order, secrets without defaults, mounted files, and the configs the
 * compose stack adds (Prometheus/Alertmanager web config, the Collector's OTLP auth overlay,
 * RabbitMQ definitions) checked by the real tools: promtool and the built Collector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { configPaths, repoRoot } from '@shopfloor/stack-contract';

const run = promisify(execFile);
const composeDir = join(repoRoot, 'compose');
const composeFile = join(composeDir, 'docker-compose.yaml');
const composeSource = readFileSync(composeFile, 'utf8');
/** The compose file without its comments (which quote variables and commands as examples). */
const composeText = composeSource.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');

type Dep = { condition?: string };
interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  pull_policy?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean> | string[];
  secrets?: (string | { source: string; target?: string })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  ports?: (string | { published?: string | number; target: number; host_ip?: string })[];
  depends_on?: string[] | Record<string, Dep>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
  mem_limit?: string;
  deploy?: { resources?: { limits?: { memory?: string } } };
}
const compose = parse(composeSource, { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { environment?: string; file?: string }>;
  'x-required'?: string[];
};
const services = Object.entries(compose.services);

/** Services that run once and exit (others wait for them with service_completed_successfully). */
const oneShots = new Set(
  services.flatMap(([, s]) =>
    s.depends_on && !Array.isArray(s.depends_on)
      ? Object.entries(s.depends_on).filter(([, d]) => d.condition === 'service_completed_successfully').map(([n]) => n)
      : [],
  ),
);

const BIND = '${SHOPFLOOR_BIND:-127.0.0.1}';
/**
 * What may be published: the UIs (with their own login, or through the proxy's: Jaeger 16686, the
 * order watchdog's page 8084, VictoriaLogs 9428), the services' APIs, OTLP (authenticated).
 */
const PUBLISHABLE = new Set([3000, 9090, 9093, 16686, 9001, 8081, 8082, 8083, 8084, 4317, 4318, 9428]);

test('every published port listens on the bind-address variable (default 127.0.0.1) or on 127.0.0.1, and only UIs, APIs and OTLP are published', () => {
  let published = 0;
  for (const [name, s] of services) {
    for (const p of s.ports ?? []) {
      assert.equal(typeof p, 'string', `${name}: use the short port syntax "${BIND}:host:container"`);
      const spec = p as string;
      const m = /^(.*):(\d+):(\d+)(\/tcp)?$/.exec(spec);
      assert.ok(m, `${name}: port "${spec}" names no host address`);
      const [, host, , container] = m;
      assert.ok(host === BIND || host === '127.0.0.1', `${name}: port "${spec}" binds ${host}, not ${BIND}`);
      assert.ok(PUBLISHABLE.has(Number(container)), `${name}: port ${container} is neither a UI, a service API nor OTLP`);
      published++;
    }
  }
  assert.ok(published >= 10, `only ${published} ports published`);
  for (const internal of ['postgres', 'rabbitmq', 'jaeger', 'node-exporter', 'postgres-exporter', 'alert-webhook', 'order-watchdog', 'victorialogs']) {
    assert.deepEqual(compose.services[internal]?.ports ?? [], [], `${internal} must not be published`);
  }
});

test('UIs without a login of their own (Jaeger, the watchdog page, VictoriaLogs) are published only through the proxy, each site behind basic auth', () => {
  const caddyfile = readFileSync(join(repoRoot, 'compose', 'jaeger', 'Caddyfile'), 'utf8');
  const sites = new Map<string, string>();
  for (const m of caddyfile.matchAll(/^:(\d+) \{\n([\s\S]*?)^\}/gm)) sites.set(m[1]!, m[2]!);
  const proxy = compose.services['jaeger-ui']!;
  for (const [port, upstream] of [['16686', 'jaeger:16686'], ['8084', 'order-watchdog:8084'], ['9428', 'victorialogs:9428']] as const) {
    assert.ok((proxy.ports ?? []).includes(`${BIND}:${port}:${port}`), `the proxy does not publish ${port}`);
    const site = sites.get(port);
    assert.ok(site, `the Caddyfile has no site :${port}`);
    assert.match(site, /^\s*import \/etc\/shopfloor-auth\/jaeger-basic-auth\.caddy$/m, `:${port} is not behind basic auth`);
    assert.match(site, new RegExp(`reverse_proxy ${upstream}$`, 'm'), `:${port} does not proxy ${upstream}`);
  }
});

test('every image is pinned: a tag that is neither latest nor a bare major version; built images are named', () => {
  for (const [name, s] of services) {
    if (!s.image) {
      assert.ok(s.build, `${name}: neither image nor build`);
      continue;
    }
    const lastSlash = s.image.lastIndexOf('/');
    const colon = s.image.indexOf(':', lastSlash + 1);
    assert.ok(colon > 0, `${name}: image ${s.image} has no tag`);
    const tag = s.image.slice(colon + 1).split('@')[0]!;
    assert.notEqual(tag, 'latest', `${name}: image ${s.image}`);
    if (s.build || services.some(([, o]) => o.build && o.image === s.image)) continue; // built here
    assert.match(tag, /\d/, `${name}: image ${s.image} has no version in its tag`);
    assert.doesNotMatch(tag, /^v?\d+(-[a-z0-9.]+)?$/, `${name}: image ${s.image} is pinned to a major version only`);
  }
  for (const dockerfile of ['compose/services/Dockerfile', 'otel-collector/Dockerfile', 'compose/victorialogs/Dockerfile', 'packages/order-watchdog/Dockerfile']) {
    const file = join(repoRoot, dockerfile);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    // A base image given as a build argument (`ARG NODE_IMAGE=node:…`, `FROM ${NODE_IMAGE}`) is checked at its default.
    const args = new Map([...text.matchAll(/^ARG\s+(\w+)=(\S+)/gim)].map(([, k, v]) => [k!, v!]));
    for (const [, from] of text.matchAll(/^FROM\s+(\S+)/gim)) {
      const image = from!.replace(/^\$\{(\w+)\}$/, (whole, arg: string) => args.get(arg) ?? whole);
      assert.match(image, /:[^:/]+$/, `${dockerfile}: FROM ${from} (${image}) has no tag`);
      assert.doesNotMatch(image!, /:latest$/, `${dockerfile}: FROM ${image}`);
    }
  }
});

test('no image of ours is looked for in a registry: what is built here has pull_policy build, what uses an image built by another service never pulls', () => {
  const built = new Set(services.filter(([, s]) => s.build).map(([, s]) => s.image).filter(Boolean));
  for (const [name, s] of services) {
    if (s.build) assert.equal(s.pull_policy, 'build', `${name} is built here`);
    else if (s.image && built.has(s.image)) assert.equal(s.pull_policy, 'never', `${name} uses ${s.image}, built by another service`);
  }
});

test('every long-running service has a health check, a restart policy and a memory limit; one-shot services restart on failure', () => {
  for (const [name, s] of services) {
    const memory = s.mem_limit ?? s.deploy?.resources?.limits?.memory;
    assert.ok(memory, `${name}: no memory limit`);
    if (oneShots.has(name)) {
      assert.equal(s.restart, 'on-failure', `${name} runs once: restart on-failure, not always`);
      continue;
    }
    assert.ok(s.healthcheck?.test && !s.healthcheck.disable, `${name}: no health check`);
    assert.ok(s.restart === 'unless-stopped' || s.restart === 'always', `${name}: restart policy ${s.restart}`);
  }
});

/** Our applications: their health depends on a good start of their own (a database role, a first check). */
const APPLICATIONS = new Set(['shop-api', 'crm-api', 'mes-api', 'order-watchdog']);
/** The UIs' front doors: they must come up whatever an application does. */
const UIS = new Set(['jaeger-ui', 'grafana']);

test('every depends_on waits for the dependency to be healthy (or, for a one-shot, to have succeeded); a UI waits for no application to be healthy', () => {
  for (const [name, s] of services) {
    if (!s.depends_on) continue;
    assert.ok(!Array.isArray(s.depends_on), `${name}: depends_on as a list starts it before its dependencies are ready`);
    for (const [dep, d] of Object.entries(s.depends_on)) {
      assert.ok(compose.services[dep], `${name} depends on an unknown service ${dep}`);
      const expected = oneShots.has(dep) ? 'service_completed_successfully' : UIS.has(name) && APPLICATIONS.has(dep) ? 'service_started' : 'service_healthy';
      if (expected === 'service_healthy') assert.ok(compose.services[dep]!.healthcheck?.test, `${dep} has no health check to wait for`);
      assert.equal(d.condition, expected, `${name} -> ${dep}`);
    }
  }
});

const SECRET = /(PASSWORD|PASS|SECRET|TOKEN|_KEYS?|_KEY_ID)$/;
/** Secret-like names that are user names, not secrets: interpolated into the environment as they are. */
const USER_NAMES = new Set(['RABBITMQ_USER', 'S3_ACCESS_KEY_ID', 'GRAFANA_ADMIN_USER']);

/** A service's environment as a map. */
function environmentOf(s: Service): Record<string, string> {
  const env = Array.isArray(s.environment)
    ? Object.fromEntries(s.environment.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]))
    : (s.environment ?? {});
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

test('secrets have no default: every one is required (${VAR:?message} in x-required), and no credential is written literally', () => {
  const required = new Map<string, string>();
  for (const entry of compose['x-required'] ?? []) {
    const m = /^\$\{([A-Z0-9_]+)(:?[-?+])?[^}]*\}$/.exec(entry);
    assert.ok(m, `x-required: ${entry} is not a single \${VAR:?message}`);
    assert.equal(m[2], ':?', `x-required: ${entry} must be \${VAR:?message}`);
    required.set(m[1]!, entry);
  }
  for (const expected of ['POSTGRES_PASSWORD', 'RABBITMQ_PASSWORD', 'S3_SECRET_ACCESS_KEY', 'S3_ACCESS_KEY_ID', 'OTLP_TOKEN', 'PROMETHEUS_PASSWORD', 'ALERTMANAGER_PASSWORD', 'JAEGER_UI_PASSWORD', 'GRAFANA_ADMIN_PASSWORD', 'MES_PARTNER_KEYS', 'WATCHDOG_DB_PASSWORD', 'WATCHDOG_OPERATOR_TOKEN']) {
    assert.ok(required.has(expected), `${expected} is not required (x-required)`);
  }
  // Anywhere else (environment, command, health checks, labels...), a secret is never interpolated:
  // it reaches a container as a compose secret only. User names may be.
  const outsideRequired = composeText.replace(/^x-required:\n(\s+- .*\n)+/m, '');
  for (const [whole, variable] of outsideRequired.matchAll(/\$\{([A-Z0-9_]+)[^}]*\}/g)) {
    assert.ok(!SECRET.test(variable!) || USER_NAMES.has(variable!), `${whole}: a secret interpolated into the compose file (give it as a compose secret)`);
  }
  assert.doesNotMatch(composeText, /guest:guest|shopfloor-dev|dev-key|watchdog-dev/, 'a known development credential is left in the compose file');
});

test('no secret in any container environment: each comes as a compose secret, a file a *_FILE variable names, and no URL carries a password', () => {
  const defined = compose.secrets ?? {};
  for (const [name, def] of Object.entries(defined)) {
    assert.ok(def.environment && !def.file, `secret ${name}: from a variable of compose/.env (environment:), not a file in the repository`);
    assert.ok(new RegExp(`\\$\\{${def.environment}:\\?`).test((compose['x-required'] ?? []).join(' ')), `secret ${name}: ${def.environment} is not required`);
  }
  let files = 0;
  for (const [name, s] of services) {
    const mounted = new Set((s.secrets ?? []).map((x) => (typeof x === 'string' ? x : x.target ?? x.source)));
    for (const x of s.secrets ?? []) assert.ok(defined[typeof x === 'string' ? x : x.source], `${name}: secret ${JSON.stringify(x)} is not defined`);
    for (const [key, value] of Object.entries(environmentOf(s))) {
      for (const [, variable] of value.matchAll(/\$\{([A-Z0-9_]+)/g)) {
        assert.ok(!SECRET.test(variable!) || USER_NAMES.has(variable!), `${name}: ${key} puts the secret ${variable} into the environment`);
      }
      if (/_FILE$/.test(key) && value.startsWith('/run/secrets/')) {
        assert.ok(mounted.has(value.slice('/run/secrets/'.length)), `${name}: ${key} names ${value}, a secret the service does not mount`);
        files++;
      } else {
        assert.ok(!SECRET.test(key) || USER_NAMES.has(key), `${name}: ${key} holds a secret in the environment`);
      }
      for (const [, userinfo] of value.matchAll(/:\/\/([^/@\s]*)@/g)) {
        assert.ok(!userinfo!.includes(':'), `${name}: ${key} carries a password in its URL: ${value}`);
      }
    }
  }
  assert.ok(files >= 25, `only ${files} secret files named`);
  // Grafana reads two of them in its data sources ($__file{...}): mounted in its container too.
  const datasources = readFileSync(join(composeDir, 'grafana', 'provisioning', 'datasources', 'datasources.yaml'), 'utf8');
  const grafanaSecrets = new Set((compose.services.grafana!.secrets ?? []).map((x) => (typeof x === 'string' ? x : x.target ?? x.source)));
  const read = [...datasources.matchAll(/\$__file\{\/run\/secrets\/([\w.-]+)\}/g)].map((m) => m[1]!);
  assert.ok(read.length >= 2, 'the data sources read no secret file');
  for (const name of read) assert.ok(grafanaSecrets.has(name), `datasources.yaml reads /run/secrets/${name}, which Grafana does not mount`);
  assert.doesNotMatch(datasources, /\$(\{?)[A-Z_]*PASSWORD/, 'a password from the environment in the data sources');
});

test('compose/.env.example documents every required variable; compose/.env is git-ignored', async () => {
  const example = readFileSync(join(composeDir, '.env.example'), 'utf8');
  const required = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]!));
  for (const v of required) assert.match(example, new RegExp(`^${v}=`, 'm'), `.env.example does not document ${v}`);
  for (const [, v, value] of example.matchAll(/^([A-Z0-9_]+)=(.*)$/gm)) {
    if (SECRET.test(v!) && v !== 'S3_ACCESS_KEY_ID') assert.equal(value, '', `.env.example ships a value for the secret ${v}`);
  }
  const { stdout } = await run('git', ['check-ignore', 'compose/.env'], { cwd: repoRoot });
  assert.equal(stdout.trim(), 'compose/.env');
});

test('every file or folder mounted from the repository exists, and so do build contexts and Dockerfiles', () => {
  const checked: string[] = [];
  for (const [name, s] of services) {
    for (const v of s.volumes ?? []) {
      const source = typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '');
      if (!source.startsWith('.')) continue; // named volumes and host paths
      assert.ok(existsSync(resolve(composeDir, source)), `${name}: ${source} does not exist`);
      checked.push(source);
    }
    if (s.build) {
      const context = typeof s.build === 'string' ? s.build : s.build.context;
      const dockerfile = typeof s.build === 'string' ? 'Dockerfile' : (s.build.dockerfile ?? 'Dockerfile');
      assert.ok(existsSync(join(resolve(composeDir, context), dockerfile)), `${name}: ${context}/${dockerfile} does not exist`);
    }
  }
  assert.ok(checked.length >= 15, `only ${checked.length} mounts checked`);
  for (const v of services.flatMap(([, s]) => s.volumes ?? [])) {
    const source = typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '');
    if (!source.startsWith('.') && !source.startsWith('/')) assert.ok(compose.volumes && source in compose.volumes, `named volume ${source} is not declared`);
  }
});

test('node_exporter reads the host read-only, without the host PID namespace or host network', () => {
  const ne = compose.services['node-exporter']!;
  for (const v of ne.volumes ?? []) {
    assert.equal(typeof v, 'string');
    const [source, , mode] = (v as string).split(':');
    assert.ok(['/proc', '/sys', '/'].includes(source!), `node-exporter mounts ${source}`);
    assert.match(mode ?? '', /\bro\b/, `node-exporter mounts ${source} writable`);
  }
  assert.equal((ne as Record<string, unknown>).pid, undefined);
  assert.equal((ne as Record<string, unknown>).network_mode, undefined);
});

test('the services share one image and pick the service with command; they send the OTLP token from its secret', () => {
  const apis = ['shop-api', 'crm-api', 'mes-api'];
  const images = new Set(apis.map((n) => compose.services[n]!.image));
  assert.equal(images.size, 1, `one image for ${apis.join(', ')}`);
  assert.equal(apis.filter((n) => compose.services[n]!.build).length, 1, 'one of them builds it');
  for (const n of apis) {
    const s = compose.services[n]!;
    assert.deepEqual(s.command, [`packages/${n}/dist/server.js`]);
    const env = environmentOf(s);
    assert.equal(env.SHOPFLOOR_OTLP_BEARER_TOKEN_FILE, '/run/secrets/otlp_token');
    assert.ok(s.secrets?.includes('otlp_token'), `${n} does not mount the secret otlp_token`);
    assert.equal(env.OTEL_EXPORTER_OTLP_HEADERS, undefined, 'the token is not in the environment');
  }
});

// ---- The credentials compose renders at start (compose/auth/render.sh) --------------------

/** bcrypt("test"), the Prometheus documentation's example hash. */
const TEST_HASH = '$2b$12$hNf2lSsxfm0.i4a.1kVpSOVyBCfIB51VRjgBUyv6kdnyTlgWj81Ay';

async function renderAuth(env: Record<string, string>): Promise<{ dir: string; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'shopfloor-auth-'));
  const bin = join(dir, 'bin');
  const out = join(dir, 'auth');
  // Stands in for `caddy hash-password` (the Caddy image's tool; not installed here).
  await run('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'caddy'), `#!/bin/sh\nprintf '%s\\n' '${TEST_HASH}'\n`);
  chmodSync(join(bin, 'caddy'), 0o755);
  await run('sh', [join(composeDir, 'auth', 'render.sh')], {
    env: { PATH: `${bin}:${process.env.PATH}`, AUTH_DIR: out, ...env },
  });
  return { dir, out };
}

test('render.sh: Prometheus and Alertmanager web configs pass promtool check web-config; every file Prometheus reads is rendered', async () => {
  // The passwords as compose gives them: files named by *_FILE (compose secrets), any character.
  const secrets = mkdtempSync(join(tmpdir(), 'shopfloor-secrets-'));
  const prometheusPassword = 'a/b+c=@d: e"f';
  writeFileSync(join(secrets, 'prometheus_password'), prometheusPassword);
  writeFileSync(join(secrets, 'alertmanager_password'), 'test\n');
  const { dir, out } = await renderAuth({
    PROMETHEUS_PASSWORD_FILE: join(secrets, 'prometheus_password'),
    ALERTMANAGER_PASSWORD_FILE: join(secrets, 'alertmanager_password'),
    JAEGER_UI_PASSWORD: 'test',
  });
  rmSync(secrets, { recursive: true, force: true });
  try {
    const files = readdirSync(out).sort();
    assert.deepEqual(files, [
      'alertmanager-client.yml', 'alertmanager-web.yml', 'alertmanager.password',
      'jaeger-basic-auth.caddy', 'prometheus-client.yml', 'prometheus-upstream-auth.caddy', 'prometheus-web.yml', 'prometheus.password',
    ]);
    try {
      await run('/usr/bin/promtool', ['check', 'web-config', join(out, 'prometheus-web.yml'), join(out, 'alertmanager-web.yml')]);
    } catch (err) {
      const e = err as { code?: string; stdout?: string; stderr?: string };
      if (e.code === 'ENOENT') assert.fail('/usr/bin/promtool is missing: run `npm run setup` (Debian package prometheus)');
      assert.fail(`promtool check web-config failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
    assert.equal(readFileSync(join(out, 'prometheus.password'), 'utf8'), prometheusPassword);
    assert.equal(readFileSync(join(out, 'alertmanager.password'), 'utf8'), 'test', "the file's trailing newline is not the password's");
    assert.equal(parse(readFileSync(join(out, 'prometheus-web.yml'), 'utf8')).basic_auth_users.shopfloor, TEST_HASH);
    // The proxy's login to Prometheus for Jaeger's Monitor tab: the header the proxy adds.
    const upstream = /^header_up Authorization "Basic ([A-Za-z0-9+/=]+)"\n$/.exec(readFileSync(join(out, 'prometheus-upstream-auth.caddy'), 'utf8'));
    assert.ok(upstream, 'prometheus-upstream-auth.caddy is not one header_up line');
    assert.equal(Buffer.from(upstream[1]!, 'base64').toString(), `shopfloor:${prometheusPassword}`);
    assert.match(readFileSync(join(out, 'jaeger-basic-auth.caddy'), 'utf8'), /^basic_auth \{\n\tshopfloor \$2b\$12\$\S+\n\}\n$/);
    // Every password file and username Prometheus uses (compose/prometheus/prometheus.yml) is rendered.
    const prom = parse(readFileSync(configPaths.prometheus, 'utf8'));
    const clients = [...prom.scrape_configs, ...prom.alerting.alertmanagers].filter((c: { basic_auth?: unknown }) => c.basic_auth);
    assert.ok(clients.length >= 3);
    for (const { basic_auth: auth } of clients as { basic_auth: { username: string; password_file: string } }[]) {
      assert.equal(auth.username, 'shopfloor');
      assert.equal(dirname(auth.password_file), '/etc/shopfloor-auth');
      assert.ok(files.includes(auth.password_file.slice('/etc/shopfloor-auth/'.length)), `${auth.password_file} is not rendered`);
    }
    // ... and so are the files compose's command lines and health checks name.
    for (const [, file] of composeText.matchAll(/\/etc\/shopfloor-auth\/([\w.-]+)/g)) {
      assert.ok(files.includes(file!) || file === 'rabbitmq-definitions.json', `compose names /etc/shopfloor-auth/${file}, which is not rendered`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('render.sh refuses to run without the passwords, or with a password file it cannot read', async () => {
  await assert.rejects(renderAuth({ PROMETHEUS_PASSWORD: 'x', ALERTMANAGER_PASSWORD: 'x' }), /JAEGER_UI_PASSWORD/);
  await assert.rejects(renderAuth({ PROMETHEUS_PASSWORD: 'x', ALERTMANAGER_PASSWORD: 'x', JAEGER_UI_PASSWORD_FILE: '/nonexistent/secret' }), /JAEGER_UI_PASSWORD_FILE: cannot read \/nonexistent\/secret/);
  await assert.rejects(renderAuth({ PROMETHEUS_PASSWORD: 'x', PROMETHEUS_PASSWORD_FILE: '/etc/hostname', ALERTMANAGER_PASSWORD: 'x', JAEGER_UI_PASSWORD: 'x' }), /PROMETHEUS_PASSWORD and PROMETHEUS_PASSWORD_FILE are both set/);
});

// ---- RabbitMQ: the shared definitions with the user from .env ------------------------------

test('render-definitions.js: RabbitMQ password hashes in the broker\'s own format; shared definitions kept, guest replaced', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { rabbitPasswordHash, render } = require(join(composeDir, 'rabbitmq', 'render-definitions.js')) as {
    rabbitPasswordHash(password: string, salt?: Buffer): string;
    render(defs: Record<string, unknown[]>, user: string, password: string): Record<string, { name?: string; user?: string; password_hash?: string }[]>;
  };
  const shared = JSON.parse(readFileSync(join(composeDir, 'rabbitmq', 'definitions.json'), 'utf8'));
  // The shared file's guest hash was made by RabbitMQ (rabbitmqctl hash_password guest): same salt, same hash.
  const guest = shared.users.find((u: { name: string }) => u.name === 'guest');
  if (guest) assert.equal(rabbitPasswordHash('guest', Buffer.from(guest.password_hash, 'base64').subarray(0, 4)), guest.password_hash);
  const defs = render(shared, 'shop', 'pa55');
  assert.deepEqual(defs.users!.map((u) => u.name), ['shop']);
  assert.ok(defs.permissions!.every((p) => p.user === 'shop'));
  const raw = Buffer.from(defs.users![0]!.password_hash!, 'base64');
  assert.deepEqual(raw.subarray(4), createHash('sha256').update(Buffer.concat([raw.subarray(0, 4), Buffer.from('pa55')])).digest());
  for (const key of ['vhosts', 'policies', 'exchanges', 'queues', 'bindings']) assert.deepEqual(defs[key], shared[key], key);
  assert.match(readFileSync(join(composeDir, 'rabbitmq', 'compose.conf'), 'utf8'), /^load_definitions = \/etc\/shopfloor-auth\/rabbitmq-definitions\.json$/m);
});

// ---- The Collector with the compose overlay ------------------------------------------------

/** The binary build-collector.sh caches for the current manifest (keyed by its sha256). */
function collectorBinary(): string {
  const manifest = readFileSync(join(repoRoot, 'otel-collector', 'builder-config.yaml'));
  const key = createHash('sha256').update(manifest).digest('hex').slice(0, 12);
  const cache = process.env.SHOPFLOOR_CACHE_DIR || join(homedir(), '.cache', 'shopfloor');
  const bin = join(cache, `otelcol-shopfloor-${key}`, 'otelcol-shopfloor');
  if (!existsSync(bin)) assert.fail(`${bin} is missing: run \`npm run setup\` (it builds the Collector from otel-collector/builder-config.yaml)`);
  return bin;
}

const overlayArgs = ['validate', '--config', configPaths.collector, '--config', join(repoRoot, 'otel-collector', 'config-auth.yaml')];

test('the Collector validates config.yaml + config-auth.yaml with OTLP_TOKEN_FILE set, and refuses without it', async () => {
  const bin = collectorBinary();
  await run(bin, overlayArgs, { env: { ...process.env, OTLP_TOKEN_FILE: '/run/secrets/otlp_token' } }).catch((e: { stderr?: string }) =>
    assert.fail(`validate with the overlay failed:\n${e.stderr}`),
  );
  assert.equal(environmentOf(compose.services['otel-collector']!).OTLP_TOKEN_FILE, '/run/secrets/otlp_token');
  const env = { ...process.env };
  delete env.OTLP_TOKEN_FILE;
  await assert.rejects(run(bin, overlayArgs, { env }), /bearer token/);
  // config.yaml alone (the native stack) still validates.
  await run(bin, ['validate', '--config', configPaths.collector]);
});

test('the overlay keeps every extension of config.yaml (lists are replaced on merge) and authenticates both OTLP protocols', () => {
  const base = parse(readFileSync(configPaths.collector, 'utf8'));
  const overlay = parse(readFileSync(join(repoRoot, 'otel-collector', 'config-auth.yaml'), 'utf8'));
  for (const ext of base.service.extensions) assert.ok(overlay.service.extensions.includes(ext), `config-auth.yaml drops ${ext}`);
  for (const proto of ['grpc', 'http']) {
    assert.ok(overlay.extensions[overlay.receivers.otlp.protocols[proto].auth.authenticator], `${proto}: authenticator not defined`);
  }
  const collector = compose.services['otel-collector']!;
  assert.deepEqual(collector.command, ['--config=/etc/otelcol/config.yaml', '--config=/etc/otelcol/config-auth.yaml']);
});

// ---- The order watchdog ------------------------------------------------------------------

test('the order watchdog: its own image, the read-only role, the RabbitMQ user from .env, Alertmanager with basic auth, state on a volume, started after what it reads', () => {
  const wd = compose.services['order-watchdog'];
  assert.ok(wd, 'compose has no order-watchdog service (issue 9: "a service in compose")');
  assert.deepEqual(wd.build, { context: '..', dockerfile: 'packages/order-watchdog/Dockerfile' });
  assert.deepEqual(wd.ports ?? [], [], 'the page is published through the proxy, behind its login');
  const env = environmentOf(wd);
  for (const db of ['SHOP', 'CRM', 'MES']) {
    const url = env[`WATCHDOG_${db}_DATABASE_URL`]!;
    assert.match(url, /^postgres:\/\/watchdog@postgres:5432\/(shop|crm|mes)$/, `${db}: the read-only role, not the superuser: ${url}`);
  }
  assert.equal(env.WATCHDOG_DB_PASSWORD_FILE, '/run/secrets/watchdog_db_password');
  assert.equal(env.WATCHDOG_AMQP_URL, 'amqp://${RABBITMQ_USER}@rabbitmq:5672');
  assert.equal(env.WATCHDOG_AMQP_PASSWORD_FILE, '/run/secrets/rabbitmq_password');
  assert.equal(env.WATCHDOG_ALERTMANAGER_URL, 'http://shopfloor@alertmanager:9093');
  assert.equal(env.WATCHDOG_ALERTMANAGER_PASSWORD_FILE, '/run/secrets/alertmanager_password');
  assert.equal(env.WATCHDOG_STATE_DATABASE_URL, 'postgres://watchdog@postgres:5432/watchdog', 'its state in its own database, as the watchdog role');
  assert.deepEqual(wd.volumes ?? [], [], 'no state volume: the state is in PostgreSQL, it survives a re-created container');
  assert.ok(Number(env.WATCHDOG_CANARY_INTERVAL_MS) > 0, 'the canary is on');
  for (const dep of ['postgres', 'rabbitmq', 'shop-api', 'crm-api', 'mes-api', 'alertmanager']) {
    assert.equal((wd.depends_on as Record<string, Dep>)[dep]?.condition, 'service_healthy', `order-watchdog waits for ${dep}`);
  }
  // Prometheus scrapes it where compose runs it.
  const prom = parse(readFileSync(configPaths.prometheus, 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
  assert.deepEqual(prom.scrape_configs.find((c) => c.job_name === 'order-watchdog')?.static_configs[0]?.targets, ['order-watchdog:8084']);
  // The image builds the workspace as the services' image does, and runs unprivileged.
  const dockerfile = readFileSync(join(repoRoot, 'packages', 'order-watchdog', 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /npm ci /);
  assert.match(dockerfile, /npx tsc -b packages\/order-watchdog/);
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^CMD \["node", "packages\/order-watchdog\/dist\/main\.js"\]$/m);
});

test('PostgreSQL creates the watchdog role with the password from its secret: watchdog-role.sql mounted where init.sql includes it', () => {
  const pg = compose.services.postgres!;
  const env = environmentOf(pg);
  assert.equal(env.WATCHDOG_DB_PASSWORD_FILE, '/run/secrets/watchdog_db_password');
  const init = readFileSync(join(composeDir, 'postgres', 'init.sql'), 'utf8');
  const included = /^\\ir\s+(\S+)$/m.exec(init)?.[1];
  assert.equal(included, 'watchdog-role.sql');
  const mounts = (pg.volumes ?? []) as string[];
  const initTarget = mounts.find((v) => v.startsWith('./postgres/init.sql:'))!.split(':')[1]!;
  assert.ok(mounts.includes(`./postgres/watchdog-role.sql:${join(dirname(initTarget), included!)}:ro`), `watchdog-role.sql is not mounted beside init.sql: ${mounts.join(', ')}`);
  assert.match(readFileSync(join(composeDir, 'postgres', 'watchdog-role.sql'), 'utf8'), /\\getenv watchdog_password_file WATCHDOG_DB_PASSWORD_FILE/);
});

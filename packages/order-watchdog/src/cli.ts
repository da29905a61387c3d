#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { readSecretEnv } from '@shopfloor/secret-env';
import { authHeaders, redactUrl, splitCredentials } from './http-auth';
import { TOKEN_HEADER } from './operator';
import type { ReplayOutcome } from './replay';

const USAGE = `usage: shopfloor-watchdog replay <order-id>... [--url URL]
       shopfloor-watchdog replay --reason REASON --stage STAGE [--limit N] [--url URL]

Puts flagged orders back on their way through the running watchdog (its page's replay).
  --url URL       the watchdog (default: WATCHDOG_URL, else http://127.0.0.1:8084); may carry
                  user:password@ for a proxy's basic auth
  --reason, --stage  every order flagged with this reason at this stage (bulk)
  --limit N       most orders of a bulk replay (default 100, at most 1000)
The operator token is read from WATCHDOG_OPERATOR_TOKEN, or from the file WATCHDOG_OPERATOR_TOKEN_FILE
names (never from the command line: it would show in the process list). Exit status: 0 every order replayed, 1 some refused or failed, 2 usage.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { url: { type: 'string' }, reason: { type: 'string' }, stage: { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...ids] = positionals;
  if (values.help) return (console.log(USAGE), 0);
  if (command !== 'replay') return (console.error(USAGE), 2);
  const bulk = values.reason !== undefined || values.stage !== undefined;
  if (bulk ? ids.length > 0 || !values.reason || !values.stage : ids.length === 0) return (console.error(USAGE), 2);
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return (console.error('--limit: a whole number from 1 to 1000'), 2);
  let token: string | undefined;
  try {
    token = readSecretEnv(process.env, [{ name: 'WATCHDOG_OPERATOR_TOKEN' }]).WATCHDOG_OPERATOR_TOKEN;
  } catch (err) {
    return (console.error((err as Error).message), 2);
  }
  if (!token) return (console.error('WATCHDOG_OPERATOR_TOKEN is not set: replay needs the operator token'), 2);
  const raw = values.url ?? process.env.WATCHDOG_URL ?? 'http://127.0.0.1:8084';
  let target;
  try {
    target = splitCredentials(raw);
  } catch {
    return (console.error(`--url: not a URL: ${redactUrl(raw)}`), 2);
  }
  const headers = authHeaders(target, { 'content-type': 'application/json', [TOKEN_HEADER]: token });
  const requests = bulk
    ? [{ path: '/api/replay', body: { reason: values.reason, stage: values.stage, limit } }]
    : ids.map((id) => ({ path: `/api/orders/${encodeURIComponent(id)}/replay`, body: {} }));
  let ok = true;
  for (const r of requests) {
    let res: Response;
    try {
      res = await fetch(`${target.url}${r.path}`, { method: 'POST', headers, body: JSON.stringify(r.body), signal: AbortSignal.timeout(120_000) });
    } catch (err) {
      console.error(`${target.url}: ${(err as Error).message}`);
      return 1;
    }
    const text = await res.text();
    if (res.status === 403 || res.status === 400 || res.status >= 500 && !text.startsWith('{')) {
      console.error(`${target.url}${r.path}: ${res.status} ${text.trim()}`);
      ok = false;
      continue;
    }
    const body = JSON.parse(text) as { outcomes: ReplayOutcome[] };
    if (!body.outcomes.length) console.log('no order matched');
    for (const o of body.outcomes) {
      console.log(`${o.orderId}\t${o.outcome}\t${o.stage}/${o.reason}\t${o.detail}`);
      if (o.outcome !== 'replayed') ok = false;
    }
  }
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`shopfloor-watchdog: ${(err as Error).message}`);
    process.exit(2);
  },
);

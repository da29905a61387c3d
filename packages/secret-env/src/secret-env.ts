/**
 * Docker's `<NAME>_FILE` convention, as the official images follow it: a secret comes from the
 * variable itself or from the file its `_FILE` twin names (compose `secrets:` mount them under
 * /run/secrets), so it need not sit in the container's environment, where `docker inspect` shows it.
 */
import { readFileSync } from 'node:fs';
import { urlWithPassword } from './url-password';

export interface SecretSpec {
  /** The variable holding the secret, e.g. `S3_SECRET_ACCESS_KEY`; `<name>_FILE` may name a file holding it instead. */
  name: string;
  /**
   * A password for these URL variables (which then name only the user): it is put into each of
   * them percent-encoded, so a password may hold any character (`/ + = @ :`, spaces).
   */
  intoUrls?: readonly string[];
}

/** Thrown when a secret cannot be read; the message names the variables and files, never a value. */
export class SecretEnvError extends Error {
  override readonly name = 'SecretEnvError';
}

type Env = Record<string, string | undefined>;

const set = (v: string | undefined): v is string => v !== undefined && v !== '';

/**
 * A copy of `env` with each secret of `specs` read (from its file when `<name>_FILE` is set) and
 * each password put into its URLs. Throws SecretEnvError listing every problem at once.
 */
export function readSecretEnv(env: Env, specs: readonly SecretSpec[], readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Env {
  const out: Env = { ...env };
  const problems: string[] = [];
  for (const { name, intoUrls = [] } of specs) {
    const file = env[`${name}_FILE`];
    if (set(file)) {
      if (set(env[name])) {
        problems.push(`${name} and ${name}_FILE are both set: give the secret one way`);
        continue;
      }
      try {
        // Trailing line breaks are the file's, not the secret's (`echo secret > file`).
        out[name] = readFile(file).replace(/(\r?\n)+$/, '');
      } catch (err) {
        problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        continue;
      }
      if (out[name] === '') {
        problems.push(`${name}_FILE: ${file} is empty`);
        continue;
      }
    }
    const secret = out[name];
    if (!set(secret)) continue;
    // A password with nowhere to go would be silently ignored.
    if (intoUrls.length > 0 && !intoUrls.some((u) => set(env[u]))) {
      problems.push(`${name}${set(file) ? '_FILE' : ''} is set but ${intoUrls.join(' / ')} is not: the password goes into that URL (scheme://user@host/...)`);
      continue;
    }
    for (const urlName of intoUrls) {
      const url = env[urlName];
      if (!set(url)) continue;
      try {
        out[urlName] = urlWithPassword(url, secret, urlName);
      } catch (err) {
        problems.push(`${(err as Error).message} (${name}${set(file) ? '_FILE' : ''})`);
      }
    }
  }
  if (problems.length) throw new SecretEnvError(`secrets:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return out;
}

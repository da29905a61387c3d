import { readSecretEnv, SecretEnvError } from '@shopfloor/secret-env';
import { z } from 'zod';
import { formatPath } from './errors';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Thrown when the environment is invalid; the message names every bad variable (never its value). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reusable env-variable schemas (all take the raw string, or undefined when unset or empty). */
export const env = {
  /** Integer in [min, max]. */
  int(options: { min: number; max: number; default: number }) {
    return z
      .string()
      .regex(/^-?\d+$/, `must be an integer between ${options.min} and ${options.max}`)
      .transform(Number)
      .pipe(
        z
          .number()
          .min(options.min, `must be an integer between ${options.min} and ${options.max}`)
          .max(options.max, `must be an integer between ${options.min} and ${options.max}`),
      )
      .default(options.default);
  },
  /** Decimal number in [min, max]. */
  number(options: { min: number; max: number; default: number }) {
    const message = `must be a number between ${options.min} and ${options.max}`;
    return z
      .string()
      .regex(/^-?(\d+(\.\d*)?|\.\d+)$/, message)
      .transform(Number)
      .pipe(z.number().min(options.min, message).max(options.max, message))
      .default(options.default);
  },
  port(defaultPort: number) {
    return env.int({ min: 1, max: 65535, default: defaultPort });
  },
  /** true/false, 1/0, yes/no, on/off (case-insensitive). */
  bool(defaultValue: boolean) {
    return z
      .string()
      .transform((value, ctx) => {
        const v = value.trim().toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(v)) return true;
        if (['false', '0', 'no', 'off'].includes(v)) return false;
        ctx.addIssue({ code: 'custom', message: 'must be true or false' });
        return z.NEVER;
      })
      .default(defaultValue);
  },
  /** A non-empty string. */
  string(defaultValue: string) {
    return z.string().trim().min(1, 'must not be empty').default(defaultValue);
  },
  /** A URL whose scheme is one of `protocols` (e.g. ['http:', 'https:']). */
  url(protocols: readonly string[], defaultValue?: string) {
    const message = `must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`;
    const schema = z.string().refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, message);
    return defaultValue === undefined ? schema : schema.default(defaultValue);
  },
};

const baseShape = (defaultPort: number) => ({
  PORT: env.port(defaultPort),
  DATABASE_URL: z
    .string({ error: 'is required (e.g. postgres://user:password@127.0.0.1:5432/db)' })
    .refine((value) => {
      try {
        return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, 'must be a postgres:// or postgresql:// URL'),
  AMQP_URL: env.url(['amqp:', 'amqps:'], 'amqp://guest:guest@127.0.0.1:5672'),
  LOG_LEVEL: z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }))
    .default('info'),
  /** Transient consumer failures are retried this many times before the message is dead-lettered. */
  CONSUMER_MAX_RETRIES: env.int({ min: 0, max: 1000, default: 10 }),
  /** First retry delay; doubles per retry, capped at 10 s. */
  CONSUMER_RETRY_DELAY_MS: env.int({ min: 0, max: 600_000, default: 1000 }),
});

export type BaseConfig = z.output<z.ZodObject<ReturnType<typeof baseShape>>>;

export interface LoadConfigOptions<E extends z.ZodRawShape> {
  defaultPort: number;
  /** Per-service variables, built with `env.*` or any zod schema accepting `string | undefined`. */
  extra?: E;
  /** Which of `extra`'s variables are secrets, also read from the file `<NAME>_FILE` names. */
  secrets?: readonly (keyof E & string)[];
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
}

/**
 * The passwords of the connection URLs, each from its variable or the file `<NAME>_FILE` names
 * (compose secrets): put into the URL percent-encoded, so the URL names only the user.
 */
const URL_PASSWORDS = [
  { name: 'DATABASE_PASSWORD', intoUrls: ['DATABASE_URL'] },
  { name: 'AMQP_PASSWORD', intoUrls: ['AMQP_URL'] },
] as const;

/**
 * Parses the environment. Empty values count as unset. Throws ConfigError listing
 * every invalid variable by name; values are never echoed (they may hold secrets).
 */
export function loadConfig<E extends z.ZodRawShape = Record<never, never>>(
  options: LoadConfigOptions<E>,
): BaseConfig & z.output<z.ZodObject<E>> {
  const shape = { ...baseShape(options.defaultPort), ...(options.extra ?? {}) } as z.ZodRawShape;
  let source: Record<string, string | undefined>;
  try {
    source = readSecretEnv(options.env ?? process.env, [...URL_PASSWORDS, ...(options.secrets ?? []).map((name) => ({ name }))]);
  } catch (err) {
    if (err instanceof SecretEnvError) throw new ConfigError(`invalid configuration: ${err.message}`);
    throw err;
  }
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = source[key];
    raw[key] = value === undefined || value.trim() === '' ? undefined : value;
  }
  const result = z.object(shape).safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = formatPath(issue.path);
      const message =
        issue.code === 'invalid_type' && /received undefined/.test(issue.message) ? 'is required' : issue.message;
      return `  - ${name}: ${message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data as BaseConfig & z.output<z.ZodObject<E>>;
}

/** `amqp://user:secret@host:5672/vh` → `amqp://user:***@host:5672/vh` (for logs). */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '[unparseable URL]';
  }
}

import { z } from 'zod';

/** One field-level problem, as returned to HTTP clients and written into dead-letter reasons. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** `['items', 0, 'sku']` → `items[0].sku`; the empty path is the value itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(root)' : out;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  return issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** `customer.email: Invalid email address; items[0].quantity: Too big: ...` */
export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
}

/** Invalid client input. The HTTP error handler turns it into 400 `{ error, details }`. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    /** Short title shown to the client as `error`, e.g. "invalid order". */
    readonly publicMessage: string,
    readonly details: FieldIssue[],
  ) {
    super(details.length > 0 ? `${publicMessage}: ${describeIssues(details)}` : publicMessage);
  }
}

/** An error with an HTTP status and a message that is safe to show to the client. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A message that can never succeed (invalid JSON, schema violation, business rule).
 * The consumer dead-letters it at once with this error's message as the reason.
 */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
}

/** A message that cannot be read: invalid JSON or a schema violation. */
export class InvalidMessageError extends PermanentError {}

/**
 * Parses `value` with `schema`; on failure throws a ValidationError titled `message`.
 * `rootName` labels problems with the value as a whole (e.g. "body" for a missing request body).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, message: string, rootName = '(root)'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = formatIssues(result.error.issues).map((d) => (d.path === '(root)' ? { ...d, path: rootName } : d));
    throw new ValidationError(message, details);
  }
  return result.data;
}

const uuidSchema = z.guid({ error: 'must be a UUID' });

/** Validates a UUID route parameter (400 `invalid <name>` with details naming the parameter otherwise). */
export function parseUuidParam(value: unknown, name: string): string {
  return parseOrThrow(uuidSchema, value, `invalid ${name}`, name) as string;
}

/**
 * A one-line, bounded description of any thrown value (for logs and dead-letter reasons).
 * Never for spans or metrics: they get `errorType` only.
 */
export function describeError(err: unknown, maxLength = 500): string {
  let text: string;
  if (err instanceof AggregateError && err.message === '' && err.errors.length > 0) {
    // e.g. net.connect trying IPv6 and IPv4: "connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432"
    text = err.errors.map((inner: unknown) => describeError(inner, maxLength)).join('; ');
  } else if (err instanceof SyntaxError) {
    // Since Node 22 a JSON.parse error quotes the text it failed on ("Unexpected token 'h',
    // \"hello secr\"... is not valid JSON"), i.e. the message body or API response: keep only
    // the class and the position.
    const position = /\bat position (\d+)/.exec(err.message)?.[1];
    text = position === undefined ? err.name : `${err.name} at position ${position}`;
  } else if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    text = typeof code === 'string' && code !== '' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
    if (text === '') text = err.name;
  } else if (typeof err === 'string') {
    text = err;
  } else {
    try {
      text = JSON.stringify(err) ?? String(err);
    } catch {
      text = String(err);
    }
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/**
 * The exception class, bounded by the code base: for span status, `error.type` / `exception.type`
 * and metric labels. Never the message, which may hold input data.
 */
export function errorType(err: unknown): string {
  if (err instanceof Error) return err.constructor.name || err.name || 'Error';
  return '_OTHER';
}

/** Only the `at ...` frames of a stack: its first line repeats the message. */
export function stackFrames(err: unknown): string | undefined {
  if (!(err instanceof Error) || typeof err.stack !== 'string') return undefined;
  const frames = err.stack.split('\n').filter((line) => /^\s+at /.test(line));
  return frames.length > 0 ? frames.map((line) => line.trim()).join('\n') : undefined;
}

/**
 * An error as a log field, instead of pino's `err` serializer (which copies the message, the
 * stack's first line and every enumerable property, e.g. a pg error's `detail` with row values).
 */
export function loggableError(err: unknown): { type: string; message: string; stack?: string } {
  const stack = stackFrames(err);
  return { type: errorType(err), message: describeError(err), ...(stack === undefined ? {} : { stack }) };
}

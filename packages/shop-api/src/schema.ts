import { createHash } from 'node:crypto';
import { customerSchema, orderItemsSchema, ValidationError, z } from '@shopfloor/service-kit';

/**
 * Text the Shop database can store. PostgreSQL refuses U+0000 in text and jsonb, and a lone UTF-16
 * surrogate (half of a pair) is no Unicode character at all: both would be a 500 at the INSERT, so
 * they are a 400 naming the field here. Applied to every text field that is stored.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function storable<S extends z.ZodString | z.ZodEmail>(schema: S) {
  return schema
    .refine((s: string) => !s.includes('\u0000'), { message: 'must not contain the NUL character (U+0000)', abort: true })
    .refine((s: string) => !LONE_SURROGATE.test(s), { message: 'must not contain a lone UTF-16 surrogate (not valid Unicode)', abort: true });
}

/** The key format POST /models issues: `models/<uuid>/<file name>` (see models.ts). */
export const ISSUED_MODEL_KEY = /^models\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Body of POST /orders. */
export const createOrderSchema = z.object({
  customer: customerSchema.extend({
    name: storable(z.string().trim().min(1).max(200)),
    email: storable(z.email().max(320)),
  }),
  items: orderItemsSchema.element
    .extend({ sku: storable(z.string().trim().min(1).max(64)) })
    .array()
    .min(1)
    .max(100),
  /** Reference to an uploaded 3D model: a key POST /models issued (also checked against the issued keys). */
  model: z
    .object({
      s3Key: storable(z.string().trim().max(512)).refine((key) => ISSUED_MODEL_KEY.test(key), {
        message: 'must be a key issued by POST /models (models/<uuid>/<file name>)',
      }),
    })
    .optional(),
});

export type CreateOrderRequest = z.output<typeof createOrderSchema>;

/** `Idempotency-Key`: 1-255 visible ASCII characters (e.g. a UUID). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The header's value, undefined when absent; a 400 when present but not a valid key. */
export function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(value)) {
    throw new ValidationError('invalid Idempotency-Key', [
      { path: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters (e.g. a UUID)' },
    ]);
  }
  return value;
}

/** JSON with object keys sorted at every level: the same value gives the same text whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 (hex) of the request body as canonical JSON: key order and whitespace do not matter, any value does. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

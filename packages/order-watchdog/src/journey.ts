import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseDuration } from './duration';

/**
 * A journey: the stages an order passes, where each stage's record is (the services' own
 * databases are the ground truth), the queue its message waits in before the stage, a deadline
 * per stage, and the span that shows the stage in a trace. One YAML file per flow; nothing about
 * a particular flow is in the code.
 */

const duration = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const ms = typeof v === 'number' ? v * 1000 : parseDuration(v);
    if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `not a positive duration: ${JSON.stringify(v)} (write e.g. 90s, 2m, 500ms)` });
      return z.NEVER;
    }
    return ms;
  });

const identifier = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, - and _, starting with a letter');

const recordSchema = z.strictObject({
  /** Name of an entry of `databases`. */
  database: identifier,
  /**
   * SQL returning `order_id` (text) and `at` (timestamp) of those of the orders in $1 (a text[]
   * of order ids) that reached the stage. Called with the open orders only, and by the page.
   */
  query: z.string().min(1),
  /**
   * First stage only: SQL returning `order_id` and `at` of the orders accepted after the cursor
   * ($1 time, $2 order id as text), oldest first, at most $3.
   */
  new_orders: z.string().min(1).optional(),
});

const spanSchema = z.strictObject({
  service: z.string().min(1),
  kind: z.enum(['server', 'client', 'producer', 'consumer', 'internal']).optional(),
  /** Tag name → regular expression its value must match. */
  tags: z.record(z.string(), z.string()).optional(),
});

const stageSchema = z.strictObject({
  id: identifier,
  title: z.string().min(1),
  /** The service whose work this stage is (the alert's `service` label while an order waits for it). */
  service: z.string().min(1).optional(),
  /** Where the stage's record is. A stage without one counts as reached once a later stage is. */
  record: recordSchema.optional(),
  /** This stage's record means "the message was sent": missing it, the order was not published. */
  publishes: z.boolean().default(false),
  /**
   * A publishing stage only: how a replay has the owning service send the order's message again
   * when it vanished after this stage. SQL on the record's database, $1 the order id (text): it
   * clears the record's "sent" mark (returning a row when it did), so the service's own
   * republisher (its outbox relay) sends the order again from its stored record, in its trace.
   */
  republish: z.strictObject({ query: z.string().min(1) }).optional(),
  /** The queue the order's message waits in before this stage. */
  queue: z.string().min(1).optional(),
  /** Time from acceptance by which the stage must be reached (the first stage has none). */
  deadline: duration.optional(),
  /** The span that shows this stage in the order's trace. */
  span: spanSchema.optional(),
});

const databaseSchema = z.strictObject({
  /** Environment variable holding the connection URL (a read-only role). */
  url_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
});

export const journeySchema = z
  .strictObject({
    name: identifier,
    title: z.string().min(1).optional(),
    databases: z.record(identifier, databaseSchema),
    /** How the order id is found on a message: an AMQP header, else a JSON field of the body. */
    messages: z
      .strictObject({
        order_id_header: z.string().min(1).default('x-order-id'),
        order_id_json_field: z.string().min(1).optional(),
        reason_header: z.string().min(1).default('x-shopfloor-reason'),
        /** Dead-letter queue of a work queue; `{queue}` is replaced. */
        dead_letter_queue: z.string().includes('{queue}').default('{queue}.dlq'),
        /** Queue of messages no binding routed (the alternate exchange's queue). */
        unroutable_queue: z.string().min(1).optional(),
        /** Most messages read from one dead-letter or unroutable queue per check. */
        peek_limit: z.number().int().min(1).max(100_000).default(2000),
        /**
         * An order that reached a stage more recently than this is not explained yet, even when a
         * later deadline has passed: its message is on its way to the next queue (an order held
         * up by an outage moves on late, and would be called vanished while in flight).
         */
        hop_grace: duration.default(5_000),
      })
      .prefault({}),
    /** The trace: which tag holds the order id, which service to search first. */
    trace: z
      .strictObject({
        order_id_tag: z.string().min(1).default('order.id'),
        /** Time after completion before a missing stage span counts as telemetry loss. */
        grace: duration.default(15_000),
      })
      .prefault({}),
    /** A marked order sent at a steady pace (WATCHDOG_CANARY_INTERVAL_MS), so silence is never taken for health. */
    canary: z
      .strictObject({
        /** Environment variable holding the URL the canary order is POSTed to (JSON). */
        url_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
        body: z.record(z.string(), z.unknown()),
        /** Field of the JSON answer holding the new order's id. */
        order_id_field: z.string().min(1).default('orderId'),
      })
      .optional(),
    stages: z.array(stageSchema).min(2),
  })
  .superRefine((j, ctx) => {
    const ids = new Set<string>();
    j.stages.forEach((s, i) => {
      if (ids.has(s.id)) ctx.addIssue({ code: 'custom', path: ['stages', i, 'id'], message: `stage id "${s.id}" appears twice` });
      ids.add(s.id);
      if (s.record && !(s.record.database in j.databases)) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'record', 'database'],
          message: `unknown database "${s.record.database}"; defined: ${Object.keys(j.databases).join(', ') || '(none)'}`,
        });
      }
      if (s.republish && !(s.publishes && s.record)) {
        ctx.addIssue({ code: 'custom', path: ['stages', i, 'republish'], message: 'only a publishing stage with a record (publishes: true) can have its message sent again' });
      }
      if (i === 0) {
        if (!s.record?.new_orders) {
          ctx.addIssue({ code: 'custom', path: ['stages', 0, 'record', 'new_orders'], message: 'the first stage (acceptance) needs record.new_orders: it is where new orders are found' });
        }
        if (s.deadline !== undefined) ctx.addIssue({ code: 'custom', path: ['stages', 0, 'deadline'], message: 'the first stage starts the clock: it has no deadline' });
      } else {
        if (s.record?.new_orders) ctx.addIssue({ code: 'custom', path: ['stages', i, 'record', 'new_orders'], message: 'only the first stage finds new orders' });
        if (s.deadline === undefined) ctx.addIssue({ code: 'custom', path: ['stages', i, 'deadline'], message: 'every stage after the first needs a deadline' });
      }
      const prev = j.stages[i - 1]?.deadline;
      if (i > 1 && prev !== undefined && s.deadline !== undefined && s.deadline < prev) {
        ctx.addIssue({ code: 'custom', path: ['stages', i, 'deadline'], message: 'deadlines count from acceptance: a later stage cannot have an earlier deadline' });
      }
    });
    const last = j.stages[j.stages.length - 1];
    if (last && !last.record) {
      ctx.addIssue({ code: 'custom', path: ['stages', j.stages.length - 1, 'record'], message: 'the last stage (completion) needs a record: it is the ground truth that the order arrived' });
    }
  });

export type Journey = z.output<typeof journeySchema>;
export type Stage = Journey['stages'][number];
export type SpanMatcher = NonNullable<Stage['span']>;

export class JourneyError extends Error {
  override readonly name = 'JourneyError';
}

/** Validates a parsed journey; errors name the path of each bad field. */
export function parseJourney(value: unknown, source = 'journey'): Journey {
  const result = journeySchema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`);
  throw new JourneyError(`${source} is not a valid journey:\n${lines.join('\n')}`);
}

export function parseJourneyYaml(text: string, source = 'journey'): Journey {
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    throw new JourneyError(`${source} is not valid YAML: ${(err as Error).message}`);
  }
  return parseJourney(value, source);
}

export function loadJourney(path: string): Journey {
  return parseJourneyYaml(readFileSync(path, 'utf8'), path);
}

/** The dead-letter queue of `queue`. */
export function deadLetterQueue(journey: Journey, queue: string): string {
  return journey.messages.dead_letter_queue.replaceAll('{queue}', queue);
}

/** The last stage's deadline: an order not complete by then is flagged at the latest. */
export function finalDeadline(journey: Journey): number {
  return journey.stages[journey.stages.length - 1]?.deadline ?? 0;
}

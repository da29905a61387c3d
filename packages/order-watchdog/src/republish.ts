import type { Pool } from 'pg';
import type { Journey, Stage } from './journey';
import { writablePool } from './state-store';

/**
 * A replay's request to the owning service: the publishing stage's `republish` query, run on the
 * stage's record database, clears the record's "sent" mark; the service's own republisher (its
 * outbox relay) then sends the order again from its stored record, in the order's trace. The
 * watchdog writes nothing else there: the service grants its role UPDATE of that one column.
 */
export class RecordRepublisher {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly journey: Journey,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** True when the mark was cleared; false when the record is not marked sent (moved on, or asked already). */
  async republish(stage: Stage, orderId: string): Promise<boolean> {
    if (!stage.republish || !stage.record) throw new Error(`stage "${stage.id}" has no republish query`);
    const result = await this.pool(stage.record.database).query(stage.republish.query, [orderId]);
    return (result.rowCount ?? 0) > 0;
  }

  private pool(database: string): Pool {
    let pool = this.pools.get(database);
    if (!pool) {
      const urlEnv = this.journey.databases[database]!.url_env;
      const url = this.env[urlEnv];
      if (!url) throw new Error(`journey ${this.journey.name}: database "${database}" needs its URL in ${urlEnv}`);
      pool = writablePool(url, `order-watchdog/${this.journey.name}/replay`, 1);
      this.pools.set(database, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end()));
  }
}

/** A small steady stream of valid orders, so dashboards and traces have something to show. */
const SKUS = ['BRACKET-PLA', 'GEAR-PETG', 'HOUSING-ABS', 'NOZZLE-NYLON', 'CLIP-TPU'];
const CUSTOMERS = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov'];

export interface GeneratedOrder {
  customer: { name: string; email: string };
  items: { sku: string; quantity: number }[];
  model?: { s3Key: string };
}

/**
 * A valid random order. `modelKey` must be a key shop-api's POST /models issued (the shop refuses
 * any other): with one, half the orders reference it.
 */
export function randomOrder(random: () => number = Math.random, modelKey?: string): GeneratedOrder {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const name = pick(CUSTOMERS);
  const items = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
    sku: pick(SKUS),
    quantity: 1 + Math.floor(random() * 20),
  }));
  const order: GeneratedOrder = {
    customer: { name, email: `${name.split(' ')[0]!.toLowerCase()}@example.com` },
    items,
  };
  if (random() < 0.5 && modelKey !== undefined) order.model = { s3Key: modelKey };
  return order;
}

export class OrderGenerator {
  private timer?: NodeJS.Timeout;
  /** A small model uploaded once (POST /models), referenced by half the orders. */
  private modelKey?: string;
  sent = 0;
  failed = 0;

  constructor(private readonly shopApi: string, private readonly intervalMs: number, private readonly log: (l: string) => void) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async uploadModel(): Promise<string> {
    const res = await fetch(`${this.shopApi}/models?name=generated.stl`, {
      method: 'POST',
      headers: { 'content-type': 'model/stl' },
      body: 'solid generated\nendsolid generated\n',
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as { s3Key?: string };
    if (res.status !== 201 || typeof body.s3Key !== 'string') throw new Error(`POST /models answered ${res.status}`);
    return body.s3Key;
  }

  private async tick(): Promise<void> {
    try {
      this.modelKey ??= await this.uploadModel();
      const res = await fetch(`${this.shopApi}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(randomOrder(Math.random, this.modelKey)),
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`shop-api answered ${res.status}`);
      this.sent++;
    } catch (err) {
      // One line per failure streak, not one per order.
      if (this.failed++ === 0) this.log(`order generator: ${(err as Error).message}`);
      return;
    }
    if (this.failed > 0) {
      this.log(`order generator: recovered after ${this.failed} failed orders`);
      this.failed = 0;
    }
  }
}

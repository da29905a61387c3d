import type { OrderItem } from '@shopfloor/service-kit';

/** One production line; jobs run back to back, each starting on a slot boundary. */
export const CAPACITY = {
  setupMinutes: 30,
  minutesPerUnit: 2,
  slotMinutes: 15,
} as const;

const MINUTE = 60_000;

export function totalQuantity(items: readonly OrderItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity, 0);
}

/** Setup time plus a fixed time per unit. */
export function productionMinutes(quantity: number): number {
  return CAPACITY.setupMinutes + quantity * CAPACITY.minutesPerUnit;
}

/** Rounds up to the next slot boundary (UTC, e.g. :00/:15/:30/:45). */
export function alignToSlot(time: Date, slotMinutes: number = CAPACITY.slotMinutes): Date {
  const slot = slotMinutes * MINUTE;
  return new Date(Math.ceil(time.getTime() / slot) * slot);
}

/** Next free slot: not before `now`, not before the line is free (`busyUntil`). */
export function scheduleJob(input: { now: Date; busyUntil: Date | null; quantity: number }): { start: Date; end: Date } {
  const earliest = input.busyUntil !== null && input.busyUntil > input.now ? input.busyUntil : input.now;
  const start = alignToSlot(earliest);
  const end = new Date(start.getTime() + productionMinutes(input.quantity) * MINUTE);
  return { start, end };
}

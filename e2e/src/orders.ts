import assert from 'node:assert/strict';
import { randomOrder } from '@shopfloor/stack-contract';
import { requestJson } from './clients/http';

export interface PlacedOrder { orderId: string; status: string }

/** Places one valid order and asserts the shop accepted it. */
export async function placeOrder(shopApi: string, headers: Record<string, string> = {}): Promise<PlacedOrder> {
  const res = await requestJson<PlacedOrder>(`${shopApi}/orders`, { method: 'POST', body: randomOrder(), headers });
  assert.ok(res.status === 201 || res.status === 202, `POST /orders answered ${res.status}: ${JSON.stringify(res.body)}`);
  assert.match(res.body.orderId, /^[0-9a-f-]{36}$/);
  return res.body;
}

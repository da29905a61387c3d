import { z } from 'zod';

/**
 * Message contracts of the order flow. The producer builds them and the consumer
 * validates them with the same schema, so the two sides cannot drift apart.
 */

export const customerSchema = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320),
});

export const orderItemSchema = z.object({
  sku: z.string().trim().min(1).max(64),
  quantity: z.int().min(1).max(1000),
});

export const orderItemsSchema = z.array(orderItemSchema).min(1).max(100);

/** S3 key of the attached 3D model, or null (a missing field counts as null). */
export const modelKeySchema = z.string().min(1).max(512).nullable().default(null);

/** `order.created`, published by shop-api, consumed by crm-api from `crm.order-created`. */
export const orderCreatedSchema = z.object({
  orderId: z.guid(),
  customer: customerSchema,
  items: orderItemsSchema,
  modelKey: modelKeySchema,
  createdAt: z.iso.datetime({ offset: true }),
});

/** `production.requested`, published by crm-api, consumed by mes-api from `mes.production-requested`. */
export const productionRequestedSchema = z.object({
  orderId: z.guid(),
  contractId: z.guid(),
  items: orderItemsSchema,
  modelKey: modelKeySchema,
});

export type Customer = z.output<typeof customerSchema>;
export type OrderItem = z.output<typeof orderItemSchema>;
export type OrderCreated = z.output<typeof orderCreatedSchema>;
export type ProductionRequested = z.output<typeof productionRequestedSchema>;

import { customerSchema, orderItemsSchema, z } from '@shopfloor/service-kit';

/** Body of POST /orders. */
export const createOrderSchema = z.object({
  customer: customerSchema,
  items: orderItemsSchema,
  /** Reference to an uploaded 3D model. */
  model: z.object({ s3Key: z.string().trim().min(1).max(512) }).optional(),
});

export type CreateOrderRequest = z.output<typeof createOrderSchema>;

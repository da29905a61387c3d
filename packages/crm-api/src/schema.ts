/** crm-api consumes `order.created` (contract shared with shop-api) from `crm.order-created`. */
export { orderCreatedSchema, type OrderCreated } from '@shopfloor/service-kit';

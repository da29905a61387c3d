import {
  type ProductionRequested,
  ROUTING_KEYS,
  type ServiceBase,
  setSpanAttributes,
  startConsumer,
  WORK_QUEUES,
} from '@shopfloor/service-kit';
import type { ContractRepository } from './repository';
import { orderCreatedSchema } from './schema';

/**
 * `crm.order-created` → contract (idempotent) → `production.requested` (confirmed) → ack.
 * On redelivery the existing contract is reused and production is requested again
 * (mes-api is idempotent too), so a crash between insert and publish loses nothing.
 */
export async function startOrderCreatedConsumer(base: ServiceBase, contracts: ContractRepository) {
  const consumer = await startConsumer(base.broker, base.logger, {
    queue: WORK_QUEUES.crmOrderCreated.name,
    schema: orderCreatedSchema,
    retry: base.retry,
    handler: async (order) => {
      setSpanAttributes({ 'order.id': order.orderId });
      const { contract, created } = await contracts.createForOrder(order);
      setSpanAttributes({ 'contract.id': contract.contractId });
      const message: ProductionRequested = {
        orderId: contract.orderId,
        contractId: contract.contractId,
        items: contract.items,
        modelKey: contract.modelKey,
      };
      await base.broker.publish(ROUTING_KEYS.productionRequested, message, { orderId: contract.orderId });
      base.logger.info({ orderId: order.orderId, contractId: contract.contractId, created }, 'contract stored; production requested');
    },
  });
  base.lifecycle.defer('order.created consumer', () => consumer.stop());
  return consumer;
}

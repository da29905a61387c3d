import {
  activeTraceparent,
  type OrderCreated,
  type ServiceBase,
  setSpanAttributes,
  startConsumer,
  type StreakLogger,
  WORK_QUEUES,
} from '@shopfloor/service-kit';
import { NextMessagesFault } from './fault';
import type { ProductionRequester } from './publisher';
import type { ContractRepository } from './repository';
import { orderCreatedSchema } from './schema';

export interface OrderCreatedDeps {
  contracts: Pick<ContractRepository, 'createForOrder'>;
  requester: Pick<ProductionRequester, 'request'>;
  logger: StreakLogger;
  /** Test hook CRM_FAULT_DROP_AFTER_STORE (off: `new NextMessagesFault(0)`). */
  dropAfterStore: NextMessagesFault;
  /** Test hook CRM_FAULT_DROP_BEFORE_STORE (off when absent). */
  dropBeforeStore?: NextMessagesFault;
}

/**
 * One `order.created`: contract (idempotent) → `production.requested` (confirmed, then
 * `production_requested_at`). Resolving acknowledges the message; a failure is retried by the
 * consumer. On redelivery the existing contract is reused and production is requested again
 * (mes-api is idempotent too), so a crash between insert and publish loses nothing; a contract
 * whose message was lost anyway is requested by the republisher.
 */
export function orderCreatedHandler(deps: OrderCreatedDeps): (order: OrderCreated) => Promise<void> {
  return async (order) => {
    setSpanAttributes({ 'order.id': order.orderId });
    if (deps.dropBeforeStore?.next()) {
      // Resolving acknowledges the message: the order is gone from CRM's view.
      deps.logger.warn({ orderId: order.orderId, remaining: deps.dropBeforeStore.remaining }, 'fault injection: message acknowledged without storing its contract');
      return;
    }
    // The consume span's context: the republisher continues this trace if the publish below is lost.
    const { contract, created } = await deps.contracts.createForOrder(order, activeTraceparent());
    setSpanAttributes({ 'contract.id': contract.contractId });
    if (deps.dropAfterStore.next()) {
      // Resolving acknowledges the message: this consumer never requests production for it.
      deps.logger.warn(
        { orderId: order.orderId, contractId: contract.contractId, remaining: deps.dropAfterStore.remaining },
        'fault injection: contract stored, message acknowledged without requesting production',
      );
      return;
    }
    await deps.requester.request(contract);
    deps.logger.info({ orderId: order.orderId, contractId: contract.contractId, created }, 'contract stored; production requested');
  };
}

/** Consumes `crm.order-created` with `orderCreatedHandler`. */
export async function startOrderCreatedConsumer(
  base: ServiceBase,
  contracts: ContractRepository,
  requester: ProductionRequester,
  faults: Pick<OrderCreatedDeps, 'dropAfterStore' | 'dropBeforeStore'> = { dropAfterStore: new NextMessagesFault(0) },
) {
  const consumer = await startConsumer(base.broker, base.logger, {
    queue: WORK_QUEUES.crmOrderCreated.name,
    schema: orderCreatedSchema,
    retry: base.retry,
    handler: orderCreatedHandler({ contracts, requester, logger: base.logger, ...faults }),
  });
  base.lifecycle.defer('order.created consumer', () => consumer.stop());
  return consumer;
}

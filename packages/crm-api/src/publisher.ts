import {
  type Broker,
  type ProductionRequested,
  publishAndRecord,
  Republisher,
  ROUTING_KEYS,
  type StreakLogger,
} from '@shopfloor/service-kit';
import type { Contract, ContractRepository } from './repository';

export function productionRequestedMessage(contract: Contract): ProductionRequested {
  return {
    orderId: contract.orderId,
    contractId: contract.contractId,
    items: contract.items,
    modelKey: contract.modelKey,
  };
}

/** Publishes `production.requested` (resolves on the broker's confirm) and records `production_requested_at`. */
export class ProductionRequester {
  constructor(
    private readonly broker: Pick<Broker, 'publish'>,
    private readonly contracts: Pick<ContractRepository, 'markProductionRequested'>,
    private readonly logger: Pick<StreakLogger, 'warn'>,
  ) {}

  /**
   * Resolves once the broker confirmed; throws BrokerUnavailableError or UnroutableMessageError
   * otherwise (the contract stays pending). The message carries `x-order-id`.
   */
  async request(contract: Contract): Promise<void> {
    await publishAndRecord(this.broker, this.logger, {
      routingKey: ROUTING_KEYS.productionRequested,
      message: productionRequestedMessage(contract),
      orderId: contract.orderId,
      record: () => this.contracts.markProductionRequested(contract.orderId),
      notRecorded: 'production requested but production_requested_at not recorded',
      fields: { contractId: contract.contractId },
    });
  }
}

/**
 * The outbox relay of the contracts (service-kit's Republisher): every `intervalMs`, requests
 * production for contracts still lacking `production_requested_at` (the publish failed and its
 * requeued message was lost, or the confirm came too late), each in the trace of the consume span
 * that stored it. Contracts younger than `minAgeMs` are left to the consumer handling them.
 */
export function productionRepublisher(
  requester: Pick<ProductionRequester, 'request'>,
  contracts: Pick<ContractRepository, 'findProductionPending'>,
  broker: Pick<Broker, 'isConnected'>,
  logger: StreakLogger,
  options: { intervalMs: number; minAgeMs: number; batchSize?: number },
): Republisher<Contract> {
  return new Republisher<Contract>(broker, logger, {
    ...options,
    names: { pending: 'pending production requests', published: 'production requests' },
    findPending: (minAgeMs, limit) => contracts.findProductionPending(minAgeMs, limit),
    publish: (contract) => requester.request(contract),
    traceparentOf: (contract) => contract.traceparent,
  });
}

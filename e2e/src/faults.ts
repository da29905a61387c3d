import type { Stack } from '@shopfloor/stack-contract';

/**
 * The faults the alert scenarios inject through the services' fault hooks, shared with the
 * dashboard scenario (which checks that the panels that are empty without a fault show them).
 */
export const FAULT_ENV = {
  /** CRM fails half of its /contracts requests with 500 (CrmApiHighErrorRatio, ApiHighErrorRatio). */
  'crm-api': { CRM_FAULT_ERROR_RATE: '0.5' },
  /**
   * MES is slow (800 ms per request and per message: MesApiHighLatency) and its consumer
   * dead-letters every message (DeadLettersWaiting).
   */
  'mes-api': { MES_FAULT_DELAY_MS: '800', MES_FAULT_REJECT: 'true' },
} as const;

/** Restarts crm-api and mes-api with their fault hooks on (both at once). */
export async function injectServiceFaults(stack: Stack): Promise<void> {
  await Promise.all([stack.restartService('crm-api', FAULT_ENV['crm-api']), stack.restartService('mes-api', FAULT_ENV['mes-api'])]);
}

/**
 * Undoes `injectServiceFaults` for the next scenario on the same stack: crm-api and mes-api back
 * to their normal start, and the dead letters they left purged.
 */
export async function undoServiceFaults(stack: Stack): Promise<void> {
  await Promise.all([stack.restartService('crm-api', {}), stack.restartService('mes-api', {})]);
  const queues = (await stack.rabbitmqctl(['list_queues', '--quiet', '--no-table-headers', 'name'])).split('\n').map((q) => q.trim());
  for (const queue of queues.filter((q) => q.endsWith('.dlq'))) await stack.rabbitmqctl(['purge_queue', queue]);
}

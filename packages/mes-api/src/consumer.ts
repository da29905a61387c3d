import { PermanentError, type ServiceBase, setSpanAttributes, sleep, startConsumer, WORK_QUEUES } from '@shopfloor/service-kit';
import { AckThenCrashFault } from './faults';
import { quotePrice } from './pricing';
import type { JobRepository } from './repository';
import { scheduleJob, totalQuantity } from './scheduling';
import { productionRequestedSchema } from './schema';

export interface MesFaults {
  delayMs: number;
  reject: boolean;
  /** Acknowledge this many messages without storing their jobs, then crash (0: off). */
  ackThenCrash?: number;
}

/** `mes.production-requested` → price + schedule (pure functions) → job (idempotent) → ack. */
export async function startProductionRequestedConsumer(base: ServiceBase, jobs: JobRepository, faults: MesFaults, ackThenCrash = new AckThenCrashFault(faults.ackThenCrash ?? 0)) {
  const consumer = await startConsumer(base.broker, base.logger, {
    queue: WORK_QUEUES.mesProductionRequested.name,
    schema: productionRequestedSchema,
    retry: base.retry,
    handler: async (request, context) => {
      setSpanAttributes({ 'order.id': request.orderId, 'contract.id': request.contractId });
      if (faults.delayMs > 0) await sleep(faults.delayMs, context.signal);
      if (faults.reject) throw new PermanentError('rejected by fault injection');
      const crashFault = ackThenCrash.next();
      if (crashFault === 'drop') {
        // Resolving acknowledges the message; the job is never stored, and the process dies soon.
        base.logger.warn({ orderId: request.orderId }, 'fault injection: acknowledged without storing the job; crashing');
        return;
      }
      if (crashFault === 'hold') {
        // The crash is pending: keep it unacknowledged, the broker redelivers it after the restart.
        await sleep(600_000, context.signal);
        throw new Error('held by fault injection until the crash');
      }

      const price = quotePrice(request.items, request.modelKey !== null);
      const quantity = totalQuantity(request.items);
      const { job, created } = await jobs.createJob(request, (busyUntil) => ({
        priceCents: price.totalCents,
        ...scheduleJob({ now: new Date(), busyUntil, quantity }),
      }));
      setSpanAttributes({ 'job.id': job.jobId });
      base.logger.info(
        { orderId: job.orderId, jobId: job.jobId, priceCents: job.priceCents, scheduledStart: job.scheduledStart, created },
        'production job scheduled',
      );
    },
  });
  base.lifecycle.defer('production.requested consumer', () => consumer.stop());
  return consumer;
}

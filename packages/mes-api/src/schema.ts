import { z } from '@shopfloor/service-kit';

/** mes-api consumes `production.requested` (contract shared with crm-api) from `mes.production-requested`. */
export { productionRequestedSchema, type ProductionRequested } from '@shopfloor/service-kit';

export const JOB_STATUSES = ['scheduled', 'in_progress', 'completed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Query of GET /jobs. */
export const listJobsQuerySchema = z.object({
  status: z.enum(JOB_STATUSES, { error: `must be one of ${JOB_STATUSES.join(', ')}` }).optional(),
});

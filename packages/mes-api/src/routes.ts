import {
  HttpError,
  type Logger,
  parseOrThrow,
  parseUuidParam,
  type RequestHandler,
  Router,
  setSpanAttributes,
  sleep,
} from '@shopfloor/service-kit';
import { findPartner, type Partner } from './partners';
import type { JobRepository } from './repository';
import { listJobsQuerySchema } from './schema';

export interface MesRoutesDeps {
  jobs: JobRepository;
  partners: readonly Partner[];
  logger: Logger;
  faultDelayMs: number;
}

/** Test hook (MES_FAULT_DELAY_MS): delays every request except /healthz (mounted before this). */
export function faultDelay(ms: number): RequestHandler {
  return async (_req, _res, next) => {
    await sleep(ms);
    next();
  };
}

/** X-API-Key → partner id from the configured list (401 otherwise). The key is never logged or traced. */
export function partnerAuth(partners: readonly Partner[], logger: Logger): RequestHandler {
  return (req, res, next) => {
    const partnerId = findPartner(partners, req.get('x-api-key'));
    if (partnerId === null) {
      logger.debug({ path: req.path, keyPresent: req.get('x-api-key') !== undefined }, 'partner authentication failed');
      res.status(401).set('WWW-Authenticate', 'ApiKey header="X-API-Key"').json({ error: 'missing or invalid API key' });
      return;
    }
    res.locals.partnerId = partnerId;
    setSpanAttributes({ 'partner.id': partnerId });
    next();
  };
}

export function mesRoutes(deps: MesRoutesDeps): Router {
  const router = Router();
  if (deps.faultDelayMs > 0) router.use(faultDelay(deps.faultDelayMs));

  // Operator API
  router.get('/jobs', async (req, res) => {
    const { status } = parseOrThrow(listJobsQuerySchema, req.query, 'invalid query');
    res.json({ jobs: await deps.jobs.list(status) });
  });

  router.get('/jobs/:orderId', async (req, res) => {
    const orderId = parseUuidParam(req.params.orderId, 'orderId');
    setSpanAttributes({ 'order.id': orderId });
    const job = await deps.jobs.findByOrderId(orderId);
    if (job === null) throw new HttpError(404, 'job not found');
    res.json(job);
  });

  // Partner API: authentication first, so unauthenticated callers learn nothing (not even 400/404).
  router.use('/partner/v1', partnerAuth(deps.partners, deps.logger));
  router.get('/partner/v1/jobs/:orderId', async (req, res) => {
    setSpanAttributes({ 'partner.id': res.locals.partnerId as string });
    const orderId = parseUuidParam(req.params.orderId, 'orderId');
    setSpanAttributes({ 'order.id': orderId });
    const job = await deps.jobs.findByOrderId(orderId);
    if (job === null) throw new HttpError(404, 'job not found');
    res.json({ orderId: job.orderId, status: job.status, scheduledStart: job.scheduledStart, scheduledEnd: job.scheduledEnd });
  });

  return router;
}

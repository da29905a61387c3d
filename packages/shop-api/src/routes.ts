import { randomUUID } from 'node:crypto';
import {
  describeError,
  HttpError,
  type Logger,
  parseOrThrow,
  parseUuidParam,
  rawBody,
  Router,
  setSpanAttributes,
} from '@shopfloor/service-kit';
import { deriveStage, downstreamUrl, fetchDownstream } from './flow';
import { modelKey, type ModelStore } from './models';
import type { OrderPublisher } from './publisher';
import type { OrderRepository } from './repository';
import { createOrderSchema } from './schema';

export interface ShopRoutesDeps {
  orders: OrderRepository;
  publisher: OrderPublisher;
  logger: Logger;
  crmUrl: string;
  mesUrl: string;
  downstreamTimeoutMs: number;
  models: ModelStore;
  modelMaxBytes: number;
}

export function shopRoutes(deps: ShopRoutesDeps): Router {
  const router = Router();

  // A customer's 3D model file, stored in S3; the returned key goes into the order's `model.s3Key`.
  router.post('/models', rawBody(deps.modelMaxBytes), async (req, res) => {
    const key = modelKey(req.query.name);
    const body = req.body as unknown;
    if (!Buffer.isBuffer(body) || body.length === 0) throw new HttpError(400, 'the request body must be the model file');
    await deps.models.put(key, body, req.get('content-type') ?? 'application/octet-stream');
    res.status(201).json({ s3Key: key, bucket: deps.models.bucket, bytes: body.length });
  });

  router.post('/orders', async (req, res) => {
    const input = parseOrThrow(createOrderSchema, req.body, 'invalid order', 'body');
    const orderId = randomUUID();
    setSpanAttributes({ 'order.id': orderId });
    const order = await deps.orders.insert({
      orderId,
      customer: input.customer,
      items: input.items,
      modelKey: input.model?.s3Key ?? null,
    });
    try {
      await deps.publisher.publish(order);
      res.status(201).json({ orderId, status: 'published' });
    } catch (err) {
      // Stored, not lost: the republisher publishes it once the broker is back.
      deps.logger.warn({ orderId, error: describeError(err) }, 'order stored but not yet published');
      res.status(202).json({ orderId, status: 'accepted' });
    }
  });

  router.get('/orders/:id', async (req, res) => {
    const orderId = parseUuidParam(req.params.id, 'orderId');
    setSpanAttributes({ 'order.id': orderId });
    const order = await deps.orders.findById(orderId);
    if (order === null) throw new HttpError(404, 'order not found');
    const path = encodeURIComponent(orderId);
    const [crm, mes] = await Promise.all([
      fetchDownstream(downstreamUrl(deps.crmUrl, `/contracts/${path}`), deps.downstreamTimeoutMs),
      fetchDownstream(downstreamUrl(deps.mesUrl, `/jobs/${path}`), deps.downstreamTimeoutMs),
    ]);
    res.json({
      ...order,
      flow: { shop: order.status, crm, mes, stage: deriveStage(crm, mes) },
    });
  });

  return router;
}

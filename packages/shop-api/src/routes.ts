import { randomUUID } from 'node:crypto';
import {
  activeTraceparent,
  describeError,
  HttpError,
  type Logger,
  parseOrThrow,
  parseUuidParam,
  rawBody,
  Router,
  setSpanAttributes,
  ValidationError,
} from '@shopfloor/service-kit';
import { deriveStage, downstreamUrl, fetchDownstream } from './flow';
import { modelKey, type ModelStore } from './models';
import type { OrderPublisher } from './publisher';
import type { ModelKeyRepository, Order, OrderRepository } from './repository';
import { createOrderSchema, parseIdempotencyKey, requestHash } from './schema';

export interface ShopRoutesDeps {
  orders: OrderRepository;
  publisher: OrderPublisher;
  logger: Logger;
  crmUrl: string;
  mesUrl: string;
  downstreamTimeoutMs: number;
  models: ModelStore;
  modelKeys: ModelKeyRepository;
  modelMaxBytes: number;
}

/** The answer to POST /orders for an order: 201 once published, 202 while it waits for the republisher. */
function orderAnswer(orderId: string, status: number): { status: number; body: { orderId: string; status: string } } {
  return { status, body: { orderId, status: status === 201 ? 'published' : 'accepted' } };
}

function statusOf(order: Order): number {
  return order.publishedAt === null ? 202 : 201;
}

export function shopRoutes(deps: ShopRoutesDeps): Router {
  const router = Router();

  // A customer's 3D model file, stored in S3; the returned key goes into the order's `model.s3Key`.
  router.post('/models', rawBody(deps.modelMaxBytes), async (req, res) => {
    const key = modelKey(req.query.name);
    const body = req.body as unknown;
    if (!Buffer.isBuffer(body) || body.length === 0) throw new HttpError(400, 'the request body must be the model file');
    await deps.models.put(key, body, req.get('content-type') ?? 'application/octet-stream');
    await deps.modelKeys.record(key, body.length);
    res.status(201).json({ s3Key: key, bucket: deps.models.bucket, bytes: body.length });
  });

  router.post('/orders', async (req, res) => {
    const idempotencyKey = parseIdempotencyKey(req.get('idempotency-key'));
    const input = parseOrThrow(createOrderSchema, req.body, 'invalid order', 'body');
    const modelKey = input.model?.s3Key ?? null;
    if (modelKey !== null && !(await deps.modelKeys.isIssued(modelKey))) {
      throw new ValidationError('invalid order', [{ path: 'model.s3Key', message: 'unknown model key: upload the model with POST /models and use the s3Key it returns' }]);
    }
    const newOrder = {
      orderId: randomUUID(),
      customer: input.customer,
      items: input.items,
      modelKey,
      // The order's trace: a later publish (republisher) continues it.
      traceparent: activeTraceparent(),
    };
    let order: Order;
    if (idempotencyKey === undefined) {
      order = await deps.orders.insert(newOrder);
    } else {
      const found = await deps.orders.insertIdempotent(newOrder, idempotencyKey, requestHash(req.body));
      if (found.kind === 'conflict') {
        throw new HttpError(409, 'this Idempotency-Key was already used with a different request body');
      }
      if (found.kind === 'replay') {
        // The same request again: the same order and answer, nothing stored or published twice.
        setSpanAttributes({ 'order.id': found.order.orderId });
        const answer = orderAnswer(found.order.orderId, found.responseStatus ?? statusOf(found.order));
        res.set('Idempotent-Replayed', 'true').status(answer.status).json(answer.body);
        return;
      }
      order = found.order;
    }
    const { orderId } = order;
    setSpanAttributes({ 'order.id': orderId });
    let status: number;
    try {
      await deps.publisher.publish(order);
      status = 201;
    } catch (err) {
      // Stored, not lost: the republisher publishes it once the broker is back.
      deps.logger.warn({ orderId, error: describeError(err) }, 'order stored but not yet published');
      status = 202;
    }
    if (idempotencyKey !== undefined) {
      try {
        await deps.orders.recordIdempotentResponse(idempotencyKey, status);
      } catch (err) {
        // A retry then derives the answer from the order's state (201 once published, else 202).
        deps.logger.warn({ orderId, error: describeError(err) }, 'idempotent answer not recorded');
      }
    }
    const answer = orderAnswer(orderId, status);
    res.status(answer.status).json(answer.body);
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

import { HttpError, parseUuidParam, Router, setSpanAttributes } from '@shopfloor/service-kit';
import { faultInjection } from './fault';
import type { ContractRepository } from './repository';

export function crmRoutes(deps: { contracts: ContractRepository; faultErrorRate: number }): Router {
  const router = Router();
  if (deps.faultErrorRate > 0) router.use('/contracts', faultInjection(deps.faultErrorRate));

  router.get('/contracts/:orderId', async (req, res) => {
    const orderId = parseUuidParam(req.params.orderId, 'orderId');
    setSpanAttributes({ 'order.id': orderId });
    const contract = await deps.contracts.findByOrderId(orderId);
    if (contract === null) throw new HttpError(404, 'contract not found');
    res.json(contract);
  });

  return router;
}

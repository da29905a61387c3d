/**
 * RabbitMQ's work queues, read from its Prometheus endpoint: the request path and the watchdog
 * phase wait for CRM and MES to consume what their orders queued before measuring on.
 */
import { LOOPBACK, ports } from '@shopfloor/stack-contract';
import { sleep } from './procs';
import { parsePrometheusText } from './promtext';

/** Messages waiting in (or being processed from) the work queues; dead-letter queues are not counted. */
async function queuedMessages(): Promise<number> {
  const res = await fetch(`http://${LOOPBACK}:${ports.rabbitmqPrometheus}/metrics`, { signal: AbortSignal.timeout(3000) });
  const samples = parsePrometheusText(await res.text());
  return samples
    .filter(x => x.name === 'rabbitmq_queue_messages' && !(x.labels.queue ?? '').endsWith('.dlq'))
    .reduce((a, x) => a + x.value, 0);
}

/** Waits until RabbitMQ's queues are empty, at most `maxS`; the seconds it waited. */
export async function drainQueues(maxS: number): Promise<number> {
  const start = Date.now();
  let zeroes = 0;
  while ((Date.now() - start) / 1000 < maxS) {
    const n = await queuedMessages().catch(() => NaN);
    // RabbitMQ refreshes these figures every few seconds: two empty readings in a row.
    zeroes = n === 0 ? zeroes + 1 : 0;
    if (zeroes >= 2) break;
    await sleep(1000);
  }
  return (Date.now() - start) / 1000;
}

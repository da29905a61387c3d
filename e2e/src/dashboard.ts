/**
 * Dashboard queries, verbatim as in docs/metrics.md (the alert scenarios check that the doc still
 * contains them, so the page and the proof cannot drift apart).
 */
export const DASHBOARD = {
  /** HTTP 5xx ratio per API (server spans, health checks left out). */
  http5xxRatio:
    'sum by (service) (rate(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER",http_route!="/healthz",http_response_status_code=~"5.."}[5m])) / sum by (service) (rate(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER",http_route!="/healthz"}[5m]))',
  /** p95 response time per API, in milliseconds. */
  httpP95Ms:
    'histogram_quantile(0.95, sum by (service, le) (rate(traces_span_metrics_duration_milliseconds_bucket{span_kind="SPAN_KIND_SERVER",http_route!="/healthz"}[5m])))',
  /** Messages waiting in each dead-letter queue. */
  deadLettersWaiting: 'sum by (queue) (rabbitmq_queue_messages{queue=~".+[.]dlq"})',
  /** Dead letters published per second, by the service that gave up on the message. */
  deadLettersPublished:
    'sum by (service) (rate(traces_span_metrics_calls_total{span_kind="SPAN_KIND_PRODUCER",messaging_destination="shopfloor.dlx"}[5m]))',
} as const;

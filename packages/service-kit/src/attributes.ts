import { trace } from '@opentelemetry/api';

/**
 * The business attributes a service may add to the span the preload made active.
 * Deliberately a closed list: identifiers with bounded meaning, never secrets.
 */
export interface BusinessAttributes {
  'order.id'?: string;
  'contract.id'?: string;
  'job.id'?: string;
  /** From the configured partner list only (bounded), never the API key. */
  'partner.id'?: string;
}

/** Sets business attributes on the active span (no-op without the preload or an active span). */
export function setSpanAttributes(attributes: BusinessAttributes): void {
  const span = trace.getActiveSpan();
  if (span === undefined) return;
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string') span.setAttribute(key, value);
  }
}

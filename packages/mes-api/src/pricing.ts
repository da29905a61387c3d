import type { OrderItem } from '@shopfloor/service-kit';

/** Unit prices per SKU class (the SKU prefix before the first '-'), in euro cents. */
export const PRICE_LIST = {
  currency: 'EUR',
  unitPriceCents: {
    BRK: 1200, // brackets
    GEAR: 2500, // gears
    HSG: 4800, // housings
    PROTO: 9900, // prototypes
    STD: 1500, // everything else
  },
  setupFeeCents: 4900,
  /** Surcharge on the item subtotal when a 3D model is attached (custom geometry). */
  modelSurchargePercent: 25,
} as const;

export type SkuClass = keyof typeof PRICE_LIST.unitPriceCents;

export function skuClass(sku: string): SkuClass {
  const prefix = sku.split('-', 1)[0]?.trim().toUpperCase() ?? '';
  return Object.hasOwn(PRICE_LIST.unitPriceCents, prefix) ? (prefix as SkuClass) : 'STD';
}

export interface PriceQuote {
  currency: string;
  subtotalCents: number;
  setupFeeCents: number;
  modelSurchargeCents: number;
  totalCents: number;
}

/** total = Σ quantity × unit price(class) + setup fee + (model ? subtotal × 25 % : 0), integer cents. */
export function quotePrice(items: readonly OrderItem[], hasModel: boolean): PriceQuote {
  const subtotalCents = items.reduce((sum, item) => sum + item.quantity * PRICE_LIST.unitPriceCents[skuClass(item.sku)], 0);
  const modelSurchargeCents = hasModel ? Math.round((subtotalCents * PRICE_LIST.modelSurchargePercent) / 100) : 0;
  return {
    currency: PRICE_LIST.currency,
    subtotalCents,
    setupFeeCents: PRICE_LIST.setupFeeCents,
    modelSurchargeCents,
    totalCents: subtotalCents + PRICE_LIST.setupFeeCents + modelSurchargeCents,
  };
}

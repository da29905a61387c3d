import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quotePrice, skuClass } from './pricing';

describe('skuClass', () => {
  it('uses the prefix before the first dash, defaulting to STD', () => {
    assert.equal(skuClass('BRK-100'), 'BRK');
    assert.equal(skuClass('gear-7'), 'GEAR');
    assert.equal(skuClass('HSG'), 'HSG');
    assert.equal(skuClass('WIDGET-1'), 'STD');
    assert.equal(skuClass('constructor-1'), 'STD');
    assert.equal(skuClass(''), 'STD');
  });
});

describe('quotePrice', () => {
  it('sums quantity × unit price plus the setup fee', () => {
    assert.deepEqual(
      quotePrice(
        [
          { sku: 'BRK-1', quantity: 10 },
          { sku: 'GEAR-2', quantity: 2 },
          { sku: 'OTHER', quantity: 1 },
        ],
        false,
      ),
      { currency: 'EUR', subtotalCents: 12000 + 5000 + 1500, setupFeeCents: 4900, modelSurchargeCents: 0, totalCents: 23400 },
    );
  });

  it('adds 25 % of the subtotal when a 3D model is attached (rounded to the cent)', () => {
    const quote = quotePrice([{ sku: 'PROTO-1', quantity: 3 }], true);
    assert.equal(quote.subtotalCents, 29700);
    assert.equal(quote.modelSurchargeCents, 7425);
    assert.equal(quote.totalCents, 29700 + 4900 + 7425);
    assert.equal(quotePrice([{ sku: 'X', quantity: 1 }, { sku: 'BRK', quantity: 1 }], true).modelSurchargeCents, 675);
  });

  // Expected totals worked out by hand from the documented price list (mes-api README):
  // BRK 12.00, GEAR 25.00, HSG 48.00, PROTO 99.00, anything else STD 15.00; setup fee 49.00;
  // +25 % of the item subtotal with a 3D model.
  it('prices the largest allowed quantity of a housing with a model', () => {
    // 1000 × 48.00 = 48 000.00; 25 % = 12 000.00; + 49.00 → 60 049.00
    assert.deepEqual(quotePrice([{ sku: 'HSG-9', quantity: 1000 }], true), {
      currency: 'EUR',
      subtotalCents: 4_800_000,
      setupFeeCents: 4900,
      modelSurchargeCents: 1_200_000,
      totalCents: 6_004_900,
    });
  });

  it('charges the setup fee once per order, not per line', () => {
    // 1 × 12.00 + 1 × 12.00 + 49.00 = 73.00, however the units are split into lines
    assert.equal(quotePrice([{ sku: 'BRK-1', quantity: 1 }, { sku: 'BRK-2', quantity: 1 }], false).totalCents, 7300);
    assert.equal(quotePrice([{ sku: 'BRK-1', quantity: 2 }], false).totalCents, 7300);
  });

  it('classifies lower-case and padded SKU prefixes like their upper-case class', () => {
    // 'proto-x' is PROTO (99.00), ' gear-1' is GEAR (25.00): 99.00 + 25.00 + 49.00 = 173.00
    assert.equal(quotePrice([{ sku: 'proto-x', quantity: 1 }, { sku: ' gear-1', quantity: 1 }], false).totalCents, 17300);
  });

  it('grows by exactly one unit price (plus its 25 % with a model) per unit added', () => {
    const unitPrice: Record<string, number> = { 'BRK-1': 1200, 'GEAR-1': 2500, 'HSG-1': 4800, 'PROTO-1': 9900, 'NOZZLE-1': 1500 };
    for (const [sku, cents] of Object.entries(unitPrice)) {
      for (const quantity of [1, 7, 999]) {
        const base = [{ sku: 'GEAR-0', quantity: 3 }];
        const plain = quotePrice([...base, { sku, quantity }], false).totalCents;
        const onceMore = quotePrice([...base, { sku, quantity: quantity + 1 }], false).totalCents;
        assert.equal(onceMore - plain, cents, `${sku}: one more unit at ${quantity}`);
        const withModel = quotePrice([...base, { sku, quantity }], true).totalCents;
        const withModelOnceMore = quotePrice([...base, { sku, quantity: quantity + 1 }], true).totalCents;
        assert.equal(withModelOnceMore - withModel, cents * 1.25, `${sku} with a model: one more unit at ${quantity}`);
      }
    }
  });

  it('returns whole cents for every allowed quantity', () => {
    for (let quantity = 1; quantity <= 1000; quantity++) {
      const quote = quotePrice([{ sku: 'BRK-1', quantity }, { sku: 'X', quantity: 1001 - quantity }], true);
      for (const [field, value] of Object.entries(quote)) {
        if (typeof value === 'number') assert.ok(Number.isSafeInteger(value), `${field} = ${value} at quantity ${quantity}`);
      }
      assert.equal(quote.totalCents, quote.subtotalCents + quote.setupFeeCents + quote.modelSurchargeCents);
    }
  });
});

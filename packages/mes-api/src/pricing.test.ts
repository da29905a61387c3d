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

  it('is deterministic', () => {
    const items = [{ sku: 'HSG-9', quantity: 1000 }];
    assert.deepEqual(quotePrice(items, true), quotePrice(items, true));
  });
});

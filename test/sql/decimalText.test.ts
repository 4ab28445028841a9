import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng } from '../../bench/prng.js';
import { Decimal } from '../../src/sql/Decimal.js';

// Decimal.parse keeps the text it read when toString would write exactly that text: the kept
// text must never differ from the computed one, and must stay out of equality checks.

test('toString of a parsed decimal is the computed text, for every plain form (signs, leading zeros, -0)', () => {
  const random = prng(16);
  const digits = (n: number): string => Array.from({ length: n }, () => String(Math.floor(random() * 10))).join('');
  const texts = ['999999999999999', '-999999999999999.9', '9999999999999999', '0.000000000000001', '0', '-0', '+0', '-0.00', '0.0', '00', '007', '+7', '-7', '0.5', '00.5', '-0.05', '10', '901.00', '-12.340', '1e3', '.5'];
  for (let i = 0; i < 5000; i++) {
    const sign = ['', '-', '+'][Math.floor(random() * 3)]!;
    const int = random() < 0.2 ? '0'.repeat(1 + Math.floor(random() * 3)) + digits(Math.floor(random() * 3)) : digits(1 + Math.floor(random() * 20));
    texts.push(random() < 0.5 ? `${sign}${int}` : `${sign}${int}.${digits(1 + Math.floor(random() * 6))}`);
  }
  for (const text of texts) {
    const parsed = Decimal.parse(text);
    // The value read, against the digits themselves (short forms are read through a double).
    const plain = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text);
    if (plain !== null) {
      const unscaled = BigInt(`${plain[2]}${plain[3] ?? ''}`);
      assert.equal(parsed.unscaled, plain[1] === '-' ? -unscaled : unscaled, text);
      assert.equal(parsed.scale, (plain[3] ?? '').length, text);
    }
    const computed = new Decimal(parsed.unscaled, parsed.scale).toString();
    assert.equal(parsed.toString(), computed, text);
    assert.equal(parsed.rescale(parsed.scale).toString(), computed, `${text}, same scale`);
    assert.equal(parsed.rescale(parsed.scale + 1).toString(), new Decimal(parsed.unscaled * 10n, parsed.scale + 1).toString(), `${text}, rescaled`);
  }
});

test('the kept text is invisible to deep equality: equal fields are equal decimals, unequal ones are not', () => {
  assert.deepStrictEqual(Decimal.parse('901.00'), new Decimal(90100n, 2));
  assert.deepStrictEqual(Decimal.parse('-0.00'), new Decimal(0n, 2));
  assert.notDeepStrictEqual(Decimal.parse('901.00'), new Decimal(90101n, 2));
  assert.notDeepStrictEqual(Decimal.parse('1.5'), Decimal.parse('1.50'));
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addToKey,
  assertKey,
  compareKeys,
  inRange,
  KEY_SPACE,
  keyFromBigInt,
  keyFromHex,
  keyToBigInt,
  keyToHex,
  midpoint,
  rangeSize,
  ringDistance,
  RingError,
  ZERO_KEY,
} from '../../../../node/ring/index.ts';
import { codeOf } from '../../../support/error-code.ts';

const point = fc.oneof(
  fc.bigInt({ min: 0n, max: KEY_SPACE - 1n }),
  fc.constantFrom(0n, 1n, KEY_SPACE - 1n, KEY_SPACE / 2n, 255n, 256n),
);

describe('keyspace', () => {
  it('orders keys as the numbers they encode', () => {
    fc.assert(
      fc.property(point, point, (a, b) => {
        expect(compareKeys(keyFromBigInt(a), keyFromBigInt(b))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
      { seed: 1, numRuns: 2000 },
    );
  });

  it('converts to and from bigint and hex without loss, reducing mod 2^256', () => {
    fc.assert(
      fc.property(point, (n) => {
        const key = keyFromBigInt(n);
        expect(key.length).toBe(32);
        expect(keyToBigInt(key)).toBe(n);
        expect(keyFromHex(keyToHex(key))).toEqual(key);
        expect(keyFromBigInt(n + KEY_SPACE)).toEqual(key);
        expect(keyFromBigInt(n - KEY_SPACE)).toEqual(key);
      }),
      { seed: 2, numRuns: 1000 },
    );
    expect(keyToHex(keyFromBigInt(1n))).toBe(`${'00'.repeat(31)}01`);
  });

  it('measures clockwise distances and ranges, equal bounds being the whole circle', () => {
    fc.assert(
      fc.property(point, point, point, (a, b, k) => {
        const [ka, kb, kk] = [keyFromBigInt(a), keyFromBigInt(b), keyFromBigInt(k)];
        const d = (((b - a) % KEY_SPACE) + KEY_SPACE) % KEY_SPACE;
        expect(ringDistance(ka, kb)).toBe(d);
        expect(rangeSize(ka, kb)).toBe(d === 0n ? KEY_SPACE : d);
        // k is in [a, b) exactly when walking from a reaches k before b.
        const dk = (((k - a) % KEY_SPACE) + KEY_SPACE) % KEY_SPACE;
        expect(inRange(kk, ka, kb)).toBe(a === b || dk < d);
      }),
      { seed: 3, numRuns: 2000 },
    );
    expect(rangeSize(ZERO_KEY, ZERO_KEY)).toBe(KEY_SPACE);
  });

  it('halves a range at its midpoint, both halves non-empty, also across the wrap', () => {
    fc.assert(
      fc.property(point, fc.bigInt({ min: 2n, max: KEY_SPACE }), (a, size) => {
        const start = keyFromBigInt(a);
        const end = keyFromBigInt(a + size);
        const mid = midpoint(start, end);
        expect(rangeSize(start, mid)).toBe(size / 2n);
        expect(rangeSize(mid, end)).toBe(size - size / 2n);
        expect(inRange(mid, start, end)).toBe(true);
      }),
      { seed: 4, numRuns: 1000 },
    );
    expect(midpoint(ZERO_KEY, ZERO_KEY)).toEqual(keyFromBigInt(KEY_SPACE / 2n));
    expect(addToKey(keyFromBigInt(KEY_SPACE - 1n), 2n)).toEqual(keyFromBigInt(1n));
  });

  it('refuses a range of one key and malformed keys with typed errors', () => {
    expect(codeOf(() => midpoint(keyFromBigInt(5n), keyFromBigInt(6n)), RingError)).toBe('CANNOT_SPLIT');
    expect(codeOf(() => assertKey(new Uint8Array(31)), RingError)).toBe('BAD_KEY');
    expect(codeOf(() => assertKey('00'), RingError)).toBe('BAD_KEY');
    expect(codeOf(() => keyFromHex('0'.repeat(63)), RingError)).toBe('BAD_KEY');
    expect(codeOf(() => keyFromHex(`${'0'.repeat(63)}g`), RingError)).toBe('BAD_KEY');
    expect(codeOf(() => keyToBigInt(new Uint8Array(33)), RingError)).toBe('BAD_KEY');
  });
});

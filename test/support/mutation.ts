/**
 * Byte-level mutations of a valid encoding for decoder fuzzing: a flipped bit, a truncation (`keepWhole` lets the
 * unchanged input through as the longest truncation), inserted bytes, an overwritten byte.
 */
import fc from 'fast-check';

export const mutation = (base: Uint8Array, options: { readonly keepWhole?: boolean } = {}): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.record({ at: fc.nat(base.length - 1), bit: fc.nat(7) }).map(({ at, bit }) => {
      const out = Uint8Array.from(base);
      out[at]! ^= 1 << bit;
      return out;
    }),
    fc.nat(options.keepWhole === false ? base.length - 1 : base.length).map((n) => base.slice(0, n)),
    fc
      .record({ at: fc.nat(base.length), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) })
      .map(({ at, extra }) => Uint8Array.from([...base.slice(0, at), ...extra, ...base.slice(at)])),
    fc.record({ at: fc.nat(base.length - 1), value: fc.nat(255) }).map(({ at, value }) => {
      const out = Uint8Array.from(base);
      out[at] = value;
      return out;
    }),
  );

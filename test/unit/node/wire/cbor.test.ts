import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_MAX_SIZE,
  MAX_DEPTH,
  WireError,
  decodeCbor,
  encodeCbor,
  type CborValue,
} from '../../../../node/wire/index.ts';
import {
  CBOR_CODES,
  attempt,
  cborFuzzInput,
  cborMapValue,
  cborValue,
  checkFamily,
  validCbor,
} from '../../../support/wire-arbitraries.ts';
import { VariantEncoder, canonicalByHand, seededPick } from '../../../support/cbor-variants.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const RUNS = 2000;
const anyValue = fc.oneof(cborValue, cborMapValue);

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WireError);
    return (error as WireError).code;
  }
  return 'OK';
}

// RFC 8949 Appendix A, every example inside AME's data model.
const APPENDIX_A: [CborValue, string][] = [
  [0, '00'],
  [1, '01'],
  [10, '0a'],
  [23, '17'],
  [24, '1818'],
  [25, '1819'],
  [100, '1864'],
  [1000, '1903e8'],
  [1000000, '1a000f4240'],
  [1000000000000, '1b000000e8d4a51000'],
  [18446744073709551615n, '1bffffffffffffffff'],
  [-18446744073709551616n, '3bffffffffffffffff'],
  [-1, '20'],
  [-10, '29'],
  [-100, '3863'],
  [-1000, '3903e7'],
  [false, 'f4'],
  [true, 'f5'],
  [null, 'f6'],
  [new Uint8Array(0), '40'],
  [unhex('01020304'), '4401020304'],
  ['', '60'],
  ['a', '6161'],
  ['IETF', '6449455446'],
  ['"\\', '62225c'],
  ['\u00fc', '62c3bc'],
  ['\u6c34', '63e6b0b4'],
  ['\ud800\udd51', '64f0908591'],
  [[], '80'],
  [[1, 2, 3], '83010203'],
  [[1, [2, 3], [4, 5]], '8301820203820405'],
  [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
  [{}, 'a0'],
  [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
  [['a', { b: 'c' }], '826161a161626163'],
  [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
];

describe('CBOR encoding (RFC 8949 §4.2.1)', () => {
  it.each(APPENDIX_A)('encodes %o as the Appendix A bytes', (value, expected) => {
    expect(hex(encodeCbor(value))).toBe(expected);
    expect(decodeCbor(unhex(expected))).toEqual(value);
  });

  it('uses shortest heads at every width boundary', () => {
    const cases: [number | bigint, string][] = [
      [255, '18ff'],
      [256, '190100'],
      [65535, '19ffff'],
      [65536, '1a00010000'],
      [4294967295, '1affffffff'],
      [4294967296, '1b0000000100000000'],
      [-24, '37'],
      [-25, '3818'],
      [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
      [2n ** 53n, '1b0020000000000000'],
    ];
    for (const [value, expected] of cases) expect(hex(encodeCbor(value))).toBe(expected);
    expect(hex(encodeCbor('x'.repeat(24))).slice(0, 4)).toBe('7818');
    expect(hex(encodeCbor(new Uint8Array(256))).slice(0, 6)).toBe('590100');
  });

  it('orders map keys bytewise by their encodings, not by JavaScript string order', () => {
    // 'b' is 61 62, 'aa' is 62 61 61: the shorter head sorts first.
    expect(hex(encodeCbor({ aa: 1, b: 2 }))).toBe('a2616202626161' + '01');
    // Same UTF-8 length, UTF-16 order disagrees: U+FF61 is EF BD A1, U+1F600 is F0 9F 98 80.
    const keys = ['\u{1f600}', '\uff61a'];
    expect(keys.slice().sort()).toEqual(['\u{1f600}', '\uff61a']);
    const encoded = encodeCbor({ '\u{1f600}': 1, '\uff61a': 2 });
    expect(hex(encoded)).toBe('a264efbda16102' + '64f09f988001');
    // 23-byte keys (one-byte head 0x77) sort before 24-byte keys (two-byte head 0x78 0x18).
    const long = encodeCbor({ ['a'.repeat(24)]: 1, ['z'.repeat(23)]: 2 });
    expect(long[1]).toBe(0x77);
  });

  it('maps integers to number when safe and bigint beyond, symmetrically', () => {
    expect(decodeCbor(encodeCbor(5n))).toBe(5);
    expect(decodeCbor(unhex('1b001fffffffffffff'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeCbor(unhex('1b0020000000000000'))).toBe(2n ** 53n);
    expect(decodeCbor(unhex('3b001ffffffffffffe'))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(decodeCbor(unhex('3b001fffffffffffff'))).toBe(-(2n ** 53n));
    expect(hex(encodeCbor(-0))).toBe('00');
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const value = JSON.parse('{"__proto__": [1], "a": 2}') as CborValue;
    const decoded = decodeCbor(encodeCbor(value)) as Record<string, CborValue>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded).sort()).toEqual(['__proto__', 'a']);
    expect(decoded['__proto__']).toEqual([1]);
  });

  it('returns byte strings as plain Uint8Array copies', () => {
    const input = Buffer.from(encodeCbor(unhex('0102')));
    const out = decodeCbor(input) as Uint8Array;
    expect(out.constructor).toBe(Uint8Array);
    input[1] = 0xff;
    expect(hex(out)).toBe('0102');
    expect(encodeCbor(1).constructor).toBe(Uint8Array);
  });

  it('refuses values outside the data model with UNENCODABLE and the path', () => {
    const bad: [unknown, RegExp][] = [
      [1.5, /^value: floats are not allowed/],
      [{ a: [1, 2 ** 53] }, /^value\["a"\]\[1\]: .*not a safe integer/],
      [2n ** 64n, /outside/],
      [-(2n ** 64n) - 1n, /outside/],
      [undefined, /not allowed/],
      [{ a: undefined }, /value\["a"\]/],
      [new Map(), /Map is not in the data model/],
      [new Date(0), /Date/],
      [new Uint16Array(2), /Uint16Array/],
      ['\ud800', /lone surrogate/],
      [Symbol('x'), /not allowed/],
      [() => 1, /not allowed/],
    ];
    for (const [value, message] of bad) {
      expect(() => encodeCbor(value as CborValue)).toThrowError(message);
      expect(codeOf(() => encodeCbor(value as CborValue))).toBe('UNENCODABLE');
    }
    const circular: CborValue[] = [];
    circular.push(circular);
    expect(codeOf(() => encodeCbor(circular))).toBe('UNENCODABLE');
  });
});

describe('CBOR strict decoding', () => {
  // [hex, code, message fragment]
  const rejected: [string, string, string][] = [
    ['', 'MALFORMED', 'empty'],
    ['1817', 'NON_CANONICAL', 'shortest'],
    ['190017', 'NON_CANONICAL', 'shortest'],
    ['1a000000ff', 'NON_CANONICAL', 'shortest'],
    ['1b00000000ffffffff', 'NON_CANONICAL', 'shortest'],
    ['3817', 'NON_CANONICAL', 'shortest'],
    ['5801ff', 'NON_CANONICAL', 'shortest'],
    ['980101', 'NON_CANONICAL', 'shortest'],
    ['5f42010243030405ff', 'NON_CANONICAL', 'indefinite-length byte string'],
    ['7f657374726561646d696e67ff', 'NON_CANONICAL', 'indefinite-length text string'],
    ['9fff', 'NON_CANONICAL', 'indefinite-length array'],
    ['bf61610161629f0203ffff', 'NON_CANONICAL', 'indefinite-length map'],
    ['a26162016161 02'.replace(' ', ''), 'NON_CANONICAL', 'out of bytewise order'],
    ['a2626161016162 02'.replace(' ', ''), 'NON_CANONICAL', 'out of bytewise order'],
    ['a2616101616102', 'NON_CANONICAL', 'duplicate map key "a"'],
    ['a10102', 'NON_CANONICAL', 'not a text string'],
    ['a1400102', 'NON_CANONICAL', 'not a text string'],
    ['f90000', 'NON_CANONICAL', 'floats'],
    ['fa47c35000', 'NON_CANONICAL', 'floats'],
    ['fb3ff0000000000000', 'NON_CANONICAL', 'floats'],
    ['f97e00', 'NON_CANONICAL', 'floats'],
    ['f7', 'NON_CANONICAL', 'undefined'],
    ['f0', 'NON_CANONICAL', 'simple value 16'],
    ['f8ff', 'NON_CANONICAL', 'simple value 255'],
    ['f818', 'MALFORMED', 'one-byte form'],
    ['c11a514b67b0', 'NON_CANONICAL', 'tags'],
    ['d74401020304', 'NON_CANONICAL', 'tags'],
    ['c249010000000000000000', 'NON_CANONICAL', 'tags'],
    ['d9d9f700', 'NON_CANONICAL', 'tags'],
    ['0000', 'MALFORMED', 'trailing'],
    ['a0ff', 'MALFORMED', 'trailing'],
    ['18', 'MALFORMED', 'truncated'],
    ['1b000000', 'MALFORMED', 'truncated'],
    ['4401', 'MALFORMED', 'only 1 byte(s) remain'],
    ['62c3', 'MALFORMED', 'only 1 byte(s) remain'],
    ['8301', 'MALFORMED', 'declares 3 element(s)'],
    ['821818', 'MALFORMED', 'truncated'],
    ['9b0000000100000000', 'MALFORMED', 'declares 4294967296'],
    ['5b00ffffffffffffff', 'MALFORMED', 'declares'],
    ['1c', 'MALFORMED', 'reserved'],
    ['5d', 'MALFORMED', 'reserved'],
    ['fc', 'MALFORMED', 'reserved'],
    ['1f', 'MALFORMED', 'indefinite length is not valid for major type 0'],
    ['df', 'MALFORMED', 'indefinite length is not valid for major type 6'],
    ['ff', 'MALFORMED', 'break'],
    ['81ff', 'MALFORMED', 'break'],
    ['62c328', 'MALFORMED', 'UTF-8'],
    ['63eda080', 'MALFORMED', 'UTF-8'], // an encoded surrogate
    ['62c0af', 'MALFORMED', 'UTF-8'], // overlong '/'
  ];

  it.each(rejected)('rejects %s as %s', (input, code, fragment) => {
    let error: unknown;
    try {
      decodeCbor(unhex(input));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WireError);
    expect((error as WireError).code).toBe(code);
    expect((error as WireError).message).toContain(fragment);
  });

  it('keeps a leading byte-order mark in text', () => {
    expect(decodeCbor(unhex('63efbbbf'))).toBe('\ufeff');
  });

  it('checks the size limit before parsing', () => {
    const big = encodeCbor(new Uint8Array(100));
    expect(codeOf(() => decodeCbor(big, { maxSize: 101 }))).toBe('TOO_LARGE');
    expect(decodeCbor(big, { maxSize: 102 })).toHaveLength(100);
    // Over the limit fails as TOO_LARGE even when the bytes are garbage: nothing was parsed.
    expect(codeOf(() => decodeCbor(new Uint8Array(DEFAULT_MAX_SIZE + 1).fill(0xff)))).toBe('TOO_LARGE');
    expect(codeOf(() => decodeCbor(big, { maxSize: Number.NaN }))).toBe('TOO_LARGE');
  });

  it('bounds nesting depth without overflowing the stack', () => {
    const nested = (depth: number): CborValue => (depth === 0 ? 0 : [nested(depth - 1)]);
    expect(decodeCbor(encodeCbor(nested(MAX_DEPTH)))).toEqual(nested(MAX_DEPTH));
    expect(codeOf(() => encodeCbor(nested(MAX_DEPTH + 1)))).toBe('UNENCODABLE');
    const deep = new Uint8Array(1024 * 1024).fill(0x81);
    expect(codeOf(() => decodeCbor(deep))).toBe('TOO_LARGE');
    expect(codeOf(() => decodeCbor(new Uint8Array(100_000).fill(0xa1)))).toBe('TOO_LARGE'); // keys are maps
  });

  it('never allocates for lengths the input cannot hold', () => {
    for (const input of ['9a7fffffff', 'ba7fffffff', '5a7fffffff', '7a7fffffff', '9bffffffffffffffff']) {
      expect(codeOf(() => decodeCbor(unhex(input)))).toBe('MALFORMED');
    }
  });

  it('refuses input that is not bytes', () => {
    expect(codeOf(() => decodeCbor('00' as unknown as Uint8Array))).toBe('MALFORMED');
  });
});

describe('CBOR properties', () => {
  it('round-trips every value of the data model, agreeing with an independent encoder', () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        const bytes = encodeCbor(value);
        expect(hex(bytes)).toBe(hex(canonicalByHand(value)));
        expect(decodeCbor(bytes)).toEqual(value);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers every hand-made non-canonical spelling with NON_CANONICAL', () => {
    fc.assert(
      fc.property(anyValue, fc.integer(), fc.constantFrom(0.1, 0.3, 1), (value, seed, rate) => {
        const canonical = encodeCbor(value);
        const variant = new VariantEncoder(seededPick(seed), rate).encode(value);
        const outcome = attempt(['NON_CANONICAL'], () => decodeCbor(variant));
        if (hex(variant) === hex(canonical)) expect(outcome.ok).toBe(true);
        else expect(outcome.ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('has a variant encoder that produces every kind of deviation', () => {
    const seen = new Set<string>();
    const kinds = ['shortest', 'indefinite', 'out of bytewise order', 'duplicate', 'floats', 'tags'];
    const samples = fc.tuple(anyValue, fc.integer(), fc.constantFrom(0.1, 0.5));
    for (const [value, seed, rate] of fc.sample(samples, { numRuns: RUNS, seed: 1 })) {
      const variant = new VariantEncoder(seededPick(seed), rate).encode(value);
      const outcome = attempt(['NON_CANONICAL'], () => decodeCbor(variant));
      if (!outcome.ok) for (const kind of kinds) if (outcome.error.message.includes(kind)) seen.add(kind);
    }
    expect([...seen].sort()).toEqual(kinds.sort());
  });

  it('decodes any input to a value that re-encodes to it, or fails with a WireError', () => {
    fc.assert(
      fc.property(cborFuzzInput, ({ family, input }) => {
        const outcome = attempt(CBOR_CODES, () => decodeCbor(input));
        checkFamily(family, outcome);
        if (outcome.ok) expect(hex(encodeCbor(outcome.value))).toBe(hex(input));
      }),
      { numRuns: RUNS },
    );
  });

  it('shares its generators with the long fuzz', () => {
    // Smoke check that the valid family really is valid.
    fc.assert(fc.property(validCbor, (bytes) => attempt([], () => decodeCbor(bytes)).ok), { numRuns: 200 });
  });
});

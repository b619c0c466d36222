/**
 * Generators for the wire layer, shared by the unit properties (a few thousand runs) and the long fuzz
 * (≥ 100,000 inputs per decoder), so both exercise the same inputs: valid values and envelopes, random bytes,
 * truncations, bit flips, hand-made non-canonical encodings and canonical-but-wrong envelopes.
 */
import fc from 'fast-check';
import { Ed25519KeyPair } from '../../node/crypto/node-key.ts';
import {
  MAX_MICRO,
  UINT64_MAX,
  WIRE_ERROR_CODES,
  WireError,
  createRegistry,
  decodeCbor,
  defineMessage,
  encodeCbor,
  formatAmount,
  heartbeat,
  ping,
  pong,
  s,
  wireMessages,
  type CborMap,
  type CborValue,
  type WireErrorCode,
} from '../../node/wire/index.ts';
import { VariantEncoder, seededPick } from './cbor-variants.ts';

// ---------------------------------------------------------------------------------------------------------------
// Outcomes

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireError };

/**
 * Runs a decoder on one input. Returns its value or its WireError; anything else (another error type, a code
 * outside `allowed`, an internal failure wrapped as MALFORMED) is re-thrown so the property fails.
 */
export function attempt<T>(allowed: readonly WireErrorCode[], run: () => T): Outcome<T> {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (!(error instanceof WireError)) {
      throw new Error(`decoder threw a non-WireError: ${String(error)}`, { cause: error });
    }
    if (!WIRE_ERROR_CODES.includes(error.code) || !allowed.includes(error.code)) {
      throw new Error(`unexpected code ${error.code}: ${error.message}`, { cause: error });
    }
    if (error.code === 'MALFORMED' && error.cause !== undefined) {
      throw new Error(`internal decoder failure: ${error.message}`, { cause: error });
    }
    return { ok: false, error };
  }
}

/**
 * What some families promise beyond "a value or a WireError": valid inputs decode, truncations are MALFORMED (a
 * proper prefix of one CBOR item is never a whole item), hand-made non-canonical spellings are NON_CANONICAL
 * (they are well-formed, so never MALFORMED) unless they came out canonical after all.
 */
export function checkFamily(family: string, outcome: Outcome<unknown>): void {
  const result = outcome.ok ? 'OK' : outcome.error.code;
  const expected: Record<string, readonly string[]> = {
    valid: ['OK'],
    truncated: ['MALFORMED'],
    nonCanonical: ['OK', 'NON_CANONICAL'],
  };
  const allowed = expected[family];
  if (allowed !== undefined && !allowed.includes(result)) {
    throw new Error(`${family} input gave ${result}${outcome.ok ? '' : `: ${outcome.error.message}`}`);
  }
}

export const CBOR_CODES: readonly WireErrorCode[] = ['MALFORMED', 'NON_CANONICAL', 'TOO_LARGE'];
export const ENVELOPE_CODES: readonly WireErrorCode[] = [
  ...CBOR_CODES,
  'UNKNOWN_TYPE',
  'UNSUPPORTED_VERSION',
  'SCHEMA',
  'BAD_SIGNATURE',
];
export const AMOUNT_CODES: readonly WireErrorCode[] = ['BAD_AMOUNT'];

/** An input tagged with how it was made, so the fuzz can report how many of each kind it ran. */
export interface FuzzInput<T = Uint8Array> {
  readonly family: string;
  readonly input: T;
  /** For mutations: the valid input it was made from. */
  readonly original?: T;
}

interface Mutated {
  readonly input: Uint8Array;
  readonly original: Uint8Array;
}

// ---------------------------------------------------------------------------------------------------------------
// CBOR values

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Integers as the decoder returns them: numbers when safe, bigints beyond, with the head-size boundaries. */
export const cborInteger: fc.Arbitrary<number | bigint> = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.constantFrom(23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -24, -25, -257),
  fc.maxSafeInteger(),
  fc.bigInt(SAFE + 1n, UINT64_MAX),
  fc.bigInt(-(2n ** 64n), -SAFE - 1n),
);

const mapKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('a', 'b', 'aa', '', '__proto__', 'constructor', 'x'.repeat(23), 'y'.repeat(24)),
  fc.constantFrom('\uff61a', '\u{1f600}'), // same UTF-8 length, UTF-16 order opposite to bytewise order
);

export const cborValue: fc.Arbitrary<CborValue> = fc.letrec<{ value: CborValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<CborValue>(null, true, false),
    cborInteger,
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.string({ unit: 'binary-ascii', minLength: 20, maxLength: 300 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    { arbitrary: fc.dictionary(mapKey, tie('value'), { maxKeys: 5 }), weight: 2 },
  ),
})).value;

/** Maps of several keys, where ordering and duplicate-key rules have something to bite on. */
export const cborMapValue: fc.Arbitrary<CborMap> = fc.dictionary(mapKey, cborValue, { minKeys: 2, maxKeys: 6 });

// ---------------------------------------------------------------------------------------------------------------
// Mutations of valid encodings

const random = fc.uint8Array({ maxLength: 48 });

/** Soup of the head bytes that matter most (indefinite, break, floats, tags, reserved, nesting). */
const headSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x38, 0x5f, 0x7f, 0x9f, 0xbf, 0xff, 0xf7, 0xf8, 0xf9, 0xfb),
      fc.constantFrom(0xc0, 0xd8, 0x81, 0x82, 0x98, 0xa1, 0xa2, 0xb8, 0x40, 0x41, 0x60, 0x61, 0x62, 0xf4, 0xf6, 0x00),
      fc.integer({ min: 0, max: 255 }),
    ),
    { maxLength: 32 },
  )
  .map((bytes) => Uint8Array.from(bytes));

function truncations(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Mutated> {
  return valid.chain((original) =>
    fc.nat(Math.max(0, original.length - 1)).map((n) => ({ input: original.subarray(0, n), original })),
  );
}

function bitFlips(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Mutated> {
  return valid
    .filter((bytes) => bytes.length > 0)
    .chain((original) =>
      fc.array(fc.nat(original.length * 8 - 1), { minLength: 1, maxLength: 3 }).map((bits) => {
        const input = Uint8Array.from(original);
        for (const bit of bits) input[bit >> 3]! ^= 1 << (bit & 7);
        return { input, original };
      }),
    );
}

/** Byte-level edits: insert, delete or overwrite a byte, or append junk. */
function byteEdits(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Mutated> {
  return valid.chain((original) =>
    fc.tuple(fc.nat(original.length), fc.integer({ min: 0, max: 255 }), fc.nat(3)).map(([at, byte, how]) => {
      const list = Array.from(original);
      if (how === 0) list.splice(at, 0, byte);
      else if (how === 1) list.splice(at, 1);
      else if (how === 2 && at < list.length) list[at] = byte;
      else list.push(byte);
      return { input: Uint8Array.from(list), original };
    }),
  );
}

/** Well-formed but non-canonical spellings of the value behind a canonical encoding. */
export function nonCanonical(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(valid, fc.integer(), fc.constantFrom(0.05, 0.2, 0.5))
    .map(([bytes, seed, rate]) => new VariantEncoder(seededPick(seed), rate).encode(decodeCbor(bytes)));
}

function families(
  valid: fc.Arbitrary<Uint8Array>,
  extra: Record<string, fc.Arbitrary<Uint8Array>> = {},
): fc.Arbitrary<FuzzInput> {
  const plain: Record<string, fc.Arbitrary<Uint8Array>> = {
    valid,
    random,
    headSoup,
    nonCanonical: nonCanonical(valid),
    ...extra,
  };
  const mutated: Record<string, fc.Arbitrary<Mutated>> = {
    truncated: truncations(valid),
    bitFlip: bitFlips(valid),
    byteEdit: byteEdits(valid),
  };
  return fc.oneof(
    ...Object.entries(plain).map(([family, arb]) => arb.map((input): FuzzInput => ({ family, input }))),
    ...Object.entries(mutated).map(([family, arb]) => arb.map((m): FuzzInput => ({ family, ...m }))),
  );
}

export const validCbor: fc.Arbitrary<Uint8Array> = fc.oneof(cborValue, cborMapValue).map((value) => encodeCbor(value));

/** Inputs for decodeCbor. */
export const cborFuzzInput: fc.Arbitrary<FuzzInput> = families(validCbor);

// ---------------------------------------------------------------------------------------------------------------
// Envelopes

/** A message type with every schema construct, so fuzzing reaches optional fields, arrays and literals. */
export const testTransfer = defineMessage(
  'test.transfer',
  2,
  s.struct({
    kind: s.literal('pay'),
    to: s.bytes({ len: 20 }),
    amount: s.u64(),
    memo: s.optional(s.text({ max: 32 })),
    items: s.array(s.struct({ id: s.uint({ max: 1000 }), ok: s.bool() }), { max: 4 }),
  }),
  { maxSize: 1024 },
);

export const fuzzRegistry = createRegistry([...wireMessages, testTransfer]);

/** A few fixed node keys: signing is the cost, so the keys are made once. */
export const testKeys: readonly Ed25519KeyPair[] = Array.from({ length: 4 }, (_, i) =>
  Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(i + 1)),
);

const nonce = fc.uint8Array({ minLength: 16, maxLength: 16 });

type Encoder<B> = (key: Ed25519KeyPair, seq: number, time: number, body: B) => Uint8Array;

const signed = <B>(encodeWith: Encoder<B>, body: fc.Arbitrary<B>) =>
  fc
    .tuple(fc.nat(testKeys.length - 1), fc.maxSafeNat(), fc.nat({ max: 2 ** 42 }), body)
    .map(([k, seq, time, b]) => encodeWith(testKeys[k]!, seq, time, b));

export const validEnvelope: fc.Arbitrary<Uint8Array> = fc.oneof(
  signed(
    (key, seq, time, body) => heartbeat.encode(key, { seq, time, body }),
    fc.record({
      unity: fc.nat({ max: 0xffff_ffff }),
      epoch: fc.bigInt(0n, UINT64_MAX),
      uptime: fc.maxSafeNat(),
      sent: fc.maxSafeNat(),
      interval: fc.nat({ max: 24 * 3600 * 1000 }),
    }),
  ),
  signed((key, seq, time, body) => ping.encode(key, { seq, time, body }), fc.record({ nonce })),
  signed((key, seq, time, body) => pong.encode(key, { seq, time, body }), fc.record({ nonce })),
  signed(
    (key, seq, time, body) => testTransfer.encode(key, { seq, time, body }),
    fc.record(
      {
        kind: fc.constant('pay' as const),
        to: fc.uint8Array({ minLength: 20, maxLength: 20 }),
        amount: fc.bigInt(0n, MAX_MICRO),
        memo: fc.string({ unit: 'binary', maxLength: 8 }),
        items: fc.array(fc.record({ id: fc.nat(1000), ok: fc.boolean() }), { maxLength: 4 }),
      },
      { requiredKeys: ['kind', 'to', 'amount', 'items'] },
    ),
  ),
);

/** Canonical envelopes that are wrong in content: missing, extra or replaced fields, other types and versions. */
const editedEnvelope: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    validEnvelope,
    fc.nat(5),
    fc.constantFrom('type', 'v', 'from', 'seq', 'time', 'body', 'sig'),
    cborValue,
    fc.nat(),
  )
  .map(([bytes, how, field, replacement, choice]) => {
    const map = { ...(decodeCbor(bytes) as CborMap) };
    if (how === 0) delete map[field];
    else if (how === 1) map[`${field}2`] = replacement;
    else if (how === 2) map[field] = replacement;
    else if (how === 3) map.type = ['ping', 'pong', 'heartbeat', 'test.transfer', 'nope'][choice % 5]!;
    else if (how === 4) map.v = choice % 4;
    else map.body = editBody(map.body, replacement, choice);
    return encodeCbor(map);
  });

/** The body with one of its fields (picked by `choice`) replaced, or the whole body when it is not a map. */
function editBody(body: CborValue | undefined, replacement: CborValue, choice: number): CborValue {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array) {
    return replacement;
  }
  const keys = Object.keys(body);
  const key = keys[choice % Math.max(1, keys.length)] ?? 'x';
  return { ...body, [key]: replacement };
}

/** Inputs for decodeEnvelope. */
export const envelopeFuzzInput: fc.Arbitrary<FuzzInput> = families(validEnvelope, {
  edited: editedEnvelope,
  notAMap: validCbor,
});

// ---------------------------------------------------------------------------------------------------------------
// Amounts

const digits = (max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: max });

const amountGrammar = fc
  .tuple(
    fc.constantFrom('', ' ', '  ', '\t'),
    fc.constantFrom('', '', '', '-', '+'),
    digits(22),
    fc.option(digits(9).map((d) => `.${d}`), { nil: '' }),
    fc.constantFrom('', ' ', ' ', '\u00a0'),
    fc.constantFrom('ABC', 'ABIT', 'a', 'bt', 'abc', 'A', 'BT', '', 'ABC ABC', 'btc', 'ABC.', '__proto__', 'toString'),
    fc.constantFrom('', '', ' ', 'x'),
  )
  .map((parts) => parts.join(''));

const formatted = fc
  .tuple(fc.bigInt(0n, MAX_MICRO), fc.constantFrom('ABC' as const, 'ABIT' as const))
  .map(([micro, unit]) => formatAmount(micro, unit));

const editedAmount = fc
  .tuple(formatted, fc.nat(30), fc.string({ unit: 'binary', maxLength: 2 }), fc.nat(2))
  .map(([text, at, piece, how]) =>
    how === 0
      ? text.slice(0, at) + piece + text.slice(at)
      : how === 1
        ? text.slice(0, at) + text.slice(at + 1)
        : text.slice(0, at),
  );

/** Inputs for parseAmount. */
export const amountFuzzInput: fc.Arbitrary<FuzzInput<string>> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }).map((input) => ({ family: 'random', input })),
  amountGrammar.map((input) => ({ family: 'grammar', input })),
  formatted.map((input) => ({ family: 'valid', input })),
  editedAmount.map((input) => ({ family: 'edited', input })),
);

/**
 * The three kinds of ring value: content and owned encode exactly as they always did (stored values must still
 * decode), and a checked value stands under its key only if the checker of its scheme, injected by the caller,
 * accepts it. Whatever bytes a peer sends, decoding throws nothing but RingError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ecdsaAccountKey, sha256, utf8 } from '../../../../../node/crypto/index.ts';
import { RingError } from '../../../../../node/ring/errors.ts';
import { keysEqual, type Key } from '../../../../../node/ring/keyspace.ts';
import { contentKey, encodeOwnedRecord, ownedKey, signOwnedRecord } from '../../../../../node/ring/records.ts';
import {
  checkRingValue,
  decodeRingValue,
  encodeRingValue,
  MAX_CHECKED_SIZE,
  peekRingValue,
  replaces,
  versionOf,
  type RingValue,
  type ValueSchemes,
} from '../../../../../node/ring/service/value.ts';
import { encodeCbor } from '../../../../../node/wire/index.ts';
import { cborValue } from '../../../../support/wire-arbitraries.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RingError);
    return (error as RingError).code;
  }
  throw new Error('expected a RingError');
};

/** A scheme like a blob part's: the key is SHA-256('part' ‖ data). */
const partKey = (data: Uint8Array): Key => sha256(new Uint8Array([...utf8('part'), ...data]));
const refusal = new Error('not the part key');
const schemes: ValueSchemes = {
  'test-part': (key, data) => {
    if (!keysEqual(key, partKey(data))) throw refusal;
  },
};
const part = (data: Uint8Array): RingValue => ({ kind: 'checked', scheme: 'test-part', data });

describe('ring value encodings', () => {
  it('keeps the content encoding byte for byte', () => {
    // {"data": h'010203', "kind": "content"}, canonical CBOR, as stored before the checked kind existed.
    const bytes = encodeRingValue({ kind: 'content', data: new Uint8Array([1, 2, 3]) });
    expect(hex(bytes)).toBe('a2646461746143010203646b696e6467636f6e74656e74');
    expect(decodeRingValue(contentKey(new Uint8Array([1, 2, 3])), bytes)).toEqual({ kind: 'content', data: new Uint8Array([1, 2, 3]) });
  });

  it('keeps the owned encoding byte for byte', () => {
    const owner = ecdsaAccountKey(sha256(utf8('value test owner')));
    const record = signOwnedRecord(owner, { name: 'n', seq: 4, payload: utf8('p') });
    const bytes = encodeRingValue({ kind: 'owned', record });
    expect(bytes).toEqual(encodeCbor({ kind: 'owned', data: encodeOwnedRecord(record) }));
    const back = decodeRingValue(ownedKey(owner.address, 'n'), bytes);
    expect(back.kind === 'owned' && back.record.seq).toBe(4);
  });

  it('encodes a checked value as {kind, scheme, data}', () => {
    const bytes = encodeRingValue({ kind: 'checked', scheme: 'ab', data: new Uint8Array([9]) });
    // {"data": h'09', "kind": "checked", "scheme": "ab"}
    expect(hex(bytes)).toBe('a364646174614109646b696e6467636865636b656466736368656d65626162');
  });

  it('round-trips a checked value its checker accepts', () => {
    const data = utf8('a chunk of a blob');
    const bytes = encodeRingValue(part(data));
    expect(peekRingValue(bytes)).toEqual(part(data));
    expect(decodeRingValue(partKey(data), bytes, schemes)).toEqual(part(data));
    expect(versionOf(part(data))).toBe(0);
  });
});

describe('checked values', () => {
  const data = utf8('chunk');
  const bytes = encodeRingValue(part(data));

  it('refuses a scheme the server was not given with UNSUPPORTED naming it', () => {
    let error: unknown;
    try {
      decodeRingValue(partKey(data), bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RingError);
    expect((error as RingError).code).toBe('UNSUPPORTED');
    expect((error as RingError).message).toContain('test-part');
    expect(codeOf(() => decodeRingValue(partKey(data), bytes, { other: () => {} }))).toBe('UNSUPPORTED');
  });

  it('does not take a scheme name from Object.prototype', () => {
    const value: RingValue = { kind: 'checked', scheme: 'constructor', data };
    expect(codeOf(() => checkRingValue(partKey(data), value, schemes))).toBe('UNSUPPORTED');
  });

  it('refuses what the checker refuses with BAD_VALUE, the checker’s error as cause', () => {
    let error: unknown;
    try {
      decodeRingValue(sha256(data), bytes, schemes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RingError);
    expect((error as RingError).code).toBe('BAD_VALUE');
    expect((error as RingError).cause).toBe(refusal);
    expect((error as RingError).message).toContain('not the part key');
    // A checker that throws a non-Error is refused the same way.
    const odd: ValueSchemes = { 'test-part': () => { throw 'nope'; } };
    expect(codeOf(() => decodeRingValue(partKey(data), bytes, odd))).toBe('BAD_VALUE');
  });

  it('checks the key and the size before asking the checker', () => {
    let asked = 0;
    const counting: ValueSchemes = { 'test-part': () => void asked++ };
    expect(codeOf(() => checkRingValue(new Uint8Array(31), part(data), counting))).toBe('BAD_KEY');
    const big = new Uint8Array(MAX_CHECKED_SIZE + 1);
    expect(codeOf(() => checkRingValue(partKey(big), part(big), counting))).toBe('TOO_LARGE');
    expect(asked).toBe(0);
    checkRingValue(partKey(data), part(data), counting);
    expect(asked).toBe(1);
  });

  it('refuses a malformed scheme or a scheme on another kind', () => {
    for (const scheme of ['', 'Upper', 'a_b', 'x'.repeat(33)]) {
      expect(codeOf(() => encodeRingValue({ kind: 'checked', scheme, data }))).toBe('MALFORMED');
      expect(codeOf(() => peekRingValue(encodeCbor({ kind: 'checked', scheme, data })))).toBe('MALFORMED');
    }
    expect(peekRingValue(encodeCbor({ kind: 'checked', scheme: 'x'.repeat(32), data })).kind).toBe('checked');
    expect(codeOf(() => peekRingValue(encodeCbor({ kind: 'checked', data })))).toBe('MALFORMED');
    expect(codeOf(() => peekRingValue(encodeCbor({ kind: 'content', scheme: 'test-part', data })))).toBe('MALFORMED');
  });

  it('keeps the first checked value under a key, and never mixes kinds', () => {
    expect(replaces(part(data), part(utf8('other')))).toBe(false);
    expect(replaces(part(data), part(data))).toBe(false);
    expect(codeOf(() => replaces(part(data), { kind: 'content', data }))).toBe('KEY_MISMATCH');
    expect(codeOf(() => replaces({ kind: 'content', data }, part(data)))).toBe('KEY_MISMATCH');
  });
});

describe('decoding untrusted bytes', () => {
  const odd: ValueSchemes = {
    ...schemes,
    flaky: (_key, data) => {
      if (data.length % 2 === 1) throw new TypeError('odd');
    },
  };
  const shaped = fc
    .record(
      {
        kind: fc.constantFrom('content', 'owned', 'checked', 'other'),
        scheme: fc.oneof(fc.constantFrom('test-part', 'flaky', 'unknown', 'constructor', 'Bad'), fc.string({ maxLength: 40 })),
        data: fc.uint8Array({ maxLength: 64 }),
      },
      { requiredKeys: ['kind'] },
    )
    .map((value) => encodeCbor(value as never));
  const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 200 }), shaped, cborValue.map((value) => encodeCbor(value)));

  it('throws nothing but RingError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), anyBytes, (key, bytes) => {
        try {
          decodeRingValue(key, bytes, odd);
        } catch (error) {
          expect(error).toBeInstanceOf(RingError);
        }
      }),
      { numRuns: 2_000, seed: 5 },
    );
  });
});

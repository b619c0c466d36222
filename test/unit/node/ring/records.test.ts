import { describe, expect, it } from 'vitest';
import {
  ADDRESS_VERSION,
  concatBytes,
  ecdsaAccountKey,
  falconAccountKey,
  parseAddress,
  sha256,
  toFalconForm,
  utf8,
} from '../../../../node/crypto/index.ts';
import {
  checkContentPut,
  contentKey,
  decodeOwnedRecord,
  encodeOwnedRecord,
  MAX_VALUE_SIZE,
  ownedKey,
  RingError,
  signOwnedRecord,
  supersedes,
  verifyOwnedRecord,
  type OwnedRecord,
} from '../../../../node/ring/index.ts';
import { codeOf } from '../../../support/error-code.ts';

const alice = ecdsaAccountKey(new Uint8Array(32).fill(7));
const bob = ecdsaAccountKey(new Uint8Array(32).fill(9));
const payload = utf8('inbox at /ip4/1.2.3.4');

describe('content-addressed values', () => {
  it('accepts a value under SHA-256 of itself and refuses any other key', () => {
    const value = utf8('a chunk');
    expect(contentKey(value)).toEqual(sha256(value));
    expect(() => checkContentPut(contentKey(value), value)).not.toThrow();
    const other = contentKey(utf8('another chunk'));
    expect(codeOf(() => checkContentPut(other, value), RingError)).toBe('KEY_MISMATCH');
    expect(codeOf(() => checkContentPut(new Uint8Array(31), value), RingError)).toBe('BAD_KEY');
    const big = new Uint8Array(MAX_VALUE_SIZE + 1);
    expect(codeOf(() => checkContentPut(contentKey(big), big), RingError)).toBe('TOO_LARGE');
  });
});

describe('owned records', () => {
  it('keys a record by SHA-256(address payload ‖ name)', () => {
    const address = parseAddress(alice.address);
    const expected = sha256(concatBytes(new Uint8Array([ADDRESS_VERSION.ecdsa]), address.hash160, utf8('inbox')));
    expect(ownedKey(alice.address, 'inbox')).toEqual(expected);
    expect(ownedKey(alice.address, 'inbox')).not.toEqual(ownedKey(bob.address, 'inbox'));
    expect(codeOf(() => ownedKey('not an address', 'inbox'), RingError)).toBe('BAD_OWNER');
  });

  it('verifies a record its owner signed, under its own key only', () => {
    const record = signOwnedRecord(alice, { name: 'inbox', seq: 1, payload });
    expect(record.owner).toBe(alice.address);
    expect(verifyOwnedRecord(record, ownedKey(alice.address, 'inbox'))).toBe(record);
    expect(codeOf(() => verifyOwnedRecord(record, ownedKey(alice.address, 'outbox')), RingError)).toBe(
      'KEY_MISMATCH',
    );
  });

  it('refuses tampering, a borrowed key, and a non-canonical owner', () => {
    const record = signOwnedRecord(alice, { name: 'inbox', seq: 1, payload });
    const check = (r: OwnedRecord) => codeOf(() => verifyOwnedRecord(r), RingError);
    expect(check({ ...record, payload: utf8('inbox at /ip4/6.6.6.6') })).toBe('BAD_SIGNATURE');
    expect(check({ ...record, seq: 2 })).toBe('BAD_SIGNATURE');
    expect(check({ ...record, name: 'inbox2' })).toBe('BAD_SIGNATURE');
    // Bob's valid signature over Alice's record fields: the key does not hash to Alice's address.
    const forged = signOwnedRecord(bob, { name: 'inbox', seq: 1, payload });
    expect(check({ ...forged, owner: alice.address })).toBe('BAD_OWNER');
    expect(check({ ...record, owner: ` ${alice.address}` })).toBe('BAD_OWNER');
    expect(check({ ...record, seq: -1 })).toBe('MALFORMED');
    expect(codeOf(() => signOwnedRecord(alice, { name: '', seq: 1, payload }), RingError)).toBe('TOO_LARGE');
    expect(codeOf(() => signOwnedRecord(alice, { name: 'x'.repeat(257), seq: 1, payload }), RingError)).toBe(
      'TOO_LARGE',
    );
  });

  it('round-trips through its canonical encoding and refuses other bytes', () => {
    const record = signOwnedRecord(alice, { name: 'inbox', seq: 42, payload });
    const bytes = encodeOwnedRecord(record);
    const back = decodeOwnedRecord(bytes);
    expect(back).toEqual(record);
    expect(verifyOwnedRecord(back)).toEqual(record);
    expect(codeOf(() => decodeOwnedRecord(bytes.subarray(1)), RingError)).toBe('MALFORMED');
  });

  it('lets the higher sequence number win and refuses two records with the same one', () => {
    const v1 = signOwnedRecord(alice, { name: 'inbox', seq: 1, payload });
    const v2 = signOwnedRecord(alice, { name: 'inbox', seq: 2, payload: utf8('moved') });
    expect(supersedes(v2, v1)).toBe(true);
    expect(supersedes(v1, v2)).toBe(false);
    expect(supersedes(v1, signOwnedRecord(alice, { name: 'inbox', seq: 1, payload }))).toBe(false);
    const rival = signOwnedRecord(alice, { name: 'inbox', seq: 2, payload: utf8('elsewhere') });
    expect(codeOf(() => supersedes(rival, v2), RingError)).toBe('CONFLICT');
    const other = signOwnedRecord(alice, { name: 'outbox', seq: 5, payload });
    expect(codeOf(() => supersedes(other, v1), RingError)).toBe('KEY_MISMATCH');
  });

  it('works with Falcon owners, whose signatures differ each time over the same content', () => {
    const falcon = falconAccountKey(new Uint8Array(48).fill(3));
    const a = signOwnedRecord(falcon, { name: 'profile', seq: 3, payload });
    const b = signOwnedRecord(falcon, { name: 'profile', seq: 3, payload });
    expect(verifyOwnedRecord(decodeOwnedRecord(encodeOwnedRecord(a)), ownedKey(falcon.address, 'profile'))).toEqual(a);
    expect(supersedes(a, b)).toBe(false);
    expect(codeOf(() => verifyOwnedRecord({ ...a, owner: toFalconForm(falcon.address) }), RingError)).toBe(
      'BAD_OWNER',
    );
  });
});

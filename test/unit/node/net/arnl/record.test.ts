import { describe, expect, it } from 'vitest';
import { Ed25519KeyPair } from '../../../../../node/crypto/node-key.ts';
import { peerIdOf } from '../../../../../node/crypto/peer-id.ts';
import { sha256 } from '../../../../../node/crypto/hash.ts';
import type { WireError } from '../../../../../node/wire/errors.ts';
import { NetError } from '../../../../../node/net/errors.ts';
import { AddressBook } from '../../../../../node/net/arnl/address-book.ts';
import { identityRecordType, openIdentityRecord, signIdentityRecord } from '../../../../../node/net/arnl/record.ts';

const key = (n: number) => Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(n));
const addrs = ['/ip4/127.0.0.1/tcp/4001', '/ip4/10.0.0.1/tcp/4001'];

/** The NetError `fn` throws; fails the test when it returns or throws anything else. */
function refusal(fn: () => unknown): NetError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(NetError);
  return thrown as NetError;
}

describe('ARNL identity records', () => {
  it('signs, opens, and addresses a record by the SHA-256 of its bytes', () => {
    const record = signIdentityRecord(key(1), { addrs, time: 1_700_000_000_000, seq: 3 });
    expect(record.address).toEqual(sha256(record.bytes));
    const opened = openIdentityRecord(record.bytes);
    expect(opened).toEqual(record);
    expect(opened.peer).toBe(peerIdOf(key(1)));
  });

  it('is deterministic: the same fields give the same bytes and address', () => {
    const a = signIdentityRecord(key(1), { addrs, time: 5 });
    const b = signIdentityRecord(key(1), { addrs, time: 5 });
    expect(a.bytes).toEqual(b.bytes);
    expect(signIdentityRecord(key(1), { addrs, time: 6 }).address).not.toEqual(a.address);
  });

  it('refuses a tampered record with BAD_REQUEST', () => {
    const { bytes } = signIdentityRecord(key(1), { addrs, time: 5 });
    const text = Buffer.from(bytes).toString('latin1').replace('10.0.0.1', '10.6.6.6');
    const tampered = new Uint8Array(Buffer.from(text, 'latin1'));
    const error = refusal(() => openIdentityRecord(tampered));
    expect(error.code).toBe('BAD_REQUEST');
    expect((error.cause as WireError).code).toBe('BAD_SIGNATURE');
    const flipped = bytes.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(refusal(() => openIdentityRecord(flipped)).code).toBe('BAD_REQUEST');
    expect(refusal(() => openIdentityRecord(bytes.subarray(0, 20))).code).toBe('BAD_REQUEST');
  });

  it('refuses a record signed by one key that names another PeerId', () => {
    const forged = identityRecordType.encode(key(2), { seq: 0, time: 5, body: { peer: peerIdOf(key(1)), addrs } });
    expect(refusal(() => openIdentityRecord(forged)).message).toMatch(/other than its signer/);
  });
});

describe('ARNL address book', () => {
  it('maps an abstract address to the peer and forgets the least recently used past its capacity', () => {
    const book = new AddressBook(2);
    const [r1, r2, r3] = [1, 2, 3].map((n) => signIdentityRecord(key(n), { addrs, time: n }));
    book.add(r1!.bytes);
    book.add(r2!.bytes);
    expect(book.lookup(r1!.address)).toEqual({ id: peerIdOf(key(1)), addrs });
    book.add(r3!.bytes);
    expect(book.size).toBe(2);
    expect(book.lookup(r2!.address)).toBeUndefined();
    expect(book.lookup(r1!.address)?.id).toBe(peerIdOf(key(1)));
    expect(book.lookup(new Uint8Array(5))).toBeUndefined();
  });

  it('refuses records that do not verify', () => {
    const book = new AddressBook();
    expect(refusal(() => book.add(new Uint8Array([0xa0]))).code).toBe('BAD_REQUEST');
    expect(book.size).toBe(0);
  });
});

/**
 * The two kinds of key of the ring's store (SPEC.md §5).
 *
 * Content-addressed: key = SHA-256(value). Immutable by construction: a put whose key does not hash its value is
 * refused, and two puts of one key carry the same bytes.
 *
 * Owned records: key = SHA-256(owner address bytes ‖ name), where the address bytes are its Base58Check payload
 * (version ‖ RIPEMD160(SHA256(pubkey)), 21 bytes, so the concatenation is unambiguous). The record carries the
 * owner's address, the name, a sequence number, the payload, the owner's public key and a signature by that
 * account key (Falcon-512 or ECDSA) over 'AME-RECORD-v1' ‖ 0x00 ‖ cbor({ owner, name, seq, payload, publicKey }).
 * The higher sequence number wins; one owner signing two different records with the same number is a conflict
 * that is refused, never resolved silently.
 */
import {
  addressMatchesKey,
  ADDRESS_VERSION,
  bytesEqual,
  concatBytes,
  CryptoError,
  domainSeparated,
  FALCON_MAX_SIGNATURE_LENGTH,
  parseAddress,
  sha256,
  utf8,
  verifySignature,
  type AccountKey,
  type ParsedAddress,
} from '../crypto/index.ts';
import { encodeCbor, s } from '../wire/index.ts';
import { RingError } from './errors.ts';
import { assertKey, keysEqual, type Key } from './keyspace.ts';
import { decodeWith } from './codec.ts';

/** Largest value of either kind (a content chunk, a record payload); larger blobs are chunked above this layer. */
export const MAX_VALUE_SIZE = 1024 * 1024;
export const MAX_RECORD_NAME_BYTES = 256;
export const RECORD_DOMAIN_TAG = 'AME-RECORD-v1';

export function contentKey(value: Uint8Array): Key {
  return sha256(value);
}

/** Refuses a content-addressed put: BAD_KEY, TOO_LARGE, or KEY_MISMATCH when key ≠ SHA-256(value). */
export function checkContentPut(key: Key, value: Uint8Array): void {
  assertKey(key);
  if (value.length > MAX_VALUE_SIZE) {
    throw new RingError('TOO_LARGE', `value of ${value.length} bytes exceeds ${MAX_VALUE_SIZE}`);
  }
  if (!keysEqual(key, contentKey(value))) {
    throw new RingError('KEY_MISMATCH', 'content key is not SHA-256 of the value');
  }
}

export interface OwnedRecord {
  /** The owner's address, canonical spelling ('A…' or 'F…'). */
  readonly owner: string;
  readonly name: string;
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

export type OwnedRecordFields = Pick<OwnedRecord, 'name' | 'seq' | 'payload'>;

const recordSchema = s.struct({
  owner: s.text({ min: 1, max: 64 }),
  name: s.text({ min: 1, max: MAX_RECORD_NAME_BYTES }),
  seq: s.uint(),
  payload: s.bytes({ max: MAX_VALUE_SIZE }),
  publicKey: s.bytes({ min: 1, max: 1024 }),
  signature: s.bytes({ min: 1, max: FALCON_MAX_SIGNATURE_LENGTH }),
});

function ownerAddress(owner: string): ParsedAddress {
  let parsed: ParsedAddress;
  try {
    parsed = parseAddress(owner);
  } catch (cause) {
    if (cause instanceof CryptoError) throw new RingError('BAD_OWNER', `owner: ${cause.message}`, { cause });
    throw cause;
  }
  if (parsed.text !== owner) throw new RingError('BAD_OWNER', 'owner must be the canonical spelling of the address');
  return parsed;
}

/** SHA-256(address payload ‖ UTF-8 name). BAD_OWNER for an owner that is not an AME address. */
export function ownedKey(owner: string, name: string): Key {
  const address = ownerAddress(owner);
  return sha256(concatBytes(new Uint8Array([ADDRESS_VERSION[address.scheme]]), address.hash160, utf8(name)));
}

function checkFields(fields: OwnedRecordFields): void {
  const nameBytes = typeof fields.name === 'string' ? utf8(fields.name).length : 0;
  if (nameBytes < 1 || nameBytes > MAX_RECORD_NAME_BYTES) {
    throw new RingError('TOO_LARGE', `a record name has 1…${MAX_RECORD_NAME_BYTES} UTF-8 bytes, got ${nameBytes}`);
  }
  if (!Number.isSafeInteger(fields.seq) || fields.seq < 0) {
    throw new RingError('MALFORMED', `seq must be a non-negative safe integer, got ${fields.seq}`);
  }
  if (fields.payload.length > MAX_VALUE_SIZE) {
    throw new RingError('TOO_LARGE', `payload of ${fields.payload.length} bytes exceeds ${MAX_VALUE_SIZE}`);
  }
}

/** The exact bytes the owner signs. */
export function recordSigningMessage(record: Omit<OwnedRecord, 'signature'>): Uint8Array {
  const { owner, name, seq, payload, publicKey } = record;
  return domainSeparated(RECORD_DOMAIN_TAG, encodeCbor({ owner, name, seq, payload, publicKey }));
}

export function signOwnedRecord(account: AccountKey, fields: OwnedRecordFields): OwnedRecord {
  checkFields(fields);
  const unsigned = {
    owner: account.address,
    name: fields.name,
    seq: fields.seq,
    payload: Uint8Array.from(fields.payload),
    publicKey: Uint8Array.from(account.publicKey),
  };
  return { ...unsigned, signature: account.sign(recordSigningMessage(unsigned)) };
}

/**
 * Checks a record and, when given, the key it is stored under. Throws TOO_LARGE/MALFORMED for bad fields,
 * BAD_OWNER if the owner is not an address or the public key does not hash to it, BAD_SIGNATURE if the owner did
 * not sign it, KEY_MISMATCH if `key` is not ownedKey(owner, name).
 */
export function verifyOwnedRecord(record: OwnedRecord, key?: Key): OwnedRecord {
  checkFields(record);
  const address = ownerAddress(record.owner);
  if (!addressMatchesKey(address, address.scheme, record.publicKey)) {
    throw new RingError('BAD_OWNER', `the record's public key does not hash to ${record.owner}`);
  }
  if (!verifySignature(address.scheme, record.publicKey, recordSigningMessage(record), record.signature)) {
    throw new RingError('BAD_SIGNATURE', `the record is not signed by ${record.owner}`);
  }
  if (key !== undefined && !keysEqual(assertKey(key), ownedKey(record.owner, record.name))) {
    throw new RingError('KEY_MISMATCH', 'key is not SHA-256(owner address ‖ name) of the record');
  }
  return record;
}

export function encodeOwnedRecord(record: OwnedRecord): Uint8Array {
  const { owner, name, seq, payload, publicKey, signature } = record;
  return encodeCbor({ owner, name, seq, payload, publicKey, signature });
}

/** Shape only (MALFORMED otherwise); verifyOwnedRecord decides whether it is genuine. */
export function decodeOwnedRecord(bytes: Uint8Array): OwnedRecord {
  return decodeWith(bytes, recordSchema, 'record', MAX_VALUE_SIZE + 4096);
}

/**
 * True when `a` replaces `b`: a higher sequence number. False for a lower one or the same content again.
 * Throws CONFLICT for two different records with the same number, KEY_MISMATCH for records of different keys.
 */
export function supersedes(a: OwnedRecord, b: OwnedRecord): boolean {
  if (a.owner !== b.owner || a.name !== b.name) {
    throw new RingError('KEY_MISMATCH', 'records of different owners or names are not versions of one key');
  }
  if (a.seq !== b.seq) return a.seq > b.seq;
  // The signed content, not the signature: Falcon signs with fresh randomness, so one record signed twice has
  // two different signatures and is still the same record.
  if (bytesEqual(recordSigningMessage(a), recordSigningMessage(b))) return false;
  throw new RingError('CONFLICT', `${a.owner} signed two different records "${a.name}" with seq ${a.seq}`);
}

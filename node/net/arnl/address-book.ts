/**
 * Abstract address → peer, from verified identity records. Bounded: past `capacity` entries the least recently
 * used goes, so a peer handing out records cannot grow it without limit.
 */
import { toHex } from '../../crypto/hash.ts';
import { NetError } from '../errors.ts';
import type { PeerRef } from '../types.ts';
import { ABSTRACT_ADDRESS_LENGTH, identityRegistry, openIdentityRecord, type IdentityRecord } from './record.ts';

export const DEFAULT_ADDRESS_BOOK_CAPACITY = 4096;

export class AddressBook {
  readonly #capacity: number;
  readonly #entries = new Map<string, IdentityRecord>();
  readonly #registry = identityRegistry();

  constructor(capacity = DEFAULT_ADDRESS_BOOK_CAPACITY) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new NetError('BAD_REQUEST', `address book capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Verifies a record (BAD_REQUEST if it does not verify) and remembers it under its address. */
  add(recordBytes: Uint8Array): IdentityRecord {
    const record = openIdentityRecord(recordBytes, this.#registry);
    const key = toHex(record.address);
    this.#entries.delete(key);
    this.#entries.set(key, record);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return record;
  }

  /** The peer behind an abstract address, or undefined when unknown. */
  lookup(address: Uint8Array): PeerRef | undefined {
    if (address.length !== ABSTRACT_ADDRESS_LENGTH) return undefined;
    const key = toHex(address);
    const record = this.#entries.get(key);
    if (record === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, record);
    return { id: record.peer, addrs: record.addrs };
  }
}

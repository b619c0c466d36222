/**
 * The content address of a blob: SHA-256('AME-BLOB-v1' ‖ 0x00 ‖ u64be(size) ‖ top), with `top` the top of the
 * Merkle tree over its segments (merkle.ts) and 32 zero bytes for the empty blob. The size is in it because a
 * bare top does not fix the number of leaves: with it, the address alone pins the segment count, the shape of
 * every path and so every segment's position, which is what lets an auditor check a segment holding nothing
 * but the address. Independent of the chunk size, so the same bytes have one address however they are chunked.
 */
import { domainSeparated, sha256, toHex, u64be } from '../../crypto/index.ts';
import { HASH_LENGTH } from './merkle.ts';

export const ADDRESS_TAG = 'AME-BLOB-v1';
export const ADDRESS_LENGTH = 32;

/** `top` is undefined for the empty blob, which has no tree (zeros stand in for it). */
export function blobAddress(size: number, top: Uint8Array | undefined): Uint8Array {
  return sha256(domainSeparated(ADDRESS_TAG, u64be(size), top ?? new Uint8Array(HASH_LENGTH)));
}

/** Lowercase hex: the form addresses take in logs and map keys (its order is the bytes' order). */
export function addressHex(address: Uint8Array): string {
  return toHex(address);
}

/**
 * Inclusion and non-inclusion proofs (docs/store.md "Proofs"), checked with the root alone.
 *
 * A proof lists, for each internal node from the root down to the key's position, the bitmap of the node's other
 * children and their hashes in nibble order; the key's own nibble supplies the missing slot. It ends at an empty
 * slot (absent), at the key's leaf (present — the proof carries the value itself, so a light client gets the
 * balance and its proof in one object), or at another key's leaf sharing the prefix (absent — that leaf's key
 * and value hash).
 *
 * Encoding (deterministic, every field fixed-width or length-checked, no trailing bytes):
 *   u8 format (1) ‖ u8 level count ‖ per level: u16 BE sibling bitmap ‖ 32 bytes per sibling
 *   ‖ u8 terminal: 0 empty | 1 key(32) ‖ u32 BE value length ‖ value | 2 key(32) ‖ value hash(32)
 */
import { StoreError } from './errors.ts';
import { HASH_LENGTH, popcount16, sha256, sha256Latin1 } from './node-codec.ts';
import { KEY_LENGTH, MAX_DEPTH, nibbleAt, sharedNibbles } from './nibble-path.ts';

export interface ProofLevel {
  /** Bitmap of the node's children other than the one on the key's path. */
  readonly siblings: number;
  /** Their hashes, 32 bytes each, in nibble order. */
  readonly hashes: Uint8Array;
}

export type ProofLeaf =
  | { readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly key: Uint8Array; readonly valueHash: Uint8Array };

export interface Proof {
  readonly levels: readonly ProofLevel[];
  /** The leaf where the path ends, or null when it ends at an empty slot (or the tree is empty). */
  readonly leaf: ProofLeaf | null;
}

export type ProofResult =
  | { readonly found: true; readonly value: Uint8Array; readonly valueHash: Uint8Array }
  | { readonly found: false };

const PROOF_FORMAT = 1;
const TERMINAL_EMPTY = 0;
const TERMINAL_VALUE = 1;
const TERMINAL_HASH = 2;

function bad(message: string): StoreError {
  return new StoreError('BAD_PROOF', message);
}

export function encodeProof(proof: Proof): Uint8Array {
  let size = 3;
  for (const level of proof.levels) size += 2 + level.hashes.length;
  const leaf = proof.leaf;
  if (leaf !== null) size += KEY_LENGTH + ('value' in leaf ? 4 + leaf.value.length : HASH_LENGTH);
  const out = Buffer.alloc(size);
  out[0] = PROOF_FORMAT;
  out[1] = proof.levels.length;
  let offset = 2;
  for (const level of proof.levels) {
    out.writeUInt16BE(level.siblings, offset);
    out.set(level.hashes, offset + 2);
    offset += 2 + level.hashes.length;
  }
  if (leaf === null) {
    out[offset] = TERMINAL_EMPTY;
  } else if ('value' in leaf) {
    out[offset] = TERMINAL_VALUE;
    out.set(leaf.key, offset + 1);
    out.writeUInt32BE(leaf.value.length, offset + 1 + KEY_LENGTH);
    out.set(leaf.value, offset + 5 + KEY_LENGTH);
  } else {
    out[offset] = TERMINAL_HASH;
    out.set(leaf.key, offset + 1);
    out.set(leaf.valueHash, offset + 1 + KEY_LENGTH);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Decodes proof bytes; anything but the exact encoding of a well-formed proof is BAD_PROOF. */
export function decodeProof(bytes: Uint8Array): Proof {
  if (!(bytes instanceof Uint8Array)) throw bad('proof must be bytes');
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data.length < 3) throw bad('proof truncated');
  if (data[0] !== PROOF_FORMAT) throw bad(`unknown proof format ${data[0]}`);
  const levelCount = data[1]!;
  if (levelCount > MAX_DEPTH) throw bad('proof deeper than a key');
  const levels: ProofLevel[] = [];
  let offset = 2;
  for (let i = 0; i < levelCount; i++) {
    if (offset + 2 > data.length) throw bad('proof truncated in a level');
    const siblings = data.readUInt16BE(offset);
    const end = offset + 2 + HASH_LENGTH * popcount16(siblings);
    if (end > data.length) throw bad('proof truncated in a level');
    levels.push({ siblings, hashes: new Uint8Array(data.subarray(offset + 2, end)) });
    offset = end;
  }
  const terminal = data[offset];
  offset += 1;
  let leaf: ProofLeaf | null;
  if (terminal === TERMINAL_EMPTY) {
    leaf = null;
  } else if (terminal === TERMINAL_VALUE) {
    if (offset + KEY_LENGTH + 4 > data.length) throw bad('proof truncated in its leaf');
    const length = data.readUInt32BE(offset + KEY_LENGTH);
    const start = offset + KEY_LENGTH + 4;
    if (length > data.length - start) throw bad('proof truncated in its value');
    leaf = { key: new Uint8Array(data.subarray(offset, offset + KEY_LENGTH)), value: new Uint8Array(data.subarray(start, start + length)) };
    offset = start + length;
  } else if (terminal === TERMINAL_HASH) {
    if (offset + KEY_LENGTH + HASH_LENGTH > data.length) throw bad('proof truncated in its leaf');
    leaf = {
      key: new Uint8Array(data.subarray(offset, offset + KEY_LENGTH)),
      valueHash: new Uint8Array(data.subarray(offset + KEY_LENGTH, offset + KEY_LENGTH + HASH_LENGTH)),
    };
    offset += KEY_LENGTH + HASH_LENGTH;
  } else {
    throw bad(terminal === undefined ? 'proof truncated' : `unknown proof terminal ${terminal}`);
  }
  if (offset !== data.length) throw bad('trailing bytes after the proof');
  return { levels, leaf };
}

function isBytes(value: unknown, length?: number): value is Uint8Array {
  return value instanceof Uint8Array && (length === undefined || value.length === length);
}

/**
 * Checks `proof` for `key` against `root` and returns what it proves. Throws BAD_PROOF when the proof is
 * malformed or does not lead to `root` — never returns an answer the root does not commit to.
 */
export function verifyProof(root: Uint8Array, key: Uint8Array, proof: Proof | Uint8Array): ProofResult {
  if (!isBytes(root, HASH_LENGTH)) throw new StoreError('BAD_REQUEST', 'root must be 32 bytes');
  if (!isBytes(key, KEY_LENGTH)) throw new StoreError('BAD_KEY', 'key must be 32 bytes');
  const decoded = proof instanceof Uint8Array ? decodeProof(proof) : proof;
  const levels = decoded.levels;
  if (!Array.isArray(levels) || levels.length > MAX_DEPTH) throw bad('proof levels malformed');
  const leaf = decoded.leaf;
  const depth = levels.length;

  // Hashes travel as latin1 strings and every preimage is built in one scratch buffer: a verification
  // allocates almost nothing, which is most of its cost.
  const scratch = Buffer.allocUnsafe(3 + HASH_LENGTH * 16);
  let current: string | undefined;
  let result: ProofResult = { found: false };
  if (leaf !== null) {
    if (typeof leaf !== 'object' || !isBytes(leaf.key, KEY_LENGTH)) throw bad('proof leaf malformed');
    // The leaf must sit on the key's path: its key shares the nibbles of every level above it.
    if (sharedNibbles(leaf.key, key) < depth) throw bad('proof leaf is off the key path');
    const sameKey = sharedNibbles(leaf.key, key) === MAX_DEPTH;
    let valueHash: Uint8Array;
    if ('value' in leaf) {
      if (!isBytes(leaf.value)) throw bad('proof value malformed');
      if (!sameKey) throw bad('proof carries a value for another key');
      valueHash = sha256(leaf.value);
      result = { found: true, value: leaf.value, valueHash };
    } else {
      if (!isBytes(leaf.valueHash, HASH_LENGTH)) throw bad('proof value hash malformed');
      // Inclusion proofs carry the value; a bare hash may only show another key's leaf.
      if (sameKey) throw bad('inclusion proof without its value');
      valueHash = leaf.valueHash;
    }
    scratch[0] = 0x00;
    scratch.set(leaf.key, 1);
    scratch.set(valueHash, 1 + KEY_LENGTH);
    current = sha256Latin1(scratch.subarray(0, 1 + KEY_LENGTH + HASH_LENGTH));
  }

  for (let depthIndex = depth - 1; depthIndex >= 0; depthIndex--) {
    const level = levels[depthIndex]!;
    const siblings = level.siblings;
    if (!Number.isInteger(siblings) || siblings < 0 || siblings > 0xffff || !isBytes(level.hashes)) {
      throw bad('proof level malformed');
    }
    const count = popcount16(siblings);
    if (level.hashes.length !== HASH_LENGTH * count) throw bad('proof level has a wrong number of hashes');
    const n = nibbleAt(key, depthIndex);
    if (((siblings >> n) & 1) === 1) throw bad('proof lists the path child as a sibling');
    const bitmap = current === undefined ? siblings : siblings | (1 << n);
    if (bitmap === 0) throw bad('proof has an empty node');
    // A lone leaf under an internal node is not canonical: the tree would have moved it up.
    if (depthIndex === depth - 1 && leaf !== null && siblings === 0) throw bad('proof has a lone leaf below a node');
    scratch[0] = 0x01;
    scratch[1] = bitmap >> 8;
    scratch[2] = bitmap & 255;
    const before = HASH_LENGTH * popcount16(siblings & ((1 << n) - 1));
    const hashes = level.hashes;
    let end = 3 + hashes.length;
    if (current === undefined) {
      scratch.set(hashes, 3);
    } else {
      // Siblings before the path child, the path child's hash, then the siblings after it.
      if (before === hashes.length) scratch.set(hashes, 3);
      else {
        scratch.set(hashes.subarray(0, before), 3);
        scratch.set(hashes.subarray(before), 3 + before + HASH_LENGTH);
      }
      scratch.write(current, 3 + before, 'latin1');
      end += HASH_LENGTH;
    }
    current = sha256Latin1(scratch.subarray(0, end));
  }

  const computed = current === undefined ? Buffer.alloc(HASH_LENGTH) : Buffer.from(current, 'latin1');
  if (!computed.equals(root)) throw bad('proof does not lead to the root');
  return result;
}

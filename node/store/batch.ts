/**
 * Checking and ordering a batch of writes before it touches the tree: shape errors are the caller's
 * (BAD_KEY, BAD_REQUEST, TOO_LARGE) and refuse the whole batch, like a conflict does.
 */
import { StoreError } from './errors.ts';
import { KEY_LENGTH } from './nibble-path.ts';
import type { WriteOp } from './tree-update.ts';

export interface Write {
  key: Uint8Array;
  baseVersion: number;
  /** The new value, or null to delete the key. */
  value: Uint8Array | null;
}

export function checkKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
    throw new StoreError('BAD_KEY', `a key must be exactly ${KEY_LENGTH} bytes`);
  }
}

/** A scan bound: any byte string up to a key's length, compared byte-wise (a prefix is a valid bound). */
export function checkBound(bound: unknown): asserts bound is Uint8Array {
  if (!(bound instanceof Uint8Array) || bound.length > KEY_LENGTH) {
    throw new StoreError('BAD_KEY', `a scan bound must be at most ${KEY_LENGTH} bytes`);
  }
}

export function checkVersion(version: unknown, what = 'version'): asserts version is number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new StoreError('BAD_REQUEST', `${what} must be a non-negative integer`);
  }
}

function copy(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}

/**
 * Validates `writes` and returns them sorted by key. With `copy`, keys and values are copied so a caller that
 * reuses its buffers before a queued commit runs cannot change what gets written.
 */
export function prepareBatch(writes: readonly Write[], maxValueSize: number, copyBytes: boolean): WriteOp[] {
  if (!Array.isArray(writes)) throw new StoreError('BAD_REQUEST', 'a batch must be an array of writes');
  const ops: { op: WriteOp; head: number }[] = [];
  for (const write of writes as unknown[]) {
    if (typeof write !== 'object' || write === null) throw new StoreError('BAD_REQUEST', 'a write must be an object');
    const { key, baseVersion, value } = write as Partial<Write>;
    checkKey(key);
    checkVersion(baseVersion, 'baseVersion');
    if (value !== null && !(value instanceof Uint8Array)) {
      throw new StoreError('BAD_REQUEST', 'a value must be bytes (or null to delete)');
    }
    if (value !== null && value.length > maxValueSize) {
      throw new StoreError('TOO_LARGE', `a value of ${value.length} bytes is over the ${maxValueSize}-byte limit`);
    }
    if (value === null && baseVersion === 0) {
      throw new StoreError('BAD_REQUEST', 'a delete needs the baseVersion at which the key was seen');
    }
    const op: WriteOp = copyBytes
      ? { key: copy(key), baseVersion, value: value === null ? null : copy(value) }
      : { key, baseVersion, value };
    // The first four bytes order almost every pair of random keys without a byte-wise compare.
    ops.push({ op, head: ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0 });
  }
  ops.sort((a, b) => a.head - b.head || Buffer.compare(a.op.key, b.op.key));
  for (let i = 1; i < ops.length; i++) {
    if (ops[i - 1]!.head === ops[i]!.head && Buffer.compare(ops[i - 1]!.op.key, ops[i]!.op.key) === 0) {
      throw new StoreError('BAD_REQUEST', 'a key appears twice in one batch');
    }
  }
  return ops.map((o) => o.op);
}

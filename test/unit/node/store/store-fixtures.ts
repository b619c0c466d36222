/**
 * Shared helpers of the store tests: temporary database files, error codes, a key pool with shared prefixes
 * (so trees get deep and splits happen), and an independent reference implementation of the root hash
 * straight from docs/store.md, to check the store against the definition rather than against itself.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreError } from '../../../../node/store/index.ts';

export function tempDir(label = 'ame-store-'): { dir: string; file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), label));
  return { dir, file: join(dir, 'state.sqlite'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The StoreError code `fn` throws, undefined if it returns; anything else thrown is reported as such. */
export function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StoreError ? error.code : `not a StoreError: ${String(error)}`;
  }
  return undefined;
}

export async function asyncErrorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof StoreError ? error.code : `not a StoreError: ${String(error)}`;
  }
  return undefined;
}

const sha = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/**
 * `count` keys in families that share 0–6 leading bytes, plus lone random keys: enough collisions on prefixes
 * to exercise splits several levels deep and leaves moving up when a sibling goes.
 */
export function keyPool(count: number, seed: string): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (let i = 0; keys.length < count; i++) {
    const family = sha(`${seed}/family/${i}`);
    const members = 1 + (family[0]! % 3);
    for (let m = 0; m < members && keys.length < count; m++) {
      const key = sha(`${seed}/member/${i}/${m}`);
      const shared = m === 0 ? 0 : 1 + (family[m]! % 6);
      family.copy(key, 0, 0, shared);
      // Sometimes share an odd number of nibbles too.
      if (m > 0 && family[m + 8]! % 2 === 0) key[shared] = (family[shared]! & 0xf0) | (key[shared]! & 0x0f);
      keys.push(new Uint8Array(key));
    }
  }
  return keys;
}

function nibble(key: Uint8Array, depth: number): number {
  const byte = key[depth >> 1]!;
  return depth % 2 === 0 ? byte >> 4 : byte & 15;
}

/** The root of a key set by the definition: leaves at the shortest unique prefix, 16-ary internal nodes. */
export function referenceRoot(entries: Iterable<[Uint8Array, Uint8Array]>): Buffer {
  const list = [...entries];
  if (list.length === 0) return Buffer.alloc(32);
  const build = (items: [Uint8Array, Uint8Array][], depth: number): Buffer => {
    if (items.length === 1) {
      const [key, value] = items[0]!;
      return sha(Buffer.concat([Buffer.from([0]), key, sha(value)]));
    }
    let bitmap = 0;
    const hashes: Buffer[] = [];
    for (let n = 0; n < 16; n++) {
      const group = items.filter(([key]) => nibble(key, depth) === n);
      if (group.length === 0) continue;
      bitmap |= 1 << n;
      hashes.push(build(group, depth + 1));
    }
    return sha(Buffer.concat([Buffer.from([1, bitmap >> 8, bitmap & 255]), ...hashes]));
  };
  return build(list, 0);
}

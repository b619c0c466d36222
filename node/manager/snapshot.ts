/**
 * State snapshots for state sync (SPEC §7: "a snapshot of the authenticated state at a final block, checked
 * against its root, then the blocks since"). A member serves its final state in key order, in chunks, at a store
 * version it pins with the first chunk (`manager/snapshot`); a new or wiped manager writes the chunks into an empty
 * store and checks that the store's root equals the root it expected — the state root of a header whose
 * certificate it checked. The tree's root depends only on its keys and values, so equal roots mean equal states.
 * Anything else — unordered or duplicate keys, a chunk past the limits, a root that differs — is BAD_SNAPSHOT; the
 * store written so far must then be thrown away (the caller's job: it is a fresh file).
 */
import { bytesEqual, toHex } from '../crypto/index.ts';
import { StateView } from '../ledger/index.ts';
import { NetError, type PeerRef, type Rpc } from '../net/index.ts';
import type { Store } from '../store/index.ts';
import { decodeCbor, encodeCbor, s } from '../wire/index.ts';
import { ManagerError } from './errors.ts';

export const SNAPSHOT_METHOD = 'manager/snapshot';

/** Entries per chunk, and the bytes a chunk may reach (values are records of a few hundred bytes). */
const CHUNK_ENTRIES = 2_000;
const CHUNK_BYTES = 1 << 20;

const requestSchema = s.struct({ version: s.optional(s.u64()), after: s.optional(s.bytes({ len: 32 })) });
const chunkSchema = s.struct({
  version: s.u64(),
  height: s.u64(),
  root: s.bytes({ len: 32 }),
  entries: s.array(s.array(s.bytes({ max: 1 << 20 }), { min: 2, max: 2 }), { max: CHUNK_ENTRIES }),
  done: s.bool(),
});

export interface SnapshotInfo {
  readonly height: bigint;
  readonly root: Uint8Array;
  readonly entries: number;
}

/** Serves chunks of `store`'s main line (the final state) on `manager/snapshot`. */
export function serveSnapshots(
  rpc: Rpc,
  store: Store,
  isMember: (peer: string) => boolean,
  options: { readonly chunkEntries?: number } = {},
): () => void {
  const chunkEntries = Math.min(options.chunkEntries ?? CHUNK_ENTRIES, CHUNK_ENTRIES);
  rpc.handle(SNAPSHOT_METHOD, async (body, ctx) => {
    if (!isMember(ctx.peer)) throw new NetError('UNAUTHORIZED', 'snapshots are served to managers');
    let req: { version?: bigint | undefined; after?: Uint8Array | undefined };
    try {
      req = requestSchema.parse(decodeCbor(body, { maxSize: 256 }), 'snapshot request');
    } catch (cause) {
      throw new NetError('BAD_REQUEST', (cause as Error).message);
    }
    const version = req.version === undefined ? store.head() : Number(req.version);
    if (version > store.head()) throw new NetError('BAD_REQUEST', `no version ${version} here`);
    const height = StateView.at(store, version).chain().height;
    const entries: Uint8Array[][] = [];
    let bytes = 0;
    let done = true;
    for (const [key, value] of store.scan(req.after, undefined, version)) {
      if (req.after !== undefined && bytesEqual(key, req.after)) continue;
      if (entries.length >= chunkEntries || bytes + value.length > CHUNK_BYTES) {
        done = false;
        break;
      }
      entries.push([key, value]);
      bytes += key.length + value.length;
    }
    return encodeCbor({ version: BigInt(version), height, root: store.root(version), entries, done });
  });
  return () => rpc.unhandle(SNAPSHOT_METHOD);
}

/**
 * Copies a member's final state into `into` (an empty store) and checks its root. `expect` decides whether the
 * snapshot's (height, root) is acceptable — the caller checks it against a certified header — before anything is
 * written. BAD_SNAPSHOT when the member's chunks are inconsistent or the root differs.
 */
export async function fetchSnapshot(
  rpc: Rpc,
  peer: PeerRef,
  into: Store,
  expect: (height: bigint, root: Uint8Array) => Promise<void> | void,
  timeoutMs = 10_000,
): Promise<SnapshotInfo> {
  if (into.scan()[Symbol.iterator]().next().done !== true) throw new ManagerError('BAD_CONFIG', 'state sync needs an empty store');
  let version: bigint | undefined;
  let after: Uint8Array | undefined;
  let pinned: { height: bigint; root: Uint8Array } | undefined;
  let count = 0;
  for (;;) {
    const body = encodeCbor({ ...(version === undefined ? {} : { version }), ...(after === undefined ? {} : { after }) });
    const reply = await rpc.request(peer, SNAPSHOT_METHOD, body, { timeoutMs });
    let chunk;
    try {
      chunk = chunkSchema.parse(decodeCbor(reply, { maxSize: CHUNK_BYTES + 256 * CHUNK_ENTRIES }), 'snapshot chunk');
    } catch (cause) {
      throw new ManagerError('BAD_SNAPSHOT', `a chunk does not decode: ${(cause as Error).message}`, { cause });
    }
    if (pinned === undefined) {
      pinned = { height: chunk.height, root: chunk.root };
      version = chunk.version;
      await expect(chunk.height, chunk.root);
    } else if (chunk.version !== version || chunk.height !== pinned.height || !bytesEqual(chunk.root, pinned.root)) {
      throw new ManagerError('BAD_SNAPSHOT', 'the member changed the snapshot it serves');
    }
    const writes = [];
    for (const [key, value] of chunk.entries as [Uint8Array, Uint8Array][]) {
      if (key.length !== 32) throw new ManagerError('BAD_SNAPSHOT', 'a key is not 32 bytes');
      if (after !== undefined && Buffer.compare(key, after) <= 0) {
        throw new ManagerError('BAD_SNAPSHOT', `keys out of order at ${toHex(key)}`);
      }
      writes.push({ key, baseVersion: 0, value }); // inserts: every key is new here
      after = key;
    }
    try {
      if (writes.length > 0) into.commit(writes);
    } catch (cause) {
      throw new ManagerError('BAD_SNAPSHOT', `a chunk cannot be stored: ${(cause as Error).message}`, { cause });
    }
    count += writes.length;
    if (chunk.done) break;
    if (writes.length === 0) throw new ManagerError('BAD_SNAPSHOT', 'an empty chunk that is not the last');
  }
  const root = into.root(into.head());
  if (!bytesEqual(root, pinned.root)) {
    throw new ManagerError('BAD_SNAPSHOT', `the copied state has root ${toHex(root)}, the snapshot named ${toHex(pinned.root)}`);
  }
  return { height: pinned.height, root, entries: count };
}

/**
 * The light-client service of a manager (SPEC §7: "a light client follows final block headers from the genesis it
 * trusts … and then checks its balance with a proof against the latest header's state root"): `manager/headers`
 * serves the final headers with their certificates and the managers proof `LightClient.follow` takes, and
 * `manager/state` serves records with store proofs at a final block's state. Formats and limits are
 * node/worker/light-protocol.ts's (shared with the light client, which may not import node/manager).
 *
 * Anyone may call both: everything served is public and checkable, and every reply is bounded (64 headers or
 * ~8 MiB, 64 paths or 16 MiB). Proofs are taken at the store version the chain store recorded for the block, so a
 * reply is the state of exactly that block even while newer blocks are applied. Refusals are NetErrors with a
 * remote code: BAD_REQUEST for a body that does not decode or breaks a limit, UNAVAILABLE while syncing or for a
 * block whose state this manager cannot prove (not reached yet, history copied by state sync, pruned), TOO_LARGE
 * for a state reply over its limit.
 */
import { bytesEqual } from '../crypto/index.ts';
import { type Certificate, decodeBlock, LedgerError, META_PATHS, stateKey, StateView } from '../ledger/index.ts';
import { NetError, type Rpc } from '../net/index.ts';
import { encodeProof, type Store, StoreError } from '../store/index.ts';
import {
  type CertifiedHeader,
  decodeHeadersRequest,
  decodeStateRequest,
  encodeHeadersReply,
  encodeStateReply,
  HEADERS_METHOD,
  HEADERS_REPLY_BUDGET,
  type ProvenRecord,
  STATE_METHOD,
  STATE_REPLY_LIMIT,
} from '../worker/light-protocol.ts';
import { LedgerViewError } from '../worker/ledger-view-errors.ts';
import { type BlockSummary, type ChainStore, ChainStoreError } from './chain-store.ts';

export { HEADERS_METHOD, STATE_METHOD };

/** What the service reads; undefined while the manager is syncing (its stores are being filled). */
export interface LightSource {
  readonly chain: () => ChainStore | undefined;
  readonly store: () => Store | undefined;
}

/** A final state this manager can prove: the block's height and header hash, and the store version after it. */
interface StatePoint {
  readonly height: bigint;
  readonly hash: Uint8Array;
  readonly version: number;
}

/** The store version `writeGenesis` writes on an empty store: its first commit. */
const GENESIS_VERSION = 1;

const unavailable = (message: string) => new NetError('UNAVAILABLE', message);

function ready(source: LightSource): { chain: ChainStore; store: Store } {
  const chain = source.chain();
  const store = source.store();
  if (chain === undefined || store === undefined) throw unavailable('this manager is syncing');
  return { chain, store };
}

/**
 * The certificate of a stored block: its own, or — while the chain store has none yet, or never got one (a block
 * applied before its certificate was gathered) — the one the next block carries as its parent certificate. The
 * light client checks it either way.
 */
function certificateOf(chain: ChainStore, summary: BlockSummary): Certificate | undefined {
  if (summary.certificate.length > 0) return summary.certificate;
  const next = chain.block(summary.height + 1n);
  if (next === undefined) return undefined;
  const parent = decodeBlock(next.bytes).parentCertificate;
  return parent.length > 0 ? parent : undefined;
}

/** A block as `LightClient.follow` takes it; undefined when this manager cannot give all of it. */
function certifiedHeader(chain: ChainStore, store: Store, summary: BlockSummary): CertifiedHeader | undefined {
  // History copied by state sync has no state versions: the members that applied it serve it.
  const version = summary.stateVersion;
  if (version === undefined) return undefined;
  const certificate = certificateOf(chain, summary);
  if (certificate === undefined) return undefined;
  const managers = encodeProof(store.prove(stateKey(META_PATHS.managers), version));
  // A block that changed the manager set may hold a recovery certificate, which the light client takes only with
  // the block's transactions (the governance reconfigure); other blocks go without them.
  const changed = StateView.at(store, version).previousManagers()?.height === summary.height;
  if (!changed) return { header: summary.header, certificate, managers };
  return { header: summary.header, certificate, managers, txs: decodeBlock(chain.block(summary.height)!.bytes).txs };
}

function sizeOf(item: CertifiedHeader): number {
  const certificate = item.certificate.reduce((n, e) => n + e.member.length + e.sig.length + 8, 0);
  return 512 + certificate + item.managers.length + (item.txs?.reduce((n, tx) => n + tx.length + 8, 0) ?? 0);
}

function serveHeaders(source: LightSource, body: Uint8Array): Uint8Array {
  const req = decodeHeadersRequest(body);
  const { chain, store } = ready(source);
  const head = chain.head().height;
  const headers: CertifiedHeader[] = [];
  if (req.from <= head) {
    const last = req.from + BigInt(req.limit) - 1n;
    let bytes = 0;
    for (const summary of chain.summaries(req.from, last < head ? last : head)) {
      const item = certifiedHeader(chain, store, summary);
      if (item === undefined) break;
      headers.push(item);
      bytes += sizeOf(item);
      if (bytes >= HEADERS_REPLY_BUDGET) break;
    }
  }
  return encodeHeadersReply({ head, headers });
}

/** The state after final block `height`, with the checks that the store still holds it. */
function stateAt(chain: ChainStore, store: Store, height: bigint): StatePoint {
  const head = chain.head();
  if (height === 0n) {
    // The genesis state has no block to record its version: it is the store's head until a block is final, and
    // its first version after — where the chain record says height 0, which only the genesis writes (a store
    // filled by state sync starts with a snapshot instead, and is refused here).
    const version = head.height === 0n ? store.head() : GENESIS_VERSION;
    let genesis = false;
    try {
      genesis = StateView.at(store, version).chain().height === 0n;
    } catch (error) {
      if (!(error instanceof LedgerError || error instanceof StoreError)) throw error;
    }
    if (!genesis) throw unavailable('this manager does not hold the genesis state (it was synced from a snapshot)');
    return { height: 0n, hash: chain.chainId, version };
  }
  if (height > head.height) throw unavailable(`this manager is at height ${head.height}, not ${height}`);
  const summary = chain.summaries(height, height)[0]!;
  const version = summary.stateVersion;
  if (version === undefined) throw unavailable(`the state of block ${height} was copied by state sync, not kept here`);
  if (!bytesEqual(store.root(version), summary.header.stateRoot)) {
    throw unavailable(`the stored state of block ${height} is not its header's`);
  }
  return { height, hash: summary.hash, version };
}

/** The newest final block a light client can verify: the head once its certificate is here, else its parent. */
function latestVerifiable(chain: ChainStore, store: Store): StatePoint {
  const head = chain.head().height;
  if (head === 0n) return stateAt(chain, store, 0n);
  const summary = chain.summaries(head, head)[0]!;
  return stateAt(chain, store, certificateOf(chain, summary) !== undefined ? head : head - 1n);
}

function serveState(source: LightSource, body: Uint8Array): Uint8Array {
  const req = decodeStateRequest(body);
  const { chain, store } = ready(source);
  const point = req.height === undefined ? latestVerifiable(chain, store) : stateAt(chain, store, req.height);
  let bytes = 0;
  const records = req.paths.map((path): ProvenRecord => {
    const proof = store.prove(stateKey(path), point.version);
    // An inclusion proof carries the key's own value; any other ending proves the record absent.
    const leaf = proof.leaf;
    const value = leaf !== null && 'value' in leaf ? leaf.value : undefined;
    const encoded = encodeProof(proof);
    bytes += path.length + encoded.length + (value?.length ?? 0);
    if (bytes > STATE_REPLY_LIMIT) throw new NetError('TOO_LARGE', `the records pass ${STATE_REPLY_LIMIT} bytes: ask for fewer paths`);
    return value === undefined ? { path, proof: encoded } : { path, value, proof: encoded };
  });
  return encodeStateReply({ height: point.height, hash: point.hash, records });
}

/** Runs a handler, turning what the caller can act on into remote codes (anything else goes as UNAVAILABLE). */
function handled(serve: (source: LightSource, body: Uint8Array) => Uint8Array, source: LightSource) {
  return async (body: Uint8Array): Promise<Uint8Array> => {
    try {
      return serve(source, body);
    } catch (error) {
      if (error instanceof LedgerViewError) throw new NetError('BAD_REQUEST', error.message);
      if (error instanceof StoreError || error instanceof ChainStoreError) throw unavailable(`${error.code}: ${error.message}`);
      throw error;
    }
  };
}

/** Registers `manager/headers` and `manager/state`; returns what unregisters them. */
export function serveLight(rpc: Rpc, source: LightSource): () => void {
  rpc.handle(HEADERS_METHOD, handled(serveHeaders, source));
  rpc.handle(STATE_METHOD, handled(serveState, source));
  return () => {
    rpc.unhandle(HEADERS_METHOD);
    rpc.unhandle(STATE_METHOD);
  };
}

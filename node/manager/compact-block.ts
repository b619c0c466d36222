/**
 * Compact block bodies (`manager/block-compact`, as BIP 152's compact blocks): a proposed block without its
 * transactions, plus their hashes in block order. Every transaction of a proposal was gossiped one hop to every
 * member (intake.ts) before it could be built into a block, so a member normally holds them all in its mempool and
 * rebuilds the body from there instead of receiving each transaction again from every proposer.
 *
 * compact = cbor({shell, txHashes})
 *   shell    = the block's encoding (ledger `encodeBlock`) with `txs` empty: header, certificate, parentCertificate
 *   txHashes = `txHash` of each transaction (32 bytes), in block order
 *
 * The shell goes through the ledger's own strict block decoder, so the compact form adds no second header schema.
 * A decoded compact body is only accepted when `txRoot(txHashes)` is the header's txRoot: the header hash (which
 * ACP decides) then commits to exactly these transactions, and a member that rebuilds the body gets the same
 * bytes as the proposer's block.
 */
import { bytesEqual } from '../crypto/index.ts';
import { type Block, decodeBlock, encodeBlock, txHash, txRoot } from '../ledger/index.ts';
import { NetError } from '../net/index.ts';
import { decodeCbor, encodeCbor, s } from '../wire/index.ts';

/** Hashes in one compact body at most: 4 MiB of them (a block's transactions are at least a few hundred bytes). */
export const MAX_COMPACT_TXS = 1 << 17;

const compactSchema = s.struct({
  shell: s.bytes({ min: 1, max: 4 << 20 }),
  txHashes: s.array(s.bytes({ len: 32 }), { max: MAX_COMPACT_TXS }),
});

export interface CompactBlock {
  /** The block with `txs` empty. */
  readonly shell: Block;
  readonly txHashes: readonly Uint8Array[];
}

/** The compact body of `block`; `hashes` are its transactions' hashes when the caller already has them. */
export function encodeCompactBlock(block: Block, hashes: readonly Uint8Array[] = block.txs.map(txHash)): Uint8Array {
  return encodeCbor({ shell: encodeBlock({ ...block, txs: [] }), txHashes: [...hashes] });
}

/**
 * Strict decoder of a peer's compact body: NetError BAD_REQUEST for bytes that are not one, for a shell that
 * still holds transactions, and for a hash list whose root is not the header's txRoot.
 */
export function decodeCompactBlock(bytes: Uint8Array, maxBytes = 4 << 20): CompactBlock {
  let shell: Block;
  let txHashes: readonly Uint8Array[];
  try {
    const raw = compactSchema.parse(decodeCbor(bytes, { maxSize: maxBytes }), 'compact block');
    shell = decodeBlock(raw.shell, maxBytes);
    txHashes = raw.txHashes;
  } catch (cause) {
    throw new NetError('BAD_REQUEST', `compact block: ${(cause as Error).message}`, { cause });
  }
  if (shell.txs.length > 0) throw new NetError('BAD_REQUEST', 'compact block: the shell holds transactions');
  if (!bytesEqual(txRoot(txHashes), shell.header.txRoot)) {
    throw new NetError('BAD_REQUEST', 'compact block: the transaction hashes do not match the header txRoot');
  }
  return { shell, txHashes };
}

/**
 * The whole block, its transactions looked up by hash (the pooled byte arrays themselves, so the ledger's decoded
 * transaction memo and signature cache hit); undefined while any is missing.
 */
export function rebuildBlock(compact: CompactBlock, pooled: (hash: Uint8Array) => Uint8Array | undefined): Block | undefined {
  const txs: Uint8Array[] = [];
  for (const hash of compact.txHashes) {
    const bytes = pooled(hash);
    if (bytes === undefined) return undefined;
    txs.push(bytes);
  }
  return { ...compact.shell, txs };
}

/** The block a manager proposes: as many pooled transactions as apply at its final head, within the size limit. */
import { type Block, type Certificate, type Ledger, LedgerError } from '../ledger/index.ts';
import type { NetLogger } from '../net/index.ts';
import type { Mempool } from './mempool.ts';

/**
 * Builds a 'final' block at the ledger's head from the mempool, in its order (by nonce), within blockLimitBytes;
 * the proposer is also the only leader; `parentCertificate` is the head's ledger certificate when this manager has
 * gathered it (it pays the head's verifiers), else empty (docs/manager.md "Certificates").
 * A transaction that makes the draft invalid — the ledger names it `txs[i]`: a nonce ahead of a predecessor not yet
 * applied, a fee its signer can no longer pay — is left out of this block and stays pooled. Undefined when nothing
 * applies.
 */
export function buildBlock(
  ledger: Ledger,
  mempool: Mempool,
  proposer: Uint8Array,
  time: bigint,
  parentCertificate: Certificate,
  logger?: NetLogger,
): Block | undefined {
  const limit = ledger.finalView().params().blockLimitBytes;
  let bytes = 0n;
  const txs: Uint8Array[] = [];
  for (const p of mempool.candidates()) {
    if (bytes + BigInt(p.bytes.length) > limit) continue;
    bytes += BigInt(p.bytes.length);
    txs.push(p.bytes);
  }
  while (txs.length > 0) {
    try {
      return ledger.propose({ txs, time, round: 0n, kind: 'final', proposer, leaders: [proposer], parentCertificate });
    } catch (error) {
      const at = error instanceof LedgerError ? /^txs\[(\d+)\]$/.exec(error.field ?? '') : null;
      if (at === null) {
        logger?.warn({ err: error }, 'could not build a block');
        return undefined;
      }
      txs.splice(Number(at[1]), 1);
    }
  }
  return undefined;
}

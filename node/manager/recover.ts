/**
 * The recovery procedure over the network (SPEC §7 "Recovery"; docs/manager.md): when no quorum of managers
 * remains, an operator builds a block on the last final block holding a `reconfigure` signed by the genesis
 * recovery (governance) keys, certifies it with a recovery certificate of those keys (`buildRecoveryBlock`), and
 * sends it to every surviving manager (`manager/recover`). The block is self-authenticating — the ledger checks
 * the recovery certificate, the reconfigure's signatures and that the set it names is installed — so anyone may
 * deliver it. Each survivor applies it and starts the era of the new set; replacements join by state sync.
 */
import type { AccountKey } from '../crypto/index.ts';
import {
  type Block,
  decodeBlock,
  encodeBlock,
  headerHash,
  type Ledger,
  LedgerError,
  signRecoveryCertificate,
} from '../ledger/index.ts';
import { NetError, type PeerRef, type Rpc } from '../net/index.ts';
import { decodeCbor, encodeCbor, s } from '../wire/index.ts';
import { ManagerError } from './errors.ts';

export const RECOVER_METHOD = 'manager/recover';

const replySchema = s.struct({ ok: s.bool(), code: s.text({ max: 32 }), message: s.text({ max: 1024 }) });

/**
 * The recovery block: `txs` (the governance-signed reconfigure, and anything else to finalise with it) on the
 * ledger's last final block, proposed by a surviving manager, certified by the given recovery keys.
 */
export function buildRecoveryBlock(
  ledger: Ledger,
  txs: readonly Uint8Array[],
  proposer: Uint8Array,
  time: bigint,
  recoveryKeys: readonly AccountKey[],
): Block {
  const draft = ledger.propose({ txs, time, round: 0n, kind: 'final', proposer, leaders: [proposer], parentCertificate: [] });
  return { ...draft, certificate: signRecoveryCertificate(headerHash(draft.header), recoveryKeys) };
}

/** Serves `manager/recover`: anyone may deliver a recovery block; refusals are typed replies. */
export function serveRecovery(rpc: Rpc, recover: (block: Block) => void): () => void {
  rpc.handle(RECOVER_METHOD, async (body) => {
    try {
      recover(decodeBlock(body));
      return encodeCbor({ ok: true, code: '', message: '' });
    } catch (error) {
      if (error instanceof LedgerError || error instanceof ManagerError) {
        return encodeCbor({ ok: false, code: error.code, message: error.message.slice(0, 1024) });
      }
      throw error;
    }
  });
  return () => rpc.unhandle(RECOVER_METHOD);
}

/** Delivers a recovery block to one manager; REJECTED (reason = the ledger's code) when it refuses it. */
export async function sendRecovery(rpc: Rpc, manager: PeerRef, block: Block, timeoutMs = 10_000): Promise<void> {
  let reply;
  try {
    reply = replySchema.parse(decodeCbor(await rpc.request(manager, RECOVER_METHOD, encodeBlock(block), { timeoutMs }), { maxSize: 2048 }), 'recover reply');
  } catch (cause) {
    if (cause instanceof NetError) throw cause;
    throw new ManagerError('BAD_REPLY', `recover reply: ${(cause as Error).message}`, { cause });
  }
  if (!reply.ok) throw new ManagerError('REJECTED', reply.message, { reason: reply.code });
}

/**
 * `ame up`'s client flow (SPEC §7, docs/worker.md "Index servers", docs/manager.md "Introductions"): every
 * manager introduces clients to the Unity owning a key (`manager/introduce`, paid with the introduction fee on the
 * client's Manager Ring channel; the Unity found by a ring lookup from the manager's host), and every ring server
 * is an index server of its Unity (`ring/workers`), offering its servers and the temporary workers attached to it
 * that beat to it — a temporary worker leads `share` of the blob offers. The managers settle their fees like the
 * ring servers settle theirs (up-settle.ts).
 */
import type { AccountKey, Ed25519KeyPair } from '../../node/crypto/index.ts';
import { ed25519KeyFromPeerId } from '../../node/crypto/index.ts';
import { IntroductionDesk, openIntroductionBook } from '../../node/manager/introduction-desk.ts';
import type { ManagerServer } from '../../node/manager/index.ts';
import { type Host, type PeerRef, systemClock } from '../../node/net/index.ts';
import type { Certifiers } from '../../node/ring/epoch-certificate.ts';
import type { RingServerNode } from '../../node/ring/service/ring-host.ts';
import { Router } from '../../node/ring/service/router.ts';
import type { ReceiptBook } from '../../node/worker/payments/index.ts';
import { UnityIndex } from '../../node/worker/unity-index.ts';
import type { UpPayee } from './up-settle.ts';

export interface UpManager {
  readonly server: ManagerServer;
  readonly host: Host;
  readonly key: Ed25519KeyPair;
  /** The manager's account (genesis): its fees are paid there. */
  readonly payout: AccountKey;
  readonly dataDir: string;
}

export interface UpClientFlow {
  readonly desks: readonly IntroductionDesk[];
  readonly indexes: readonly UnityIndex[];
  /** The managers' books, to settle. */
  readonly payees: readonly UpPayee[];
  stop(): void;
}

export function startClientFlow(options: {
  readonly lead: ManagerServer;
  readonly managers: readonly UpManager[];
  readonly ring: readonly RingServerNode[];
  readonly certifiers: Certifiers;
  /** Share of blob offers that lead with a live temporary worker. */
  readonly share: number;
}): UpClientFlow {
  const view = () => options.lead.ledger.finalView();
  const chain = view().chain().chainId;
  const entry = (): readonly PeerRef[] => options.ring.slice(0, 4).map((n) => n.host.peer);
  const books: ReceiptBook[] = [];
  const desks = options.managers.map((m) => {
    const channels = (id: Uint8Array) => m.server.ledger.finalView().channel(id);
    const book = openIntroductionBook(m.dataDir, m.key.publicKey.bytes, channels, Date.now);
    books.push(book);
    const router = new Router({ rpc: m.host.rpc, authority: options.certifiers, entry, timeoutMs: 10_000 });
    const desk = new IntroductionDesk({
      rpc: m.host.rpc,
      nodeKey: m.key,
      chain,
      book,
      channels,
      fee: () => m.server.ledger.finalView().params().introductionFee,
      locate: async (key) => {
        const located = await router.locate(key);
        return { unity: located.id, epoch: located.epoch, servers: located.servers };
      },
      now: Date.now,
    });
    desk.attach();
    return desk;
  });
  const indexes = options.ring.map((node) => {
    const index = new UnityIndex({
      rpc: node.host.rpc,
      chain,
      managers: () => view().managers().keys,
      view: () => node.server.view(),
      clock: systemClock,
      random: Math.random,
      share: options.share,
      // Only a temporary worker the ledger attached to this Unity is offered.
      admit: (peer, unity) => {
        try {
          const record = view().node(ed25519KeyFromPeerId(peer));
          return record?.role === 'temporary' && record.status === 'active' && record.unity === unity;
        } catch {
          return false;
        }
      },
    });
    index.attach();
    return index;
  });
  return {
    desks,
    indexes,
    payees: options.managers.map((m, i) => ({ book: books[i]!, self: m.key.publicKey.bytes, payout: m.payout })),
    stop: () => {
      for (const desk of desks) desk.detach();
      for (const index of indexes) index.detach();
      for (const book of books) book.close();
    },
  };
}

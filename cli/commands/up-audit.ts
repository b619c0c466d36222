/**
 * `ame up`'s managers audit its ring servers (docs/worker.md "Audits"): one Auditor per manager, on the manager's
 * own host, finding each server by node key among the hosts `ame up` started; each submits its node-reports to its
 * own manager. Rounds every 30 s, two servers each, so a small local network audits all of them within minutes.
 */
import { randomBytes } from 'node:crypto';
import { type Ed25519KeyPair, toHex } from '../../node/crypto/index.ts';
import { Auditor } from '../../node/manager/auditor.ts';
import type { ManagerServer } from '../../node/manager/index.ts';
import { type Host, systemClock } from '../../node/net/index.ts';

export const AUDIT_INTERVAL_MS = 30_000;

export interface UpAuditors {
  /** Whether a PeerId is one of the auditing managers (the workers' `auditor` predicate). */
  readonly isAuditor: (peer: string) => boolean;
  start(servers: readonly Host[], serverKeys: readonly Ed25519KeyPair[]): void;
  stop(): void;
}

export function upAuditors(managers: readonly { server: ManagerServer; host: Host; key: Ed25519KeyPair }[]): UpAuditors {
  const ids = new Set(managers.map((m) => m.host.id));
  const auditors: Auditor[] = [];
  return {
    isAuditor: (peer) => ids.has(peer),
    start(servers, serverKeys) {
      const peers = new Map(serverKeys.map((key, i) => [toHex(key.publicKey.bytes), servers[i]!.peer]));
      for (const m of managers) {
        const auditor = new Auditor({
          rpc: m.host.rpc,
          random: (n) => new Uint8Array(randomBytes(n)),
          clock: systemClock,
          ledger: () => m.server.ledger,
          nodeKey: m.key,
          peerOf: (node) => peers.get(toHex(node)),
          submit: (tx) => {
            try {
              m.server.submit(tx);
            } catch {
              // A report refused by the pool (a nonce raced by the previous one) is made again next round.
            }
          },
          intervalMs: AUDIT_INTERVAL_MS,
          perRound: 2,
        });
        auditor.start();
        auditors.push(auditor);
      }
    },
    stop() {
      for (const a of auditors.splice(0)) a.stop();
    },
  };
}

/**
 * `ame up`'s managers do their duties (docs/worker.md "Audits", "Temporary workers"): each manager, on its own
 * host and with one nonce counter for its duty transactions (DutyTxs), audits the ring servers (finding each by
 * node key among the hosts `ame up` started) every 30 s, two servers a round; attaches registered temporary
 * workers to the Unity with the highest load per member — load = requests its servers logged, as `ame up` sees
 * them — every 5 s; counts temporary workers' heartbeats (`manager/heartbeat`, 10 s intervals) into its reports; and
 * answers their applications for promotion (`manager/promotion`); and removes cheaters and silent nodes every 10 s,
 * promoting the best temporary worker of a removed server's Unity in its place; and closes each period once it is
 * over (period-closer.ts: options vest, work rewards, the fund's release).
 */
import { randomBytes } from 'node:crypto';
import { type Ed25519KeyPair, toHex } from '../../node/crypto/index.ts';
import { Attacher, type UnityLoad } from '../../node/manager/attacher.ts';
import { Auditor } from '../../node/manager/auditor.ts';
import { DutyTxs } from '../../node/manager/duty-txs.ts';
import type { ManagerServer } from '../../node/manager/index.ts';
import { serveHeartbeats } from '../../node/manager/heartbeat-desk.ts';
import { servePromotions } from '../../node/manager/promotion-desk.ts';
import { PeriodCloser } from '../../node/manager/period-closer.ts';
import { Remover } from '../../node/manager/remover.ts';
import { type Host, systemClock } from '../../node/net/index.ts';
import { UptimeBook } from '../../node/ring/service/uptime-book.ts';
import { DEFAULT_HEARTBEAT_MS } from '../../node/worker/heartbeat-protocol.ts';

export const AUDIT_INTERVAL_MS = 30_000;

export interface UpDuties {
  /** Whether a PeerId is one of the auditing managers (the workers' `auditor` predicate). */
  readonly isAuditor: (peer: string) => boolean;
  start(servers: readonly Host[], serverKeys: readonly Ed25519KeyPair[], loads: () => readonly UnityLoad[], auditMs?: number): void;
  stop(): void;
}

export function upDuties(managers: readonly { server: ManagerServer; host: Host; key: Ed25519KeyPair }[]): UpDuties {
  const ids = new Set(managers.map((m) => m.host.id));
  const stops: (() => void)[] = [];
  return {
    isAuditor: (peer) => ids.has(peer),
    start(servers, serverKeys, loads, auditMs = AUDIT_INTERVAL_MS) {
      const peers = new Map(serverKeys.map((key, i) => [toHex(key.publicKey.bytes), servers[i]!.peer]));
      for (const m of managers) {
        const duty = new DutyTxs({ nodeKey: m.key, ledger: () => m.server.ledger, submit: (tx) => m.server.submit(tx), now: Date.now });
        const uptime = new UptimeBook({ clock: systemClock, intervalMs: DEFAULT_HEARTBEAT_MS });
        const auditor = new Auditor({
          rpc: m.host.rpc,
          random: (n) => new Uint8Array(randomBytes(n)),
          clock: systemClock,
          duty,
          uptime,
          peerOf: (node) => peers.get(toHex(node)),
          intervalMs: auditMs,
          perRound: 2,
        });
        const attacher = new Attacher({ duty, clock: systemClock, loads });
        const remover = new Remover({ duty, clock: systemClock });
        const closer = new PeriodCloser({ duty, clock: systemClock });
        auditor.start();
        attacher.start();
        remover.start();
        closer.start();
        stops.push(
          () => auditor.stop(),
          () => attacher.stop(),
          () => remover.stop(),
          () => closer.stop(),
          servePromotions(m.host.rpc, { duty }),
          serveHeartbeats(m.host.rpc, uptime),
        );
      }
    },
    stop() {
      for (const stop of stops.splice(0)) stop();
    },
  };
}

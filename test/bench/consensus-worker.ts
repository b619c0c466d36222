/**
 * Entry of the consensus bench's worker threads (consensus-threads.ts). Every thread signs the load's transactions
 * and measures how fast this machine verifies their signatures (the crypto commands) and, one after another, takes
 * a role with its own libp2p host (`become`): a manager server (consensus-manager.ts) or a member of a
 * consensus-only ring (consensus-member.ts). Threads are reused across rings, so each loads the modules once.
 */
import type { AccountKey } from '../../node/crypto/index.ts';
import { payeeAccount, settleTx, registrationTx, sessionKey, type ChainLoad, settleSignatures, checkSignature, type SigCheck } from './consensus-load.ts';
import { managerHandlers, type ManagerWorkerData } from './consensus-manager.ts';
import { memberHandlers } from './consensus-member.ts';
import { benchHost, serve } from './consensus-threads.ts';

export type Role = ManagerWorkerData | { readonly role: 'member'; readonly hostSeed: Uint8Array };

export interface SignRequest {
  readonly chains: readonly ChainLoad[];
  readonly payees: readonly number[];
  /** Per chain: settles per payee (nonces 1…count). */
  readonly counts: readonly number[];
  readonly authorization: Uint8Array;
}

/** Per chain: the registrations of `payees`, and per payee its settles in nonce order. */
export interface Signed {
  readonly registrations: Uint8Array[];
  readonly settles: Uint8Array[][];
}

function cryptoHandlers() {
  let checks: SigCheck[][] = [];
  // Falcon key generation takes ~0.2 s a key: once per payee and thread.
  const accountsByPayee = new Map<number, AccountKey>();
  const account = (p: number): AccountKey => {
    let key = accountsByPayee.get(p);
    if (key === undefined) {
      key = payeeAccount(p);
      accountsByPayee.set(p, key);
    }
    return key;
  };
  return {
    ready: () => true,
    sign: (r: SignRequest): Signed[] => {
      const session = sessionKey();
      const accounts = r.payees.map(account);
      return r.chains.map((load, c) => ({
        registrations: r.payees.map((p, j) => registrationTx(load, p, accounts[j])),
        settles: r.payees.map((p, j) => Array.from({ length: r.counts[c]! }, (_, k) => settleTx(load, p, k + 1, accounts[j]!, session, r.authorization))),
      }));
    },
    addresses: ({ payees }: { payees: number[] }) => payees.map((p) => account(p).address),
    /** Decodes the sample the next `verify` checks (decoding is not timed). */
    prepare: (txs: readonly Uint8Array[]) => {
      checks = txs.map(settleSignatures);
      return checks.length;
    },
    /** Verifies the sample's signatures over and over for `ms`: settles whose 3 signatures held, wall and CPU time. */
    verify: ({ ms }: { ms: number }) => {
      const start = performance.now();
      const cpu = process.threadCpuUsage();
      let settles = 0;
      let elapsed = 0;
      while (elapsed < ms) {
        for (const sigs of checks) {
          if (!sigs.every(checkSignature)) throw new Error('a settle signature does not verify');
          settles += 1;
        }
        elapsed = performance.now() - start;
      }
      const used = process.threadCpuUsage(cpu);
      return { settles, ms: elapsed, cpuMs: (used.user + used.system) / 1000 };
    },
  };
}

const crypto: Record<string, (args: never) => unknown> = cryptoHandlers();
let role: Record<string, (args: never) => unknown> = {};
serve((cmd) => {
  if (cmd === 'become') {
    return async (r: Role) => {
      role = r.role === 'manager' ? managerHandlers(r, await benchHost(r.seed)) : memberHandlers(await benchHost(r.hostSeed));
      return true;
    };
  }
  return role[cmd] ?? crypto[cmd];
});

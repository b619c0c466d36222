/**
 * Property tests over random transaction sequences on a real store: transfers, conversions, channels (open,
 * settle with or without a client score, close), registrations, managers' node reports, promotions, removals
 * (for cheating or not) and period closes keep the supply invariants after every block (TestChain checks them)
 * and every node's reputation in [0.01, 1] (0.01 with a bad record); a replayed or forged transaction is refused.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeSession, Ed25519KeyPair, encodeSessionAuthorization, sha256, utf8 } from '../../../../node/crypto/index.ts';
import {
  channelId,
  checkInvariants,
  decodeTx,
  demoParams,
  nodeReputation,
  encodeReceipt,
  encodeTx,
  LedgerError,
  signReceipt,
  type Tx,
} from '../../../../node/ledger/index.ts';
import { ABC, accountKey, nodeKey, TestChain, testGenesis } from '../../../support/ledger-chain.ts';

let chain: TestChain | undefined;
afterEach(() => chain?.close());

const ACCOUNTS = [1, 2, 3, 4, 5, 6];
const NODES = [50, 51, 52];
const sessions = new Map(ACCOUNTS.map((i) => [i, Ed25519KeyPair.fromSeed(sha256(utf8(`session ${i}`)))]));

const op = fc.oneof(
  fc.record({ t: fc.constant('transfer' as const), from: fc.constantFrom(...ACCOUNTS), to: fc.constantFrom(...ACCOUNTS), amount: fc.bigInt(1n, 300_000n * ABC) }),
  fc.record({ t: fc.constant('convert' as const), from: fc.constantFrom(...ACCOUNTS), amount: fc.bigInt(1n, 5n * ABC) }),
  fc.record({ t: fc.constant('register' as const), owner: fc.constantFrom(...ACCOUNTS), node: fc.constantFrom(...NODES), role: fc.constantFrom('worker', 'temporary') }),
  fc.record({ t: fc.constant('open' as const), client: fc.constantFrom(...ACCOUNTS), abit: fc.boolean(), amount: fc.bigInt(1n, 20n * ABC), node: fc.constantFrom(...NODES) }),
  fc.record({
    t: fc.constant('settle' as const),
    pick: fc.nat(),
    amount: fc.bigInt(0n, 30n * ABC),
    nonce: fc.bigInt(0n, 5n),
    score: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
  }),
  fc.record({ t: fc.constant('close' as const), pick: fc.nat() }),
  fc.record({ t: fc.constant('period' as const), units: fc.array(fc.bigInt(0n, 1000n), { minLength: 3, maxLength: 3 }) }),
  fc.record({
    t: fc.constant('report' as const),
    node: fc.constantFrom(...NODES),
    passed: fc.bigInt(0n, 50n),
    failed: fc.bigInt(0n, 2n),
    cheated: fc.boolean(),
    expected: fc.bigInt(0n, 20n),
    missed: fc.bigInt(0n, 2n),
    served: fc.bigInt(0n, 20n),
  }),
  fc.record({ t: fc.constant('promote' as const), node: fc.constantFrom(...NODES) }),
  fc.record({ t: fc.constant('remove' as const), node: fc.constantFrom(...NODES), cheating: fc.boolean() }),
);
/** The promotion rules switched off, so that promotions in random sequences also move deposits and options. */
const noRules = { promotionMinServed: 0n, promotionMinAudits: 0n, promotionMinScore: 0n, promotionUptimeBps: 0n };

interface Channel {
  readonly id: Uint8Array;
  readonly client: number;
  readonly node: number;
}

describe('random transaction sequences', () => {
  it('keep the invariants after every block', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 14 }), fc.boolean(), (ops, rules) => {
        chain?.close();
        const c = (chain = new TestChain(rules ? testGenesis() : testGenesis({ ...demoParams, ...noRules })));
        const channels: Channel[] = [];
        const owners = new Map<number, number>();
        for (const o of ops) {
          const txs: Tx[] = [];
          let time: bigint | undefined;
          switch (o.t) {
            case 'transfer':
              txs.push(c.accountTx(accountKey(o.from), 'transfer', { to: accountKey(o.to).address, amount: o.amount }));
              break;
            case 'convert':
              txs.push(c.accountTx(accountKey(o.from), 'convert', { amount: o.amount }));
              break;
            case 'register': {
              const node = nodeKey(o.node);
              if (!owners.has(o.node)) owners.set(o.node, o.owner);
              txs.push(c.accountTx(accountKey(o.owner), 'register', { node: node.publicKey.bytes, role: o.role, hardware: '' }, 0n, node));
              break;
            }
            case 'open': {
              const key = accountKey(o.client);
              const nonce = c.accountNonces.get(key.address) ?? 0n;
              txs.push(
                c.accountTx(key, 'channel-open', {
                  currency: o.abit ? 'ABIT' : 'ABC',
                  amount: o.abit ? o.amount * 1000n : o.amount,
                  payees: [nodeKey(o.node).publicKey.bytes],
                }),
              );
              channels.push({ id: channelId(c.chainId, key.address, nonce), client: o.client, node: o.node });
              break;
            }
            case 'settle': {
              const ch = channels[o.pick % Math.max(1, channels.length)];
              const owner = ch === undefined ? undefined : owners.get(ch.node);
              if (ch === undefined || owner === undefined) continue;
              const session = sessions.get(ch.client)!;
              const auth = authorizeSession(accountKey(ch.client), session.publicKey, 1e12);
              const fields = { channel: ch.id, payee: nodeKey(ch.node).publicKey.bytes, amount: o.amount, nonce: o.nonce };
              const receipt = signReceipt(session, o.score === undefined ? fields : { ...fields, score: o.score });
              txs.push(
                c.accountTx(accountKey(owner), 'channel-settle', {
                  receipt: encodeReceipt(receipt),
                  authorization: encodeSessionAuthorization(auth),
                }),
              );
              break;
            }
            case 'close': {
              const ch = channels[o.pick % Math.max(1, channels.length)];
              if (ch === undefined) continue;
              txs.push(c.accountTx(accountKey(ch.client), 'channel-close', { channel: ch.id }));
              time = c.time + 3000n;
              break;
            }
            case 'period': {
              const view = c.ledger.view();
              const chainRecord = view.chain();
              const workload = NODES.map((n, i) => ({ node: nodeKey(n).publicKey.bytes, units: o.units[i]! })).filter(
                (w) => view.node(w.node) !== undefined,
              );
              txs.push(c.managerTx(0, 'period-close', { period: chainRecord.period, workload }));
              time = chainRecord.periodStart + view.params().periodMs;
              if (time <= c.time) time = c.time + 1n;
              break;
            }
            case 'report': {
              const node = nodeKey(o.node).publicKey.bytes;
              if (c.ledger.view().node(node) === undefined) continue;
              const seen = o.expected > o.missed ? o.expected - o.missed : 0n;
              const nodes = [
                {
                  node,
                  auditsPassed: o.passed,
                  auditsFailed: o.failed,
                  cheated: o.cheated,
                  heartbeatsSeen: seen,
                  heartbeatsExpected: o.expected,
                  served: o.served,
                },
              ];
              txs.push(c.managerTx(1, 'node-report', { nodes }));
              break;
            }
            case 'promote':
              if (c.ledger.view().node(nodeKey(o.node).publicKey.bytes) === undefined) continue;
              txs.push(c.managerTx(2, 'promote', { node: nodeKey(o.node).publicKey.bytes }));
              break;
            case 'remove':
              if (c.ledger.view().node(nodeKey(o.node).publicKey.bytes) === undefined) continue;
              txs.push(c.managerTx(2, 'remove', { node: nodeKey(o.node).publicKey.bytes, cheating: o.cheating, reason: '' }));
              break;
          }
          c.block(txs, time === undefined ? {} : { time });
        }
        const report = checkInvariants(c.store);
        expect(report.abc).toBe(report.expectedAbc);
        const view = c.ledger.view();
        for (const n of NODES) {
          const node = view.node(nodeKey(n).publicKey.bytes);
          if (node === undefined) continue;
          const r = nodeReputation(node, view.account(node.account).bad, view.params(), c.time);
          expect(r).toBeGreaterThanOrEqual(10_000n);
          expect(r).toBeLessThanOrEqual(1_000_000n);
          if (node.rep.bad) expect(r).toBe(10_000n);
          expect(node.rep.scoreSum).toBeLessThanOrEqual(100n * node.rep.scoreCount);
          expect(BigInt(node.rep.uptime.length)).toBeLessThanOrEqual(view.params().uptimeWindowDays);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('refuse a replayed transaction and any single flipped signature byte', () => {
    const c = (chain = new TestChain());
    const sent: Uint8Array[] = [];
    fc.assert(
      fc.property(fc.constantFrom(...ACCOUNTS), fc.bigInt(1n, 10n * ABC), fc.nat(), fc.nat(7), (from, amount, at, bit) => {
        const tx = c.accountTx(accountKey(from), 'transfer', { to: accountKey(9).address, amount });
        const bytes = encodeTx(tx);
        const sig = tx.sigs[0]!.sig;
        const forged = { ...tx, sigs: [{ i: 0, sig: Uint8Array.from(sig, (b, i) => (i === at % sig.length ? b ^ (1 << bit) : b)) }] };
        const view = c.ledger.view();
        expect(codeAt(() => c.block([encodeTx(forged as Tx)]))).toBe('BAD_SIGNATURE');
        c.block([bytes]);
        sent.push(bytes);
        const replay = sent[at % sent.length]!;
        expect(codeAt(() => c.block([replay]))).toBe('BAD_NONCE');
        const signer = ACCOUNTS.find((i) => Buffer.from(accountKey(i).publicKey).equals(decodeTx(replay).signer.key))!;
        expect(decodeTx(replay).nonce).toBeLessThan(view.account(accountKey(signer).address).nonce + 1n);
      }),
      { numRuns: 25 },
    );
  });
});

function codeAt(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    return error.cause instanceof LedgerError ? error.cause.code : error.code;
  }
  return undefined;
}

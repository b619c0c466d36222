/**
 * LedgerFollower (node/worker/ledger-view.ts) against the manager's light-client service on an in-process RPC
 * (test/support/light-rig.ts) and virtual time: it follows headers across a manager-set change, reads records
 * once per height, refuses forged headers and records without caching them (taking an honest manager's instead),
 * and its synchronous channel view answers within its staleness bound and refreshes in the background.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { channelId, LightClient } from '../../../../node/ledger/index.ts';
import { HEADERS_METHOD, STATE_METHOD } from '../../../../node/manager/index.ts';
import type { PeerRef, RequestHandler } from '../../../../node/net/index.ts';
import { SimClock } from '../../../../node/net/sim/clock.ts';
import { LedgerFollower, type LedgerFollowerOptions } from '../../../../node/worker/ledger-view.ts';
import { LedgerViewError } from '../../../../node/worker/ledger-view-errors.ts';
import {
  decodeHeadersReply,
  decodeStateReply,
  decodeStateRequest,
  encodeHeadersReply,
  encodeStateReply,
  encodeStateRequest,
} from '../../../../node/worker/light-protocol.ts';
import { ABC, accountKey, INVESTORS, managerAccount, managerEntry, managerNode, MANAGER_COUNT, nodeKey, RESERVE } from '../../../support/ledger-chain.ts';
import { LightRig, MANAGER_PEER } from '../../../support/light-rig.ts';
import { mutation } from '../../../support/mutation.ts';

const FAKE: PeerRef = { id: 'fake', addrs: [] };
const genesisNodes = Array.from({ length: MANAGER_COUNT }, (_, i) => managerNode(i));
const client = accountKey(INVESTORS);
const payee = managerNode(0).publicKey.bytes;

let rig: LightRig | undefined;
const followers: LedgerFollower[] = [];
afterEach(() => {
  for (const f of followers.splice(0)) f.stop();
  rig?.close();
  rig = undefined;
});

/** A chain with a channel of 2 ABC to manager 0's node, opened by the investors' account in block 1. */
function world(): { r: LightRig; id: Uint8Array } {
  const r = (rig = new LightRig());
  const nonce = r.c.accountNonces.get(client.address) ?? 0n;
  r.block([r.c.accountTx(client, 'channel-open', { currency: 'ABC', amount: 2n * ABC, payees: [payee] })]);
  return { r, id: channelId(r.c.chainId, client.address, nonce) };
}

function follower(r: LightRig, options: Partial<LedgerFollowerOptions> = {}): LedgerFollower {
  const f = new LedgerFollower({
    rpc: r.net.client(),
    managers: [MANAGER_PEER],
    light: LightClient.fromGenesis(r.c.genesis, r.genesisRoot),
    clock: new SimClock(1_000),
    ...options,
  });
  followers.push(f);
  return f;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof LedgerViewError) return error.code;
    throw error;
  }
}

const ctx = { peer: 'client', deadline: Number.MAX_SAFE_INTEGER, signal: new AbortController().signal };

describe('LedgerFollower', () => {
  it('follows across a manager-set change and reads each record once per height', async () => {
    const { r, id } = world();
    const next = [0, 1, 2, 3].map((i) => managerEntry(managerNode(i), managerAccount(i))).concat([managerEntry(nodeKey(300), accountKey(300))]);
    r.block([r.c.managersReconfigure(next, genesisNodes.slice(0, 5))]);
    r.c.certifiers = [...genesisNodes.slice(0, 4), nodeKey(300)];
    r.block([r.c.accountTx(accountKey(RESERVE), 'transfer', { to: accountKey(9).address, amount: 1n * ABC })]);
    const f = follower(r);
    expect(await f.sync()).toBe(3n);

    const [a, b, account, node, none] = await Promise.all([
      f.channel(id),
      f.channel(id),
      f.account(accountKey(9).address),
      f.node(nodeKey(300).publicKey.bytes),
      f.channel(new Uint8Array(32)),
    ]);
    expect(a).toMatchObject({ escrow: 2n * ABC, payees: [payee], paid: [0n], status: 'open', client: client.address });
    expect(b).toEqual(a);
    expect(account?.abc).toBe(1n * ABC);
    expect(node).toMatchObject({ role: 'manager', status: 'active' });
    expect(none).toBeUndefined();
    // The two reads of the channel shared one request; the others took one each.
    expect(f.stats().stateRequests).toBe(4);
    await f.channel(id);
    expect(f.stats().stateRequests).toBe(4);

    // A new block: the next read is of the new height.
    r.block([r.c.accountTx(client, 'channel-close', { channel: id })]);
    expect(await f.sync()).toBe(4n);
    expect((await f.channel(id))?.status).toBe('closing');
    expect(f.stats().stateRequests).toBe(5);
    expect(await codeOf(f.channel(new Uint8Array(5)))).toBe('BAD_VALUE');
    expect(await codeOf(f.account(''))).toBe('BAD_VALUE');
    f.stop();
    expect(await codeOf(f.channel(id))).toBe('STOPPED');
  });

  it('refuses forged headers and records, caches none of them, and takes an honest manager’s', async () => {
    const { r, id } = world();
    r.block([]);
    let mode: 'honest' | 'header' | 'record' | 'root' = 'header';
    const fake = r.net.rpcOf(FAKE);
    const real = (method: string): RequestHandler => r.net.handler(MANAGER_PEER, method)!;
    fake.handle(HEADERS_METHOD, async (body) => {
      const reply = decodeHeadersReply(await real(HEADERS_METHOD)(body, ctx));
      if (mode !== 'header') return encodeHeadersReply(reply);
      // Another state root under the genuine certificate.
      const headers = reply.headers.map((h) => ({ ...h, header: { ...h.header, stateRoot: h.header.stateRoot.map((x, i) => (i === 0 ? x ^ 1 : x)) } }));
      return encodeHeadersReply({ ...reply, headers });
    });
    fake.handle(STATE_METHOD, async (body) => {
      const reply = decodeStateReply(await real(STATE_METHOD)(body, ctx));
      if (mode === 'record') {
        // The channel's escrow changed in the record bytes (the proof left as it was).
        const records = reply.records.map((rec) => (rec.value === undefined ? rec : { ...rec, value: Uint8Array.from(rec.value).reverse() }));
        return encodeStateReply({ ...reply, records });
      }
      if (mode === 'root') {
        // Genuine records and proofs, of the state of block 1, labelled as the block asked for.
        const { paths } = decodeStateRequest(body);
        const old = decodeStateReply(await real(STATE_METHOD)(encodeStateRequest({ paths, height: 1n }), ctx));
        return encodeStateReply({ ...reply, records: old.records });
      }
      return encodeStateReply(reply);
    });

    const f = follower(r, { managers: [FAKE] });
    expect(await codeOf(f.sync())).toBe('BAD_HEADER');
    expect(f.height).toBe(0n);
    mode = 'record';
    expect(await f.sync()).toBe(2n);
    expect(await codeOf(f.channel(id))).toBe('BAD_PROOF');
    r.block([r.c.accountTx(client, 'channel-close', { channel: id })]);
    await f.sync();
    mode = 'root';
    expect(await codeOf(f.channel(id))).toBe('BAD_PROOF');
    expect(f.stats()).toMatchObject({ cached: 0, refused: 3 });
    mode = 'honest';
    expect((await f.channel(id))?.status).toBe('closing');

    // With an honest manager next to the forger, the answer is the true one and the forgery is counted. (Each
    // poll starts at the next manager and reads start where the last answer came from: the forger, here.)
    mode = 'root';
    const g = follower(r, { managers: [MANAGER_PEER, FAKE] });
    await g.sync();
    const refusedBefore = g.stats().refused;
    const channel = await g.channel(id);
    expect(channel?.status).toBe('closing');
    expect(g.stats().refused).toBeGreaterThan(refusedBefore);
  });

  it('channelView answers from the cache within its staleness bound and refreshes in the background', async () => {
    const { r, id } = world();
    const clock = new SimClock(1_000);
    const f = follower(r, { clock, pollMs: 1_000, maxStaleMs: 5_000 });
    const view = f.channelView();
    f.start();
    expect(view(id)).toBeUndefined(); // never read: fetched meanwhile
    await clock.advance(10);
    expect(view(id)).toMatchObject({ status: 'open', escrow: 2n * ABC });
    expect(view(new Uint8Array(3))).toBeUndefined();

    r.block([r.c.accountTx(client, 'channel-close', { channel: id })]);
    await clock.advance(1_000); // the poll takes block 2
    expect(f.height).toBe(2n);
    expect(view(id)?.status).toBe('open'); // block 1's state, known current a moment ago; refreshing
    await clock.advance(1);
    expect(view(id)?.status).toBe('closing');

    // The manager goes away: the last state is answered until the bound passes, then nothing is.
    r.syncing = true;
    await clock.advance(4_500);
    expect(view(id)?.status).toBe('closing');
    await clock.advance(1_000);
    expect(view(id)).toBeUndefined();
    expect(f.stats().pollFailures).toBeGreaterThan(0);
    r.syncing = false;
    await clock.advance(1_000);
    expect(view(id)?.status).toBe('closing');

    f.stop();
    expect(view(id)).toBeUndefined();
  });

  it('takes mutated replies only as typed refusals, or as the true headers and records', async () => {
    const { r, id } = world();
    r.block([r.c.accountTx(accountKey(RESERVE), 'transfer', { to: accountKey(9).address, amount: 1n * ABC })]);
    const honest = follower(r);
    await honest.sync();
    const truth = await honest.channel(id);
    const real = (method: string): RequestHandler => r.net.handler(MANAGER_PEER, method)!;
    const replies = new Map<string, Uint8Array>();
    let mutate: { method: string; bytes: Uint8Array } | undefined;
    const fake = r.net.rpcOf(FAKE);
    for (const method of [HEADERS_METHOD, STATE_METHOD]) {
      fake.handle(method, async (body) => {
        const reply = await real(method)(body, ctx);
        replies.set(method, reply);
        return mutate?.method === method ? mutate.bytes : reply;
      });
    }
    // The genuine replies, to mutate.
    const probe = follower(r, { managers: [FAKE] });
    await probe.sync();
    await probe.channel(id);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(HEADERS_METHOD, STATE_METHOD).chain((method) => mutation(replies.get(method)!, { keepWhole: false }).map((bytes) => ({ method, bytes }))),
        async (m) => {
          mutate = m;
          const f = follower(r, { managers: [FAKE] });
          const synced = await codeOf(f.sync());
          expect(['ok', 'BAD_REPLY', 'BAD_HEADER']).toContain(synced);
          if (synced !== 'ok' || f.height !== 2n) return;
          let channel;
          try {
            channel = await f.channel(id);
          } catch (error) {
            expect(error).toBeInstanceOf(LedgerViewError);
            expect(['BAD_REPLY', 'BAD_PROOF']).toContain((error as LedgerViewError).code);
            return;
          }
          expect(channel).toEqual(truth);
        },
      ),
      { numRuns: 300 },
    );
  });
});

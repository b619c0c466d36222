/**
 * The light-client service of a manager (node/manager/light-rpc.ts) over a real ledger and chain store: headers a
 * LightClient follows from the genesis across a reconfigure and a recovery, certificates taken from the next
 * block while the chain store has none, records with proofs at the height asked, and typed refusals of whatever
 * is malformed, out of bounds, or not provable here.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCbor } from '../../../../node/wire/index.ts';
import { accountPath, headerHash, LightClient, META_PATHS } from '../../../../node/ledger/index.ts';
import { HEADERS_METHOD, STATE_METHOD } from '../../../../node/manager/index.ts';
import { NetError } from '../../../../node/net/index.ts';
import { recordOf, verifyStateReply } from '../../../../node/worker/ledger-proof.ts';
import {
  decodeHeadersReply,
  decodeStateReply,
  encodeHeadersRequest,
  encodeStateRequest,
  type HeadersReply,
  type StateReply,
} from '../../../../node/worker/light-protocol.ts';
import { ABC, accountKey, managerAccount, managerEntry, managerNode, MANAGER_COUNT, nodeKey, RESERVE } from '../../../support/ledger-chain.ts';
import { LightRig, MANAGER_PEER } from '../../../support/light-rig.ts';

let rig: LightRig | undefined;
afterEach(() => {
  rig?.close();
  rig = undefined;
});

const genesisNodes = Array.from({ length: MANAGER_COUNT }, (_, i) => managerNode(i));
const to = accountKey(9).address;

async function call(r: LightRig, method: string, body: Uint8Array): Promise<Uint8Array> {
  return r.net.handler(MANAGER_PEER, method)!(body, { peer: 'anyone', deadline: Date.now() + 5_000, signal: new AbortController().signal });
}
const headers = async (r: LightRig, from: bigint, limit = 64): Promise<HeadersReply> =>
  decodeHeadersReply(await call(r, HEADERS_METHOD, encodeHeadersRequest({ from, limit })));
const state = async (r: LightRig, paths: string[], height?: bigint): Promise<StateReply> =>
  decodeStateReply(await call(r, STATE_METHOD, encodeStateRequest(height === undefined ? { paths } : { paths, height })));

/** The remote code a handler refused with (it must be a NetError), or 'ok'. */
async function refusal(r: LightRig, method: string, body: Uint8Array): Promise<string> {
  try {
    await call(r, method, body);
    return 'ok';
  } catch (error) {
    if (error instanceof NetError) return error.code;
    throw error;
  }
}

const pay = (r: LightRig) => r.block([r.c.accountTx(accountKey(RESERVE), 'transfer', { to, amount: 1n * ABC })]);

describe('manager/headers', () => {
  it('serves what a light client needs to follow from the genesis across a reconfigure and a recovery', async () => {
    const r = (rig = new LightRig());
    const c = r.c;
    pay(r);
    // Block 2: five of six install a set with two newcomers (a manager certificate, the managers proof needed).
    const set1 = [0, 1, 2, 3].map((i) => managerEntry(managerNode(i), managerAccount(i))).concat([managerEntry(nodeKey(300), accountKey(300))]);
    r.block([c.managersReconfigure(set1, genesisNodes.slice(0, 5))]);
    c.certifiers = [...genesisNodes.slice(0, 4), nodeKey(300)];
    pay(r);
    // Block 4: the governance keys hand the chain to another set under a recovery certificate (txs needed).
    const set2 = [0, 1, 2].map((i) => managerEntry(managerNode(i), managerAccount(i))).concat([managerEntry(nodeKey(301), accountKey(301))]);
    r.block([c.governanceReconfigure(set2, [0, 2])], { certificate: (b) => c.recoveryCertificate(b, [0, 1]) });
    c.certifiers = [...genesisNodes.slice(0, 3), nodeKey(301)];
    pay(r);

    const reply = await headers(r, 1n);
    expect(reply.head).toBe(5n);
    expect(reply.headers.map((h) => h.header.height)).toEqual([1n, 2n, 3n, 4n, 5n]);
    // Transactions travel only with the blocks that changed the set.
    expect(reply.headers.map((h) => h.txs !== undefined)).toEqual([false, true, false, true, false]);
    const client = LightClient.fromGenesis(c.genesis, r.genesisRoot);
    for (const h of reply.headers) client.follow(h.header, h.certificate, h.txs === undefined ? { managers: h.managers } : { managers: h.managers, txs: h.txs });
    expect(client.height).toBe(5n);
    expect(client.managers).toEqual(set2.map((m) => m.key));
    expect(client.stateRoot).toEqual(c.store.root());

    // Paging: `limit` and `from` are honoured; past the head the list is empty.
    expect((await headers(r, 2n, 2)).headers.map((h) => h.header.height)).toEqual([2n, 3n]);
    expect((await headers(r, 6n)).headers).toEqual([]);
  });

  it("takes a certificate the chain store lacks from the next block, and stops before a head without one", async () => {
    const r = (rig = new LightRig());
    const first = r.block([], {}, { certificate: false });
    const second = pay(r);
    expect(second.block.parentCertificate).toEqual(first.block.certificate);
    r.block([], {}, { certificate: false });
    const reply = await headers(r, 1n);
    expect(reply.head).toBe(3n);
    expect(reply.headers.map((h) => h.certificate)).toEqual([first.block.certificate, second.block.certificate]);
    // Without a height the state is the newest block a light client can verify: 2, not the head.
    const served = await state(r, [accountPath(to)]);
    expect([served.height, served.hash]).toEqual([2n, headerHash(second.block.header)]);
  });
});

describe('manager/state', () => {
  it('serves records and absences with proofs against the state root of the block asked for', async () => {
    const r = (rig = new LightRig());
    const genesis = await state(r, [META_PATHS.managers]);
    expect([genesis.height, genesis.hash]).toEqual([0n, r.c.chainId]);
    const first = pay(r);
    const second = pay(r);
    const paths = [accountPath(to), accountPath(accountKey(77).address), META_PATHS.managers];
    for (const [height, block, abc] of [[1n, first.block, 1n * ABC], [2n, second.block, 2n * ABC]] as const) {
      const reply = await state(r, paths, height);
      const head = { height, stateRoot: block.header.stateRoot, hash: headerHash(block.header) };
      const values = verifyStateReply(reply, head, paths);
      expect(recordOf({ kind: 'account', address: to }, values[0])?.abc).toBe(abc);
      expect(values[1]).toBeUndefined();
      expect(values[2]).toBeDefined();
    }
    expect((await state(r, paths)).height).toBe(2n);
    // The genesis state stays servable after blocks (the store's first version).
    const zero = { height: 0n, stateRoot: r.genesisRoot, hash: r.c.chainId };
    expect(verifyStateReply(await state(r, paths, 0n), zero, paths)[0]).toBeUndefined();
    // Not here yet: UNAVAILABLE (a follower asks another manager).
    expect(await refusal(r, STATE_METHOD, encodeStateRequest({ paths, height: 3n }))).toBe('UNAVAILABLE');
    r.syncing = true;
    expect(await refusal(r, STATE_METHOD, encodeStateRequest({ paths }))).toBe('UNAVAILABLE');
    expect(await refusal(r, HEADERS_METHOD, encodeHeadersRequest({ from: 1n, limit: 1 }))).toBe('UNAVAILABLE');
  });
});

describe('refusals', () => {
  it('refuses malformed and out-of-bounds requests with BAD_REQUEST', async () => {
    const r = (rig = new LightRig());
    pay(r);
    const bad = [
      [HEADERS_METHOD, encodeCbor({ from: 0n, limit: 1 })],
      [HEADERS_METHOD, encodeCbor({ from: 1n, limit: 0 })],
      [HEADERS_METHOD, encodeCbor({ from: 1n, limit: 65 })],
      [HEADERS_METHOD, encodeCbor({ from: 1n, limit: 1, extra: true })],
      [HEADERS_METHOD, new Uint8Array(0)],
      [STATE_METHOD, encodeCbor({ paths: [] })],
      [STATE_METHOD, encodeCbor({ paths: Array.from({ length: 65 }, (_, i) => `account/${i}`) })],
      [STATE_METHOD, encodeCbor({ paths: ['meta/chain', 'meta/chain'] })],
      [STATE_METHOD, encodeCbor({ paths: ['x'.repeat(257)] })],
      [STATE_METHOD, encodeCbor({ paths: [''] })],
      [STATE_METHOD, encodeCbor({ paths: ['meta/chain'], height: -1 })],
      [STATE_METHOD, Uint8Array.of(0xff)],
    ] as const;
    for (const [method, body] of bad) expect(await refusal(r, method, body), `${method} ${Buffer.from(body).toString('hex')}`).toBe('BAD_REQUEST');
  });

  it('answers any bytes with a reply or a typed NetError, never anything else', async () => {
    const r = (rig = new LightRig());
    pay(r);
    const valid = [encodeHeadersRequest({ from: 1n, limit: 3 }), encodeStateRequest({ paths: [accountPath(to), 'meta/chain'], height: 1n })];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(HEADERS_METHOD, STATE_METHOD),
        fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...valid).chain((v) => fc.uint8Array({ maxLength: 4 }).map((tail) => Uint8Array.from([...v.slice(0, -1), ...tail])))),
        async (method, body) => {
          expect(['ok', 'BAD_REQUEST', 'UNAVAILABLE']).toContain(await refusal(r, method, body));
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * A worker's light view of the ledger over real libp2p on loopback: one manager server (a one-manager genesis),
 * a worker host whose LedgerFollower follows the manager's final headers from the genesis and reads the channel a
 * real transaction opened — checked against the verified state root — and whose ReceiptBook takes the channel
 * from the follower's view; the settlement the book builds is final and the follower sees `paid` move. A fake
 * manager on a third host, answering the same methods with tampered records, proofs of another root or forged
 * headers, is refused; next to the honest manager, its forgeries cost nothing but a retry.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeSession, Ed25519KeyPair, encodeSessionAuthorization, sha256, utf8 } from '../../../../node/crypto/index.ts';
import {
  channelId,
  encodeReceipt,
  encodeTx,
  genesisId,
  genesisStateRoot,
  LightClient,
  signAccountTx,
  signReceipt,
} from '../../../../node/ledger/index.ts';
import { HEADERS_METHOD, STATE_METHOD, submitTx } from '../../../../node/manager/index.ts';
import { createHost, type Host } from '../../../../node/net/index.ts';
import { LedgerFollower } from '../../../../node/worker/ledger-view.ts';
import { LedgerViewError } from '../../../../node/worker/ledger-view-errors.ts';
import {
  decodeHeadersReply,
  decodeStateReply,
  decodeStateRequest,
  encodeHeadersReply,
  encodeStateReply,
  encodeStateRequest,
} from '../../../../node/worker/light-protocol.ts';
import { MemoryBookStore, ReceiptBook } from '../../../../node/worker/payments/index.ts';
import { ABC, accountKey, INVESTORS, managerAccount, managerNode, testGenesis } from '../../../support/ledger-chain.ts';
import { TestUnity } from '../../../support/manager-unity.ts';
import { eventually } from '../../../support/wait.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});


async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof LedgerViewError) return error.code;
    throw error;
  }
}

async function host(label: string): Promise<Host> {
  const h = createHost({ nodeKey: Ed25519KeyPair.fromSeed(sha256(utf8(`ledger view test ${label}`))) });
  await h.start();
  cleanup.push(() => h.stop());
  return h;
}

describe('LedgerFollower over libp2p', () => {
  it('sees a channel a real transaction opened, its settlement, and refuses a forging manager', async () => {
    const base = testGenesis();
    const genesis = { ...base, managers: [base.managers[0]!] };
    const chain = genesisId(genesis);
    const unity = new TestUnity(genesis);
    unity.client = await host('client');
    cleanup.push(() => unity.stop());
    await unity.addMember(0);
    const server = await unity.startServer(0);
    const manager = unity.host(0).peer;
    const worker = await host('worker');
    const follower = new LedgerFollower({
      rpc: worker.rpc,
      managers: [manager],
      light: LightClient.fromGenesis(genesis, genesisStateRoot(genesis)),
      pollMs: 200,
    });
    cleanup.push(() => follower.stop());
    follower.start();

    // A real channel-open: 5 ABC from the investors' account to manager 0's node.
    const client = accountKey(INVESTORS);
    const payee = managerNode(0).publicKey.bytes;
    const open = signAccountTx({ chain, kind: 'channel-open', nonce: 0n, fee: 0n, body: { currency: 'ABC', amount: 5n * ABC, payees: [payee] } }, client);
    await submitTx(unity.client.rpc, manager, encodeTx(open));
    const id = channelId(chain, client.address, 0n);
    const opened = await eventually('the channel to be final and certified', async () => {
      if (server.ledger.finalView().channel(id) === undefined) return undefined;
      await follower.sync();
      return follower.channel(id);
    });
    expect(opened).toMatchObject({ client: client.address, escrow: 5n * ABC, payees: [payee], paid: [0n], status: 'open', currency: 'ABC' });
    expect(follower.height).toBeGreaterThanOrEqual(1n);

    // The payee's receipt book reads the channel through the follower's view.
    const book = new ReceiptBook({ self: payee, store: new MemoryBookStore(), channels: follower.channelView(), now: Date.now });
    cleanup.push(() => book.close());
    const session = Ed25519KeyPair.fromSeed(sha256(utf8('ledger view session')));
    const authorization = encodeSessionAuthorization(authorizeSession(client, session.publicKey, Date.now() + 3_600_000));
    const receipt = encodeReceipt(signReceipt(session, { channel: id, payee, amount: 2n * ABC, nonce: 1n }));
    expect((await book.accept(receipt, authorization, 1_000n)).amount).toBe(2n * ABC);
    const settle = book.settleTx(id, { chain, nonce: 0n, payout: managerAccount(0) });
    await submitTx(unity.client.rpc, manager, settle);
    const paid = await eventually('the settlement to reach the follower', async () => {
      await follower.sync();
      const channel = await follower.channel(id);
      return channel?.paid[0] === 2n * ABC ? channel : undefined;
    });
    expect(paid.escrow).toBe(3n * ABC);
    // The synchronous view catches up in the background.
    await eventually('the channel view to show the payment', () => (follower.channelView()(id)?.paid[0] === 2n * ABC ? true : undefined));
    expect(book.settled(id, paid.paid[0]!)).toBe(0n);

    // A fake manager on its own host: honest headers (fetched from the manager), forged state.
    const fake = await host('fake');
    let mode: 'record' | 'root' | 'header' = 'record';
    fake.rpc.handle(HEADERS_METHOD, async (body) => {
      const reply = decodeHeadersReply(await fake.rpc.request(manager, HEADERS_METHOD, body));
      if (mode !== 'header') return encodeHeadersReply(reply);
      const headers = reply.headers.map((h) => ({ ...h, header: { ...h.header, time: h.header.time + 1n } }));
      return encodeHeadersReply({ ...reply, headers });
    });
    fake.rpc.handle(STATE_METHOD, async (body) => {
      const req = decodeStateRequest(body);
      const reply = decodeStateReply(await fake.rpc.request(manager, STATE_METHOD, body));
      if (mode === 'root') {
        // Genuine records and proofs of block 1's state (the channel just opened, nothing paid), relabelled.
        const old = decodeStateReply(await fake.rpc.request(manager, STATE_METHOD, encodeStateRequest({ paths: req.paths, height: 1n })));
        return encodeStateReply({ ...reply, records: old.records });
      }
      // One byte of each record changed (the proof left as the manager made it).
      const records = reply.records.map((r) => {
        if (r.value === undefined) return r;
        const value = Uint8Array.from(r.value);
        value[value.length - 1]! ^= 1;
        return { ...r, value };
      });
      return encodeStateReply({ ...reply, records });
    });
    const fooled = new LedgerFollower({ rpc: worker.rpc, managers: [fake.peer], light: LightClient.fromGenesis(genesis, genesisStateRoot(genesis)) });
    cleanup.push(() => fooled.stop());
    expect(await fooled.sync()).toBe(follower.height);
    expect(await codeOf(fooled.channel(id))).toBe('BAD_PROOF');
    mode = 'root';
    expect(await codeOf(fooled.channel(id))).toBe('BAD_PROOF');
    expect(fooled.stats()).toMatchObject({ cached: 0, refused: 2 });
    mode = 'header';
    const misled = new LedgerFollower({ rpc: worker.rpc, managers: [fake.peer], light: LightClient.fromGenesis(genesis, genesisStateRoot(genesis)) });
    cleanup.push(() => misled.stop());
    expect(await codeOf(misled.sync())).toBe('BAD_HEADER');
    expect(misled.height).toBe(0n);

    // Next to the honest manager the forger costs a retry, not a wrong answer.
    mode = 'root';
    const both = new LedgerFollower({ rpc: worker.rpc, managers: [manager, fake.peer], light: LightClient.fromGenesis(genesis, genesisStateRoot(genesis)) });
    cleanup.push(() => both.stop());
    await both.sync();
    expect((await both.channel(id))?.paid).toEqual([2n * ABC]);
    expect(both.stats().refused).toBe(1);
  }, 90_000);
});

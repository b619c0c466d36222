import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManagerError } from '../../../../node/manager/errors.ts';
import { fetchSnapshot, serveSnapshots, SNAPSHOT_METHOD } from '../../../../node/manager/snapshot.ts';
import { fixedLatency, SimNetwork } from '../../../../node/net/sim/index.ts';
import { openStore, type Store } from '../../../../node/store/index.ts';
import { decodeCbor, encodeCbor } from '../../../../node/wire/index.ts';
import { ABC, accountKey, RESERVE, TestChain } from '../../../support/ledger-chain.ts';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function chainWithBlocks(): TestChain {
  const chain = new TestChain();
  cleanup.push(() => chain.close());
  const from = accountKey(RESERVE);
  for (let b = 0; b < 3; b++) {
    chain.block(Array.from({ length: 5 }, (_, k) => chain.accountTx(from, 'transfer', { to: accountKey(700 + b * 5 + k).address, amount: ABC })));
  }
  return chain;
}

function emptyStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'ame-snapshot-'));
  const store = openStore(join(dir, 'state.sqlite'));
  cleanup.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

function setup(chunkEntries = 4) {
  const chain = chainWithBlocks();
  const net = new SimNetwork({ linkLatency: fixedLatency(2) });
  const server = net.addPeer('member');
  const client = net.addPeer('newcomer');
  const stop = serveSnapshots(server, chain.store, (peer) => peer === 'newcomer', { chunkEntries });
  cleanup.push(stop);
  const drive = async <T>(p: Promise<T>): Promise<T> => {
    let settled = false;
    void p.finally(() => (settled = true)).catch(() => undefined);
    while (!settled) await net.clock.advance(10);
    return p;
  };
  return { chain, net, server, client, drive };
}

describe('state snapshots', () => {
  it('copies the final state in chunks into an empty store, with the same root and height', async () => {
    const { chain, client, server, drive } = setup(4);
    const into = emptyStore();
    const seen: [bigint, Uint8Array][] = [];
    const info = await drive(fetchSnapshot(client, server.self, into, (h, r) => void seen.push([h, r])));
    const head = chain.ledger.finalView().chain();
    expect(info.height).toBe(head.height);
    expect(info.height).toBe(3n);
    expect(info.root).toEqual(chain.store.root(chain.store.head()));
    expect(seen).toEqual([[3n, info.root]]);
    const original = [...chain.store.scan()];
    expect(info.entries).toBe(original.length);
    expect(info.entries).toBeGreaterThan(8); // several chunks of 4
    expect([...into.scan()]).toEqual(original);
  });

  it('keeps serving the version it pinned while the member applies more blocks', async () => {
    const { chain, client, server, net } = setup(4);
    const into = emptyStore();
    const before = chain.store.root(chain.store.head());
    const p = fetchSnapshot(client, server.self, into, () => undefined);
    await net.clock.advance(5); // the first chunk is out
    chain.block([chain.accountTx(accountKey(RESERVE), 'transfer', { to: accountKey(900).address, amount: ABC })]);
    let done = false;
    void p.finally(() => (done = true)).catch(() => undefined);
    while (!done) await net.clock.advance(10);
    expect((await p).root).toEqual(before);
    expect((await p).height).toBe(3n);
  });

  it('stops before writing when the expected root is refused, and refuses non-members and non-empty stores', async () => {
    const { client, server, drive, net } = setup();
    const into = emptyStore();
    const refused = await drive(
      fetchSnapshot(client, server.self, into, () => {
        throw new ManagerError('SYNC_FAILED', 'not the certified root');
      }).catch((e: unknown) => e),
    );
    expect((refused as ManagerError).code).toBe('SYNC_FAILED');
    expect([...into.scan()]).toHaveLength(0);
    into.commit([{ key: new Uint8Array(32).fill(1), baseVersion: 0, value: Uint8Array.of(1) }]);
    await expect(fetchSnapshot(client, server.self, into, () => undefined)).rejects.toMatchObject({ code: 'BAD_CONFIG' });
    const stranger = net.addPeer('stranger');
    const denied = await drive(stranger.request(server.self, SNAPSHOT_METHOD, encodeCbor({})).catch((e: unknown) => e));
    expect((denied as { code: string }).code).toBe('UNAUTHORIZED');
  });

  it('refuses a member that serves a changed value, reordered keys or junk (BAD_SNAPSHOT)', async () => {
    const chain = chainWithBlocks();
    type Tamper = (chunk: { entries: Uint8Array[][] }, n: number) => void;
    const tampers: Record<string, Tamper | 'junk'> = {
      'a changed value': (c, n) => {
        if (n === 1) c.entries[0]![1] = Uint8Array.of(...c.entries[0]![1]!, 0);
      },
      'reordered keys': (c) => c.entries.reverse(),
      'a dropped entry': (c, n) => {
        if (n === 1) c.entries.shift();
      },
      junk: 'junk',
    };
    for (const [what, tamper] of Object.entries(tampers)) {
      const net = new SimNetwork({ linkLatency: fixedLatency(2) });
      const liar = net.addPeer('liar');
      const client = net.addPeer('newcomer');
      // The liar runs the real server on a private peer and alters what it relays.
      const honest = net.addPeer('honest');
      serveSnapshots(honest, chain.store, () => true, { chunkEntries: 4 });
      let n = 0;
      liar.handle(SNAPSHOT_METHOD, async (body) => {
        const reply = await liar.request(honest.self, SNAPSHOT_METHOD, body);
        if (tamper === 'junk') return Uint8Array.of(0xff, 0x00);
        const chunk = decodeCbor(reply) as { entries: Uint8Array[][] };
        tamper(chunk, n++);
        return encodeCbor(chunk as never);
      });
      const into = emptyStore();
      const p = fetchSnapshot(client, liar.self, into, () => undefined).catch((e: unknown) => e);
      let settled = false;
      void p.finally(() => (settled = true));
      while (!settled) await net.clock.advance(10);
      const error = await p;
      expect(error, what).toBeInstanceOf(ManagerError);
      expect((error as ManagerError).code, what).toBe('BAD_SNAPSHOT');
    }
  });
});

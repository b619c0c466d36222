import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../../../node/crypto/index.ts';
import {
  accountPath,
  decodeGenesis,
  decodeHeader,
  encodeTx,
  genesisId,
  headerHash,
  genesisStateRoot,
  LightClient,
  stateKey,
  txHash,
} from '../../../../../node/ledger/index.ts';
import { ManagerError } from '../../../../../node/manager/errors.ts';
import { decodeProof, verifyProof } from '../../../../../node/store/index.ts';
import { ABC, accountKey, INVESTORS, RESERVE } from '../../../../support/ledger-chain.ts';
import { type ExplorerFixture, rejected, startExplorer } from './fixture.ts';

type Body = Record<string, unknown>;

let fx: ExplorerFixture;
const alice = accountKey(800).address;
let firstTx: Uint8Array;
let failingTx: Uint8Array;
const pendingHash = new Uint8Array(32).fill(7);

beforeAll(async () => {
  fx = await startExplorer({ roles: [{ index: 0, role: 'intake', peerId: 'peer-0' }] });
  firstTx = encodeTx(fx.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: alice, amount: 3n * ABC }));
  failingTx = encodeTx(fx.chain.accountTx(accountKey(RESERVE), 'transfer', { to: alice, amount: 900_000n * ABC }));
  fx.mine([firstTx, failingTx]); // 1
  fx.mine([]); // 2
  fx.mine([fx.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: alice, amount: 4n * ABC })]); // 3
});
afterAll(() => fx.close());

async function get(path: string): Promise<{ status: number; body: Body; headers: Headers }> {
  const res = await fetch(`${fx.url}${path}`);
  return { status: res.status, body: (await res.json()) as Body, headers: res.headers };
}

async function post(body: string | Uint8Array, type?: string): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${fx.url}/api/txs`, { method: 'POST', body, headers: type === undefined ? {} : { 'content-type': type } });
  return { status: res.status, body: (await res.json()) as Body };
}

describe('explorer API: reads', () => {
  it('serves the head with a CORS header, and the genesis a wallet can hash itself', async () => {
    const head = await get('/api/head');
    expect(head.status).toBe(200);
    expect(head.headers.get('access-control-allow-origin')).toBe('*');
    expect(head.body).toMatchObject({ height: '3', hash: toHex(fx.blocks.head().hash), chainId: toHex(fx.chain.chainId), certified: true });
    const genesis = await get('/api/genesis');
    const config = decodeGenesis(fromHex(genesis.body['encoding'] as string));
    expect(toHex(genesisId(config))).toBe(genesis.body['id']);
    expect(genesis.body['stateRoot']).toBe(toHex(genesisStateRoot(config)));
  });

  it('lists blocks newest first, or ascending, within bounds', async () => {
    const list = await get('/api/blocks');
    expect((list.body['blocks'] as Body[]).map((b) => b['height'])).toEqual(['3', '2', '1']);
    const two = await get('/api/blocks?from=2&limit=1');
    expect((two.body['blocks'] as Body[]).map((b) => b['height'])).toEqual(['2']);
    const asc = await get('/api/blocks?order=asc&from=2&limit=5');
    expect((asc.body['blocks'] as Body[]).map((b) => b['height'])).toEqual(['2', '3']);
    expect((await get('/api/blocks?limit=0')).body['code']).toBe('BAD_RANGE');
    expect((await get('/api/blocks?limit=101')).status).toBe(400);
    expect((await get('/api/blocks?from=-1')).body['code']).toBe('BAD_HEIGHT');
    expect((await get('/api/blocks?order=sideways')).body['code']).toBe('BAD_REQUEST');
  });

  it('serves a block by height and by hash, with its transactions and their outcomes', async () => {
    const one = await get('/api/blocks/1');
    expect(one.status).toBe(200);
    const hash = toHex(fx.blocks.block(1n)!.hash);
    expect(one.body).toMatchObject({ height: '1', hash });
    expect((one.body['certificate'] as unknown[]).length).toBe(6);
    const txs = one.body['txs'] as Body[];
    expect(txs.map((t) => [t['hash'], t['ok'], t['code'], t['kind']])).toEqual([
      [toHex(txHash(firstTx)), true, null, 'transfer'],
      [toHex(txHash(failingTx)), false, 'INSUFFICIENT_FUNDS', 'transfer'],
    ]);
    expect((await get(`/api/blocks/${hash.toUpperCase()}`)).body['height']).toBe('1');
    for (const [path, status, code] of [
      ['/api/blocks/4', 404, 'NOT_FOUND'],
      ['/api/blocks/0', 404, 'NOT_FOUND'],
      ['/api/blocks/-1', 400, 'BAD_HEIGHT'],
      ['/api/blocks/01', 400, 'BAD_HEIGHT'],
      ['/api/blocks/abc', 400, 'BAD_HEIGHT'],
      ['/api/blocks/99999999999999999999', 400, 'BAD_HEIGHT'],
      ['/api/blocks/18446744073709551615', 404, 'NOT_FOUND'],
      [`/api/blocks/${'0'.repeat(64)}`, 404, 'NOT_FOUND'],
    ] as const) {
      const r = await get(path);
      expect([path, r.status, r.body['code']]).toEqual([path, status, code]);
    }
  });

  it('serves transactions: final with their outcome, pending from the mempool, else 404', async () => {
    const ok = await get(`/api/txs/${toHex(txHash(firstTx))}`);
    expect(ok.body).toMatchObject({ status: 'final', height: '1', index: 0, ok: true, code: null, kind: 'transfer', nonce: '0' });
    expect(ok.body['body']).toEqual({ to: alice, amount: (3n * ABC).toString() });
    expect(ok.body['signer']).toBe(accountKey(INVESTORS).address);
    const failed = await get(`/api/txs/${toHex(txHash(failingTx))}`);
    expect(failed.body).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS', index: 1 });
    expect((await get(`/api/txs/${'ab'.repeat(32)}`)).status).toBe(404);
    expect((await get('/api/txs/xyz')).body['code']).toBe('BAD_HASH');
    expect((await get('/api/txs')).status).toBe(404);
    expect((await get(`/api/txs/${toHex(pendingHash)}`)).status).toBe(404);
  });

  it('serves an account with a proof against the state root of the height asked for', async () => {
    const now = await get(`/api/accounts/${alice}`);
    expect(now.body).toMatchObject({ address: alice, height: '3', balance: (7n * ABC).toString(), nonce: '0' });
    const root = fromHex(now.body['root'] as string);
    expect(root).toEqual(fx.blocks.block(3n)!.header.stateRoot);
    const proven = verifyProof(root, stateKey(accountPath(alice)), fromHex(now.body['proof'] as string));
    expect(proven.found).toBe(true);

    const past = await get(`/api/accounts/${alice}?height=1`);
    expect(past.body).toMatchObject({ height: '1', balance: (3n * ABC).toString() });
    expect(fromHex(past.body['root'] as string)).toEqual(fx.blocks.block(1n)!.header.stateRoot);

    const genesis = await get(`/api/accounts/${alice}?height=0`);
    expect(genesis.status).toBe(404);
    expect(genesis.body).toMatchObject({ code: 'UNKNOWN_ACCOUNT', height: '0', root: toHex(genesisStateRoot(fx.chain.genesis)) });
    const absence = verifyProof(fromHex(genesis.body['root'] as string), stateKey(accountPath(alice)), decodeProof(fromHex(genesis.body['proof'] as string)));
    expect(absence.found).toBe(false);

    const stranger = await get(`/api/accounts/${accountKey(801).address}`);
    expect(stranger.body).toMatchObject({ code: 'UNKNOWN_ACCOUNT', height: '3' });
    expect((await get('/api/accounts/not-an-address')).body['code']).toBe('BAD_ADDRESS');
    expect((await get(`/api/accounts/${alice}?height=4`)).body['code']).toBe('NOT_FOUND');
    expect((await get(`/api/accounts/${alice}?height=x`)).body['code']).toBe('BAD_HEIGHT');
  });

  it('lists the accounts with the most ABC first, each as its own endpoint shows it, within bounds', async () => {
    const all = await get('/api/accounts?limit=100');
    expect(all.status).toBe(200);
    const accounts = all.body['accounts'] as { address: string; abc: string; spendable: string; abit: string }[];
    expect(all.body['count']).toBe(accounts.length);
    expect(accounts.map((a) => a.address)).toContain(alice);
    const balances = accounts.map((a) => BigInt(a.abc));
    expect(balances).toEqual([...balances].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    const one = await get(`/api/accounts/${alice}`);
    expect(accounts.find((a) => a.address === alice)).toEqual({ address: alice, abc: one.body['balance'], spendable: one.body['spendable'], abit: one.body['abit'], nonce: one.body['nonce'], bad: false });
    expect(accounts.find((a) => a.address === alice)!.abc).toBe((7n * ABC).toString());
    const top = await get('/api/accounts?limit=2');
    expect(top.body['accounts']).toEqual(accounts.slice(0, 2));
    expect(top.body['count']).toBe(accounts.length);
    expect((await get('/api/accounts')).body['accounts']).toEqual(accounts.slice(0, 20));
    for (const bad of ['0', '101', 'x']) expect((await get(`/api/accounts?limit=${bad}`)).status).toBe(400);
  });

  it('serves headers with certificates that a light client follows', async () => {
    const page = await get('/api/headers?from=1&to=3');
    const entries = page.body['headers'] as Body[];
    expect(entries.map((e) => e['height'])).toEqual(['1', '2', '3']);
    const light = LightClient.fromGenesis(fx.chain.genesis, genesisStateRoot(fx.chain.genesis));
    for (const e of entries) {
      const header = decodeHeader(fromHex(e['header'] as string));
      expect(toHex(headerHash(header))).toBe(e['hash']);
      const certificate = (e['certificate'] as Body[]).map((c) => ({ member: fromHex(c['member'] as string), sig: fromHex(c['sig'] as string) }));
      light.follow(header, certificate);
    }
    expect(light.height).toBe(3n);
    expect((await get('/api/headers?from=2')).body['headers']).toHaveLength(2);
    expect((await get('/api/headers?from=9')).body['headers']).toEqual([]);
    expect((await get('/api/headers?from=3&to=2')).body['code']).toBe('BAD_RANGE');
    expect((await get('/api/headers?from=0')).body['code']).toBe('BAD_RANGE');
  });

  it('serves the nodes, the ring record and the roles', async () => {
    const nodes = (await get('/api/nodes')).body['nodes'] as Body[];
    expect(nodes).toHaveLength(6);
    expect(nodes.every((n) => n['role'] === 'manager')).toBe(true);
    const ring = await get('/api/ring');
    expect(ring.body).toMatchObject({ epoch: '0', root: '00'.repeat(32) });
    expect(ring.body['managers']).toHaveLength(6);
    expect((await get('/api/roles')).body).toEqual({ roles: [{ index: 0, role: 'intake', peerId: 'peer-0' }] });
  });

  it('refuses unknown routes and methods with JSON', async () => {
    expect((await get('/api/nothing')).body['code']).toBe('NOT_FOUND');
    expect((await get('/api/head/extra')).body['code']).toBe('NOT_FOUND');
    expect((await get('/nothing')).status).toBe(404); // GET / is the network page (ring-map.test.ts)
    expect((await get('/api/blocks/%zz')).body['code']).toBe('BAD_REQUEST');
    const put = await fetch(`${fx.url}/api/head`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const options = await fetch(`${fx.url}/api/head`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('access-control-allow-methods')).toContain('GET');
  });
});

describe('explorer API: submitting', () => {
  it('takes hex, raw bytes or JSON, and answers with the hash', async () => {
    const tx = encodeTx(fx.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: alice, amount: 1n }));
    const hash = toHex(txHash(tx));
    expect(await post(`  0x${toHex(tx)}\n`)).toEqual({ status: 200, body: { hash } });
    expect(await post(tx, 'application/octet-stream')).toEqual({ status: 200, body: { hash } });
    expect(await post(JSON.stringify({ tx: toHex(tx) }), 'application/json')).toEqual({ status: 200, body: { hash } });
    expect(fx.submitted.at(-1)).toEqual(tx);
  });

  it('refuses bad bodies and relays refusals with their code and reason', async () => {
    expect((await post('')).body['code']).toBe('BAD_REQUEST');
    expect((await post('abc')).body['code']).toBe('BAD_HEX');
    expect((await post('zz')).body['code']).toBe('BAD_HEX');
    expect((await post('{"tx": 1}', 'application/json')).body['code']).toBe('BAD_REQUEST');
    expect((await post('{', 'application/json')).body['code']).toBe('BAD_REQUEST');
    expect((await post('00', 'image/png')).status).toBe(415);
    const big = await post('00'.repeat(100 * 1024));
    expect(big).toMatchObject({ status: 413, body: { code: 'TOO_LARGE' } });
    fx.refuse = rejected('BAD_NONCE');
    expect(await post('a1')).toMatchObject({ status: 400, body: { code: 'REJECTED', reason: 'BAD_NONCE' } });
    fx.refuse = new ManagerError('DUPLICATE', 'already pooled');
    expect(await post('a1')).toMatchObject({ status: 409, body: { code: 'DUPLICATE' } });
    fx.refuse = new ManagerError('MEMPOOL_FULL', 'full');
    expect(await post('a1')).toMatchObject({ status: 429, body: { code: 'MEMPOOL_FULL' } });
    fx.refuse = undefined;
  });

  it('shows a submitted transaction as pending until a final block holds it', async () => {
    const mining = await startExplorer({ autoMineMs: 400 });
    try {
      const tx = encodeTx(mining.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: alice, amount: 2n }));
      const hash = toHex(txHash(tx));
      const res = await fetch(`${mining.url}/api/txs`, { method: 'POST', body: toHex(tx) });
      expect(res.status).toBe(200);
      const pending = await (await fetch(`${mining.url}/api/txs/${hash}`)).json();
      expect(pending).toEqual({ hash, status: 'pending' });
      let final: Record<string, unknown> = pending as Record<string, unknown>;
      for (let tries = 0; final['status'] === 'pending' && tries < 100; tries++) {
        await new Promise((r) => setTimeout(r, 100));
        final = (await (await fetch(`${mining.url}/api/txs/${hash}`)).json()) as Record<string, unknown>;
      }
      expect(final).toMatchObject({ hash, status: 'final', height: '1', ok: true });
      expect(mining.mineErrors).toEqual([]);
    } finally {
      await mining.close();
    }
  });

  it('marks a block certified once its certificate is attached later', async () => {
    const applied = fx.chain.block([]);
    fx.blocks.append({ ...applied.block, certificate: [] }, applied.result);
    expect((await get('/api/head')).body).toMatchObject({ height: '4', certified: false });
    const headers = (await get('/api/headers?from=4')).body['headers'] as Body[];
    expect(headers[0]!['certificate']).toEqual([]);
    fx.blocks.setCertificate(4n, applied.block.certificate);
    expect((await get('/api/head')).body).toMatchObject({ height: '4', certified: true });
  });
});

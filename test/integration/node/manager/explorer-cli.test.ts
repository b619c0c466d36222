/**
 * `ame chain` and `ame wallet balance|transfer`, run in-process through cli/main.ts against the explorer API
 * served over a real ledger whose blocks carry real certificates — and against APIs that lie: a forged
 * certificate, a changed header under a genuine certificate, a proof of an older state, another chain.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeKeystore, sha256, toHex, utf8, Wallet, writeKeystoreFile } from '../../../../node/crypto/index.ts';
import { encodeTx, txHash } from '../../../../node/ledger/index.ts';
import type { ExplorerSource } from '../../../../node/manager/explorer/index.ts';
import {
  ABC,
  accountKey,
  INVESTORS,
  MANAGER_COUNT,
  managerAccount,
  managerEntry,
  managerNode,
  nodeKey,
} from '../../../support/ledger-chain.ts';
import { ameInProcess } from '../../../support/cli-in-process.ts';
import { type ExplorerFixture, type FixtureOptions, rejected, startExplorer } from '../../../unit/node/manager/explorer/fixture.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const ame = (args: string[], env: Record<string, string> = {}): Promise<Run> => ameInProcess(args, { env });

/** A plain (unencrypted) ECDSA wallet file in a fresh folder, and its address. */
async function walletFile(name: string): Promise<{ path: string; address: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ame-explorer-cli-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const w = Wallet.fromEntropy(sha256(utf8(`explorer cli wallet ${name}`)), 'ecdsa');
  const path = join(dir, 'wallet.json');
  writeKeystoreFile(path, await encodeKeystore(w, { phraseShown: true }, Date.now()));
  return { path, address: w.account.address };
}

async function explorer(options: FixtureOptions = {}): Promise<ExplorerFixture> {
  const fx = await startExplorer(options);
  cleanups.push(() => fx.close());
  return fx;
}

/** Three certified blocks; the wallet receives 5 ABC in block 2. */
function fund(fx: ExplorerFixture, address: string): void {
  fx.mine([]);
  fx.mine([fx.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: address, amount: 5n * ABC })]);
  fx.mine([]);
}

describe('ame chain', () => {
  it('shows the head, a block and a transaction, in words and as JSON', async () => {
    const fx = await explorer();
    const tx = encodeTx(fx.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: accountKey(820).address, amount: 2n * ABC }));
    fx.mine([tx]);
    const head = await ame(['chain', 'head', '--manager', fx.url]);
    expect(head.code, head.stderr).toBe(0);
    expect(head.stdout).toMatch(/^height\s+1$/m);
    expect(head.stdout).toContain(toHex(fx.blocks.head().hash));
    const json = await ame(['chain', 'head', '--json'], { AME_MANAGER: fx.url });
    expect(JSON.parse(json.stdout)).toMatchObject({ height: '1', certified: true });
    const block = await ame(['chain', 'block', '1', '--manager', fx.url]);
    expect(block.stdout).toMatch(/certificate\s+6 signatures/);
    expect(block.stdout).toContain(`${toHex(txHash(tx))}  transfer       ok`);
    const shown = await ame(['chain', 'tx', toHex(txHash(tx)), '--manager', fx.url]);
    expect(shown.stdout).toMatch(/status\s+final, block 1 \(index 0\)/);
    expect(shown.stdout).toMatch(/body\.amount\s+2 ABC/);
    const missing = await ame(['chain', 'block', '9', '--manager', fx.url]);
    expect(missing).toMatchObject({ code: 1, stderr: 'ame: no block 9\n' });
    const usage = await ame(['chain', 'tx', '--manager', fx.url]);
    expect(usage.code).toBe(2);
    const down = await ame(['chain', 'head', '--manager', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^ame: no answer from http:\/\/127\.0\.0\.1:9/);
  });
});

describe('ame wallet balance (light client)', () => {
  it('verifies the balance against the last certified block and pins the chain on first use', async () => {
    const fx = await explorer();
    const wallet = await walletFile('balance');
    fund(fx, wallet.address);
    const first = await ame(['wallet', 'balance', wallet.path, '--manager', fx.url]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('balance   5 ABC\n');
    expect(first.stdout).toContain(`verified against final block 3 (state root ${toHex(fx.blocks.block(3n)!.header.stateRoot)})`);
    expect(first.stderr).toContain(`trusting chain ${toHex(fx.chain.chainId)} (ame-test)`);
    const pin = JSON.parse(readFileSync(`${wallet.path}.chain.json`, 'utf8')) as Record<string, string>;
    expect(pin['chainId']).toBe(toHex(fx.chain.chainId));

    // A block without its certificate yet: the balance is verified against the block below it.
    const applied = fx.chain.block([fx.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: wallet.address, amount: ABC })]);
    fx.blocks.append({ ...applied.block, certificate: [] }, applied.result);
    const second = await ame(['wallet', 'balance', wallet.path, '--json', '--manager', fx.url]);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ balance: (5n * ABC).toString(), verifiedHeight: '3', headHeight: '4', exists: true });
    expect(second.stderr).not.toContain('trusting');
    fx.blocks.setCertificate(4n, applied.block.certificate);
    const third = await ame(['wallet', 'balance', wallet.path, '--json', '--manager', fx.url]);
    expect(JSON.parse(third.stdout)).toMatchObject({ balance: (6n * ABC).toString(), verifiedHeight: '4' });
  });

  it('proves an account absent when nothing was ever paid to it', async () => {
    const fx = await explorer();
    fx.mine([]);
    const wallet = await walletFile('empty');
    const run = await ame(['wallet', 'balance', wallet.path, '--manager', fx.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('balance   0 ABC (no account yet: proven absent)');
    expect(run.stdout).toContain('verified against final block 1');
  });

  it('refuses a chain other than the pinned one', async () => {
    const fx = await explorer();
    const wallet = await walletFile('pinned');
    const other = toHex(sha256(utf8('another chain')));
    const explicit = await ame(['wallet', 'balance', wallet.path, '--chain', other, '--manager', fx.url]);
    expect(explicit.code).toBe(1);
    expect(explicit.stderr).toContain(`serves chain ${toHex(fx.chain.chainId)} (ame-test), not the pinned ${other}`);
    expect(existsSync(`${wallet.path}.chain.json`)).toBe(false);
    writeFileSync(`${wallet.path}.chain.json`, JSON.stringify({ chainId: other }));
    const filed = await ame(['wallet', 'balance', wallet.path, '--manager', fx.url]);
    expect(filed.code).toBe(1);
    expect(filed.stderr).toContain(`not the pinned ${other}`);
  });

  it('refuses a header whose certificate is forged', async () => {
    const wallet = await walletFile('forged');
    const fx = await explorer({
      wrap: (honest): ExplorerSource => ({
        ...honest,
        headers: (from, to) =>
          honest.headers(from, to).map((entry) => {
            if (entry.height !== 2n) return entry;
            const [first, ...others] = entry.certificate;
            const sig = Uint8Array.from(first!.sig);
            sig[0]! ^= 1;
            return { ...entry, certificate: [{ member: first!.member, sig }, ...others] };
          }),
      }),
    });
    fund(fx, wallet.address);
    const run = await ame(['wallet', 'balance', wallet.path, '--manager', fx.url]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('light client refused block 2');
    expect(run.stderr).toContain('(BAD_CERTIFICATE): certificate[0]: signature does not verify');
  });

  it('refuses a changed header under a genuine certificate', async () => {
    const wallet = await walletFile('changed');
    const fx = await explorer({
      wrap: (honest): ExplorerSource => ({
        ...honest,
        headers: (from, to) =>
          honest.headers(from, to).map((entry) =>
            entry.height === 3n ? { ...entry, header: { ...entry.header, stateRoot: sha256(utf8('a richer state')) } } : entry,
          ),
      }),
    });
    fund(fx, wallet.address);
    const run = await ame(['wallet', 'balance', wallet.path, '--manager', fx.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/light client refused block 3 .*\(BAD_CERTIFICATE\)/);
  });

  it('refuses a balance proof against another state root than the verified one', async () => {
    const wallet = await walletFile('old-proof');
    const fx = await explorer({
      // A genuine proof, of the state after block 2, served as the state of whatever height was asked for.
      wrap: (honest): ExplorerSource => ({ ...honest, account: (address, height) => ({ ...honest.account(address, 2n), height: height ?? 3n }) }),
    });
    fund(fx, wallet.address);
    fx.mine([fx.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: wallet.address, amount: 7n * ABC })]);
    const run = await ame(['wallet', 'balance', wallet.path, '--manager', fx.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`light client refused the balance proof of ${wallet.address} against block 4`);
    expect(run.stderr).toContain('(BAD_PROOF)');
  });
});

describe('ame wallet balance across a change of the manager set', () => {
  const genesisNodes = Array.from({ length: MANAGER_COUNT }, (_, i) => managerNode(i));
  const next = [...[0, 1, 2, 3].map((i) => managerEntry(managerNode(i), managerAccount(i))), managerEntry(nodeKey(300), accountKey(300)), managerEntry(nodeKey(301), accountKey(301))];

  /** Block 2 installs a new set (5 of 6 sign); blocks 3 and 4 are certified by the new set; the wallet is paid in 4. */
  function reconfigure(fx: ExplorerFixture, address: string): void {
    fx.mine([]);
    fx.mine([fx.chain.managersReconfigure(next, genesisNodes.slice(0, 5))]);
    fx.chain.certifiers = [...genesisNodes.slice(0, 4), nodeKey(300), nodeKey(301)];
    fx.mine([]);
    fx.mine([fx.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: address, amount: 3n * ABC })]);
  }

  it('follows the new set with the managers proof the headers carry', async () => {
    const fx = await explorer();
    const wallet = await walletFile('reconfigured');
    reconfigure(fx, wallet.address);
    const entries = fx.source.headers(1n, 4n);
    expect(entries.map((e) => e.managersProof !== undefined)).toEqual([false, true, false, false]);
    const run = await ame(['wallet', 'balance', wallet.path, '--manager', fx.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('balance   3 ABC\n');
    expect(run.stdout).toContain('verified against final block 4');
  });

  it('refuses the certificates of the new set when the API leaves out the managers proof', async () => {
    const wallet = await walletFile('no-proof');
    const fx = await explorer({
      wrap: (honest): ExplorerSource => ({
        ...honest,
        headers: (from, to) => honest.headers(from, to).map(({ managersProof: _p, txs: _t, ...entry }) => entry),
      }),
    });
    reconfigure(fx, wallet.address);
    const run = await ame(['wallet', 'balance', wallet.path, '--manager', fx.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/light client refused block 3 .*\(BAD_CERTIFICATE\): certificate\[4\]: signer is not in the manager set/);
  });
});

describe('ame wallet transfer', () => {
  it('signs, submits, waits for the final block and reports its height', async () => {
    const fx = await explorer({ autoMineMs: 300 });
    const wallet = await walletFile('sender');
    fund(fx, wallet.address);
    const to = accountKey(830).address;
    const run = await ame(['wallet', 'transfer', to, '1.5', '--wallet', wallet.path, '--manager', fx.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(fx.mineErrors).toEqual([]);
    const hash = toHex(txHash(fx.submitted[0]!));
    expect(run.stdout).toBe(`transaction ${hash}\nincluded in final block 4\n`);
    expect(fx.chain.ledger.finalView().account(to).abc).toBe(1_500_000n);
    const second = await ame(['wallet', 'transfer', to, '250000 a', '--wallet', wallet.path, '--manager', fx.url, '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ height: '5', ok: true, code: null });
    expect(fx.chain.ledger.finalView().account(wallet.address).nonce).toBe(2n);
  });

  it('reports bad arguments, refusals and a transfer that failed in its block', async () => {
    const fx = await explorer({ autoMineMs: 50 });
    const wallet = await walletFile('poor');
    fx.mine([]);
    const to = accountKey(831).address;
    const bare = await ame(['wallet', 'transfer', 'nobody', '1', '--wallet', wallet.path, '--manager', fx.url]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('not an address: nobody');
    expect((await ame(['wallet', 'transfer', to, '1 ABIT', '--wallet', wallet.path, '--manager', fx.url])).stderr).toContain('paid in ABC, not ABIT');

    // Admitted (the demo fee is 0, so it can pay), applied, and failed: the wallet holds nothing.
    const failed = await ame(['wallet', 'transfer', to, '1', '--wallet', wallet.path, '--manager', fx.url]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/included in final block 2\n$/);
    expect(failed.stderr).toContain('ame: the transfer failed in block 2: INSUFFICIENT_FUNDS');

    fx.refuse = rejected('BAD_NONCE');
    const refused = await ame(['wallet', 'transfer', to, '1', '--wallet', wallet.path, '--manager', fx.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused: REJECTED\/BAD_NONCE: BAD_NONCE: refused by the test/);
  });

  it('gives up after --wait seconds when the transaction is not final', async () => {
    const fx = await explorer();
    const wallet = await walletFile('patient');
    const late = await ame(['wallet', 'transfer', accountKey(832).address, '1', '--wallet', wallet.path, '--manager', fx.url, '--wait', '1']);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/was not in a final block within 1 s; look later: ame chain tx [0-9a-f]{64}/);
    expect(fx.submitted).toHaveLength(1);
  });
});

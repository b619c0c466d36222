/**
 * `ame manager run` as a real process: a one-manager chain whose investors' account is a wallet of the test, the
 * explorer API on a free port, `ame chain` / `ame wallet transfer|balance` against it, and a clean stop on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeKeystore, peerIdOf, sha256, toHex, utf8, Wallet, writeKeystoreFile } from '../../../node/crypto/index.ts';
import { encodeGenesis, type GenesisConfig, genesisId } from '../../../node/ledger/index.ts';
import { repoRoot, runAme } from '../../support/cli.ts';
import { accountKey, managerAccount, managerNode, testGenesis } from '../../support/ledger-chain.ts';

const mainTs = join(repoRoot, 'cli/main.ts');
let dir: string;
let walletPath: string;
let investor: string;
let genesis: GenesisConfig;
/** The first run's transfer and the block that holds it (the second run resumes that chain). */
let firstRun: { hash: string; height: string } | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ame-manager-run-'));
  const wallet = Wallet.fromEntropy(sha256(utf8('manager run wallet')), 'ecdsa');
  investor = wallet.account.address;
  walletPath = join(dir, 'wallet.json');
  writeKeystoreFile(walletPath, await encodeKeystore(wallet, { phraseShown: true }, Date.now()));
  const base = testGenesis();
  genesis = {
    ...base,
    chainName: 'ame-e2e',
    accounts: { ...base.accounts, investors: investor },
    managers: [{ key: managerNode(0).publicKey.bytes, account: managerAccount(0).address }],
  };
  writeFileSync(join(dir, 'genesis.cbor'), encodeGenesis(genesis));
  writeFileSync(join(dir, 'node.key'), `${toHex(managerNode(0).seed())}\n`, { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, overrides: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.json`);
  const peers = [{ id: peerIdOf(managerNode(0)), addrs: [] }];
  const body = { genesis: 'genesis.cbor', nodeKey: 'node.key', index: 0, peers, dataDir: `data-${name}`, http: { port: 0 }, logLevel: 'warn', ...overrides };
  writeFileSync(path, JSON.stringify(body));
  return path;
}

/** Starts `ame manager run`; resolves with the process and its explorer URL once it printed "ready". */
function start(configPath: string): Promise<{ proc: ChildProcess; url: string; out: () => string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [mainTs, 'manager', 'run', '--config', configPath], {
      cwd: dir,
      env: { PATH: process.env['PATH'], HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`not ready in 90 s: ${out} ${err}`));
    }, 90_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /^explorer (\S+)$/m.exec(out)?.[1];
      if (url !== undefined && /^ready$/m.test(out)) {
        clearTimeout(timer);
        resolve({ proc, url, out: () => out });
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready: ${out} ${err}`));
    });
  });
}

function stopped(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) resolve(proc.exitCode);
    else proc.once('exit', (code) => resolve(code));
  });
}

describe('ame manager run', () => {
  it('runs a manager with its explorer: transfers become final, the wallet reads them, SIGTERM stops it', async () => {
    const { proc, url, out } = await start(config('one'));
    try {
      const head = await runAme(['chain', 'head', '--json', '--manager', url]);
      expect(head.code, head.stderr).toBe(0);
      expect(JSON.parse(head.stdout)).toMatchObject({ height: '0', kind: 'genesis' });
      const roles = (await (await fetch(`${url}/api/roles`)).json()) as { roles: { holder: number }[] };
      expect(roles.roles.length).toBeGreaterThan(0);
      expect(roles.roles.every((r) => r.holder === 0)).toBe(true);

      const to = accountKey(840).address;
      const sent = await runAme(['wallet', 'transfer', to, '2.5', '--wallet', walletPath, '--manager', url, '--wait', '60']);
      expect(sent.code, sent.stderr).toBe(0);
      const [, hash, height] = /^transaction ([0-9a-f]{64})\nincluded in final block (\d+)\n$/.exec(sent.stdout) ?? [];
      expect(hash).toBeDefined();
      firstRun = { hash: hash!, height: height! };

      const tx = await runAme(['chain', 'tx', hash!, '--json', '--manager', url]);
      expect(JSON.parse(tx.stdout)).toMatchObject({ status: 'final', height, ok: true, signer: investor });
      const block = await runAme(['chain', 'block', height!, '--json', '--manager', url]);
      expect((JSON.parse(block.stdout) as { txs: { hash: string }[] }).txs.map((t) => t.hash)).toContain(hash);

      // The server gathers the block's ledger certificate after applying it; the explorer attaches it.
      let head2: { height: string; certified: boolean } = { height: '0', certified: false };
      for (let i = 0; i < 100 && !(head2.certified && head2.height === height); i++) {
        await new Promise((r) => setTimeout(r, 200));
        head2 = (await (await fetch(`${url}/api/head`)).json()) as typeof head2;
      }
      expect(head2).toMatchObject({ height, certified: true });
      const balance = await runAme(['wallet', 'balance', walletPath, '--json', '--manager', url]);
      expect(balance.code, balance.stderr).toBe(0);
      expect(JSON.parse(balance.stdout)).toMatchObject({
        balance: (200_000_000_000n - 2_500_000n).toString(),
        verifiedHeight: height,
        chainId: toHex(genesisId(genesis)),
      });
    } finally {
      proc.kill('SIGTERM');
    }
    expect(await stopped(proc)).toBe(0);
    expect(out()).toMatch(/stopping\nstopped\n$/);
  });

  it('resumes its chain when started again on the same data folder', async () => {
    expect(firstRun, 'the first test ran').toBeDefined();
    const { proc, url } = await start(config('one'));
    try {
      const head = (await (await fetch(`${url}/api/head`)).json()) as { height: string };
      expect(BigInt(head.height)).toBeGreaterThanOrEqual(BigInt(firstRun!.height));
      const tx = await runAme(['chain', 'tx', firstRun!.hash, '--json', '--manager', url]);
      expect(JSON.parse(tx.stdout)).toMatchObject({ status: 'final', height: firstRun!.height, ok: true });
      const balance = await runAme(['wallet', 'balance', walletPath, '--json', '--manager', url]);
      expect(balance.code, balance.stderr).toBe(0);
      expect(JSON.parse(balance.stdout)).toMatchObject({ balance: (200_000_000_000n - 2_500_000n).toString() });
    } finally {
      proc.kill('SIGTERM');
    }
    expect(await stopped(proc)).toBe(0);
  });

  it('refuses a config whose key is not the named manager, and malformed peers', async () => {
    const wrongIndex = await runAme(['manager', 'run', '--config', config('wrong', { index: 1 })], { cwd: dir });
    expect(wrongIndex.code).toBe(1);
    expect(wrongIndex.stderr).toContain('the node key is not genesis manager 1');
    const badPeers = await runAme(['manager', 'run', '--config', config('badpeers', { peers: [{ id: 5 }] })], { cwd: dir });
    expect(badPeers.code).toBe(1);
    expect(badPeers.stderr).toContain('"peers" must be a list');
    const missing = await runAme(['manager', 'run'], { cwd: dir });
    expect(missing.code).toBe(2);
  });
});

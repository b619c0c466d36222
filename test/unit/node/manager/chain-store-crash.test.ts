/**
 * Crash safety of the chain store: a child process appends blocks as fast as it can, printing each height once
 * append returned, and is killed with SIGKILL at a random moment. After every kill the file must open, hold every
 * acknowledged block, link from height 1 to its head, and hold the transactions of every block it holds.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesEqual, sha256, utf8 } from '../../../../node/crypto/index.ts';
import { decodeBlock, txHash } from '../../../../node/ledger/index.ts';
import { ChainStore } from '../../../../node/manager/chain-store.ts';

const storeUrl = new URL('../../../../node/manager/chain-store.ts', import.meta.url).href;
const ledgerUrl = new URL('../../../../node/ledger/index.ts', import.meta.url).href;
const cryptoUrl = new URL('../../../../node/crypto/index.ts', import.meta.url).href;
const CHAIN_ID = sha256(utf8('crash chain'));

// The child: continues the chain in the file from its head, forever, printing each height once it is stored.
const CHILD = `
import { ChainStore } from ${JSON.stringify(storeUrl)};
import { headerHash, txHash, txRoot } from ${JSON.stringify(ledgerUrl)};
import { sha256, utf8 } from ${JSON.stringify(cryptoUrl)};
const [path, chainHex] = process.argv.slice(1);
const chain = Uint8Array.from(Buffer.from(chainHex, 'hex'));
const store = ChainStore.open(path, { chainId: chain });
let { height, hash } = store.head();
const zero = new Uint8Array(32);
for (;;) {
  height += 1n;
  const txs = Array.from({ length: 1 + Number(height % 5n) }, (_, i) => sha256(utf8('crash tx ' + height + '/' + i)));
  const hashes = txs.map(txHash);
  const header = { chain, height, prevHash: hash, round: 0n, stateRoot: sha256(utf8('root ' + height)),
    txRoot: txRoot(hashes), time: height, kind: 'final', proposer: zero, leaders: [], parentCertHash: zero };
  store.append({ header, certificate: [], parentCertificate: [], txs }, { outcomes: hashes.map((h) => ({ hash: h, ok: true, fee: 0n })) });
  hash = headerHash(header);
  process.stdout.write(height + '\\n');
}
`;

function runAndKill(path: string, delayMs: number): Promise<bigint[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', CHILD, path, Buffer.from(CHAIN_ID).toString('hex')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      timer ??= setTimeout(() => proc.kill('SIGKILL'), delayMs);
    });
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') {
        reject(new Error(`child exited by itself (code ${code}): ${err}`));
        return;
      }
      // A line cut by the kill has no newline: it was never a complete acknowledgement.
      resolve(out.split('\n').slice(0, -1).map((line) => BigInt(line)));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'ame-chain-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ChainStore crash safety', () => {
  it('keeps every acknowledged block whole across SIGKILLs', async () => {
    const path = join(dir, 'chain.sqlite');
    let acknowledged = 0n;
    for (let round = 0; round < 3; round++) {
      const acked = await runAndKill(path, 80 + Math.floor(Math.random() * 250));
      expect(acked.length).toBeGreaterThan(0);
      expect(acked[0]).toBe(acknowledged + 1n);
      acknowledged = acked.at(-1)!;

      const store = ChainStore.open(path, { chainId: CHAIN_ID });
      try {
        const head = store.head();
        // One past the last acknowledgement may have committed just before the kill.
        expect(head.height === acknowledged || head.height === acknowledged + 1n).toBe(true);
        acknowledged = head.height;
        let prev = CHAIN_ID;
        for (let from = 1n; from <= head.height; from += 256n) {
          for (const b of store.range(from, from + 255n)) {
            expect(bytesEqual(b.header.prevHash, prev)).toBe(true);
            const block = decodeBlock(b.bytes);
            expect(b.txCount).toBe(block.txs.length);
            for (const [i, tx] of block.txs.entries()) expect(store.tx(txHash(tx))).toMatchObject({ height: b.height, index: i });
            prev = b.hash;
          }
        }
        expect(bytesEqual(prev, head.hash)).toBe(true);
      } finally {
        store.close();
      }
    }
  }, 90_000); // three child processes, each loading TypeScript, on a loaded machine
});

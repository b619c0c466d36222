/**
 * A light client's checkpoint file: saved and resumed at the same head; a missing, corrupt, truncated or foreign
 * file falls back to the genesis with the reason, never an error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../../../node/crypto/index.ts';
import { LightClient } from '../../../../node/ledger/index.ts';
import { resumeLightClient, saveLightCheckpoint } from '../../../../node/worker/light-checkpoint.ts';
import { ABC, accountKey, RESERVE, TestChain } from '../../../support/ledger-chain.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-light-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('light client checkpoint file', () => {
  it('resumes at the saved head, and from the genesis (with the reason) when the file is missing or not usable', () => {
    const c = new TestChain();
    try {
      const root = c.store.root();
      const client = LightClient.fromGenesis(c.genesis, root);
      for (let i = 0; i < 3; i++) {
        const { block } = c.block([c.accountTx(accountKey(RESERVE), 'transfer', { to: accountKey(9).address, amount: 1n * ABC })]);
        client.follow(block.header, block.certificate);
      }
      const path = join(dir, 'worker', 'light-checkpoint.json');
      expect(resumeLightClient(c.genesis, root, path)).toMatchObject({ resumed: false, why: 'no checkpoint yet' });
      saveLightCheckpoint(path, client.checkpoint());
      const back = resumeLightClient(c.genesis, root, path);
      expect(back.resumed).toBe(true);
      expect(back.light.height).toBe(3n);
      expect(toHex(back.light.stateRoot)).toBe(toHex(client.stateRoot));

      for (const junk of ['', '{', '{"height":"x"}', '{"height":"3","managers":[]}']) {
        writeFileSync(path, junk);
        const fallen = resumeLightClient(c.genesis, root, path);
        expect(fallen.resumed, junk).toBe(false);
        expect(fallen.light.height).toBe(0n);
        expect(fallen.why).toContain('not used');
      }
      saveLightCheckpoint(path, { ...client.checkpoint(), chainId: new Uint8Array(32).fill(7) });
      expect(resumeLightClient(c.genesis, root, path)).toMatchObject({ resumed: false, why: expect.stringContaining('another chain') });
    } finally {
      c.close();
    }
  });
});

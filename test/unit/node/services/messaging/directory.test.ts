/**
 * The PrekeyDirectory contract, run against both implementations (memory and SQLite): every one-time prekey is
 * handed out once, then bundles fall back to the signed prekey; uploads are verified and may not go back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeBundle,
  decodeUpload,
  encodeUpload,
  MemoryPrekeyDirectory,
  type PrekeyDirectory,
  SqlitePrekeyDirectory,
  verifyBundle,
} from '../../../../../node/services/messaging/index.ts';
import { codeOf, party } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-prekeys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const implementations: Record<string, (maxOneTime?: number) => PrekeyDirectory> = {
  memory: (maxOneTime) => new MemoryPrekeyDirectory(maxOneTime === undefined ? {} : { maxOneTime }),
  sqlite: (maxOneTime) =>
    SqlitePrekeyDirectory.open({ path: join(dir, `dir-${files++}.db`), ...(maxOneTime === undefined ? {} : { maxOneTime }) }),
};

const bob = party('directory bob', 3);
const carol = party('directory carol', 1);
const takenIds = (directory: PrekeyDirectory, address: Uint8Array, times: number) =>
  Array.from({ length: times }, () => decodeBundle(directory.take(address)).oneTimePrekey?.id);

for (const [name, make] of Object.entries(implementations)) {
  describe(`${name} prekey directory`, () => {
    it('hands out each one-time prekey exactly once, then the signed prekey alone', () => {
      const directory = make();
      expect(directory.publish(bob.upload)).toEqual({ address: bob.identity.address, oneTimeCount: 3 });
      directory.publish(carol.upload);
      expect(takenIds(directory, bob.identity.address, 5)).toEqual([1, 2, 3, undefined, undefined]);
      expect(directory.oneTimeCount(bob.identity.address)).toBe(0);
      expect(directory.oneTimeCount(carol.identity.address)).toBe(1);
      const fallback = decodeBundle(directory.take(bob.identity.address));
      verifyBundle(fallback, bob.identity.address);
      expect(fallback.signedPrekey.id).toBe(bob.secrets.signedPrekeyId);
      directory.close();
    });

    it('takes more one-time prekeys after the owner uploads them, and a rotated signed prekey', () => {
      const owner = party(`directory refill ${name}`, 1);
      const directory = make();
      directory.publish(owner.upload);
      expect(takenIds(directory, owner.identity.address, 2)).toEqual([1, undefined]);
      expect(directory.publish(owner.secrets.addOneTimePrekeys(2)).oneTimeCount).toBe(2);
      directory.publish(owner.secrets.rotateSignedPrekey());
      const bundle = decodeBundle(directory.take(owner.identity.address));
      expect([bundle.oneTimePrekey?.id, bundle.signedPrekey.id]).toEqual([2, 2]);
      directory.close();
    });

    it('refuses replayed or conflicting uploads (STALE) so used keys never come back', () => {
      const owner = party(`directory stale ${name}`, 2);
      const directory = make();
      directory.publish(owner.upload);
      takenIds(directory, owner.identity.address, 2);
      expect(codeOf(() => directory.publish(owner.upload))).toBe('STALE');
      const rotated = owner.secrets.rotateSignedPrekey();
      directory.publish(rotated);
      expect(codeOf(() => directory.publish(owner.secrets.addOneTimePrekeys(0)))).toBeUndefined();
      // The old signed prekey again: going back is refused.
      const old = decodeUpload(owner.upload);
      expect(codeOf(() => directory.publish(encodeUpload({ ...old, oneTimePrekeys: [] })))).toBe('STALE');
      expect(directory.oneTimeCount(owner.identity.address)).toBe(0);
      directory.close();
    });

    it('refuses forged uploads (BAD_SIGNATURE), garbage (MALFORMED) and too many one-time prekeys (PREKEYS_FULL)', () => {
      const directory = make(3);
      const upload = decodeUpload(bob.upload);
      const forged = encodeUpload({ ...upload, identity: carol.identity.public });
      expect(codeOf(() => directory.publish(forged))).toBe('BAD_SIGNATURE');
      expect(codeOf(() => directory.publish(new Uint8Array([1, 2, 3])))).toBe('MALFORMED');
      directory.publish(bob.upload);
      const owner = party(`directory full ${name}`, 2);
      directory.publish(owner.upload);
      expect(codeOf(() => directory.publish(owner.secrets.addOneTimePrekeys(2)))).toBe('PREKEYS_FULL');
      expect(directory.oneTimeCount(owner.identity.address)).toBe(2);
      directory.close();
    });

    it('answers NOT_FOUND for an unknown address and CLOSED after close', () => {
      const directory = make();
      expect(codeOf(() => directory.take(new Uint8Array(32)))).toBe('NOT_FOUND');
      expect(directory.oneTimeCount(new Uint8Array(32))).toBe(0);
      expect(codeOf(() => directory.take(new Uint8Array(3)))).toBe('MALFORMED');
      directory.close();
      expect(codeOf(() => directory.take(bob.identity.address))).toBe('CLOSED');
    });
  });
}

describe('sqlite prekey directory', () => {
  it('two handles on one file never hand out the same one-time prekey, and the file survives reopening', () => {
    const path = join(dir, 'shared.db');
    const one = SqlitePrekeyDirectory.open({ path });
    const two = SqlitePrekeyDirectory.open({ path });
    const owner = party('directory shared', 5);
    one.publish(owner.upload);
    const ids = [one, two, two, one, two, one].map((d) => decodeBundle(d.take(owner.identity.address)).oneTimePrekey?.id);
    expect(ids).toEqual([1, 2, 3, 4, 5, undefined]);
    one.publish(owner.secrets.addOneTimePrekeys(1));
    one.close();
    two.close();
    const again = SqlitePrekeyDirectory.open({ path });
    expect(again.oneTimeCount(owner.identity.address)).toBe(1);
    const bundle = decodeBundle(again.take(owner.identity.address));
    verifyBundle(bundle, owner.identity.address);
    expect(bundle.oneTimePrekey?.id).toBe(6);
    again.close();
  });
});

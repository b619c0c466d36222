/** The owner's prekey secrets: what they publish matches what they hold, through persistence and rotation. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../../../node/crypto/index.ts';
import {
  decodeUpload,
  MAX_UPLOAD_PREKEYS,
  PrekeySecrets,
  verifyUpload,
} from '../../../../../node/services/messaging/index.ts';
import { codeOf, party, seededRandom } from './fixtures.ts';

describe('prekey secrets', () => {
  it('publish signed uploads whose keys are the held ones, with increasing ids', () => {
    const bob = party('secrets bob', 2);
    const more = decodeUpload(bob.secrets.addOneTimePrekeys(3));
    verifyUpload(more);
    expect(more.oneTimePrekeys.map((p) => p.id)).toEqual([3, 4, 5]);
    for (const p of more.oneTimePrekeys) expect(toHex(bob.secrets.oneTimePrekey(p.id).publicKey)).toBe(toHex(p.key));
    expect(toHex(bob.secrets.signedPrekey(1).publicKey)).toBe(toHex(more.signedPrekey.key));
    expect(bob.secrets.oneTimeCount).toBe(5);
    expect(codeOf(() => bob.secrets.addOneTimePrekeys(MAX_UPLOAD_PREKEYS + 1))).toBe('TOO_LARGE');
  });

  it('restore to the same keys, with used ones gone', () => {
    const bob = party('secrets restore', 3);
    bob.secrets.consume(1, 2, new Uint8Array(32).fill(9));
    const again = PrekeySecrets.restore(bob.secrets.serialize(), { random: seededRandom('r') });
    expect(again.serialize()).toEqual(bob.secrets.serialize());
    expect(again.identity.public).toEqual(bob.identity.public);
    expect(toHex(again.oneTimePrekey(3).publicKey)).toBe(toHex(bob.secrets.oneTimePrekey(3).publicKey));
    expect(codeOf(() => again.oneTimePrekey(2))).toBe('NOT_FOUND');
    expect(again.hasSeen(new Uint8Array(32).fill(9))).toBe(true);
    expect(again.hasSeen(new Uint8Array(32).fill(8))).toBe(false);
    // New ids continue after the restored ones.
    expect(decodeUpload(again.addOneTimePrekeys(1)).oneTimePrekeys[0]!.id).toBe(4);
  });

  it('keep the previous signed prekey after a rotation and forget starts seen on dropped ones', () => {
    const bob = party('secrets rotate', 0);
    bob.secrets.consume(1, undefined, new Uint8Array(32).fill(1));
    const upload = decodeUpload(bob.secrets.rotateSignedPrekey());
    expect(upload.signedPrekey.id).toBe(2);
    expect(bob.secrets.signedPrekeyId).toBe(2);
    expect(codeOf(() => bob.secrets.signedPrekey(1))).toBeUndefined();
    expect(bob.secrets.hasSeen(new Uint8Array(32).fill(1))).toBe(true);
    bob.secrets.rotateSignedPrekey();
    expect(codeOf(() => bob.secrets.signedPrekey(1))).toBe('NOT_FOUND');
    expect(bob.secrets.hasSeen(new Uint8Array(32).fill(1))).toBe(false);
    expect(decodeUpload(bob.secrets.upload()).signedPrekey.id).toBe(3);
  });
});

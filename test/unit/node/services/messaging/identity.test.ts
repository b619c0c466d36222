/** Messaging identities: the certificate binding the X25519 key to the signing key, addresses, persistence. */
import { describe, expect, it } from 'vitest';
import { Ed25519KeyPair, toHex } from '../../../../../node/crypto/index.ts';
import { MessagingIdentity, messagingAddress, verifyIdentity } from '../../../../../node/services/messaging/index.ts';
import { codeOf, seededRandom } from './fixtures.ts';

describe('messaging identity', () => {
  const random = seededRandom('identity');
  const alice = MessagingIdentity.generate(random);
  const bob = MessagingIdentity.generate(random);

  it('certifies its X25519 key with its signing key', () => {
    expect(toHex(verifyIdentity(alice.public).bytes)).toBe(toHex(alice.signing.publicKey.bytes));
    expect(codeOf(() => verifyIdentity({ ...alice.public, dh: bob.public.dh }))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyIdentity({ ...alice.public, sig: bob.public.sig }))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyIdentity({ ...alice.public, sign: new Uint8Array(31) }))).toBe('BAD_KEY');
  });

  it('restores from its secrets to the same public identity and address', () => {
    const { signingSeed, dhSecret } = alice.secrets();
    const again = MessagingIdentity.fromSecrets(signingSeed, dhSecret);
    expect(again.public).toEqual(alice.public);
    expect(again.address).toEqual(alice.address);
    expect(codeOf(() => MessagingIdentity.fromSecrets(new Uint8Array(5), dhSecret))).toBe('BAD_KEY');
    expect(codeOf(() => MessagingIdentity.fromSecrets(signingSeed, new Uint8Array(5)))).toBe('BAD_KEY');
  });

  it('wraps an existing signing key, and addresses are per signing key', () => {
    const signing = Ed25519KeyPair.generate(seededRandom('identity signing'));
    const one = MessagingIdentity.create(signing, seededRandom('one'));
    const two = MessagingIdentity.create(signing, seededRandom('two'));
    expect(one.public.sign).toEqual(signing.publicKey.bytes);
    expect(toHex(one.public.dh)).not.toBe(toHex(two.public.dh));
    expect(one.address).toEqual(two.address);
    expect(one.address).toEqual(messagingAddress(signing.publicKey.bytes));
    expect(toHex(alice.address)).not.toBe(toHex(bob.address));
    expect(alice.address).toHaveLength(32);
  });
});

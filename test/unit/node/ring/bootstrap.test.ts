import { describe, expect, it } from 'vitest';
import { Ed25519KeyPair } from '../../../../node/crypto/index.ts';
import {
  decodeBootstrapList,
  encodeBootstrapList,
  RingError,
  signBootstrapList,
  verifyBootstrapList,
} from '../../../../node/ring/index.ts';
import { codeOf } from '../../../support/error-code.ts';

const authority = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(1));
const managers = [
  { id: '12D3KooWmanagerA', addrs: ['/dns4/m1.example/tcp/4001'] },
  { id: '12D3KooWmanagerB', addrs: ['/ip4/203.0.113.7/tcp/4001', '/ip6/2001:db8::7/tcp/4001'] },
];

describe('bootstrap list', () => {
  it('is signed by the ring authority and survives encoding', () => {
    const list = signBootstrapList(managers, 1_700_000_000_000, authority);
    const back = decodeBootstrapList(encodeBootstrapList(list));
    expect(back).toEqual(list);
    expect(verifyBootstrapList(back, authority.publicKey)).toEqual(list);
    expect(verifyBootstrapList(back, authority.publicKey.bytes).managers).toEqual(managers);
  });

  it('refuses another signer, a changed list and a changed time', () => {
    const list = signBootstrapList(managers, 1_700_000_000_000, authority);
    const other = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(9));
    expect(codeOf(() => verifyBootstrapList(list, other.publicKey), RingError)).toBe('WRONG_KEY');
    const foreign = signBootstrapList(managers, 1, other);
    expect(codeOf(() => verifyBootstrapList(foreign, authority.publicKey), RingError)).toBe('WRONG_KEY');
    const swapped = { ...list, managers: [managers[1]!, managers[0]!] };
    expect(codeOf(() => verifyBootstrapList(swapped, authority.publicKey), RingError)).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyBootstrapList({ ...list, issuedAt: 1 }, authority.publicKey), RingError)).toBe(
      'BAD_SIGNATURE',
    );
    const moved = { ...list, managers: [{ ...managers[0]!, addrs: ['/ip4/6.6.6.6/tcp/1'] }, managers[1]!] };
    expect(codeOf(() => verifyBootstrapList(moved, authority.publicKey), RingError)).toBe('BAD_SIGNATURE');
  });

  it('refuses empty, repeated or malformed lists', () => {
    expect(codeOf(() => signBootstrapList([], 1, authority), RingError)).toBe('MALFORMED');
    expect(codeOf(() => signBootstrapList([managers[0]!, managers[0]!], 1, authority), RingError)).toBe('MALFORMED');
    expect(codeOf(() => signBootstrapList(managers, -1, authority), RingError)).toBe('MALFORMED');
    const bytes = encodeBootstrapList(signBootstrapList(managers, 5, authority));
    expect(codeOf(() => decodeBootstrapList(bytes.subarray(0, 20)), RingError)).toBe('MALFORMED');
  });
});

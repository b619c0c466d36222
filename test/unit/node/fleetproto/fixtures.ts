/** Deterministic keys and envelopes for the fleetproto tests. */
import { decodeCbor, encodeCbor, type CborMap } from '../../../../node/wire/index.ts';
import { Ed25519KeyPair, peerIdOf, sha256, utf8 } from '../../../../node/crypto/index.ts';

export const keyOf = (label: string): Ed25519KeyPair => Ed25519KeyPair.fromSeed(sha256(utf8(`fleetproto ${label}`)));

export const device = keyOf('device');
export const deviceId = peerIdOf(device);
export const otherDevice = keyOf('other device');
export const otherDeviceId = peerIdOf(otherDevice);
export const commandKey = keyOf('fleet command key');
export const T0 = 1_800_000_000_000;

/** The envelope with one bit of its signature flipped, still canonical CBOR. */
export function flipSignatureBit(envelope: Uint8Array): Uint8Array {
  const map = decodeCbor(envelope) as CborMap;
  const sig = Uint8Array.from(map['sig'] as Uint8Array);
  sig[10]! ^= 0x04;
  return encodeCbor({ ...map, sig });
}

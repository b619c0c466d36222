/**
 * The crypto the consensus needs, injected: node signatures, a VRF and a hash. Two suites: the real one
 * (Ed25519 node keys; the RFC 9381 ECVRF, injected) and a fast keyed-hash stand-in for bulk simulator runs whose
 * signatures are HMACs under per-node secrets the suite keeps, so a Byzantine node that lacks a secret still
 * cannot forge — the forgery is detected exactly as with Ed25519.
 */
import { createHash, createHmac } from 'node:crypto';
import { Ed25519KeyPair, Ed25519PublicKey, toHex } from '../crypto/index.ts';
import { ConsensusError } from './errors.ts';

export interface VrfResult {
  readonly proof: Uint8Array;
  readonly output: Uint8Array;
}

/** A node's own keys: what it signs and proves with. */
export interface NodeKeys {
  /** Signature and VRF public key (one Ed25519 key in the real suite). */
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
  vrfProve(alpha: Uint8Array): VrfResult;
}

export interface CryptoSuite {
  readonly name: string;
  hash(data: Uint8Array): Uint8Array;
  /** Keys from a 32-byte seed (deterministic, so a simulator seed names every key). */
  keysFromSeed(seed: Uint8Array): NodeKeys;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** The VRF output for a valid proof, undefined otherwise. */
  vrfVerify(publicKey: Uint8Array, proof: Uint8Array, alpha: Uint8Array): Uint8Array | undefined;
  /**
   * The output a proof claims, NOT verified (undefined when the proof does not even decode): what vrfVerify
   * returns for the same proof if, and only if, the proof is valid. Cheap next to vrfVerify, so ACP reads every
   * proposal's claim and verifies only the claims it acts on (docs/consensus.md "Lazy VRF checks").
   */
  vrfClaim(publicKey: Uint8Array, proof: Uint8Array, alpha: Uint8Array): Uint8Array | undefined;
}

/** The VRF of node/crypto/vrf.ts (ECVRF-EDWARDS25519-SHA512-TAI): the secret is the node's Ed25519 seed. */
export interface VrfImplementation {
  prove(seed32: Uint8Array, alpha: Uint8Array): VrfResult;
  verify(publicKey32: Uint8Array, proof: Uint8Array, alpha: Uint8Array): Uint8Array | undefined;
  /** ECVRF_proof_to_hash without verification (throws on a proof that does not decode); absent: claims are verified in full. */
  proofToHash?(proof: Uint8Array): Uint8Array;
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/**
 * Ed25519 node keys and an injected ECVRF. Public keys are parsed once and kept by this suite instance. With
 * `memoize`, verification results (pure functions of their inputs) are remembered, so a simulator whose nodes
 * share one suite checks each distinct signature and proof once; forgeries are still rejected.
 */
export function realSuite(vrf: VrfImplementation, options: { readonly memoize?: boolean } = {}): CryptoSuite {
  const memo = new Map<string, Uint8Array | boolean | undefined>();
  const remember = <T extends Uint8Array | boolean | undefined>(key: () => string, f: () => T): T => {
    if (options.memoize !== true) return f();
    const k = key();
    if (memo.has(k)) return memo.get(k) as T;
    if (memo.size > 200_000) memo.clear();
    const v = f();
    memo.set(k, v);
    return v;
  };
  const publicKeys = new Map<string, Ed25519PublicKey | null>();
  const keyOf = (bytes: Uint8Array): Ed25519PublicKey | null => {
    const hex = toHex(bytes);
    let key = publicKeys.get(hex);
    if (key === undefined) {
      try {
        key = new Ed25519PublicKey(bytes);
      } catch {
        key = null;
      }
      publicKeys.set(hex, key);
    }
    return key;
  };
  const vrfVerify = (publicKey: Uint8Array, proof: Uint8Array, alpha: Uint8Array): Uint8Array | undefined =>
    remember(
      () => `v${toHex(publicKey)}${toHex(proof)}${toHex(alpha)}`,
      () => {
        try {
          return vrf.verify(publicKey, proof, alpha);
        } catch {
          return undefined;
        }
      },
    );
  return {
    name: 'real',
    hash: sha256,
    keysFromSeed(seed) {
      const pair = Ed25519KeyPair.fromSeed(seed);
      const secret = Uint8Array.from(seed);
      return {
        publicKey: pair.publicKey.bytes,
        sign: (message) => pair.sign(message),
        vrfProve: (alpha) => vrf.prove(secret, alpha),
      };
    },
    verify: (publicKey, message, signature) =>
      remember(
        () => `s${toHex(publicKey)}${toHex(signature)}${toHex(sha256(message))}`,
        () => keyOf(publicKey)?.verify(message, signature) ?? false,
      ),
    vrfVerify,
    vrfClaim(publicKey, proof, alpha) {
      if (vrf.proofToHash === undefined) return vrfVerify(publicKey, proof, alpha);
      try {
        return vrf.proofToHash(proof);
      } catch {
        return undefined;
      }
    },
  };
}

const FAST_SIG_LENGTH = 32;

/**
 * The keyed-hash stand-in: sign = HMAC-SHA-256(secret, message); VRF output = HMAC(secret, "vrf" ‖ alpha), proof
 * = output ‖ HMAC(secret, "proof" ‖ alpha). Verification looks the secret up by public key, which only this suite
 * instance (the simulator's trusted party) knows.
 */
export function fastSuite(): CryptoSuite {
  const secrets = new Map<string, Uint8Array>();
  const mac = (secret: Uint8Array, label: string, data: Uint8Array) =>
    new Uint8Array(createHmac('sha256', secret).update(label).update(data).digest());
  return {
    name: 'fast',
    hash: sha256,
    keysFromSeed(seed) {
      if (seed.length !== 32) throw new ConsensusError('BAD_CONFIG', 'key seed must be 32 bytes');
      const secret = Uint8Array.from(seed);
      const publicKey = sha256(Uint8Array.from([...new TextEncoder().encode('AME fast suite pk'), ...secret]));
      secrets.set(toHex(publicKey), secret);
      return {
        publicKey,
        sign: (message) => mac(secret, 'sig', message),
        vrfProve(alpha) {
          const output = mac(secret, 'vrf', alpha);
          const proof = new Uint8Array(64);
          proof.set(output, 0);
          proof.set(mac(secret, 'proof', alpha), 32);
          return { proof, output };
        },
      };
    },
    verify(publicKey, message, signature) {
      const secret = secrets.get(toHex(publicKey));
      if (secret === undefined || signature.length !== FAST_SIG_LENGTH) return false;
      return Buffer.from(mac(secret, 'sig', message)).equals(signature);
    },
    vrfVerify(publicKey, proof, alpha) {
      const secret = secrets.get(toHex(publicKey));
      if (secret === undefined || proof.length !== 64) return undefined;
      const output = mac(secret, 'vrf', alpha);
      if (!Buffer.from(output).equals(proof.subarray(0, 32))) return undefined;
      if (!Buffer.from(mac(secret, 'proof', alpha)).equals(proof.subarray(32))) return undefined;
      return output;
    },
    // The claimed output is the proof's first half: a forged proof claims whatever its forger wrote there.
    vrfClaim: (_publicKey, proof) => (proof.length === 64 ? Uint8Array.from(proof.subarray(0, 32)) : undefined),
  };
}

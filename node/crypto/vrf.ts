/**
 * Verifiable random function: ECVRF-EDWARDS25519-SHA512-TAI of RFC 9381 (suite string 0x03), written from the
 * RFC's §5 pseudocode. The secret key is a 32-byte Ed25519 seed and the public key is the RFC 8032 public key of
 * that seed, so a node proves with its own identity key (`vrfProve(key.seed(), alpha)`).
 *
 * Curve arithmetic comes from @noble/curves (its strict RFC 8032 point decoding is the RFC's string_to_point),
 * SHA-512 from @noble/hashes. Secret scalars (x, k) only ever meet noble's constant-time `multiply`; the
 * verifier, which handles public values only, uses the faster variable-time `multiplyUnsafe`.
 */
import { mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { CryptoError } from './errors.ts';
import { concatBytes as concat } from './hash.ts';

type Point = InstanceType<typeof ed25519.Point>;
const Point = ed25519.Point;

export const VRF_SEED_LENGTH = 32;
export const VRF_PUBLIC_KEY_LENGTH = 32;
/** pi = Gamma (32) ‖ c (16) ‖ s (32). */
export const VRF_PROOF_LENGTH = 80;
/** beta: one SHA-512 output. */
export const VRF_OUTPUT_LENGTH = 64;

const SUITE = 0x03;
const Q = Point.Fn.ORDER; // the prime order of the base point (the RFC's q)
const PT_LEN = 32;
const C_LEN = 16;
const Q_LEN = 32;

/** Everything prove computes, in the RFC's names; tests compare it with the RFC's Appendix B.3 listing. */
export interface VrfProofSteps {
  /** The RFC 8032 secret scalar (clamped, not reduced), 32 bytes little-endian. */
  x: Uint8Array;
  publicKey: Uint8Array;
  /** The try-and-increment counter at which encode_to_curve found its point. */
  ctr: number;
  h: Uint8Array;
  /** The 64-byte nonce hash before its reduction mod q. */
  kString: Uint8Array;
  /** k = kString mod q, 32 bytes little-endian. */
  k: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
  proof: Uint8Array;
  output: Uint8Array;
}

/** The VRF public key: the Ed25519 public key of the seed (the same bytes as Ed25519KeyPair's). */
export function vrfPublicKey(seed: Uint8Array): Uint8Array {
  return expandSeed(seed).publicKey;
}

/** The proof pi (80 bytes) that `output` (beta, 64 bytes) is this key's VRF value of alpha. Deterministic. */
export function vrfProve(seed: Uint8Array, alpha: Uint8Array): { proof: Uint8Array; output: Uint8Array } {
  const { proof, output } = vrfProveSteps(seed, alpha);
  return { proof, output };
}

/** ECVRF_prove (RFC 9381 §5.1), returning its intermediate values too. */
export function vrfProveSteps(seed: Uint8Array, alpha: Uint8Array): VrfProofSteps {
  const { x, prefix, publicKey } = expandSeed(seed);
  const { point: h, ctr } = encodeToCurve(publicKey, alpha);
  const hString = h.toBytes();
  // x ≡ x mod q on H, which lies in the prime-order subgroup; noble's multiply wants a reduced scalar.
  const gamma = h.multiply(x % Q);
  // Nonce as in RFC 8032 §5.1.6 (RFC 9381 §5.4.2.2): the second half of SHA-512(SK) keys it, so it is secret
  // and deterministic.
  const kString = sha512(concat(prefix, hString));
  const k = bytesToNumberLE(kString) % Q;
  const u = multiplySecret(Point.BASE, k);
  const v = multiplySecret(h, k);
  const c = challenge(publicKey, hString, gamma.toBytes(), u.toBytes(), v.toBytes());
  const s = (k + c * x) % Q;
  const proof = concat(gamma.toBytes(), numberToBytesLE(c, C_LEN), numberToBytesLE(s, Q_LEN));
  return {
    x: numberToBytesLE(x, 32),
    publicKey,
    ctr,
    h: hString,
    kString,
    k: numberToBytesLE(k, Q_LEN),
    u: u.toBytes(),
    v: v.toBytes(),
    proof,
    output: hashGamma(gamma),
  };
}

/**
 * ECVRF_verify (RFC 9381 §5.3) with validate_key on: the output beta when `proof` proves alpha under
 * `publicKey`, otherwise undefined. Inputs of the wrong length throw CryptoError (BAD_KEY, BAD_ENCODING);
 * anything else that is not a valid proof (a public key off the curve, of small order or not canonically
 * encoded, a Gamma likewise, s ≥ q, a wrong challenge) returns undefined. Never throws anything else.
 */
export function vrfVerify(publicKey: Uint8Array, proof: Uint8Array, alpha: Uint8Array): Uint8Array | undefined {
  requireLength(publicKey, VRF_PUBLIC_KEY_LENGTH, 'BAD_KEY', 'VRF public key');
  requireLength(proof, VRF_PROOF_LENGTH, 'BAD_ENCODING', 'VRF proof');
  const y = decodePoint(publicKey);
  // validate_key (§5.4.5): a small-order key would let its owner make "valid" proofs for any output (with
  // Y = identity, Gamma = identity and s = k pass every check), so such keys never verify.
  if (y === undefined || y.isSmallOrder()) return undefined;
  const decoded = decodeProof(proof);
  if (decoded === undefined) return undefined;
  const { gamma, c, s } = decoded;
  const { point: h } = encodeToCurve(publicKey, alpha);
  // U = s·B − c·Y and V = s·H − c·Gamma. B has a precomputed table; H and Gamma are fresh points, so their two
  // products share one run of doublings (Straus–Shamir) instead of paying for two.
  const u = Point.BASE.multiplyUnsafe(s).subtract(y.multiplyUnsafe(c));
  const v = mulAddUnsafe(Point, [h, gamma.negate()], [s, c]);
  // The decoders accept canonical encodings only, so publicKey and proof[0..32) are point_to_string(Y, Gamma).
  const expected = challenge(publicKey, h.toBytes(), proof.subarray(0, PT_LEN), u.toBytes(), v.toBytes());
  return expected === c ? hashGamma(gamma) : undefined;
}

/**
 * ECVRF_proof_to_hash (§5.2): beta of a proof, WITHOUT verifying it; use vrfVerify for proofs from others.
 * Throws CryptoError BAD_ENCODING for a proof of the wrong length or one that does not decode.
 */
export function vrfProofToHash(proof: Uint8Array): Uint8Array {
  requireLength(proof, VRF_PROOF_LENGTH, 'BAD_ENCODING', 'VRF proof');
  const decoded = decodeProof(proof);
  if (decoded === undefined) throw new CryptoError('BAD_ENCODING', 'VRF proof does not decode (Gamma or s)');
  return hashGamma(decoded.gamma);
}

/** ECVRF_encode_to_curve_try_and_increment (§5.4.1.1), salted with the public key; exported for tests. */
export function vrfEncodeToCurve(publicKey: Uint8Array, alpha: Uint8Array): { h: Uint8Array; ctr: number } {
  requireLength(publicKey, VRF_PUBLIC_KEY_LENGTH, 'BAD_KEY', 'VRF public key');
  const { point, ctr } = encodeToCurve(publicKey, alpha);
  return { h: point.toBytes(), ctr };
}

function encodeToCurve(salt: Uint8Array, alpha: Uint8Array): { point: Point; ctr: number } {
  // About half of all 32-byte strings decode, so 256 failures in a row (ctr no longer fits its one byte, where
  // the RFC's loop stops being defined) happen with probability 2^-256.
  for (let ctr = 0; ctr < 256; ctr++) {
    const hash = sha512(concat(new Uint8Array([SUITE, 0x01]), salt, alpha, new Uint8Array([ctr, 0x00])));
    const candidate = decodePoint(hash.subarray(0, PT_LEN));
    if (candidate === undefined) continue;
    // Multiplying by the cofactor 8 lands in the prime-order subgroup; the RFC retries on the identity.
    const point = candidate.clearCofactor();
    if (!point.is0()) return { point, ctr };
  }
  throw new CryptoError('BAD_ENCODING', 'VRF encode_to_curve found no point in 256 tries');
}

/** ECVRF_challenge_generation (§5.4.3) over encoded points: the first 16 bytes of the hash, little-endian. */
function challenge(...points: readonly Uint8Array[]): bigint {
  const hash = sha512(concat(new Uint8Array([SUITE, 0x02]), ...points, new Uint8Array([0x00])));
  return bytesToNumberLE(hash.subarray(0, C_LEN));
}

/** The last step of ECVRF_proof_to_hash: beta = SHA-512(suite ‖ 0x03 ‖ point_to_string(8·Gamma) ‖ 0x00). */
function hashGamma(gamma: Point): Uint8Array {
  return sha512(concat(new Uint8Array([SUITE, 0x03]), gamma.clearCofactor().toBytes(), new Uint8Array([0x00])));
}

/** ECVRF_decode_proof (§5.4.4), or undefined where the RFC says INVALID. */
function decodeProof(proof: Uint8Array): { gamma: Point; c: bigint; s: bigint } | undefined {
  const gamma = decodePoint(proof.subarray(0, PT_LEN));
  if (gamma === undefined) return undefined;
  const c = bytesToNumberLE(proof.subarray(PT_LEN, PT_LEN + C_LEN));
  const s = bytesToNumberLE(proof.subarray(PT_LEN + C_LEN));
  // An s ≥ q would be the same scalar mod q: accepting it would make proofs malleable.
  if (s >= Q) return undefined;
  return { gamma, c, s };
}

/**
 * string_to_point: RFC 8032 §5.1.3 decoding, which rejects y ≥ p and x = 0 with the sign bit set, i.e. every
 * non-canonical encoding (noble's non-ZIP-215 mode). So each point has one accepted encoding.
 */
function decodePoint(bytes: Uint8Array): Point | undefined {
  try {
    return Point.fromBytes(bytes, false);
  } catch {
    return undefined;
  }
}

/** RFC 8032 §5.1.5: x from the clamped first half of SHA-512(seed); the second half keys the nonce. */
function expandSeed(seed: Uint8Array): { x: bigint; prefix: Uint8Array; publicKey: Uint8Array } {
  requireLength(seed, VRF_SEED_LENGTH, 'BAD_KEY', 'VRF secret key (Ed25519 seed)');
  const digest = sha512(seed);
  const head = digest.slice(0, 32);
  head[0]! &= 248;
  head[31]! &= 127;
  head[31]! |= 64;
  const x = bytesToNumberLE(head);
  // x is 8·m with m < q, so x mod q is never 0.
  return { x, prefix: digest.slice(32), publicKey: Point.BASE.multiply(x % Q).toBytes() };
}

/** noble's constant-time multiply refuses 0; a nonce of 0 mod q (probability 2^-252) still gets its product. */
function multiplySecret(point: Point, scalar: bigint): Point {
  return scalar === 0n ? Point.ZERO : point.multiply(scalar);
}

function requireLength(bytes: Uint8Array, length: number, code: 'BAD_KEY' | 'BAD_ENCODING', what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new CryptoError(code, `${what} must be ${length} bytes, got ${got}`);
  }
}

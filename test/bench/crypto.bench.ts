/**
 * `npm run bench -- crypto`: signatures per second for every scheme the node uses, through our own wrappers
 * where we have them (what the node pays), and envelope encode/decode (sign + canonical CBOR, decode + checks +
 * verify). Ratios compare figures of this same run.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { ml_dsa44 } from '@noble/post-quantum/ml-dsa.js';
import {
  ecdsaAccountKey,
  falconAccountKey,
  verifySignature,
  vrfProve,
  vrfPublicKey,
  vrfVerify,
} from '../../node/crypto/index.ts';
import { Ed25519KeyPair } from '../../node/crypto/node-key.ts';
import { createRegistry, decodeEnvelope, heartbeat, wireMessages } from '../../node/wire/index.ts';
import { opsPerSecond, ratio, type Bench } from './harness.ts';

const MS = Number(process.env['AME_BENCH_MS'] ?? 1500);
const msg = new Uint8Array(32).fill(0xab);
const seed = (n: number, fill: number) => new Uint8Array(n).fill(fill);

export const bench: Bench = {
  name: 'crypto',
  async run() {
    const falcon = falconAccountKey(seed(48, 1));
    const falconSig = falcon.sign(msg);
    const ecdsa = ecdsaAccountKey(seed(32, 2));
    const ecdsaSig = ecdsa.sign(msg);
    const dsa = ml_dsa44.keygen(seed(32, 3));
    const dsaSig = ml_dsa44.sign(msg, dsa.secretKey);
    const node = Ed25519KeyPair.fromSeed(seed(32, 4));
    const nodeSig = node.sign(msg);
    const nobleSk = seed(32, 5);
    const noblePk = ed25519.getPublicKey(nobleSk);
    const nobleSig = ed25519.sign(msg, nobleSk);
    const vrfSeed = seed(32, 6);
    const vrfPk = vrfPublicKey(vrfSeed);
    const vrf = vrfProve(vrfSeed, msg);

    const registry = createRegistry([...wireMessages]);
    const body = { unity: 17, epoch: 42n, uptime: 3_600_000, sent: 360, interval: 10_000 };
    let seq = 0;
    const envelope = heartbeat.encode(node, { seq: 1, time: 1_764_000_000_000, body });

    const check = (ok: boolean, what: string) => {
      if (!ok) throw new Error(`benchmark self-check failed: ${what}`);
    };
    check(verifySignature('falcon', falcon.publicKey, msg, falconSig), 'falcon');
    check(verifySignature('ecdsa', ecdsa.publicKey, msg, ecdsaSig), 'ecdsa');
    check(ml_dsa44.verify(dsaSig, msg, dsa.publicKey), 'ml-dsa');
    check(node.publicKey.verify(msg, nodeSig), 'ed25519 node');
    check(ed25519.verify(nobleSig, msg, noblePk), 'ed25519 noble');
    check(vrfVerify(vrfPk, vrf.proof, msg)?.join() === vrf.output.join(), 'vrf');
    const decoded = decodeEnvelope(registry, envelope);
    check(decoded.type === 'heartbeat' && decoded.body.sent === 360, 'envelope');

    const f: Record<string, number> = {
      falcon512_sign_per_s: opsPerSecond(() => falcon.sign(msg), { minMs: MS }),
      falcon512_verify_per_s: opsPerSecond(() => verifySignature('falcon', falcon.publicKey, msg, falconSig), { minMs: MS }),
      mldsa44_sign_per_s: opsPerSecond(() => ml_dsa44.sign(msg, dsa.secretKey), { minMs: MS }),
      mldsa44_verify_per_s: opsPerSecond(() => ml_dsa44.verify(dsaSig, msg, dsa.publicKey), { minMs: MS }),
      secp256k1_sign_per_s: opsPerSecond(() => ecdsa.sign(msg), { minMs: MS }),
      secp256k1_verify_per_s: opsPerSecond(() => verifySignature('ecdsa', ecdsa.publicKey, msg, ecdsaSig), { minMs: MS }),
      ed25519_node_sign_per_s: opsPerSecond(() => node.sign(msg), { minMs: MS }),
      ed25519_node_verify_per_s: opsPerSecond(() => node.publicKey.verify(msg, nodeSig), { minMs: MS }),
      ed25519_noble_sign_per_s: opsPerSecond(() => ed25519.sign(msg, nobleSk), { minMs: MS }),
      ed25519_noble_verify_per_s: opsPerSecond(() => ed25519.verify(nobleSig, msg, noblePk), { minMs: MS }),
      vrf_prove_per_s: opsPerSecond(() => vrfProve(vrfSeed, msg), { minMs: MS }),
      vrf_verify_per_s: opsPerSecond(() => vrfVerify(vrfPk, vrf.proof, msg), { minMs: MS }),
      envelope_encode_per_s: opsPerSecond(() => heartbeat.encode(node, { seq: ++seq, time: 1_764_000_000_000, body }), {
        minMs: MS,
      }),
      envelope_decode_per_s: opsPerSecond(() => decodeEnvelope(registry, envelope), { minMs: MS }),
      envelope_bytes: envelope.length,
    };
    return {
      figures: f,
      ratios: {
        ed25519_node_vs_noble_verify: ratio(f['ed25519_node_verify_per_s']!, f['ed25519_noble_verify_per_s']!),
        falcon512_vs_secp256k1_verify: ratio(f['falcon512_verify_per_s']!, f['secp256k1_verify_per_s']!),
        envelope_decode_vs_ed25519_node_verify: ratio(f['envelope_decode_per_s']!, f['ed25519_node_verify_per_s']!),
      },
    };
  },
};

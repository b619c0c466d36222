/**
 * Proofs (docs/store.md "Proofs"): inclusion and non-inclusion proofs verify against the root alone, their
 * encoding is deterministic and round-trips, the decoder refuses anything else with BAD_PROOF, and no single
 * changed byte of an encoded proof is accepted as a different answer.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeProof,
  encodeProof,
  openStore,
  type Proof,
  type ProofResult,
  type Store,
  StoreError,
  verifyProof,
} from '../../../../node/store/index.ts';
import { errorCode, hex, keyPool, tempDir } from './store-fixtures.ts';

const KEYS = keyPool(60, 'proof');
const PRESENT = KEYS.slice(0, 45);
const ABSENT = KEYS.slice(45);
const value = (i: number): Buffer => Buffer.from(`value of key ${i}`);

describe('proofs', () => {
  const temp = tempDir();
  let store: Store;
  let root: Uint8Array;

  beforeAll(() => {
    store = openStore(temp.file);
    store.commit(PRESENT.map((key, i) => ({ key, baseVersion: 0, value: value(i) })));
    root = store.root();
  });
  afterAll(() => {
    store.close();
    temp.cleanup();
  });

  it('prove present keys with their values and absent keys as absent', () => {
    PRESENT.forEach((key, i) => {
      const result = verifyProof(root, key, store.prove(key));
      expect(result.found).toBe(true);
      if (result.found) expect(hex(result.value)).toBe(hex(value(i)));
    });
    for (const key of ABSENT) expect(verifyProof(root, key, encodeProof(store.prove(key)))).toEqual({ found: false });
  });

  it('shows both kinds of non-inclusion: an empty slot and another key on the path', () => {
    const kinds = new Set(ABSENT.map((key) => (store.prove(key).leaf === null ? 'empty' : 'other leaf')));
    expect([...kinds].sort()).toEqual(['empty', 'other leaf']);
  });

  it('refuses a proof against another root, or for another key', () => {
    const proof = store.prove(PRESENT[0]!);
    const otherRoot = Buffer.from(root);
    otherRoot[31] = otherRoot[31]! ^ 1;
    expect(errorCode(() => verifyProof(otherRoot, PRESENT[0]!, proof))).toBe('BAD_PROOF');
    expect(errorCode(() => verifyProof(root, PRESENT[1]!, proof))).toBe('BAD_PROOF');
    // An absent key's proof does not prove another absent key (the path differs).
    const absent = store.prove(ABSENT[0]!);
    expect(ABSENT.slice(1).some((key) => errorCode(() => verifyProof(root, key, absent)) === 'BAD_PROOF')).toBe(true);
  });

  it('proves old versions against their own roots', () => {
    const before = store.head();
    const v = store.put(PRESENT[3]!, before, Buffer.from('changed'));
    const old = verifyProof(store.root(before), PRESENT[3]!, store.prove(PRESENT[3]!, before));
    const now = verifyProof(store.root(v), PRESENT[3]!, store.prove(PRESENT[3]!, v));
    expect(old.found && hex(old.value)).toBe(hex(value(3)));
    expect(now.found && Buffer.from(now.value).toString()).toBe('changed');
    store.put(PRESENT[3]!, v, value(3));
    root = store.root();
  });

  it('round-trips the encoding exactly', () => {
    for (const key of KEYS) {
      const bytes = encodeProof(store.prove(key));
      expect(hex(encodeProof(decodeProof(bytes)))).toBe(hex(bytes));
    }
  });

  it('never accepts a proof with one changed byte as a different answer', () => {
    let rejected = 0;
    let total = 0;
    for (const key of [...PRESENT.slice(0, 8), ...ABSENT.slice(0, 8)]) {
      const bytes = encodeProof(store.prove(key));
      const honest = verifyProof(root, key, bytes);
      for (let at = 0; at < bytes.length; at++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const forged = Uint8Array.from(bytes);
          forged[at] = forged[at]! ^ mask;
          total += 1;
          let result: ProofResult;
          try {
            result = verifyProof(root, key, forged);
          } catch (error) {
            expect(error).toBeInstanceOf(StoreError);
            expect((error as StoreError).code).toBe('BAD_PROOF');
            rejected += 1;
            continue;
          }
          expect(result.found).toBe(honest.found);
          if (result.found && honest.found) expect(hex(result.value)).toBe(hex(honest.value));
        }
      }
    }
    expect(rejected).toBe(total); // in practice every forgery is refused
  });

  it('decodes arbitrary bytes to a proof or BAD_PROOF, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const code = errorCode(() => decodeProof(bytes));
        expect(code === undefined || code === 'BAD_PROOF').toBe(true);
      }),
      { numRuns: 2000 },
    );
    // Truncations and extensions of real proofs.
    const bytes = encodeProof(store.prove(PRESENT[7]!));
    for (let cut = 0; cut < bytes.length; cut++) expect(errorCode(() => decodeProof(bytes.subarray(0, cut)))).toBe('BAD_PROOF');
    expect(errorCode(() => decodeProof(Buffer.concat([bytes, Buffer.from([0])])))).toBe('BAD_PROOF');
  });

  it('refuses structurally wrong proof objects and bad arguments with typed errors', () => {
    const proof = store.prove(PRESENT[9]!);
    const tooDeep: Proof = { levels: Array.from({ length: 65 }, () => ({ siblings: 0, hashes: new Uint8Array(0) })), leaf: null };
    expect(errorCode(() => verifyProof(root, PRESENT[9]!, tooDeep))).toBe('BAD_PROOF');
    const badLevel: Proof = { levels: [{ siblings: 3, hashes: new Uint8Array(32) }], leaf: proof.leaf };
    expect(errorCode(() => verifyProof(root, PRESENT[9]!, badLevel))).toBe('BAD_PROOF');
    const hashOnly: Proof = { levels: proof.levels, leaf: { key: PRESENT[9]!, valueHash: new Uint8Array(32) } };
    expect(errorCode(() => verifyProof(root, PRESENT[9]!, hashOnly))).toBe('BAD_PROOF');
    expect(errorCode(() => verifyProof(root.subarray(1), PRESENT[9]!, proof))).toBe('BAD_REQUEST');
    expect(errorCode(() => verifyProof(root, PRESENT[9]!.subarray(1), proof))).toBe('BAD_KEY');
  });

  it('proves absence in the empty tree and presence in a one-key tree', () => {
    const other = tempDir();
    const small = openStore(other.file);
    try {
      const empty = small.prove(KEYS[0]!);
      expect(empty).toEqual({ levels: [], leaf: null });
      expect(verifyProof(small.root(), KEYS[0]!, encodeProof(empty))).toEqual({ found: false });
      small.put(KEYS[0]!, 0, Buffer.from('only'));
      const one = small.prove(KEYS[0]!);
      expect(one.levels).toEqual([]);
      expect(verifyProof(small.root(), KEYS[0]!, one).found).toBe(true);
      expect(verifyProof(small.root(), KEYS[1]!, small.prove(KEYS[1]!))).toEqual({ found: false });
    } finally {
      small.close();
      other.cleanup();
    }
  });
});

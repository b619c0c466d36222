/**
 * Decoded transactions and their signing bytes, remembered for one process. A manager decodes a transaction when
 * it admits it, again when it builds a block and again when it applies the decided one; decoding is strict (the
 * reader, then a re-encoding that must give the input back) and the signing bytes are a second encoding, so
 * together they cost about as much as a Falcon verification. Entries are keyed by the transaction hash (SHA-256
 * of its bytes): equal hashes mean equal bytes, so a remembered decoding is the one the bytes would give again.
 * The size limit is checked on every call, since the parameter can change between calls.
 */
import { toHex } from '../crypto/index.ts';
import { signerAddress } from './signers.ts';
import { decodeTx, type Tx, txHash, txSigningBytes, type UnsignedTx } from './tx.ts';

export class TxMemo {
  readonly #decoded = new Map<string, Tx>();
  readonly #signing = new WeakMap<UnsignedTx, Uint8Array>();
  readonly #signers = new WeakMap<Tx, string>();
  readonly #capacity: number;

  /** Up to `capacity` decoded transactions (least recently used first out). */
  constructor(capacity = 20_000) {
    this.#capacity = capacity;
  }

  /** decodeTx(bytes, maxSize), remembered by hash (`hash` when the caller has it already). */
  decode(bytes: Uint8Array, maxSize: number, hash: Uint8Array = txHash(bytes)): Tx {
    if (bytes.length > maxSize) return decodeTx(bytes, maxSize);
    const key = toHex(hash);
    const known = this.#decoded.get(key);
    if (known !== undefined) {
      this.#decoded.delete(key);
      this.#decoded.set(key, known);
      return known;
    }
    const tx = decodeTx(bytes, maxSize);
    this.#decoded.set(key, tx);
    if (this.#decoded.size > this.#capacity) this.#decoded.delete(this.#decoded.keys().next().value!);
    return tx;
  }

  /** txSigningBytes(tx), remembered for this very object (the decoded transactions are never changed). */
  signingBytes(tx: UnsignedTx): Uint8Array {
    let bytes = this.#signing.get(tx);
    if (bytes === undefined) {
      bytes = txSigningBytes(tx);
      this.#signing.set(tx, bytes);
    }
    return bytes;
  }

  /**
   * signerAddress(tx), remembered for this very object: hashing a Falcon key (897 bytes) into an address is asked
   * for by the pool's slot, the nonce check and every execution of the transaction.
   */
  signer(tx: Tx): string {
    let address = this.#signers.get(tx);
    if (address === undefined) {
      address = signerAddress(tx);
      this.#signers.set(tx, address);
    }
    return address;
  }
}

/** signerAddress through `memo` when there is one. */
export function signerWith(memo: TxMemo | undefined, tx: Tx): string {
  return memo === undefined ? signerAddress(tx) : memo.signer(tx);
}

/** Decodes through `memo` when there is one. */
export function decodeWith(memo: TxMemo | undefined, bytes: Uint8Array, maxSize: number, hash?: Uint8Array): Tx {
  return memo === undefined ? decodeTx(bytes, maxSize) : memo.decode(bytes, maxSize, hash);
}

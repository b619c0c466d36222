/**
 * The bytes of a receipt without encoding its fields twice (hot on both sides of a request). A receipt is the
 * canonical CBOR map {r: fields, sig} (node/ledger/receipt.ts): 0xa2, the key 'r', the fields' canonical encoding,
 * the key 'sig' and a 64-byte string — and the session key signs 'AME-RECEIPT-v1' ‖ 0x00 ‖ cbor(fields), the same
 * middle part. So the payer encodes the fields once for both, and the payee finds the signed part as a slice.
 */
import { concatBytes, domainSeparated, type Ed25519KeyPair } from '../../crypto/index.ts';
import { type Receipt, type ReceiptFields, receiptSigningBytes } from '../../ledger/index.ts';
import { RECEIPT_DOMAIN_TAG } from '../../ledger/receipt.ts';
import { encodeCbor, type CborValue } from '../../wire/index.ts';

/** 0xa2 (a map of two), 'r'. */
const HEAD = Uint8Array.of(0xa2, 0x61, 0x72);
/** 'sig', a byte string of 64. */
const SIG_KEY = Uint8Array.of(0x63, 0x73, 0x69, 0x67, 0x58, 0x40);
const SIG_LENGTH = 64;

/** encodeReceipt(signReceipt(session, fields)), encoding the fields once. */
export function signedReceiptBytes(session: Ed25519KeyPair, fields: ReceiptFields): Uint8Array {
  const body = encodeCbor(fields as unknown as CborValue);
  const sig = session.sign(domainSeparated(RECEIPT_DOMAIN_TAG, body));
  if (sig.length !== SIG_LENGTH) throw new RangeError('an Ed25519 signature is 64 bytes');
  return concatBytes(HEAD, body, SIG_KEY, sig);
}

/**
 * receiptSigningBytes(receipt.fields) for `receipt` decoded (strictly, so canonically) from `bytes`: the slice
 * between the head and the signature; anything laid out otherwise is encoded again.
 */
export function receiptSignedBytes(bytes: Uint8Array, receipt: Receipt): Uint8Array {
  const end = bytes.length - SIG_KEY.length - SIG_LENGTH;
  if (end > HEAD.length && HEAD.every((b, i) => bytes[i] === b) && SIG_KEY.every((b, i) => bytes[end + i] === b)) {
    return domainSeparated(RECEIPT_DOMAIN_TAG, bytes.subarray(HEAD.length, end));
  }
  return receiptSigningBytes(receipt.fields);
}

/**
 * Receipts (SPEC §6 item 4): the client's session key signs, per request, what it owes one payee on one channel
 * in total so far. Encoding: cbor({r: {channel, payee, amount, nonce, score?}, sig}); the session key signs
 * 'AME-RECEIPT-v1' ‖ 0x00 ‖ cbor(r). `amount` is cumulative, so an old receipt settled again pays nothing.
 */
import {
  decodeSessionAuthorization,
  domainSeparated,
  type Ed25519KeyPair,
  type Ed25519PublicKey,
  type SessionAuthorization,
  verifySessionAuthorization,
} from '../crypto/index.ts';
import { CryptoError, verifyAny, type VerifySig } from '../crypto/index.ts';
import { encodeCbor, s, type CborValue, type Infer } from '../wire/index.ts';
import { LedgerError } from './errors.ts';
import { decodeStrict } from './tx.ts';

export const RECEIPT_DOMAIN_TAG = 'AME-RECEIPT-v1';

const receiptFields = s.struct({
  channel: s.bytes({ len: 32 }),
  payee: s.bytes({ len: 32 }),
  amount: s.u64(),
  nonce: s.u64(),
  score: s.optional(s.uint({ max: 100 })),
});
const receiptSchema = s.struct({ r: receiptFields, sig: s.bytes({ len: 64 }) });

export type ReceiptFields = Infer<typeof receiptFields>;
export interface Receipt {
  readonly fields: ReceiptFields;
  readonly sig: Uint8Array;
}

export function receiptSigningBytes(fields: ReceiptFields): Uint8Array {
  return domainSeparated(RECEIPT_DOMAIN_TAG, encodeCbor(fields as unknown as CborValue));
}

export function signReceipt(session: Ed25519KeyPair, fields: ReceiptFields): Receipt {
  return { fields, sig: session.sign(receiptSigningBytes(fields)) };
}

export function encodeReceipt(receipt: Receipt): Uint8Array {
  return encodeCbor({ r: receipt.fields as unknown as CborValue, sig: receipt.sig });
}

/** Strict decoder: MALFORMED / BAD_FIELD only. */
export function decodeReceipt(bytes: Uint8Array): Receipt {
  const parsed = decodeStrict(bytes, 4096, receiptSchema, 'receipt');
  return { fields: parsed.r, sig: parsed.sig };
}

/** Decodes a session authorisation (crypto layout) as a LedgerError-only decoder. */
export function decodeAuthorization(bytes: Uint8Array): SessionAuthorization {
  try {
    return decodeSessionAuthorization(bytes);
  } catch (error) {
    throw new LedgerError('MALFORMED', `session authorisation: ${(error as Error).message}`, {
      cause: error,
      field: 'body.authorization',
    });
  }
}

/**
 * Checks the authorisation (signed by `client`, not expired at block time `nowMs`) and the receipt's signature
 * by the session key it vouches for. BAD_RECEIPT / EXPIRED / BAD_SIGNATURE naming the field.
 */
export function verifyReceipt(
  receipt: Receipt,
  auth: SessionAuthorization,
  client: string,
  nowMs: number,
  verify: VerifySig = verifyAny,
): void {
  if (auth.account !== client) {
    throw new LedgerError('BAD_RECEIPT', `session authorised by ${auth.account}, not the channel's client`, {
      field: 'body.authorization',
    });
  }
  let sessionKey: Ed25519PublicKey;
  try {
    sessionKey = verifySessionAuthorization(auth, nowMs, verify);
  } catch (error) {
    const code = error instanceof CryptoError && error.code === 'EXPIRED' ? 'EXPIRED' : 'BAD_RECEIPT';
    throw new LedgerError(code, (error as Error).message, { cause: error, field: 'body.authorization' });
  }
  if (!verify('ed25519', sessionKey.bytes, receiptSigningBytes(receipt.fields), receipt.sig)) {
    throw new LedgerError('BAD_SIGNATURE', 'receipt is not signed by the authorised session key', {
      field: 'body.receipt.sig',
    });
  }
}

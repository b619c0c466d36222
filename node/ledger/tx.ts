/**
 * Transactions (docs/ledger.md "Transactions"): one canonical CBOR map
 * {chain, kind, signer, nonce, fee, body, sigs}. The signed bytes are
 *
 *   'AME-TX-v1' ‖ 0x00 ‖ kind ‖ 0x00 ‖ cbor({chain, kind, signer, nonce, fee, body})
 *
 * so a signature belongs to one chain (its genesis id), one kind and one nonce. `signer.scheme` says who signs:
 * an account key ('falcon' | 'ecdsa'), a manager's node key ('ed25519'), the governance keys of the genesis
 * ('governance', empty key) or two thirds of the current manager set ('managers', empty key; reconfigure only).
 * `sigs` are {i, sig}: i = 0 the signer, i = 1 the second signer of a registration (the node key) or a re-bind
 * (the new account); for governance, i is the index of the governance key; for managers, i is the index of the
 * node key in the current manager set (`meta/managers`).
 */
import { domainSeparated, sha256, utf8 } from '../crypto/index.ts';
import { decodeCbor, encodeCbor, s, WireError, type CborValue, type Infer, type Schema } from '../wire/index.ts';
import { LedgerError } from './errors.ts';

export const TX_DOMAIN_TAG = 'AME-TX-v1';
/** Hard cap before parsing; the ledger parameter maxTxBytes is checked again at execution. */
export const MAX_TX_SIZE = 1 << 24;
/** The largest manager set (`meta/managers` holds at most this many keys). */
export const MAX_MANAGERS = 1024;
/** Signatures of every signer class but 'managers' (whose transactions carry up to a quorum of the set). */
export const MAX_SIGS = 64;

const key32 = s.bytes({ len: 32 });
const address = s.text({ min: 1, max: 128 });

export const TX_BODIES = {
  transfer: s.struct({ to: address, amount: s.u64() }),
  convert: s.struct({ amount: s.u64() }),
  register: s.struct({ node: key32, role: s.text({ max: 16 }), hardware: s.text({ max: 256 }) }),
  rebind: s.struct({ node: key32, scheme: s.text({ max: 16 }), key: s.bytes({ min: 1, max: 1024 }) }),
  attach: s.struct({ node: key32, unity: s.text({ min: 1, max: 80 }) }),
  promote: s.struct({ node: key32 }),
  remove: s.struct({ node: key32, cheating: s.bool(), reason: s.text({ max: 256 }) }),
  exit: s.struct({ node: key32 }),
  'ring-change': s.struct({ epoch: s.u64(), root: key32 }),
  'channel-open': s.struct({
    currency: s.text({ max: 8 }),
    amount: s.u64(),
    payees: s.array(key32, { min: 1, max: 64 }),
  }),
  'channel-settle': s.struct({ receipt: s.bytes({ max: 4096 }), authorization: s.bytes({ max: 4096 }) }),
  'channel-close': s.struct({ channel: key32 }),
  'period-close': s.struct({
    period: s.u64(),
    workload: s.array(s.struct({ node: key32, units: s.u64() }), { max: 1 << 16 }),
  }),
  /** One manager's observations since its last report, per node (exec-report.ts). */
  'node-report': s.struct({
    nodes: s.array(
      s.struct({
        node: key32,
        auditsPassed: s.u64(),
        auditsFailed: s.u64(),
        /** One of the failed audits is proven cheating: the node's bad record, for ever. */
        cheated: s.bool(),
        heartbeatsSeen: s.u64(),
        heartbeatsExpected: s.u64(),
        served: s.u64(),
        /** Workload units served (⌈bytes / 1 KiB⌉ + compute units per request): the period's fee-pool share. */
        units: s.optional(s.u64()),
      }),
      { min: 1, max: 1 << 12 },
    ),
  }),
  'set-param': s.struct({ name: s.text({ min: 1, max: 64 }), value: s.u64() }),
  reconfigure: s.struct({
    managers: s.array(s.struct({ key: key32, account: address }), { min: 1, max: MAX_MANAGERS }),
  }),
} as const;

export type TxKind = keyof typeof TX_BODIES;
export const TX_KINDS = Object.keys(TX_BODIES) as TxKind[];
export type TxBody<K extends TxKind> = Infer<(typeof TX_BODIES)[K]>;

export const SIGNER_SCHEMES = ['falcon', 'ecdsa', 'ed25519', 'governance', 'managers'] as const;
export type SignerScheme = (typeof SIGNER_SCHEMES)[number];

export interface Signer {
  readonly scheme: SignerScheme;
  /** Account public key, node key (32 bytes), or empty for governance and managers. */
  readonly key: Uint8Array;
}

export interface TxSig {
  readonly i: number;
  readonly sig: Uint8Array;
}

interface TxOf<K extends TxKind> {
  readonly chain: Uint8Array;
  readonly kind: K;
  readonly signer: Signer;
  readonly nonce: bigint;
  readonly fee: bigint;
  readonly body: TxBody<K>;
}

export type UnsignedTx = { [K in TxKind]: TxOf<K> }[TxKind];
export type Tx = UnsignedTx & { readonly sigs: readonly TxSig[] };

const envelopeSchema = s.struct({
  chain: key32,
  kind: s.text({ min: 1, max: 32 }),
  signer: s.struct({ scheme: s.text({ max: 16 }), key: s.bytes({ max: 1024 }) }),
  nonce: s.u64(),
  fee: s.u64(),
  body: s.raw(),
  sigs: s.array(s.struct({ i: s.uint({ max: MAX_MANAGERS - 1 }), sig: s.bytes({ min: 1, max: 1024 }) }), {
    min: 1,
    max: MAX_MANAGERS,
  }),
});

function isKind(kind: string): kind is TxKind {
  return Object.hasOwn(TX_BODIES, kind);
}

/** A WireError from below as a LedgerError: SCHEMA → BAD_FIELD naming the field path, the rest MALFORMED. */
export function fromWire(error: unknown, what: string): LedgerError {
  if (error instanceof LedgerError) return error;
  if (error instanceof WireError && error.code === 'SCHEMA') {
    const colon = error.message.indexOf(':');
    const field = colon > 0 ? error.message.slice(0, colon) : what;
    return new LedgerError('BAD_FIELD', error.message.slice(colon + 1).trim(), { field, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LedgerError('MALFORMED', `${what}: ${message}`, { cause: error });
}

/** Parses a decoded value against a schema, with LedgerError on failure. */
export function parseAs<T>(schema: Schema<T>, value: unknown, path: string): T {
  try {
    return schema.parse(value, path);
  } catch (error) {
    throw fromWire(error, path);
  }
}

function checkSigner(scheme: string, key: Uint8Array): Signer {
  if (!(SIGNER_SCHEMES as readonly string[]).includes(scheme)) {
    throw new LedgerError('BAD_FIELD', `unknown signer scheme ${JSON.stringify(scheme)}`, { field: 'signer.scheme' });
  }
  if (scheme === 'ed25519' && key.length !== 32) {
    throw new LedgerError('BAD_FIELD', 'a node key is 32 bytes', { field: 'signer.key' });
  }
  if ((scheme === 'governance' || scheme === 'managers') && key.length !== 0) {
    throw new LedgerError('BAD_FIELD', `${scheme} transactions carry no signer key`, { field: 'signer.key' });
  }
  return { scheme: scheme as SignerScheme, key };
}

function txValue(tx: UnsignedTx): Record<string, CborValue> {
  return {
    chain: tx.chain,
    kind: tx.kind,
    signer: { scheme: tx.signer.scheme, key: tx.signer.key },
    nonce: tx.nonce,
    fee: tx.fee,
    body: tx.body as unknown as CborValue,
  };
}

/** The bytes every signature of a transaction covers. */
export function txSigningBytes(tx: UnsignedTx): Uint8Array {
  return domainSeparated(TX_DOMAIN_TAG, utf8(tx.kind), new Uint8Array([0]), encodeCbor(txValue(tx)));
}

export function encodeTx(tx: Tx): Uint8Array {
  try {
    return encodeCbor({ ...txValue(tx), sigs: tx.sigs.map((x) => ({ i: x.i, sig: x.sig })) });
  } catch (error) {
    throw fromWire(error, 'transaction');
  }
}

export function txHash(encoded: Uint8Array): Uint8Array {
  return sha256(encoded);
}

/** Canonical CBOR of untrusted bytes checked against a schema, with LedgerError only (MALFORMED / BAD_FIELD). */
export function decodeStrict<T>(bytes: Uint8Array, maxSize: number, schema: Schema<T>, what: string): T {
  let value: CborValue;
  try {
    value = decodeCbor(bytes, { maxSize });
  } catch (error) {
    throw fromWire(error, what);
  }
  return parseAs(schema, value, what);
}

/** Strict decoder of untrusted bytes: MALFORMED or BAD_FIELD (naming the field), never anything else. */
export function decodeTx(bytes: Uint8Array, maxSize = MAX_TX_SIZE): Tx {
  const raw = decodeStrict(bytes, maxSize, envelopeSchema, 'tx');
  if (!isKind(raw.kind)) throw new LedgerError('BAD_FIELD', `unknown kind ${JSON.stringify(raw.kind)}`, { field: 'tx.kind' });
  const body = parseAs(TX_BODIES[raw.kind] as Schema<unknown>, raw.body, 'tx.body');
  const signer = checkSigner(raw.signer.scheme, raw.signer.key);
  if (signer.scheme !== 'managers' && raw.sigs.length > MAX_SIGS) {
    throw new LedgerError('BAD_FIELD', `at most ${MAX_SIGS} signatures`, { field: 'tx.sigs' });
  }
  const seen = new Set<number>();
  for (const [n, x] of raw.sigs.entries()) {
    if (signer.scheme !== 'managers' && x.i >= MAX_SIGS) {
      throw new LedgerError('BAD_FIELD', `signature index above ${MAX_SIGS - 1}`, { field: `tx.sigs[${n}].i` });
    }
    if (seen.has(x.i)) throw new LedgerError('BAD_FIELD', `signature index ${x.i} twice`, { field: `tx.sigs[${n}].i` });
    seen.add(x.i);
  }
  return { chain: raw.chain, kind: raw.kind, signer, nonce: raw.nonce, fee: raw.fee, body, sigs: raw.sigs } as Tx;
}

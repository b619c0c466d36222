/**
 * The consensus bench's ledger load: deterministic keys, a genesis per ring size, and the transactions clients
 * send. One client (a Falcon-512 wallet, SPEC §3's default, named as the genesis `investors` account) opens one
 * ABC channel paying `PAYEES` temporary workers; each payee's payout account (also Falcon-512) registers its
 * node, then settles receipts on that channel — `channel-settle`, the transaction that fills the blocks. A settle
 * carries three signatures: the payee account's Falcon signature on the transaction, the client's Falcon
 * signature on its session authorisation, and the session key's Ed25519 signature on the receipt.
 */
import {
  type AccountKey,
  concatBytes,
  decodeSessionAuthorization,
  Ed25519KeyPair,
  Ed25519PublicKey,
  encodeSessionAuthorization,
  authorizeSession,
  falconAccountKey,
  type Scheme,
  sessionAuthorizationMessage,
  sha256,
  utf8,
  verifySignature,
} from '../../node/crypto/index.ts';
import {
  channelId,
  decodeReceipt,
  decodeTx,
  demoParams,
  encodeReceipt,
  encodeTx,
  type GenesisConfig,
  genesisId,
  signAccountTx,
  signReceipt,
  txSigningBytes,
  withParam,
} from '../../node/ledger/index.ts';
import { receiptSigningBytes } from '../../node/ledger/receipt.ts';
import { ABC, testGenesis } from '../support/ledger-chain.ts';

/** Payees (temporary workers) settling on the client's channel; payee p submits through manager p mod n. */
export const PAYEES = 32;
/** Every settle pays 1 a more than the payee's last: cumulative receipts, as SPEC §6 item 4 has them. */
const ESCROW = 1_000n * ABC;

function falconSeed(label: string): Uint8Array {
  return concatBytes(sha256(utf8(`${label} a`)), sha256(utf8(`${label} b`))).slice(0, 48);
}

export const managerSeed = (i: number): Uint8Array => sha256(utf8(`consensus bench manager ${i}`));
export const payeeAccount = (p: number): AccountKey => falconAccountKey(falconSeed(`consensus bench payee ${p}`));
export const payeeNode = (p: number): Ed25519KeyPair => Ed25519KeyPair.fromSeed(sha256(utf8(`consensus bench payee node ${p}`)));
export const clientAccount = (): AccountKey => falconAccountKey(falconSeed('consensus bench client'));
export const sessionKey = (): Ed25519KeyPair => Ed25519KeyPair.fromSeed(sha256(utf8('consensus bench client session')));

/** The ring of `n` managers, the client's funds in `investors`, blocks of up to `blockLimitBytes`. */
export function benchGenesis(n: number, blockLimitBytes: bigint, client: string): GenesisConfig {
  const base = testGenesis(withParam(demoParams, 'blockLimitBytes', blockLimitBytes));
  return {
    ...base,
    chainName: `ame-consensus-bench-${n}`,
    accounts: { ...base.accounts, investors: client },
    managers: Array.from({ length: n }, (_, i) => ({
      key: Ed25519KeyPair.fromSeed(managerSeed(i)).publicKey.bytes,
      account: base.managers[i % base.managers.length]!.account,
    })),
  };
}

/** What every transaction maker needs about one chain. */
export interface ChainLoad {
  readonly chain: Uint8Array;
  /** The client's channel (opened with its nonce 0). */
  readonly channel: Uint8Array;
}

export function chainLoad(genesis: GenesisConfig, client: string): ChainLoad {
  const chain = genesisId(genesis);
  return { chain, channel: channelId(chain, client, 0n) };
}

/** The client's session authorisation, signed once by its Falcon key (valid for a day). */
export function clientAuthorization(client: AccountKey, nowMs: number): Uint8Array {
  return encodeSessionAuthorization(authorizeSession(client, sessionKey().publicKey, nowMs + 86_400_000));
}

/** Payee p registers its node (temporary worker, no deposit): its account's nonce 0. */
export function registrationTx(load: ChainLoad, p: number, account = payeeAccount(p)): Uint8Array {
  const node = payeeNode(p);
  const body = { node: node.publicKey.bytes, role: 'temporary' as const, hardware: 'consensus-bench' };
  return encodeTx(signAccountTx({ chain: load.chain, kind: 'register', nonce: 0n, fee: 0n, body }, account, node));
}

/** The client opens its channel paying every payee. */
export function channelOpenTx(load: ChainLoad, client: AccountKey): Uint8Array {
  const payees = Array.from({ length: PAYEES }, (_, p) => payeeNode(p).publicKey.bytes);
  const body = { currency: 'ABC' as const, amount: ESCROW, payees };
  return encodeTx(signAccountTx({ chain: load.chain, kind: 'channel-open', nonce: 0n, fee: 0n, body }, client));
}

/** Payee p's k-th settle (k ≥ 1, its account's nonce k): a receipt for k a in total. */
export function settleTx(load: ChainLoad, p: number, k: number, account: AccountKey, session: Ed25519KeyPair, authorization: Uint8Array): Uint8Array {
  const amount = BigInt(k);
  const receipt = signReceipt(session, { channel: load.channel, payee: payeeNode(p).publicKey.bytes, amount, nonce: amount });
  const body = { receipt: encodeReceipt(receipt), authorization };
  return encodeTx(signAccountTx({ chain: load.chain, kind: 'channel-settle', nonce: amount, fee: 0n, body }, account));
}

/** One signature check: a scheme, a key, the signed bytes and the signature. */
export interface SigCheck {
  readonly scheme: Scheme | 'ed25519';
  readonly key: Uint8Array;
  readonly message: Uint8Array;
  readonly sig: Uint8Array;
}

/** The three signatures of an encoded settle, with the exact bytes each signs. */
export function settleSignatures(bytes: Uint8Array): SigCheck[] {
  const tx = decodeTx(bytes);
  if (tx.kind !== 'channel-settle') throw new Error(`not a settle: ${tx.kind}`);
  const body = tx.body as { readonly receipt: Uint8Array; readonly authorization: Uint8Array };
  const receipt = decodeReceipt(body.receipt);
  const auth = decodeSessionAuthorization(body.authorization);
  return [
    { scheme: tx.signer.scheme as Scheme, key: tx.signer.key, message: txSigningBytes(tx), sig: tx.sigs[0]!.sig },
    { scheme: auth.scheme, key: auth.accountPublicKey, message: sessionAuthorizationMessage(auth), sig: auth.signature },
    { scheme: 'ed25519', key: auth.sessionPublicKey, message: receiptSigningBytes(receipt.fields), sig: receipt.sig },
  ];
}

const ed25519Keys = new Map<Uint8Array, Ed25519PublicKey>();

export function checkSignature(c: SigCheck): boolean {
  if (c.scheme !== 'ed25519') return verifySignature(c.scheme, c.key, c.message, c.sig);
  let key = ed25519Keys.get(c.key);
  if (key === undefined) {
    key = new Ed25519PublicKey(c.key);
    ed25519Keys.set(c.key, key);
  }
  return key.verify(c.message, c.sig);
}

/**
 * A client's folder (SPEC §1 client role, §3 session keys, §6 item 4): what a client keeps between runs, so that
 * a restart never signs a lower amount, reuses a receipt nonce or loses a channel it paid escrow into.
 *
 *   session.key      the session key: its Ed25519 seed in hex (mode 0600); it signs every receipt
 *   session.json     its authorisation, signed once by the wallet account (account, expiry, encoded authorisation)
 *   channels.json    the channels opened from here: id, currency, escrow, payees, opening and closing transactions
 *   spender.sqlite   per channel: each payee's cumulative amount signed and the next nonce (SqliteSpenderStore)
 *   chain.json       the chain the channels live on, the manager that served it and the prices of its genesis
 *   blobs.json       the blobs stored from here (address, size, worker), so a fetch pays exactly its size
 *   messaging/       the messaging identity and sessions (messenger.ts)
 *
 * A folder pays from one account: the one its session key is authorised by. Commands on one folder run one at a
 * time (the spender store refuses a second writer with STATE_CONFLICT; the JSON files are not locked).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeSessionAuthorization,
  Ed25519KeyPair,
  encodeSessionAuthorization,
  fromHex,
  type SessionAuthorization,
  toHex,
} from '../crypto/index.ts';
import type { Prices } from '../services/pricing.ts';
import { ChannelSpender, SqliteSpenderStore } from '../worker/payments/index.ts';
import { ClientError } from './errors.ts';
import { isDecimal, isHex, PUBLIC_MODE, readJson, SECRET_MODE, writeFileAtomic, writeJson } from './json-file.ts';

export type Currency = 'ABC' | 'ABIT';
/** pending: submitted, not final yet; closing: the dispute window runs; failed: refused by the block. */
export type ChannelStatus = 'pending' | 'open' | 'closing' | 'closed' | 'failed';

export interface PayeeEntry {
  /** The payee's node key (hex). */
  readonly key: string;
  /** Its PeerId. */
  readonly peer: string;
  /** The contact file it was named by (its addresses change when the node restarts, so they are read anew). */
  readonly contact?: string;
}

/** Amounts and heights are decimal strings (u64 does not fit a JSON number). */
export interface ChannelEntry {
  readonly id: string;
  readonly currency: Currency;
  readonly escrow: string;
  readonly account: string;
  readonly payees: readonly PayeeEntry[];
  readonly status: ChannelStatus;
  readonly openTx: string;
  readonly openedAt?: string;
  readonly closeTxs: readonly string[];
  /** Unix ms after which a second close returns the rest of the escrow. */
  readonly closeAt?: string;
}

export interface ChainEntry {
  readonly chainId: string;
  readonly chainName: string;
  readonly manager: string;
  readonly prices: { readonly [K in keyof Prices]: string };
  /** The genesis dispute window of a closing channel, ms (to tell when a second close returns the rest). */
  readonly channelDisputeMs: string;
  /** The genesis introduction fee (a, SPEC §7), paid to a manager per introduction; absent in older folders. */
  readonly introductionFee?: string;
}

export interface BlobEntry {
  readonly address: string;
  readonly size: number;
  readonly worker: string;
  readonly name: string;
}

export const FOLDER_FILES = {
  sessionKey: 'session.key',
  session: 'session.json',
  channels: 'channels.json',
  spender: 'spender.sqlite',
  chain: 'chain.json',
  blobs: 'blobs.json',
  messaging: 'messaging',
} as const;

function damaged(path: string, why: string): ClientError {
  return new ClientError('BAD_STATE', `${path}: ${why}`);
}

function checkChannel(path: string, c: Partial<ChannelEntry> | null, i: number): ChannelEntry {
  const ok =
    typeof c === 'object' && c !== null && isHex(c.id, 32) && (c.currency === 'ABC' || c.currency === 'ABIT') &&
    isDecimal(c.escrow) && typeof c.account === 'string' && isHex(c.openTx, 32) && Array.isArray(c.closeTxs) &&
    ['pending', 'open', 'closing', 'closed', 'failed'].includes(String(c.status)) && Array.isArray(c.payees) &&
    c.payees.every((p: Partial<PayeeEntry>) => isHex(p?.key, 32) && typeof p.peer === 'string');
  if (!ok) throw damaged(path, `channel ${i} is not a channel entry`);
  return c as ChannelEntry;
}

export class ClientFolder {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens the folder at `dir`, creating it (mode 0700: it holds the session key). */
  static open(dir: string): ClientFolder {
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
    }
    return new ClientFolder(dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** The session key, made on first use. */
  sessionKey(): Ed25519KeyPair {
    const path = this.path(FOLDER_FILES.sessionKey);
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8').trim();
      if (!isHex(text, 32)) throw damaged(path, 'not a 32-byte seed in hex');
      return Ed25519KeyPair.fromSeed(fromHex(text));
    }
    const key = Ed25519KeyPair.generate();
    writeFileAtomic(path, `${toHex(key.seed())}\n`, SECRET_MODE);
    return key;
  }

  /** The session key's authorisation, if one was made (it may have expired). */
  authorization(): SessionAuthorization | undefined {
    const path = this.path(FOLDER_FILES.session);
    const raw = readJson(path) as { authorization?: unknown } | undefined;
    if (raw === undefined) return undefined;
    if (!isHex(raw?.authorization)) throw damaged(path, 'no encoded authorisation');
    try {
      return decodeSessionAuthorization(fromHex(raw.authorization));
    } catch (cause) {
      throw new ClientError('BAD_STATE', `${path}: ${(cause as Error).message}`, { cause });
    }
  }

  /** The account this folder pays from: the one that authorised its session key. */
  account(): string | undefined {
    return this.authorization()?.account;
  }

  /** WRONG_ACCOUNT when the folder already pays from another account than `address`. */
  requireAccount(address: string): void {
    const bound = this.account();
    if (bound !== undefined && bound !== address) {
      throw new ClientError('WRONG_ACCOUNT', `${this.dir} pays from account ${bound}, not ${address}: use another --client folder`);
    }
  }

  saveAuthorization(auth: SessionAuthorization): void {
    const record = {
      account: auth.account,
      sessionKey: toHex(auth.sessionPublicKey),
      expiresAt: new Date(auth.expiresAt).toISOString(),
      authorization: toHex(encodeSessionAuthorization(auth)),
    };
    writeJson(this.path(FOLDER_FILES.session), record, PUBLIC_MODE);
  }

  channels(): ChannelEntry[] {
    const path = this.path(FOLDER_FILES.channels);
    const raw = readJson(path) as { channels?: unknown } | undefined;
    if (raw === undefined) return [];
    if (!Array.isArray(raw?.channels)) throw damaged(path, 'no "channels" list');
    return raw.channels.map((c: Partial<ChannelEntry> | null, i) => checkChannel(path, c, i));
  }

  /** Adds the channel, or replaces the entry with its id. */
  putChannel(entry: ChannelEntry): void {
    const rest = this.channels().filter((c) => c.id !== entry.id);
    writeJson(this.path(FOLDER_FILES.channels), { channels: [...rest, entry] }, PUBLIC_MODE);
  }

  removeChannel(id: string): void {
    writeJson(this.path(FOLDER_FILES.channels), { channels: this.channels().filter((c) => c.id !== id) }, PUBLIC_MODE);
  }

  /** The channel whose id is `text` or starts with it (at least 8 hex digits); UNKNOWN_CHANNEL otherwise. */
  channel(text: string): ChannelEntry {
    const prefix = text.toLowerCase();
    if (!/^[0-9a-f]{8,64}$/.test(prefix)) throw new ClientError('UNKNOWN_CHANNEL', `not a channel id: ${text} (8 to 64 hex digits)`);
    const found = this.channels().filter((c) => c.id.startsWith(prefix));
    if (found.length === 0) throw new ClientError('UNKNOWN_CHANNEL', `no channel ${text} in ${this.dir} (see ame channel status)`);
    if (found.length > 1) throw new ClientError('UNKNOWN_CHANNEL', `${text} names ${found.length} channels: give more digits`);
    return found[0]!;
  }

  chain(): ChainEntry | undefined {
    const path = this.path(FOLDER_FILES.chain);
    const raw = readJson(path) as Partial<ChainEntry> | undefined;
    if (raw === undefined) return undefined;
    const prices = raw?.prices;
    const ok = isHex(raw?.chainId, 32) && typeof raw.manager === 'string' && isDecimal(raw.channelDisputeMs) &&
      typeof prices === 'object' && prices !== null &&
      [prices.priceStorageKibDay, prices.priceServedKib, prices.priceComputeUnit, prices.priceMessage].every(isDecimal);
    if (!ok) throw damaged(path, 'not a chain entry');
    return raw as ChainEntry;
  }

  saveChain(entry: ChainEntry): void {
    writeJson(this.path(FOLDER_FILES.chain), entry, PUBLIC_MODE);
  }

  /** The prices receipts are signed for (those of the chain's genesis); NO_CHANNEL before any channel was opened. */
  prices(): Prices {
    const chain = this.chain();
    if (chain === undefined) throw new ClientError('NO_CHANNEL', `no channel was opened from ${this.dir} yet (ame channel open)`);
    const p = chain.prices;
    return {
      priceStorageKibDay: BigInt(p.priceStorageKibDay),
      priceServedKib: BigInt(p.priceServedKib),
      priceComputeUnit: BigInt(p.priceComputeUnit),
      priceMessage: BigInt(p.priceMessage),
    };
  }

  blobs(): BlobEntry[] {
    const raw = readJson(this.path(FOLDER_FILES.blobs)) as { blobs?: BlobEntry[] } | undefined;
    return Array.isArray(raw?.blobs) ? raw.blobs.filter((b) => isHex(b?.address, 32) && Number.isSafeInteger(b.size)) : [];
  }

  addBlob(entry: BlobEntry): void {
    const rest = this.blobs().filter((b) => !(b.address === entry.address && b.worker === entry.worker));
    writeJson(this.path(FOLDER_FILES.blobs), { blobs: [...rest, entry] }, PUBLIC_MODE);
  }

  openSpenderStore(): SqliteSpenderStore {
    return SqliteSpenderStore.open(this.path(FOLDER_FILES.spender));
  }

  /** A spender over `entry`'s escrow with the folder's session key; NO_CHANNEL when no authorisation exists. */
  spender(entry: ChannelEntry, store: SqliteSpenderStore, now: () => number): ChannelSpender {
    const authorization = this.authorization();
    if (authorization === undefined) throw new ClientError('NO_CHANNEL', `${this.dir} has no authorised session key (ame channel open)`);
    return new ChannelSpender({
      channel: { id: fromHex(entry.id), escrow: BigInt(entry.escrow), payees: entry.payees.map((p) => fromHex(p.key)), currency: entry.currency },
      session: this.sessionKey(),
      authorization,
      store,
      now,
    });
  }
}

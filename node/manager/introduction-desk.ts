/**
 * The manager's side of the client flow (SPEC §7 "Client flow"; wire in node/worker/introduction-protocol.ts):
 * `manager/introduce {key, kind, pay}` → `{unity, epoch, servers, introduction}`. The client pays the
 * introduction fee with a receipt on its Manager Ring channel to this manager; the manager answers with the Unity
 * that owns the key, that Unity's index servers, and an introduction (node/worker/introduction.ts) signed by its
 * node key, naming the channel's client and valid for a session.
 *
 * Order: decode, then locate the Unity, then accept the payment, then sign. Locating first means a key this
 * manager cannot place costs the client nothing (its receipt is not kept, so the same receipt pays the next
 * attempt); once the receipt is accepted nothing after it can fail but signing. Every refusal is a typed error
 * sent back through `serving` (WorkerError MALFORMED, NOT_FOUND, or the receipt book's code: UNDERPAID, REPLAY,
 * WRONG_PAYEE, …) and charges nothing.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Ed25519KeyPair, SignatureCache, toHex } from '../crypto/index.ts';
import type { NetLogger, PeerRef, Rpc } from '../net/index.ts';
import { WorkerError } from '../worker/errors.ts';
import { encodeIntroduction, signIntroduction } from '../worker/introduction.ts';
import { INTRODUCE_METHOD, introduceReply, introduceRequest, keyKind, MAX_OFFER } from '../worker/introduction-protocol.ts';
import { type ChannelView, ReceiptBook, SqliteBookStore } from '../worker/payments/index.ts';
import { serving } from '../worker/serve/remote-errors.ts';

/** How long an introduction is valid by default: a session. */
export const DEFAULT_INTRODUCTION_TTL_MS = 600_000;
/** The folder of the manager's introduction receipts under its data folder. */
export const INTRODUCTIONS_DIR = 'introductions';

/** Where a key lives: the Unity that owns it, the epoch of the ring map that says so, and its index servers. */
export interface Located {
  readonly unity: string;
  readonly epoch: bigint;
  readonly servers: readonly PeerRef[];
}

export interface IntroductionDeskOptions {
  readonly rpc: Rpc;
  /** The manager's node key: the payee of the fee and the introduction's signer. */
  readonly nodeKey: Ed25519KeyPair;
  /** The genesis id of the chain the introductions are valid on. */
  readonly chain: Uint8Array;
  /** The manager's receipt book (payee = nodeKey), settled by the caller's Settler. */
  readonly book: ReceiptBook;
  /** The ledger's channels: the paying channel's client account is the introduction's client. */
  readonly channels: ChannelView;
  /** The introduction fee: `params.introductionFee` of the final state. */
  readonly fee: () => bigint;
  /** The Unity owning the key, and its servers (= its index servers). A throw refuses the request, uncharged. */
  readonly locate: (key: Uint8Array) => Promise<Located>;
  /** Wall clock, ms (the introduction's expiry). */
  readonly now: () => number;
  /** Introduction validity, ms; default 600,000 (a session). */
  readonly ttlMs?: number;
  readonly logger?: NetLogger;
}

export interface IntroductionDeskStats {
  readonly introduced: number;
  readonly refused: number;
  /** What the accepted receipts brought in all (each receipt's increase over the one before it). */
  readonly earned: bigint;
}

export class IntroductionDesk {
  readonly #o: IntroductionDeskOptions;
  readonly #ttlMs: number;
  #introduced = 0;
  #refused = 0;
  #earned = 0n;

  constructor(options: IntroductionDeskOptions) {
    const ttlMs = options.ttlMs ?? DEFAULT_INTRODUCTION_TTL_MS;
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
      throw new WorkerError('BAD_VALUE', `ttlMs must be a positive integer, got ${ttlMs}`, { field: 'ttlMs' });
    }
    this.#o = options;
    this.#ttlMs = ttlMs;
  }

  /** Serves `manager/introduce` on the rpc; undone by `detach`. */
  attach(): void {
    this.#o.rpc.handle(
      INTRODUCE_METHOD,
      serving(async (body: Uint8Array) => {
        try {
          return await this.introduce(body);
        } catch (error) {
          this.#refused += 1;
          this.#o.logger?.debug({ err: (error as Error).message }, 'introduction refused');
          throw error;
        }
      }),
    );
  }

  detach(): void {
    this.#o.rpc.unhandle(INTRODUCE_METHOD);
  }

  stats(): IntroductionDeskStats {
    return { introduced: this.#introduced, refused: this.#refused, earned: this.#earned };
  }

  /** One request's reply, or the typed refusal thrown (what `attach` serves). */
  async introduce(body: Uint8Array): Promise<Uint8Array> {
    const request = introduceRequest.decode(body);
    keyKind(request.kind);
    const located = await this.#locate(request.key);
    const fee = this.#o.fee();
    const accepted = await this.#o.book.accept(request.pay.receipt, request.pay.authorization, fee);
    this.#earned += accepted.earned;
    // The book has just checked the channel on this same view, and the ledger never drops a channel record.
    const client = this.#o.channels(accepted.channel)?.client;
    if (client === undefined) throw new WorkerError('UNKNOWN_CHANNEL', 'the paying channel left the ledger view', { field: 'receipt.channel' });
    const signed = signIntroduction(
      { chain: this.#o.chain, client, key: request.key, unity: located.unity, expires: this.#o.now() + this.#ttlMs },
      this.#o.nodeKey,
    );
    this.#introduced += 1;
    this.#o.logger?.debug({ unity: located.unity, client, channel: toHex(accepted.channel) }, 'client introduced');
    return introduceReply.encode({ ...located, introduction: encodeIntroduction(signed) });
  }

  /**
   * The Unity of `key`, checked to fit the reply before anything is charged: at most MAX_OFFER servers, and
   * fields the client's decoder accepts. A WorkerError of `locate` goes back as it is; any other failure, or a
   * located Unity the reply cannot carry, is NOT_FOUND.
   */
  async #locate(key: Uint8Array): Promise<Located> {
    let located: Located;
    try {
      const found = await this.#o.locate(key);
      const servers = found.servers.slice(0, MAX_OFFER).map((p) => ({ id: p.id, addrs: [...p.addrs] }));
      located = { unity: found.unity, epoch: found.epoch, servers };
      // What the client will decode: a reply with an introduction of the largest size it takes.
      introduceReply.decode(introduceReply.encode({ ...located, introduction: new Uint8Array(1024) }));
    } catch (error) {
      if (error instanceof WorkerError && error.code !== 'MALFORMED') throw error;
      throw new WorkerError('NOT_FOUND', `no Unity to introduce to: ${error instanceof Error ? error.message : String(error)}`, { field: 'key', cause: error });
    }
    if (located.servers.length === 0) throw new WorkerError('NOT_FOUND', `Unity ${located.unity} has no index server`, { field: 'key' });
    return located;
  }
}

/** Opens the manager's receipt book for introduction fees at `<dataDir>/introductions/receipts.sqlite`. */
export function openIntroductionBook(dataDir: string, self: Uint8Array, channels: ChannelView, now: () => number): ReceiptBook {
  const dir = join(dataDir, INTRODUCTIONS_DIR);
  mkdirSync(dir, { recursive: true });
  // The signature cache: a channel's session authorisation is the same bytes in every request, verified once.
  return new ReceiptBook({ self, store: SqliteBookStore.open(join(dir, 'receipts.sqlite')), channels, now, verify: new SignatureCache().verify });
}

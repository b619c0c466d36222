/**
 * What a worker or temporary worker serves (SPEC §6 items 2–4): blobs and store-and-forward messages, each paid
 * request checked against the client's receipt before it is served, and written to the hash-chained service log.
 *
 * Power safety (issue "every receipt and log entry is durable before it is acknowledged"): a paid request is
 * answered only after its receipt (ReceiptBook), its archived copy, the data it stored (blob store / mailbox, one
 * durable write per turn) and its log entry (ServiceLog.appendAsync) are on disk. With the worker's composition
 * (worker-node.ts) the book, the archive and the log share one file and one group commit per turn, and the
 * archived receipt is written in the transaction of its log entry; the entry is appended only once the data is
 * durable. What can be checked without the receipt is checked first — a chunk against its manifest, a blob we do
 * not hold — so a client is not charged for a request we would refuse.
 */
import { sha256, toHex } from '../../crypto/index.ts';
import { decodeReceipt, type LedgerParams } from '../../ledger/index.ts';
import type { Rpc } from '../../net/index.ts';
import { BlobError, type BlobStore, CheckedUpload, encodeManifest, type Manifest, type ServedChunk } from '../../services/blobs/index.ts';
import type { Mailbox } from '../../services/messaging/index.ts';
import { messagePrice, servePrice, storePrice } from '../../services/pricing.ts';
import { TurnWrites } from '../../services/turn-writes.ts';
import type { ServiceLog } from '../../store/index.ts';
import { WorkerError } from '../errors.ts';
import type { ChannelView, ReceiptBook, Taken } from '../payments/index.ts';
import type { ReceiptArchive } from '../payments/receipt-archive.ts';
import { checkAccess } from './mail-access.ts';
import {
  ackedReply,
  BLOB_GET_METHOD,
  BLOB_PUT_METHOD,
  blobGet,
  blobPut,
  chunkReply,
  itemsReply,
  MAX_MAIL_ITEMS,
  MSG_ACK_METHOD,
  MSG_GET_METHOD,
  MSG_PUT_METHOD,
  msgAck,
  msgGet,
  msgPut,
  type Payment,
  seqReply,
  storedReply,
} from './protocol.ts';
import { serving } from './remote-errors.ts';

export interface WorkerServiceOptions {
  readonly blobs: BlobStore;
  readonly mailbox: Mailbox;
  readonly book: ReceiptBook;
  readonly log: ServiceLog;
  /** Every accepted receipt, for the managers' audits of the log (docs/worker.md "Audits"). */
  readonly archive: ReceiptArchive;
  /** The channels as the ledger holds them (the same view the book checks receipts against). */
  readonly channels: ChannelView;
  /**
   * Reads a channel `channels` does not know yet into it (a light client's view learns channels as asked), so the
   * first request on a new channel waits for that read instead of being refused UNKNOWN_CHANNEL.
   */
  readonly learnChannel?: (id: Uint8Array) => Promise<unknown>;
  /** Prices of the ledger's final state. */
  readonly params: () => Pick<LedgerParams, 'priceStorageKibDay' | 'priceServedKib' | 'priceComputeUnit' | 'priceMessage'>;
  /** Wall clock, ms. */
  readonly now: () => number;
  /** The Worker Ring behind the local store (node/worker/replication); without it blobs stay on this worker. */
  readonly replicas?: BlobReplicas;
}

/** What the service needs of blob replication (Replicator). */
export interface BlobReplicas {
  /** A chunk of `address` is now held durably here: copy it to the ring. */
  stored(address: Uint8Array): void;
  /** Chunk `index` of `address` from the ring, checked; undefined when the ring has none. */
  fetch(address: Uint8Array, index: number): Promise<{ readonly manifest: Manifest; readonly chunk: Uint8Array } | undefined>;
  /** The fetched chunk is now held here too. */
  cached(address: Uint8Array, index: number): void;
}

export interface ServiceStats {
  readonly served: Readonly<Record<string, number>>;
  readonly refused: number;
  readonly earned: bigint;
}

interface Paid {
  readonly taken: Taken;
  readonly client: Uint8Array;
  readonly pay: Payment;
}

const utf8 = new TextEncoder();

const METHODS = [BLOB_PUT_METHOD, BLOB_GET_METHOD, MSG_PUT_METHOD, MSG_GET_METHOD, MSG_ACK_METHOD] as const;

export class WorkerService {
  readonly #o: WorkerServiceOptions;
  readonly #blobWrites: TurnWrites;
  readonly #mailWrites: TurnWrites;
  readonly #served = new Map<string, number>();
  #refused = 0;
  #earned = 0n;

  constructor(options: WorkerServiceOptions) {
    this.#o = options;
    this.#blobWrites = new TurnWrites((fn) => options.blobs.group(fn));
    this.#mailWrites = new TurnWrites((fn) => options.mailbox.group(fn));
  }

  /** Installs the handlers on `rpc`; undone by `detach`. */
  attach(rpc: Rpc): void {
    const counted = (handler: (body: Uint8Array) => Promise<Uint8Array>) =>
      serving(async (body: Uint8Array) => {
        try {
          return await handler(body);
        } catch (error) {
          this.#refused += 1;
          throw error;
        }
      });
    rpc.handle(BLOB_PUT_METHOD, counted((body) => this.blobPut(body)));
    rpc.handle(BLOB_GET_METHOD, counted((body) => this.blobGet(body)));
    rpc.handle(MSG_PUT_METHOD, counted((body) => this.msgPut(body)));
    rpc.handle(MSG_GET_METHOD, counted(async (body) => this.msgGet(body)));
    rpc.handle(MSG_ACK_METHOD, counted(async (body) => this.msgAck(body)));
  }

  detach(rpc: Rpc): void {
    for (const method of METHODS) rpc.unhandle(method);
  }

  stats(): ServiceStats {
    return { served: Object.fromEntries(this.#served), refused: this.#refused, earned: this.#earned };
  }

  async blobPut(body: Uint8Array): Promise<Uint8Array> {
    const start = this.#o.now();
    const request = blobPut.decode(body);
    // Checked once, here, before the receipt is: the store keeps it without hashing it again.
    const upload = CheckedUpload.check(request.manifest, request.index, request.chunk);
    const price = storePrice(this.#o.params(), request.chunk.length, request.days);
    const paid = await this.#accept(request.pay, price);
    const held = await this.#blobWrites.run(() => this.#o.blobs.putUpload(upload));
    this.#o.replicas?.stored(upload.address);
    await this.#log(paid, 'blob-put', request.chunk.length, upload.address, start);
    return storedReply.encode({ stored: !held });
  }

  async blobGet(body: Uint8Array): Promise<Uint8Array> {
    const start = this.#o.now();
    const request = blobGet.decode(body);
    // Read (and check) before charging: a blob neither we nor the ring hold costs the client nothing. A chunk held
    // here is read at once, so the receipt is taken in the order the requests arrived, as a put's is (a later
    // receipt of the channel taken first would refuse this one as a replay).
    const local = this.#local(request.address, request.index);
    const { encodedManifest, chunk } = local instanceof BlobError ? await this.#fromRing(request.address, request.index, local) : local;
    const paid = await this.#accept(request.pay, servePrice(this.#o.params(), chunk.length));
    await this.#log(paid, 'blob-get', chunk.length, sha256(chunk), start);
    return chunkReply.encode({ manifest: encodedManifest, chunk });
  }

  /** The chunk from the local store, or (not thrown) its NOT_FOUND when the ring may hold it. */
  #local(address: Uint8Array, index: number): ServedChunk | BlobError {
    try {
      return this.#o.blobs.servedChunk(address, index);
    } catch (error) {
      if (this.#o.replicas === undefined || !(error instanceof BlobError) || error.code !== 'NOT_FOUND') throw error;
      return error;
    }
  }

  /** The chunk from the ring, then kept here: this worker serves it from now on. `notHere` when the ring has none. */
  async #fromRing(address: Uint8Array, index: number, notHere: BlobError): Promise<ServedChunk> {
    const replicas = this.#o.replicas!;
    const fetched = await replicas.fetch(address, index);
    if (fetched === undefined) throw notHere;
    try {
      await this.#blobWrites.run(() => {
        this.#o.blobs.putManifest(address, fetched.manifest);
        this.#o.blobs.putChunk(address, index, fetched.chunk);
      });
      replicas.cached(address, index);
    } catch {
      // A full store (QUOTA) still serves what it read; it just does not keep it.
    }
    return { manifest: fetched.manifest, encodedManifest: encodeManifest(fetched.manifest), chunk: fetched.chunk };
  }

  async msgPut(body: Uint8Array): Promise<Uint8Array> {
    const start = this.#o.now();
    const request = msgPut.decode(body);
    const paid = await this.#accept(request.pay, messagePrice(this.#o.params()));
    const seq = await this.#mailWrites.run(() => this.#o.mailbox.deposit(request.to, request.envelope));
    await this.#log(paid, 'msg-put', request.envelope.length, sha256(request.envelope), start);
    return seqReply.encode({ seq });
  }

  msgGet(body: Uint8Array): Uint8Array {
    const request = msgGet.decode(body);
    checkAccess(request.access, MSG_GET_METHOD, { after: request.after, limit: request.limit }, this.#o.now());
    const items = this.#o.mailbox.list(request.access.account, request.after, Math.min(request.limit, MAX_MAIL_ITEMS));
    this.#count(MSG_GET_METHOD);
    return itemsReply.encode({ items });
  }

  msgAck(body: Uint8Array): Uint8Array {
    const request = msgAck.decode(body);
    checkAccess(request.access, MSG_ACK_METHOD, { seqs: [...request.seqs] }, this.#o.now());
    const acked = this.#o.mailbox.ack(request.access.account, request.seqs);
    this.#count(MSG_ACK_METHOD);
    return ackedReply.encode({ acked });
  }

  /**
   * The receipt checked and taken by the book (durable with the next group commit: see #log). Synchronous unless
   * the channel has to be learnt first.
   */
  #accept(pay: Payment, price: bigint): Paid | Promise<Paid> {
    let taken: Taken;
    try {
      taken = this.#o.book.take(pay.receipt, pay.authorization, price);
    } catch (error) {
      const learn = this.#o.learnChannel;
      if (learn === undefined || !(error instanceof WorkerError) || error.code !== 'UNKNOWN_CHANNEL') throw error;
      return learn(decodeReceipt(pay.receipt).fields.channel)
        .catch(() => undefined)
        .then(() => this.#paid(this.#o.book.take(pay.receipt, pay.authorization, price), pay));
    }
    return this.#paid(taken, pay);
  }

  #paid(taken: Taken, pay: Payment): Paid {
    // What the receipt brought counts once it is durable, served or not (a full store refuses after the receipt);
    // #log awaits it as well, so a failed write is the request's error there, and never unhandled here.
    taken.durable.then(
      () => void (this.#earned += taken.accepted.earned),
      () => undefined,
    );
    const channel = taken.accepted.channel;
    return { taken, client: utf8.encode(this.#o.channels(channel)?.client ?? toHex(channel)), pay };
  }

  /**
   * The log entry appended, with the receipt archived in the same transaction (appendAsync's `alongside`), and the
   * receipt durable in the book, all group-committed. A sealed log entry whose receipt is not archived would be
   * judged cheating by an audit: here they are never apart, however the log is written. (With a book and a log in
   * separate files — not the worker's composition — the book's write may fail while the entry holds: the request is
   * refused, and the entry names a valid receipt.)
   */
  async #log(paid: Paid, service: string, bytes: number, resultHash: Uint8Array, start: number): Promise<void> {
    const { accepted, durable } = paid.taken;
    const hash = accepted.hash;
    const logged = this.#o.log.appendAsync(
      {
        // A receipt's hash is unique per request (each receipt has a fresh nonce), so it names the request too.
        requestId: hash.subarray(0, 16),
        client: paid.client,
        service,
        bytes,
        computeUnits: 0,
        resultHash,
        latencyMs: Math.max(0, Math.round(this.#o.now() - start)),
        receiptHash: hash,
      },
      () => this.#o.archive.put(hash, paid.pay.receipt, paid.pay.authorization, this.#o.now()),
    );
    await Promise.all([durable, logged]);
    this.#count(service);
  }

  #count(service: string): void {
    this.#served.set(service, (this.#served.get(service) ?? 0) + 1);
  }
}

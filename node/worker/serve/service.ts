/**
 * What a worker or temporary worker serves (SPEC §6 items 2–4): blobs and store-and-forward messages, each paid
 * request checked against the client's receipt before it is served, and written to the hash-chained service log.
 *
 * Power safety (issue "every receipt and log entry is durable before it is acknowledged"): a paid request is
 * answered only after its receipt (ReceiptBook, group commit), the data it stored (blob store / mailbox, one
 * durable write) and its log entry (ServiceLog.appendAsync, group commit) are on disk. What can be checked
 * without the receipt is checked first — a chunk against its manifest, a blob we do not hold — so a client is
 * not charged for a request we would refuse.
 */
import { sha256, toHex } from '../../crypto/index.ts';
import { decodeReceipt, type LedgerParams } from '../../ledger/index.ts';
import type { Rpc } from '../../net/index.ts';
import { BlobError, type BlobStore, decodeManifest, encodeManifest, type Manifest, manifestAddress, verifyChunk } from '../../services/blobs/index.ts';
import type { Mailbox } from '../../services/messaging/index.ts';
import { messagePrice, servePrice, storePrice } from '../../services/pricing.ts';
import { TurnWrites } from '../../services/turn-writes.ts';
import type { ServiceLog } from '../../store/index.ts';
import { WorkerError } from '../errors.ts';
import type { ChannelView, ReceiptBook } from '../payments/index.ts';
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
  readonly hash: Uint8Array;
  readonly client: string;
  readonly pay: Payment;
}

const METHODS = [BLOB_PUT_METHOD, BLOB_GET_METHOD, MSG_PUT_METHOD, MSG_GET_METHOD, MSG_ACK_METHOD] as const;

export class WorkerService {
  readonly #o: WorkerServiceOptions;
  readonly #blobWrites: TurnWrites;
  readonly #mailWrites: TurnWrites;
  readonly #archiveWrites: TurnWrites;
  readonly #served = new Map<string, number>();
  #refused = 0;
  #earned = 0n;

  constructor(options: WorkerServiceOptions) {
    this.#o = options;
    this.#blobWrites = new TurnWrites((fn) => options.blobs.group(fn));
    this.#mailWrites = new TurnWrites((fn) => options.mailbox.group(fn));
    this.#archiveWrites = new TurnWrites((fn) => options.archive.group(fn));
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
    const manifest = decodeManifest(request.manifest);
    verifyChunk(manifest, request.index, request.chunk);
    const address = manifestAddress(manifest);
    const price = storePrice(this.#o.params(), request.chunk.length, request.days);
    const paid = await this.#accept(request.pay, price);
    const held = await this.#blobWrites.run(() => {
      const before = this.#o.blobs.has(address);
      this.#o.blobs.putManifest(address, manifest);
      this.#o.blobs.putChunk(address, request.index, request.chunk);
      return before;
    });
    this.#o.replicas?.stored(address);
    await this.#log(paid, 'blob-put', request.chunk.length, address, start);
    return storedReply.encode({ stored: !held });
  }

  async blobGet(body: Uint8Array): Promise<Uint8Array> {
    const start = this.#o.now();
    const request = blobGet.decode(body);
    // Read (and check) before charging: a blob neither we nor the ring hold costs the client nothing.
    const { manifest, chunk } = await this.#chunk(request.address, request.index);
    const paid = await this.#accept(request.pay, servePrice(this.#o.params(), chunk.length));
    await this.#log(paid, 'blob-get', chunk.length, sha256(chunk), start);
    return chunkReply.encode({ manifest: manifest === undefined ? new Uint8Array(0) : encodeManifest(manifest), chunk });
  }

  /** The chunk from the local store, else from the ring (then kept here: this worker serves it from now on). */
  async #chunk(address: Uint8Array, index: number): Promise<{ manifest: Manifest | undefined; chunk: Uint8Array }> {
    try {
      return { manifest: this.#o.blobs.manifest(address), chunk: this.#o.blobs.getChunk(address, index) };
    } catch (error) {
      const replicas = this.#o.replicas;
      if (replicas === undefined || !(error instanceof BlobError) || error.code !== 'NOT_FOUND') throw error;
      const fetched = await replicas.fetch(address, index);
      if (fetched === undefined) throw error;
      try {
        await this.#blobWrites.run(() => {
          this.#o.blobs.putManifest(address, fetched.manifest);
          this.#o.blobs.putChunk(address, index, fetched.chunk);
        });
        replicas.cached(address, index);
      } catch {
        // A full store (QUOTA) still serves what it read; it just does not keep it.
      }
      return fetched;
    }
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

  async #accept(pay: Payment, price: bigint): Promise<Paid> {
    let accepted;
    try {
      accepted = await this.#o.book.accept(pay.receipt, pay.authorization, price);
    } catch (error) {
      const learn = this.#o.learnChannel;
      if (learn === undefined || !(error instanceof WorkerError) || error.code !== 'UNKNOWN_CHANNEL') throw error;
      await learn(decodeReceipt(pay.receipt).fields.channel).catch(() => undefined);
      accepted = await this.#o.book.accept(pay.receipt, pay.authorization, price);
    }
    this.#earned += accepted.earned;
    const client = this.#o.channels(accepted.channel)?.client ?? toHex(accepted.channel);
    return { hash: accepted.hash, client, pay };
  }

  /**
   * The receipt archived and the log entry appended, each durable (group-committed). A sealed log entry whose
   * receipt is not archived would be judged cheating by an audit, so a power cut must never leave one behind: the
   * archive's commit is scheduled first (both commit on the next turn, in the order scheduled, and a batch the log
   * fills is sealed inside its own commit), and nothing seals the log between the two (TemporaryWorker seals a quiet
   * log only when no entry waits for its commit). An archived receipt with no log entry is only an unlogged request.
   */
  async #log(paid: Paid, service: string, bytes: number, resultHash: Uint8Array, start: number): Promise<void> {
    const archived = this.#archiveWrites.run(() => this.#o.archive.put(paid.hash, paid.pay.receipt, paid.pay.authorization, this.#o.now()));
    const logged = this.#o.log.appendAsync({
      // A receipt's hash is unique per request (each receipt has a fresh nonce), so it names the request too.
      requestId: paid.hash.subarray(0, 16),
      client: new TextEncoder().encode(paid.client),
      service,
      bytes,
      computeUnits: 0,
      resultHash,
      latencyMs: Math.max(0, Math.round(this.#o.now() - start)),
      receiptHash: paid.hash,
    });
    await Promise.all([archived, logged]);
    this.#count(service);
  }

  #count(service: string): void {
    this.#served.set(service, (this.#served.get(service) ?? 0) + 1);
  }
}

/**
 * A client's calls to one worker (SPEC §6 item 4, §7 client flow, last hop): every paid request carries a receipt
 * signed for exactly its price on the right channel — ABC for blobs, ABIT for messages — and the session
 * authorisation. Prices come from the same ledger parameters the worker charges by (node/services/pricing.ts),
 * so client and worker agree without asking. A worker's refusal comes back as WorkerError REFUSED naming the
 * worker's error class and code; fetched chunks are checked against the manifest and the address before use.
 */
import type { Ed25519KeyPair } from '../crypto/index.ts';
import type { PeerRef, Rpc } from '../net/index.ts';
import { buildBlob, DEFAULT_CHUNK_SIZE, decodeManifest, encodeManifest, type Manifest, verifyChunk, verifyManifest } from '../services/blobs/index.ts';
import { messagePrice, type Prices, servePrice, storePrice } from '../services/pricing.ts';
import type { ChannelSpender } from '../worker/payments/index.ts';
import { signAccess } from '../worker/serve/mail-access.ts';
import {
  ackedReply,
  BLOB_GET_METHOD,
  BLOB_PUT_METHOD,
  blobGet,
  blobPut,
  chunkReply,
  itemsReply,
  MSG_ACK_METHOD,
  MSG_GET_METHOD,
  MSG_PUT_METHOD,
  msgAck,
  msgGet,
  msgPut,
  seqReply,
  storedReply,
} from '../worker/serve/protocol.ts';
import { fromRemote } from '../worker/serve/remote-errors.ts';
import { ClientError } from './errors.ts';

export interface WorkerClientOptions {
  readonly rpc: Rpc;
  readonly worker: PeerRef;
  /** The worker's node key: the payee its receipts name. */
  readonly payee: Uint8Array;
  /** Pays for blobs (an ABC channel that lists the worker). */
  readonly abc?: ChannelSpender;
  /** Pays for messages (an ABIT channel that lists the worker). */
  readonly abit?: ChannelSpender;
  readonly prices: () => Prices;
  readonly now?: () => number;
  readonly timeoutMs?: number;
}

export interface StoredBlob {
  readonly address: Uint8Array;
  readonly manifest: Manifest;
  /** Chunks the worker did not hold before. */
  readonly stored: number;
}

export class WorkerClient {
  readonly #o: WorkerClientOptions;

  constructor(options: WorkerClientOptions) {
    this.#o = options;
  }

  /** Stores `bytes` for `days` days, chunk by chunk (each chunk paid for on the ABC channel). */
  async store(bytes: Uint8Array, days = 1): Promise<StoredBlob> {
    const built = buildBlob(bytes);
    const manifest = encodeManifest(built.manifest);
    let stored = 0;
    for (const [index, chunk] of built.chunks.entries()) {
      const payment = this.#spender('abc').pay(this.#o.payee, storePrice(this.#o.prices(), chunk.length, days));
      const pay = { receipt: payment.receipt, authorization: payment.authorization };
      const reply = storedReply.decode(await this.#call(BLOB_PUT_METHOD, blobPut.encode({ pay, manifest, index, chunk, days })));
      if (reply.stored) stored += 1;
    }
    return { address: built.address, manifest: built.manifest, stored };
  }

  /** One chunk of a blob, checked against its manifest, and the manifest checked against the address. */
  async chunk(address: Uint8Array, index: number, expectedBytes: number): Promise<{ manifest: Manifest; chunk: Uint8Array }> {
    const payment = this.#spender('abc').pay(this.#o.payee, servePrice(this.#o.prices(), expectedBytes));
    const pay = { receipt: payment.receipt, authorization: payment.authorization };
    const reply = chunkReply.decode(await this.#call(BLOB_GET_METHOD, blobGet.encode({ pay, address, index })));
    const manifest = decodeManifest(reply.manifest);
    verifyManifest(manifest, address);
    verifyChunk(manifest, index, reply.chunk);
    return { manifest, chunk: reply.chunk };
  }

  /**
   * A whole blob. The first chunk is paid for before its size is known: `size` (the blob's, when the caller knows
   * it) prices it exactly; without it the client pays for a whole chunk, and the excess stays with the worker.
   */
  async fetch(address: Uint8Array, size?: number): Promise<Uint8Array> {
    const first = await this.chunk(address, 0, Math.min(size ?? DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_SIZE));
    const out = new Uint8Array(Number(first.manifest.size));
    out.set(first.chunk, 0);
    let offset = first.chunk.length;
    for (let index = 1; index < first.manifest.chunkRoots.length; index++) {
      const remaining = out.length - offset;
      const { chunk } = await this.chunk(address, index, Math.min(first.manifest.chunkSize, remaining));
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  /** Deposits an envelope (already end-to-end encrypted) for a messaging address; paid on the ABIT channel. */
  async send(to: Uint8Array, envelope: Uint8Array): Promise<number> {
    const payment = this.#spender('abit').pay(this.#o.payee, messagePrice(this.#o.prices()));
    const pay = { receipt: payment.receipt, authorization: payment.authorization };
    return seqReply.decode(await this.#call(MSG_PUT_METHOD, msgPut.encode({ pay, to, envelope }))).seq;
  }

  /** The mailbox of `identity`'s messaging address after `after`, oldest first. */
  async inbox(identity: Ed25519KeyPair, after = 0, limit = 256): Promise<{ seq: number; envelope: Uint8Array }[]> {
    const access = signAccess(identity, MSG_GET_METHOD, this.#now(), { after, limit });
    const reply = itemsReply.decode(await this.#call(MSG_GET_METHOD, msgGet.encode({ access, after, limit })));
    return reply.items.map((item) => ({ seq: item.seq, envelope: item.envelope }));
  }

  /** Deletes processed items from the mailbox. */
  async ack(identity: Ed25519KeyPair, seqs: readonly number[]): Promise<number> {
    const access = signAccess(identity, MSG_ACK_METHOD, this.#now(), { seqs: [...seqs] });
    return ackedReply.decode(await this.#call(MSG_ACK_METHOD, msgAck.encode({ access, seqs }))).acked;
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  #spender(which: 'abc' | 'abit'): ChannelSpender {
    const spender = this.#o[which];
    if (spender === undefined) throw new ClientError('NO_CHANNEL', `no ${which.toUpperCase()} channel to pay this worker with`);
    return spender;
  }

  async #call(method: string, body: Uint8Array): Promise<Uint8Array> {
    try {
      return await this.#o.rpc.request(this.#o.worker, method, body, { timeoutMs: this.#o.timeoutMs ?? 10_000 });
    } catch (error) {
      throw fromRemote(error);
    }
  }
}

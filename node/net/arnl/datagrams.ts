/**
 * ARNL datagrams: at most 1 KiB, fire-and-forget, carried as DATAGRAM frames on the peer's RLDP stream. A datagram
 * to an unreachable peer, or to one whose queue is full, is dropped without a word — delivery is not promised.
 */
import { NetError } from '../errors.ts';
import type { NetLogger } from '../logger.ts';
import { encodeDatagram, MAX_DATAGRAM_BYTES, nameBytes } from '../rldp/frame.ts';
import { describeError } from '../rldp/handler-error.ts';
import type { DatagramHandler, Datagrams, PeerRef } from '../types.ts';
import type { AddressBook } from './address-book.ts';

export interface DatagramTransport {
  readonly selfId: string;
  /** Queues a DATAGRAM frame for the peer; false when it was dropped. */
  sendFrame(peer: PeerRef, frame: Uint8Array): boolean;
}

export class DatagramRouter implements Datagrams {
  readonly #transport: DatagramTransport;
  readonly #logger: NetLogger | undefined;
  readonly #handlers = new Map<string, Set<DatagramHandler>>();

  constructor(transport: DatagramTransport, logger?: NetLogger) {
    this.#transport = transport;
    this.#logger = logger;
  }

  /** TOO_LARGE above 1 KiB and BAD_REQUEST for an invalid topic, thrown at once; delivery failures are silent. */
  send(peer: PeerRef, topic: string, payload: Uint8Array): void {
    this.#sendFrame(peer, this.#frame(topic, payload), topic, payload);
  }

  /** Sends to the node behind an abstract address; false when the book does not know it (or it was dropped). */
  sendToAddress(book: AddressBook, address: Uint8Array, topic: string, payload: Uint8Array): boolean {
    const frame = this.#frame(topic, payload);
    const peer = book.lookup(address);
    return peer !== undefined && this.#sendFrame(peer, frame, topic, payload);
  }

  onDatagram(topic: string, handler: DatagramHandler): void {
    if (nameBytes(topic) === undefined) throw new NetError('BAD_REQUEST', `invalid topic ${JSON.stringify(topic)}`);
    let set = this.#handlers.get(topic);
    if (set === undefined) this.#handlers.set(topic, (set = new Set()));
    set.add(handler);
  }

  offDatagram(topic: string, handler: DatagramHandler): void {
    this.#handlers.get(topic)?.delete(handler);
  }

  /** A datagram arrived; handlers run one after another, and one that throws does not stop the others. */
  deliver(from: string, topic: string, payload: Uint8Array): void {
    const set = this.#handlers.get(topic);
    if (set === undefined) return;
    for (const handler of set) {
      try {
        handler(from, payload);
      } catch (error) {
        this.#logger?.warn({ topic, err: describeError(error) }, 'datagram handler threw');
      }
    }
  }

  #frame(topic: string, payload: Uint8Array): Uint8Array {
    const topicBytes = nameBytes(topic);
    if (topicBytes === undefined) throw new NetError('BAD_REQUEST', `invalid topic ${JSON.stringify(topic)}`);
    if (!(payload instanceof Uint8Array)) throw new NetError('BAD_REQUEST', 'datagram payload must be bytes');
    if (payload.length > MAX_DATAGRAM_BYTES) {
      throw new NetError('TOO_LARGE', `datagram of ${payload.length} bytes exceeds ${MAX_DATAGRAM_BYTES}`);
    }
    return encodeDatagram(topicBytes, payload);
  }

  #sendFrame(peer: PeerRef, frame: Uint8Array, topic: string, payload: Uint8Array): boolean {
    if (peer.id === this.#transport.selfId) {
      const copy = new Uint8Array(payload);
      queueMicrotask(() => this.deliver(peer.id, topic, copy));
      return true;
    }
    return this.#transport.sendFrame(peer, frame);
  }
}

/** The Mailbox in memory: for tests, simulators and relays that may lose their queue on restart. */
import { toHex } from '../../crypto/index.ts';
import { ServiceError } from '../errors.ts';
import {
  checkAccount,
  checkDeposit,
  checkSeqs,
  listArgs,
  type MailItem,
  type Mailbox,
  type MailboxLimits,
  mailboxLimits,
  type MailboxUsage,
} from './mailbox.ts';

interface Box {
  /** Ascending by seq: deposits append with the next number. */
  items: MailItem[];
  bytes: number;
}

export class MemoryMailbox implements Mailbox {
  readonly limits: MailboxLimits;
  readonly #boxes = new Map<string, Box>();
  #lastSeq = 0;
  #closed = false;

  constructor(limits: Partial<MailboxLimits> = {}) {
    this.limits = mailboxLimits(limits);
  }

  deposit(account: Uint8Array, envelope: Uint8Array): number {
    this.#check();
    checkAccount(account);
    const key = toHex(account);
    const box = this.#boxes.get(key) ?? { items: [], bytes: 0 };
    checkDeposit(envelope, { messages: box.items.length, bytes: box.bytes }, this.limits);
    const seq = ++this.#lastSeq;
    box.items.push({ seq, envelope: Uint8Array.from(envelope) });
    box.bytes += envelope.length;
    this.#boxes.set(key, box);
    return seq;
  }

  list(account: Uint8Array, after?: number, limit?: number): MailItem[] {
    this.#check();
    checkAccount(account);
    const args = listArgs(after, limit);
    const box = this.#boxes.get(toHex(account));
    if (box === undefined) return [];
    return box.items
      .filter((item) => item.seq > args.after)
      .slice(0, args.limit)
      .map((item) => ({ seq: item.seq, envelope: Uint8Array.from(item.envelope) }));
  }

  ack(account: Uint8Array, seqs: readonly number[]): number {
    this.#check();
    checkAccount(account);
    checkSeqs(seqs);
    const key = toHex(account);
    const box = this.#boxes.get(key);
    if (box === undefined) return 0;
    const gone = new Set(seqs);
    const kept = box.items.filter((item) => !gone.has(item.seq));
    const removed = box.items.length - kept.length;
    box.items = kept;
    box.bytes = kept.reduce((sum, item) => sum + item.envelope.length, 0);
    if (kept.length === 0) this.#boxes.delete(key);
    return removed;
  }

  usage(account: Uint8Array): MailboxUsage {
    this.#check();
    checkAccount(account);
    const box = this.#boxes.get(toHex(account));
    return { messages: box?.items.length ?? 0, bytes: box?.bytes ?? 0 };
  }

  group(fn: () => void): void {
    this.#check();
    fn();
  }

  close(): void {
    this.#closed = true;
  }

  #check(): void {
    if (this.#closed) throw new ServiceError('CLOSED', 'mailbox is closed');
  }
}

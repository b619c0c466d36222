/**
 * The serving side of one worker or temporary worker, composed: its blob store, mailbox, receipt book, receipt
 * archive and service log (SQLite files under `<dataDir>/worker`, synchronous FULL — the book, the archive and the
 * log share one file and one group commit per turn: payments/worker-records.ts) and the WorkerService on its
 * host's RLDP. The ledger is reached through what the caller passes: the channels (a full node's state in
 * `ame up`, a light client's verified view on a device) and the prices of the final state.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type Ed25519KeyPair, SignatureCache } from '../crypto/index.ts';
import { type Clock, type Rpc, systemClock } from '../net/index.ts';
import { type BlobStore, openSqliteBlobStore } from '../services/blobs/index.ts';
import { type Mailbox, SqliteMailbox } from '../services/messaging/index.ts';
import type { Prices } from '../services/pricing.ts';
import type { ServiceLog } from '../store/index.ts';
import { type ChannelView, ReceiptBook } from './payments/index.ts';
import type { ReceiptArchive } from './payments/receipt-archive.ts';
import { openWorkerRecords } from './payments/worker-records.ts';
import { ReplicationMarks } from './replication/marks.ts';
import type { PartStore } from './replication/part-store.ts';
import { Replicator } from './replication/replicator.ts';
import { AuditResponder } from './serve/audit-responder.ts';
import { WorkerService } from './serve/service.ts';

export const WORKER_DIR = 'worker';

export interface WorkerNodeOptions {
  readonly rpc: Rpc;
  readonly nodeKey: Ed25519KeyPair;
  readonly dataDir: string;
  readonly channels: ChannelView;
  /** Reads a channel `channels` does not know yet (WorkerServiceOptions.learnChannel). */
  readonly learnChannel?: (id: Uint8Array) => Promise<unknown>;
  readonly prices: () => Prices;
  /** Service-log entries per sealed batch (audits sample sealed batches); default the log's 1,024. */
  readonly logBatchSize?: number;
  /** Whether a PeerId may audit this worker (the managers'); default: nobody. */
  readonly auditor?: (peer: string) => boolean;
  /** Bytes of blobs this worker holds at most (default: no limit). */
  readonly quotaBytes?: number;
  readonly now?: () => number;
  /** The Worker Ring, where this worker's blobs are replicated and missing ones are read from; none: local only. */
  readonly ring?: PartStore;
  /** Timers of the replication retries; default the system clock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface WorkerNode {
  readonly service: WorkerService;
  readonly book: ReceiptBook;
  readonly log: ServiceLog;
  readonly blobs: BlobStore;
  readonly mailbox: Mailbox;
  readonly archive: ReceiptArchive;
  readonly audits: AuditResponder;
  /** Present when a ring was given. */
  readonly replicator: Replicator | undefined;
  stop(): void;
}

export function startWorkerNode(options: WorkerNodeOptions): WorkerNode {
  const dir = join(options.dataDir, WORKER_DIR);
  mkdirSync(dir, { recursive: true });
  const now = options.now ?? Date.now;
  const closers: (() => void)[] = [];
  try {
    const blobs = openSqliteBlobStore(join(dir, 'blobs.sqlite'), options.quotaBytes === undefined ? {} : { quotaBytes: options.quotaBytes });
    closers.push(() => blobs.close());
    const mailbox = SqliteMailbox.open({ path: join(dir, 'mailbox.sqlite') });
    closers.push(() => mailbox.close());
    const records = openWorkerRecords({ dir, now, ...(options.logBatchSize === undefined ? {} : { batchSize: options.logBatchSize }) });
    // Closed after the book (closers run in reverse): the log's close writes what waits, the book's rows with it.
    closers.push(() => records.close());
    const { log, archive } = records;
    // The book writes in the log's group commit. A session's authorisation (an account signature, the slow part) is
    // the same bytes in every request: the book checks it once per authorisation, and the signature cache keeps the
    // account's verdict across the sessions it authorises.
    const book = new ReceiptBook({
      self: options.nodeKey.publicKey.bytes,
      store: records.bookStore,
      channels: options.channels,
      now,
      verify: new SignatureCache().verify,
      commit: records.commit,
    });
    closers.push(() => book.close());
    let replicator: Replicator | undefined;
    if (options.ring !== undefined) {
      const marks = ReplicationMarks.open(join(dir, 'replication.sqlite'));
      closers.push(() => marks.close());
      replicator = new Replicator({
        blobs,
        ring: options.ring,
        marks,
        clock: options.clock ?? systemClock,
        ...(options.logger === undefined ? {} : { logger: options.logger.child({ component: 'replication' }) }),
      });
      const started = replicator;
      closers.push(() => started.stop());
    }
    const service = new WorkerService({
      blobs,
      mailbox,
      book,
      log,
      archive,
      channels: options.channels,
      ...(options.learnChannel === undefined ? {} : { learnChannel: options.learnChannel }),
      params: options.prices,
      now,
      ...(replicator === undefined ? {} : { replicas: replicator }),
    });
    service.attach(options.rpc);
    replicator?.start();
    const audits = new AuditResponder({ log, archive, blobs, auditor: options.auditor ?? (() => false) });
    audits.attach(options.rpc);
    options.logger?.info({ dir }, 'worker serving blobs and messages');
    return {
      service,
      book,
      log,
      blobs,
      mailbox,
      archive,
      audits,
      replicator,
      stop: () => {
        audits.detach(options.rpc);
        service.detach(options.rpc);
        for (const close of closers.splice(0).reverse()) close();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) close();
    throw error;
  }
}

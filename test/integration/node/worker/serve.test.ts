/**
 * A worker serves a client over real libp2p on loopback (SQLite stores, synchronous FULL): blobs stored and
 * fetched chunk by chunk, messages deposited and read by the mailbox owner only; every paid request is in the
 * service log with the hash of the receipt that paid it, and the receipt book's latest receipt owes exactly the
 * sum of the prices. Replayed, underpaid and bad requests are refused with the worker's typed code and charge
 * nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Ed25519KeyPair, sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import { defaultParams } from '../../../../node/ledger/params.ts';
import { buildBlob, encodeManifest } from '../../../../node/services/blobs/index.ts';
import { messagingAddress } from '../../../../node/services/messaging/index.ts';
import { servePrice, storePrice, messagePrice } from '../../../../node/services/pricing.ts';
import { signAccess } from '../../../../node/worker/serve/mail-access.ts';
import { BLOB_PUT_METHOD, blobPut, MSG_GET_METHOD, msgGet } from '../../../../node/worker/serve/protocol.ts';
import { startWorkerRig, type WorkerRig } from '../../../support/worker-rig.ts';
import { remoteRefusal } from '../../../support/error-code.ts';

let rig: WorkerRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

function bytes(n: number, label: string): Uint8Array {
  const out = new Uint8Array(n);
  let block = sha256(utf8(label));
  for (let i = 0; i < n; i++) {
    if (i % 32 === 0 && i > 0) block = sha256(block);
    out[i] = block[i % 32]!;
  }
  return out;
}

const refusal = remoteRefusal;

describe('a worker serving blobs and messages', () => {
  it('stores and returns blobs, each request paid and logged with its receipt', async () => {
    const r = (rig = await startWorkerRig());
    const small = bytes(4096, 'small');
    const large = bytes(600 * 1024, 'large');
    const a = await r.client.store(small, 2);
    const b = await r.client.store(large);
    expect(a.stored).toBe(1);
    expect(b.stored).toBe(3);
    expect(await r.client.fetch(a.address, small.length)).toEqual(small);
    expect(await r.client.fetch(b.address, large.length)).toEqual(large);

    const expected =
      storePrice(defaultParams, 4096, 2) +
      storePrice(defaultParams, 256 * 1024, 1) * 2n +
      storePrice(defaultParams, 600 * 1024 - 512 * 1024, 1) +
      servePrice(defaultParams, 4096) +
      servePrice(defaultParams, 256 * 1024) * 2n +
      servePrice(defaultParams, 600 * 1024 - 512 * 1024);
    const latest = r.book.latest(r.abc.id);
    expect(latest?.amount).toBe(expected);
    expect(r.service.stats().earned).toBe(expected);

    // 1 + 3 puts and 1 + 3 gets, each in the log; the last entry names the latest receipt.
    const tail = r.log.tail();
    expect(tail.seq).toBe(8);
    const last = r.log.getEntry(tail.seq);
    expect(last.service).toBe('blob-get');
    expect(toHex(last.receiptHash)).toBe(toHex(sha256(latest!.receipt)));
    expect(r.log.verify().ok).toBe(true);
  });

  it('refuses a replayed or underpaid request and a chunk that does not match its manifest, charging nothing', async () => {
    const r = (rig = await startWorkerRig());
    const blob = buildBlob(bytes(4096, 'replay'));
    const spender = r.spender('abc');
    const payment = spender.pay(r.workerKey.publicKey.bytes, storePrice(defaultParams, 4096, 1));
    const body = blobPut.encode({
      pay: { receipt: payment.receipt, authorization: payment.authorization },
      manifest: encodeManifest(blob.manifest),
      index: 0,
      chunk: blob.chunks[0]!,
      days: 1,
    });
    await r.clientHost.rpc.request(r.worker.peer, BLOB_PUT_METHOD, body);
    expect(await refusal(r.clientHost.rpc.request(r.worker.peer, BLOB_PUT_METHOD, body))).toBe('WorkerError:REPLAY');

    const cheap = spender.pay(r.workerKey.publicKey.bytes, storePrice(defaultParams, 4096, 1) - 1n);
    const underpaid = blobPut.encode({
      pay: { receipt: cheap.receipt, authorization: cheap.authorization },
      manifest: encodeManifest(blob.manifest),
      index: 0,
      chunk: blob.chunks[0]!,
      days: 1,
    });
    expect(await refusal(r.clientHost.rpc.request(r.worker.peer, BLOB_PUT_METHOD, underpaid))).toBe('WorkerError:UNDERPAID');

    const before = r.book.latest(r.abc.id)!.amount;
    const fresh = spender.pay(r.workerKey.publicKey.bytes, storePrice(defaultParams, 4096, 1));
    const tampered = Uint8Array.from(blob.chunks[0]!);
    tampered[100]! ^= 1;
    const bad = blobPut.encode({
      pay: { receipt: fresh.receipt, authorization: fresh.authorization },
      manifest: encodeManifest(blob.manifest),
      index: 0,
      chunk: tampered,
      days: 1,
    });
    expect(await refusal(r.clientHost.rpc.request(r.worker.peer, BLOB_PUT_METHOD, bad))).toBe('BlobError:HASH_MISMATCH');
    expect(r.book.latest(r.abc.id)!.amount).toBe(before);
    expect(await refusal(r.clientHost.rpc.request(r.worker.peer, BLOB_PUT_METHOD, new Uint8Array([1, 2, 3])))).toBe('WorkerError:MALFORMED');
    expect(r.log.tail().seq).toBe(1);
  });

  it('relays envelopes to a mailbox only its owner reads and empties', async () => {
    const r = (rig = await startWorkerRig());
    const bob = Ed25519KeyPair.fromSeed(sha256(utf8('bob messaging')));
    const eve = Ed25519KeyPair.fromSeed(sha256(utf8('eve messaging')));
    const to = messagingAddress(bob.publicKey.bytes);
    const envelopes = [0, 1, 2].map((i) => bytes(300 + i, `envelope ${i}`));
    const seqs = [];
    for (const e of envelopes) seqs.push(await r.client.send(to, e));
    expect(r.book.latest(r.abit.id)?.amount).toBe(3n * messagePrice(defaultParams));

    const inbox = await r.client.inbox(bob);
    expect(inbox.map((i) => i.envelope)).toEqual(envelopes);
    // Eve's own mailbox is empty; a request naming Bob's address signed with her key is refused.
    expect(await r.client.inbox(eve)).toEqual([]);
    const access = { ...signAccess(eve, MSG_GET_METHOD, Date.now(), { after: 0, limit: 10 }), account: to };
    const sneak = r.clientHost.rpc.request(r.worker.peer, MSG_GET_METHOD, msgGet.encode({ access, after: 0, limit: 10 }));
    expect(await refusal(sneak)).toBe('WorkerError:WRONG_CLIENT');
    expect(await r.client.ack(bob, seqs.slice(0, 2))).toBe(2);
    expect((await r.client.inbox(bob)).map((i) => i.seq)).toEqual([seqs[2]]);
    expect(r.service.stats().served['msg-put']).toBe(3);
  });
});

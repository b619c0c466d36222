/**
 * `npm run bench -- worker`: requests per second one worker serves over libp2p on loopback — 4 KiB blob gets,
 * 4 KiB blob puts, and message deposits — with receipts checked and kept durably (group commit), every request in
 * the durable service log (group commit) and the data on disk (SQLite, synchronous FULL), against raw RLDP echo
 * of the same 4 KiB on the same two hosts in the same run; and the latency the client sees (p50, p99). The ratio
 * `serve_vs_rldp_echo` is the slowest of the three services against echo.
 *
 * The client's receipts come from an in-memory spender (the worker's side is what is measured). Settlement is in
 * the loop: the worker's Settler runs a round every SETTLE_EVERY_MS through every measurement, settling whatever is
 * unsettled, and its channel-settle transactions are checked and applied to the rig's channel records
 * (worker-settle.ts), which the book reads its ledger floor from. AME_BENCH_MS sets each measurement's time
 * (default 4,000 ms); 32 requests in flight.
 */
import { Ed25519KeyPair, ecdsaAccountKey, sha256, u64be, utf8 } from '../../node/crypto/index.ts';
import { type Bench, ratio } from './harness.ts';
import { percentile } from './stats.ts';
import { startBenchSettlement } from './worker-settle.ts';
import { startWorkerRig } from '../support/worker-rig.ts';

const MS = Number(process.env['AME_BENCH_MS'] ?? 4000);
const WARM_MS = 1000;
const IN_FLIGHT = 32;
const SIZE = 4096;
const SETTLE_EVERY_MS = 250;

const log = (line: string) => void process.stdout.write(`${line}\n`);

interface Rate {
  readonly perS: number;
  readonly latencies: number[];
}

async function rate(ms: number, op: (i: number) => Promise<unknown>): Promise<Rate> {
  let next = 0;
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op(next++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { perS: (latencies.length * 1000) / (performance.now() - start), latencies };
}

/** 4 KiB of pseudo-random bytes, made once. */
const BASE = (() => {
  const out = new Uint8Array(SIZE);
  let block = sha256(utf8('worker bench content'));
  for (let at = 0; at < SIZE; at += 32) {
    out.set(block, at);
    block = sha256(block);
  }
  return out;
})();

/**
 * 4 KiB of content unique to (`i`, `salt`) — puts must store new blobs, not find them held —, made without hashing:
 * the client's and the worker's work is what is measured, not the bench's.
 */
function content(i: number, salt: number): Uint8Array {
  const out = BASE.slice();
  const view = new DataView(out.buffer);
  view.setFloat64(0, i);
  view.setFloat64(8, salt);
  return out;
}

/** Mean µs of `op` over repeated calls for about `ms`. */
function microsPerCall(ms: number, op: () => void): number {
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 50; i++) op();
    calls += 50;
  }
  return ((performance.now() - start) * 1000) / calls;
}

/**
 * What the receipt signature alone costs, in this process: the client signs one receipt and the worker verifies it
 * for every paid request (SPEC §6 item 4), through the same node:crypto Ed25519 the serving path uses, on a
 * receipt-sized message.
 */
function receiptSignatureMicros(): { sign: number; verify: number } {
  const key = Ed25519KeyPair.fromSeed(sha256(utf8('worker bench receipt key')));
  const message = content(0, 5).subarray(0, 160);
  const signature = key.sign(message);
  return {
    sign: microsPerCall(500, () => key.sign(message)),
    verify: microsPerCall(500, () => key.publicKey.verify(message, signature)),
  };
}

export const bench: Bench = {
  name: 'worker',
  async run() {
    const rig = await startWorkerRig();
    const settlement = startBenchSettlement(rig, ecdsaAccountKey(sha256(utf8('worker bench payout'))), sha256(utf8('worker bench chain')));
    try {
      rig.worker.rpc.handle('bench/echo', async (body) => body);
      const echoBody = content(0, 0);
      const peer = rig.worker.peer;
      const echo = () => rig.clientHost.rpc.request(peer, 'bench/echo', echoBody);
      await rate(WARM_MS, echo);
      const echoRate = await rate(MS, echo);
      log(`rldp echo (4 KiB): ${echoRate.perS.toFixed(0)}/s`);
      // Client and worker share this process's one event loop, and echo pays the same transport a paid request
      // pays, so no paid request can take less than an echo plus one receipt signed and verified: the ratio to
      // echo that this machine allows at best, measured now, beside the target.
      const signature = receiptSignatureMicros();
      const echoMicros = 1e6 / echoRate.perS;
      const bound = echoMicros / (echoMicros + signature.sign + signature.verify);
      log(`receipt signature: sign ${signature.sign.toFixed(1)} µs, verify ${signature.verify.toFixed(1)} µs; echo ${echoMicros.toFixed(1)} µs a request → at best ${bound.toFixed(3)} × echo for a paid request`);

      settlement.start(SETTLE_EVERY_MS);
      // Gets: a pool of stored blobs, fetched round-robin.
      const pool: Uint8Array[] = [];
      for (let i = 0; i < 64; i++) pool.push((await rig.client.store(content(i, 1))).address);
      const get = (i: number) => rig.client.chunk(pool[i % pool.length]!, 0, SIZE);
      await rate(WARM_MS, get);
      const gets = await rate(MS, get);
      log(`blob get (4 KiB): ${gets.perS.toFixed(0)}/s`);

      let salt = 2;
      const put = (i: number) => rig.client.store(content(i, salt));
      await rate(WARM_MS, put);
      salt = 3;
      const puts = await rate(MS, put);
      log(`blob put (4 KiB): ${puts.perS.toFixed(0)}/s`);

      const envelope = content(0, 4).subarray(0, 1024);
      // A mailbox is bounded (1,000 messages) and the bench reads nothing back: every 500 messages go to a fresh
      // address.
      let n = 0;
      const sendFresh = () => rig.client.send(sha256(u64be(BigInt(Math.floor(n++ / 500)))), envelope);
      await rate(WARM_MS, sendFresh);
      const msgs = await rate(MS, sendFresh);
      log(`message deposit (1 KiB): ${msgs.perS.toFixed(0)}/s`);

      await settlement.stop();
      // Everything the book holds settled, and what the ledger paid is what the receipts owe.
      await settlement.round();
      await settlement.round();
      const owed = rig.book.list().reduce((sum, e) => sum + e.amount, 0n);
      const unsettled = rig.book.list().reduce((sum, e) => sum + e.amount - e.paid, 0n);
      log(`settlements: ${settlement.applied.count} applied (${settlement.applied.refused} refused), ${settlement.applied.paid} of ${owed} owed paid`);

      const all = [...gets.latencies, ...puts.latencies, ...msgs.latencies];
      const slowest = Math.min(gets.perS, puts.perS, msgs.perS);
      const stats = rig.service.stats();
      return {
        figures: {
          rldp_echo_per_s: echoRate.perS,
          blob_get_per_s: gets.perS,
          blob_put_per_s: puts.perS,
          message_per_s: msgs.perS,
          client_p50_ms: percentile(all, 50),
          client_p99_ms: percentile(all, 99),
          blob_get_p50_ms: percentile(gets.latencies, 50),
          blob_put_p50_ms: percentile(puts.latencies, 50),
          message_p50_ms: percentile(msgs.latencies, 50),
          echo_p50_ms: percentile(echoRate.latencies, 50),
          echo_us_per_request: echoMicros,
          receipt_sign_us: signature.sign,
          receipt_verify_us: signature.verify,
          log_entries: rig.log.tail().seq,
          refused: stats.refused,
          in_flight: IN_FLIGHT,
          settlements: settlement.applied.count,
          settlements_refused: settlement.applied.refused,
          settled_units: Number(settlement.applied.paid),
          owed_units: Number(owed),
          unsettled_units: Number(unsettled),
        },
        ratios: {
          serve_vs_rldp_echo: ratio(slowest, echoRate.perS),
          blob_get_vs_rldp_echo: ratio(gets.perS, echoRate.perS),
          blob_put_vs_rldp_echo: ratio(puts.perS, echoRate.perS),
          message_vs_rldp_echo: ratio(msgs.perS, echoRate.perS),
          receipt_bound_vs_rldp_echo: bound,
        },
        targets: { serve_vs_rldp_echo: '≥ 0.5' },
      };
    } finally {
      await settlement.stop();
      await rig.stop();
    }
  },
};

/**
 * Quick service-log throughput check (not part of `npm run bench`):
 *   sh scripts/run.sh node test/bench/service-log-quick.ts [entries=100000] [dir=os.tmpdir()]
 * Prints a table and, as the last line, one JSON object. Measures group commit (appendAsync in chunks), one
 * sync per entry (append), proofs, and a full verify(), on a real file with WAL + synchronous=FULL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceLogEntryInput } from '../../node/store/service-log-entry.ts';
import { verifyLogProof } from '../../node/store/service-log-proof.ts';
import { ServiceLog } from '../../node/store/service-log.ts';

const total = Number(process.argv[2] ?? 100_000);
const root = mkdtempSync(join(process.argv[3] ?? tmpdir(), 'ame-log-bench-'));

function entry(i: number): ServiceLogEntryInput {
  const bytes = (n: number, seed: number): Uint8Array =>
    Uint8Array.from({ length: n }, (_, k) => (seed + k * 13) & 0xff);
  return {
    requestId: bytes(16, i),
    client: bytes(32, i >> 4),
    service: 'fetch',
    bytes: (i * 7919) % 1_000_000,
    computeUnits: i % 50,
    resultHash: bytes(32, i * 3),
    latencyMs: i % 400,
    receiptHash: bytes(32, i * 5),
  };
}

async function groupCommit(
  name: string,
  count: number,
  chunk: number,
): Promise<{ perSecond: number; bytesPerEntry: number }> {
  const log = ServiceLog.open({ path: join(root, `${name}.sqlite`) });
  const inputs = Array.from({ length: count }, (_, i) => entry(i));
  const start = performance.now();
  for (let i = 0; i < count; i += chunk) {
    await Promise.all(inputs.slice(i, i + chunk).map((input) => log.appendAsync(input)));
  }
  const seconds = (performance.now() - start) / 1000;
  const bytesPerEntry = log.stats().bytesOnDisk / count;
  log.close();
  return { perSecond: count / seconds, bytesPerEntry };
}

const figures: Record<string, number> = {};
const rows: [string, string][] = [];

for (const chunk of [1000, 100, 10]) {
  const count = chunk === 1000 ? total : Math.min(total, chunk * 2000);
  const { perSecond, bytesPerEntry } = await groupCommit(`group-${chunk}`, count, chunk);
  figures[`append_async_group_${chunk}_per_s`] = Math.round(perSecond);
  rows.push([
    `appendAsync, ${chunk} per group (${count} entries)`,
    `${Math.round(perSecond).toLocaleString('en')} entries/s`,
  ]);
  if (chunk === 1000) {
    figures.bytes_on_disk_per_entry = Math.round(bytesPerEntry);
    rows.push(['bytes on disk per entry (incl. WAL)', `${Math.round(bytesPerEntry)}`]);
  }
}

{
  const log = ServiceLog.open({ path: join(root, 'single.sqlite') });
  const count = 1000;
  const start = performance.now();
  for (let i = 0; i < count; i += 1) log.append(entry(i));
  const perSecond = count / ((performance.now() - start) / 1000);
  figures.append_sync_per_s = Math.round(perSecond);
  rows.push(['append, one sync per entry', `${Math.round(perSecond).toLocaleString('en')} entries/s`]);
  log.close();
}

{
  const log = ServiceLog.open({ path: join(root, 'group-1000.sqlite') });
  const sealed = log.tail().sealedThrough;
  let start = performance.now();
  const proofs = [];
  for (let i = 0; i < 2000; i += 1) proofs.push(log.prove(1 + ((i * 7919) % sealed)));
  figures.prove_per_s = Math.round(2000 / ((performance.now() - start) / 1000));
  const batches = new Map(proofs.map((p) => [p.batch.index, log.getBatch(p.batch.index)]));
  start = performance.now();
  for (const proof of proofs)
    if (!verifyLogProof(batches.get(proof.batch.index) ?? proof.batch, proof)) throw new Error('bad proof');
  figures.proof_verify_per_s = Math.round(2000 / ((performance.now() - start) / 1000));
  start = performance.now();
  const report = log.verify();
  const verifySeconds = (performance.now() - start) / 1000;
  if (!report.ok) throw new Error(JSON.stringify(report.problems));
  figures.verify_entries_per_s = Math.round(report.entries / verifySeconds);
  rows.push(['prove (1024-entry batches)', `${figures.prove_per_s.toLocaleString('en')} /s`]);
  rows.push(['verifyLogProof', `${figures.proof_verify_per_s.toLocaleString('en')} /s`]);
  rows.push([
    `verify() of ${report.entries} entries`,
    `${verifySeconds.toFixed(2)} s (${figures.verify_entries_per_s.toLocaleString('en')} entries/s)`,
  ]);
  log.close();
}

rmSync(root, { recursive: true, force: true });
const width = Math.max(...rows.map(([label]) => label.length));
for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
process.stdout.write(`${JSON.stringify({ name: 'service-log-quick', figures })}\n`);

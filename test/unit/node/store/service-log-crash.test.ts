import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyLogProof } from '../../../../node/store/service-log-proof.ts';
import { ServiceLog } from '../../../../node/store/service-log.ts';
import { sampleEntry, tempDir } from './service-log-fixtures.ts';

const engineUrl = new URL('../../../../node/store/service-log.ts', import.meta.url).href;

/** Appends in groups for ever, printing the highest acknowledged seq after each group commit. */
function writerScript(file: string): string {
  return `
    const { ServiceLog } = await import(${JSON.stringify(engineUrl)});
    const log = ServiceLog.open({ path: ${JSON.stringify(file)}, batchSize: 64 });
    const bytes = (n, seed) => Uint8Array.from({ length: n }, (_, i) => (seed + i) & 0xff);
    for (let i = 0; ; i += 1) {
      const group = [];
      for (let j = 0; j < 1 + (i % 97); j += 1) {
        const k = i * 100 + j;
        group.push(log.appendAsync({
          requestId: bytes(16, k), client: bytes(32, 7), service: 'store', bytes: k, computeUnits: 1,
          resultHash: bytes(32, k), latencyMs: 3, receiptHash: bytes(32, k + 1),
        }));
      }
      const results = await Promise.all(group);
      process.stdout.write(results.at(-1).seq + '\\n');
    }
  `;
}

/** Runs the writer until it has acknowledged `atLeast` entries, then SIGKILLs it; returns the highest ack. */
function runAndKill(file: string, atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', writerScript(file)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acked = 0;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) acked = Math.max(acked, Number(line));
      if (acked >= atLeast) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited with ${String(code)}: ${stderr}`));
    });
  });
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('ServiceLog after a kill -9', () => {
  it('keeps every acknowledged append, a sound chain, and continues it', async () => {
    const { file, cleanup } = tempDir();
    cleanups.push(cleanup);
    let total = 0;
    for (const atLeast of [200, 1500, 4000]) {
      const acked = await runAndKill(file, total + atLeast);
      const log = ServiceLog.open({ path: file, batchSize: 64 });
      try {
        const { seq } = log.tail();
        expect(seq).toBeGreaterThanOrEqual(acked);
        expect(log.verify()).toMatchObject({ ok: true, entries: seq });
        const sealed = log.tail().sealedThrough;
        if (sealed > 0) expect(verifyLogProof(log.getBatch(log.tail().batchIndex), log.prove(sealed))).toBe(true);
        expect(log.append(sampleEntry(1)).seq).toBe(seq + 1);
        total = seq + 1;
      } finally {
        log.close();
      }
    }
  });
});

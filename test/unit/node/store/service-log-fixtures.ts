/** Shared inputs for the service-log tests: deterministic entries, a fast-check arbitrary, temp directories. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { ServiceLogEntryInput } from '../../../../node/store/service-log-entry.ts';

const SERVICES = ['store', 'fetch', 'relay', 'compute'] as const;

function filled(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

/** A valid entry that differs in every field from its neighbours. */
export function sampleEntry(i: number): ServiceLogEntryInput {
  return {
    requestId: filled(16 + (i % 17), i),
    client: filled(32, i + 1000),
    service: SERVICES[i % SERVICES.length] as string,
    bytes: i * 1024,
    computeUnits: i % 13,
    resultHash: filled(32, i + 2000),
    latencyMs: i % 250,
    receiptHash: filled(32, i + 3000),
  };
}

export const arbEntryInput: fc.Arbitrary<ServiceLogEntryInput> = fc.record({
  requestId: fc.uint8Array({ minLength: 1, maxLength: 32 }),
  client: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  service: fc.stringMatching(/^[a-z][a-z0-9._-]{0,31}$/),
  bytes: fc.maxSafeNat(),
  computeUnits: fc.maxSafeNat(),
  resultHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  latencyMs: fc.maxSafeNat(),
  receiptHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

/** A fresh directory and its cleanup. */
export function tempDir(): { dir: string; file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ame-service-log-'));
  return { dir, file: join(dir, 'service-log.sqlite'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_700_000_000_000): {
  now: () => number;
  set: (t: number) => void;
  calls: () => number;
} {
  let time = start;
  let calls = 0;
  return {
    now: () => {
      calls += 1;
      return time;
    },
    set: (t) => {
      time = t;
    },
    calls: () => calls,
  };
}

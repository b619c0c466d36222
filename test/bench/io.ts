/** Process I/O counters (Linux /proc/self/io) for write-amplification figures. */
import { readFileSync } from 'node:fs';

export interface IoCounters {
  /** Bytes this process caused to be written to storage (after the page cache). */
  writeBytes: number;
  /** Bytes passed to write(2) and friends. */
  wchar: number;
}

export function ioCounters(): IoCounters {
  const text = readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { writeBytes: field('write_bytes'), wchar: field('wchar') };
}

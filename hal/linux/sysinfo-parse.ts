/**
 * Parsers for the /proc and /sys files the system-information adapter reads. Pure: each returns a value or throws
 * HalError SYSINFO_MALFORMED, never anything else, so the reader can turn any surprise into a null field.
 */
import { HalError } from '../errors.ts';

function malformed(what: string, detail: string): never {
  throw new HalError('SYSINFO_MALFORMED', `${what}: ${detail}`);
}

function nonNegative(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) malformed(what, `not a non-negative number: ${JSON.stringify(text)}`);
  const n = Number(text);
  if (!Number.isFinite(n)) malformed(what, 'out of range');
  return n;
}

/** /proc/meminfo: MemTotal and MemAvailable in kB (before Linux 3.14 no MemAvailable: free + buffers + cached). */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)\s*kB\s*$/.exec(line.trim());
    if (m) kb.set(m[1]!, Number(m[2]));
  }
  const total = kb.get('MemTotal');
  if (total === undefined || total === 0) malformed('/proc/meminfo', 'no MemTotal');
  const available =
    kb.get('MemAvailable') ?? (kb.get('MemFree') ?? 0) + (kb.get('Buffers') ?? 0) + (kb.get('Cached') ?? 0);
  return { totalBytes: total * 1024, availableBytes: Math.min(available, total) * 1024 };
}

/** /proc/loadavg: "0.52 0.58 0.59 1/467 12345". */
export function parseLoadavg(text: string): [number, number, number] {
  const [a, b, c] = text.trim().split(/\s+/);
  return [nonNegative(a, '/proc/loadavg'), nonNegative(b, '/proc/loadavg'), nonNegative(c, '/proc/loadavg')];
}

/** /proc/uptime: "seconds-up seconds-idle". */
export function parseUptime(text: string): number {
  return nonNegative(text.trim().split(/\s+/)[0], '/proc/uptime');
}

export interface CpuTimes {
  readonly cores: number;
  /** Sum of all jiffies of the aggregate "cpu" line, and of idle + iowait among them. */
  readonly total: number;
  readonly idle: number;
}

/** /proc/stat: the aggregate "cpu" line and the per-core "cpuN" lines. */
export function parseProcStat(text: string): CpuTimes {
  const lines = text.split('\n');
  const aggregate = lines.find((l) => /^cpu\s/.test(l));
  if (!aggregate) malformed('/proc/stat', 'no aggregate cpu line');
  const fields = aggregate.trim().split(/\s+/).slice(1);
  if (fields.length < 4) malformed('/proc/stat', 'cpu line has fewer than 4 fields');
  const values = fields.map((f) => nonNegative(f, '/proc/stat'));
  // user nice system idle iowait irq softirq steal; guest time is already counted in user and nice.
  const total = values.slice(0, 8).reduce((s, v) => s + v, 0);
  const idle = values[3]! + (values[4] ?? 0);
  const cores = lines.filter((l) => /^cpu\d+\s/.test(l)).length;
  return { cores: cores || 1, total, idle };
}

/** Busy percentage between two samples; null when no time passed (or the counters went backwards). */
export function cpuUsagePercent(before: CpuTimes, after: CpuTimes): number | null {
  const total = after.total - before.total;
  const idle = after.idle - before.idle;
  if (total <= 0 || idle < 0 || idle > total) return null;
  return Math.round(((total - idle) / total) * 1000) / 10;
}

/** Device-tree strings (model, serial-number) end in NUL. */
export function parseDtString(text: string, what: string): string {
  const value = text.replace(/\0+$/, '').trim();
  if (value === '' || [...value].some((c) => c.charCodeAt(0) < 0x20)) malformed(what, 'empty or binary');
  return value;
}

/** The "Serial" line of /proc/cpuinfo (Raspberry Pi kernels); null when there is none. */
export function parseCpuinfoSerial(text: string): string | null {
  const m = /^Serial\s*:\s*([0-9a-fA-F]+)\s*$/m.exec(text);
  return m ? m[1]!.toLowerCase() : null;
}

/** thermal_zone<N>/temp in millidegrees Celsius. Outside −100…200 °C is a broken sensor, not a reading. */
export function parseMilliCelsius(text: string): number {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) malformed('thermal temp', `not an integer: ${JSON.stringify(trimmed)}`);
  const c = Number(trimmed) / 1000;
  if (c < -100 || c > 200) malformed('thermal temp', `${c} °C is out of range`);
  return c;
}

/** cpufreq scaling_cur_freq in kHz → MHz. */
export function parseKhzAsMHz(text: string): number {
  return Math.round(nonNegative(text.trim(), 'scaling_cur_freq') / 1000);
}

/** /proc/net/dev: two header lines, then "name: rx_bytes … (8 rx fields) tx_bytes …"; loopback left out. */
export function parseNetDev(text: string): { name: string; rxBytes: number; txBytes: number }[] {
  const lines = text.split('\n');
  if (lines.length < 2 || !lines[1]!.includes('|')) malformed('/proc/net/dev', 'no header');
  const out: { name: string; rxBytes: number; txBytes: number }[] = [];
  for (const line of lines.slice(2)) {
    if (line.trim() === '') continue;
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) malformed('/proc/net/dev', `bad line ${JSON.stringify(line)}`);
    const fields = m[2]!.trim().split(/\s+/);
    if (fields.length < 16) malformed('/proc/net/dev', `interface ${m[1]} has ${fields.length} fields`);
    if (m[1] === 'lo') continue;
    out.push({ name: m[1]!, rxBytes: nonNegative(fields[0], '/proc/net/dev'), txBytes: nonNegative(fields[8], '/proc/net/dev') });
  }
  return out;
}

/** eMMC life_time: "0x01 0x02", two estimates (type A and B cells) in 10 % steps; 0x0B means exceeded. */
export function parseLifeTime(text: string): number {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 2 || !parts.every((p) => /^0x[0-9a-fA-F]{1,2}$/.test(p))) malformed('life_time', JSON.stringify(text));
  const worst = Math.max(...parts.map((p) => Number.parseInt(p, 16)));
  if (worst < 0 || worst > 0x0b) malformed('life_time', `estimate ${worst} outside 0x00–0x0B`);
  return worst * 10; // 0x00 = not defined (0), 0x01 = 0–10 % used … 0x0B = exceeded (110)
}

/** eMMC pre_eol_info: 0x01 normal, 0x02 warning (80 % of reserved blocks used), 0x03 urgent; 0x00 not defined. */
export function parsePreEol(text: string): 'normal' | 'warning' | 'urgent' | null {
  const t = text.trim();
  if (!/^0x[0-9a-fA-F]{1,2}$/.test(t)) malformed('pre_eol_info', JSON.stringify(text));
  const value = Number.parseInt(t, 16);
  if (value > 3) malformed('pre_eol_info', t);
  const levels = [null, 'normal', 'warning', 'urgent'] as const;
  return levels[value as 0 | 1 | 2 | 3];
}

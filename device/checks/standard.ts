/**
 * The agent's own checks. Before serving: the data dir takes writes and has room, and after an unclean stop every
 * database passes SQLite's quick check. In the supervisor loop: writability (fatal: a card gone read-only needs a
 * reboot and fsck), free space and temperature (degraded: a reboot fixes neither).
 */
import type { SystemInfoPort } from '../../hal/index.ts';
import { freeBytes, formatBytes, probeWritable } from './disk.ts';
import { checkSqliteFiles, describeSqliteFailures, findSqliteFiles } from './sqlite.ts';
import type { HealthCheck } from './types.ts';

export function dataWritableCheck(dir: string, severity: HealthCheck['severity'] = 'fatal'): HealthCheck {
  return {
    name: 'data-writable',
    severity,
    run: async () => {
      try {
        probeWritable(dir);
        return { ok: true };
      } catch (error) {
        return { ok: false, reason: `${dir} does not take writes (${(error as Error).message})` };
      }
    },
  };
}

export function freeSpaceCheck(dir: string, minFreeBytes: () => number): HealthCheck {
  return {
    name: 'free-space',
    severity: 'degraded',
    run: async () => {
      const free = await freeBytes(dir);
      const min = minFreeBytes();
      return free >= min
        ? { ok: true, detail: `${formatBytes(free)} free` }
        : { ok: false, reason: `${formatBytes(free)} free on the data mount, below the ${formatBytes(min)} required` };
    },
  };
}

export function temperatureCheck(sysinfo: SystemInfoPort, maxC: () => number): HealthCheck {
  return {
    name: 'temperature',
    severity: 'degraded',
    run: async () => {
      const t = (await sysinfo.read()).temperatureC;
      const max = maxC();
      // No sensor is not a problem: many boards have none the kernel exposes.
      if (t === null || t <= max) return { ok: true, ...(t === null ? {} : { detail: `${t} °C` }) };
      return { ok: false, reason: `${t} °C, above the ${max} °C limit` };
    },
  };
}

/** SQLite's quick check of every database under `dir` (in a worker thread). */
export function sqliteQuickCheck(dir: string): HealthCheck {
  return {
    name: 'sqlite',
    severity: 'fatal',
    run: async () => {
      const files = findSqliteFiles(dir);
      const failed = describeSqliteFailures(await checkSqliteFiles(files, 'quick'), dir);
      return failed.length === 0 ? { ok: true, detail: `${files.length} database(s) ok` } : { ok: false, reason: failed.join(' | ') };
    },
  };
}

/**
 * System information from /proc and /sys under the root, read with fs (no dependency: `systeminformation` is not
 * installed and would shell out to tools a minimal image lacks). Every field is read on its own, so one missing or
 * malformed file nulls one field and never the snapshot.
 */
import { readFile, readdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import { HalError, describeError } from '../errors.ts';
import { underRoot } from '../paths.ts';
import type { DiskWear, SystemInfo, SystemInfoPort } from '../ports.ts';
import {
  cpuUsagePercent,
  parseCpuinfoSerial,
  parseDtString,
  parseKhzAsMHz,
  parseLifeTime,
  parseLoadavg,
  parseMeminfo,
  parseMilliCelsius,
  parseNetDev,
  parsePreEol,
  parseProcStat,
  parseUptime,
  type CpuTimes,
} from './sysinfo-parse.ts';

type Problem = SystemInfo['problems'][number];

export function createLinuxSystemInfo(options: { root: string; dataPath?: string }): SystemInfoPort {
  const { root } = options;
  const dataPath = options.dataPath ?? '/';
  // The previous /proc/stat sample, per instance, for the usage rate between two reads.
  let previousCpu: CpuTimes | null = null;

  return {
    kind: 'linux',
    async read(): Promise<SystemInfo> {
      const problems: Problem[] = [];

      /** The file's text, or null when it does not exist; other failures are listed as problems. */
      const text = async (devicePath: string): Promise<string | null> => {
        const file = underRoot(root, devicePath);
        try {
          return await readFile(file, 'utf8');
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code !== 'ENOENT' && code !== 'ENOTDIR') {
            problems.push({ code: 'SYSINFO_UNREADABLE', path: file, message: describeError(error) });
          }
          return null;
        }
      };

      /** Parses a file's text, turning a parse failure into null plus a problem. */
      const field = async <T>(devicePath: string, parse: (t: string) => T): Promise<T | null> => {
        const t = await text(devicePath);
        if (t === null) return null;
        try {
          return parse(t);
        } catch (error) {
          const message = error instanceof HalError ? error.message : `unexpected: ${describeError(error)}`;
          problems.push({ code: 'SYSINFO_MALFORMED', path: underRoot(root, devicePath), message });
          return null;
        }
      };

      const list = async (devicePath: string): Promise<string[]> => {
        try {
          return (await readdir(underRoot(root, devicePath))).sort();
        } catch {
          return [];
        }
      };

      const firstOf = async <T>(paths: readonly string[], parse: (t: string) => T): Promise<T | null> => {
        for (const p of paths) {
          const value = await field(p, parse);
          if (value !== null) return value;
        }
        return null;
      };

      const model = await firstOf(
        ['/sys/firmware/devicetree/base/model', '/proc/device-tree/model', '/sys/class/dmi/id/product_name'],
        (t) => parseDtString(t, 'model'),
      );
      const serial =
        (await field('/sys/firmware/devicetree/base/serial-number', (t) => parseDtString(t, 'serial-number'))) ??
        (await field('/proc/cpuinfo', parseCpuinfoSerial));

      const times = await field('/proc/stat', parseProcStat);
      const usagePercent = times && previousCpu ? cpuUsagePercent(previousCpu, times) : null;
      if (times) previousCpu = times;

      return {
        model,
        serial,
        cpu: {
          cores: times?.cores ?? null,
          usagePercent,
          loadAverage: await field('/proc/loadavg', parseLoadavg),
          frequencyMHz: await field('/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq', parseKhzAsMHz),
        },
        memory: await field('/proc/meminfo', parseMeminfo),
        temperatureC: await readTemperature(list, text, field),
        disk: await readDisk(root, dataPath, problems),
        diskWear: await readDiskWear(list, field),
        uptimeSeconds: await field('/proc/uptime', parseUptime),
        network: await field('/proc/net/dev', parseNetDev),
        problems,
      };
    },
  };
}

const THERMAL = '/sys/class/thermal';

/** The CPU's zone (type "cpu-thermal" on a Pi, "x86_pkg_temp" on a PC) or else the first zone with a reading. */
async function readTemperature(
  list: (p: string) => Promise<string[]>,
  text: (p: string) => Promise<string | null>,
  field: <T>(p: string, parse: (t: string) => T) => Promise<T | null>,
): Promise<number | null> {
  const zones = (await list(THERMAL)).filter((z) => /^thermal_zone\d+$/.test(z));
  const typed = await Promise.all(zones.map(async (z) => ({ z, type: ((await text(`${THERMAL}/${z}/type`)) ?? '').trim() })));
  const ordered = [...typed.filter((t) => /cpu|pkg|soc/i.test(t.type)), ...typed.filter((t) => !/cpu|pkg|soc/i.test(t.type))];
  for (const { z } of ordered) {
    const c = await field(`${THERMAL}/${z}/temp`, parseMilliCelsius);
    if (c !== null) return c;
  }
  return null;
}

async function readDisk(root: string, dataPath: string, problems: Problem[]): Promise<SystemInfo['disk']> {
  const target = underRoot(root, dataPath);
  try {
    const s = await statfs(target);
    return { path: dataPath, totalBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize };
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') {
      problems.push({ code: 'SYSINFO_UNREADABLE', path: target, message: describeError(error) });
    }
    return null;
  }
}

/** eMMC reports wear in sysfs; the first mmcblk device that does wins. */
async function readDiskWear(
  list: (p: string) => Promise<string[]>,
  field: <T>(p: string, parse: (t: string) => T) => Promise<T | null>,
): Promise<DiskWear | null> {
  for (const device of (await list('/sys/block')).filter((d) => /^mmcblk\d+$/.test(d))) {
    const base = path.posix.join('/sys/block', device, 'device');
    const lifeUsedPercent = await field(`${base}/life_time`, parseLifeTime);
    if (lifeUsedPercent === null) continue;
    return { device, lifeUsedPercent, preEol: await field(`${base}/pre_eol_info`, parsePreEol) };
  }
  return null;
}

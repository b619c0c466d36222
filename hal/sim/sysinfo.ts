/** Fixed, settable system information for the simulator and for tests of code that reads it. */
import type { SystemInfo, SystemInfoPort } from '../ports.ts';

export const SIM_SYSTEM_INFO: SystemInfo = {
  model: 'AME simulated device',
  serial: '0000000000000000',
  cpu: { cores: 4, usagePercent: 12.5, loadAverage: [0.5, 0.4, 0.3], frequencyMHz: 1800 },
  memory: { totalBytes: 4 * 1024 ** 3, availableBytes: 3 * 1024 ** 3 },
  temperatureC: 45,
  disk: { path: '/', totalBytes: 32 * 1024 ** 3, availableBytes: 20 * 1024 ** 3 },
  diskWear: null,
  uptimeSeconds: 3600,
  network: [{ name: 'eth0', rxBytes: 1_000_000, txBytes: 500_000 }],
  problems: [],
};

export interface SimSystemInfo extends SystemInfoPort {
  /** Replaces fields of the snapshot the next reads return. */
  set(changes: Partial<SystemInfo>): void;
}

export function createSimSystemInfo(initial: Partial<SystemInfo> = {}): SimSystemInfo {
  let info: SystemInfo = { ...SIM_SYSTEM_INFO, ...initial };
  return {
    kind: 'sim',
    read: async () => info,
    set(changes) {
      info = { ...info, ...changes };
    },
  };
}

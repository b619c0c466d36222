/**
 * TEST ONLY: a device agent on the sim HAL, a ManualClock and the in-memory runtime, in a temporary data dir and
 * boot dir. Nothing is timed by the wall clock: LED, button, watchdog and supervisor timers move only when a test
 * advances the clock, and waits are on events (states, runtime builds, console lines), never sleeps.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSimButton,
  createSimConsole,
  createSimLed,
  createSimSystemInfo,
  createSimWatchdog,
  HOLD_WARNING_PATTERN,
  IDENTIFY_PATTERN,
  ManualClock,
  RESET_ACK_PATTERN,
  STATE_PATTERNS,
  type ConsolePort,
  type LedPattern,
  type SimButton,
  type SimConsole,
  type SimLed,
  type SimSystemInfo,
  type SimWatchdog,
} from '../../hal/index.ts';
import {
  createDeviceAgent,
  deviceLayout,
  openDeviceConfig,
  type AgentHal,
  type AgentState,
  type DeviceAgent,
  type DeviceAgentOptions,
  type DeviceConfigStore,
  type DeviceLayout,
} from '../../device/index.ts';
import { InMemoryRuntimes } from './device-runtime.ts';

export interface SimDeviceHal extends AgentHal {
  readonly led: SimLed;
  readonly button: SimButton;
  readonly console: SimConsole | ConsolePort;
  readonly watchdog: SimWatchdog;
  readonly sysinfo: SimSystemInfo;
}

const noConsole = (): ConsolePort => ({
  kind: 'none',
  path: null,
  start: async () => {},
  stop: async () => {},
  onLine: () => () => {},
  writeLine: async () => {},
});

export function createSimDeviceHal(clock: ManualClock, options: { console?: boolean } = {}): SimDeviceHal {
  const led = createSimLed(clock);
  const button = createSimButton(clock);
  const console = options.console ? createSimConsole() : noConsole();
  const watchdog = createSimWatchdog({ clock, timeoutMs: 15_000 });
  const sysinfo = createSimSystemInfo({ temperatureC: 45 });
  return {
    led,
    button,
    console,
    watchdog,
    sysinfo,
    async start() {
      await led.start();
      await button.start();
      await console.start();
    },
    async stop() {
      await console.stop();
      await button.stop();
      await led.stop();
      await watchdog.stop();
    },
  };
}

export interface DeviceDirs {
  readonly root: string;
  readonly dataDir: string;
  readonly bootDir: string;
  readonly layout: DeviceLayout;
  remove(): void;
}

/** A temporary root with data/ (not created: provisioning does) and boot/. */
export function makeDeviceDirs(): DeviceDirs {
  const root = mkdtempSync(join(tmpdir(), 'ame-device-'));
  const dataDir = join(root, 'data');
  const bootDir = join(root, 'boot');
  mkdirSync(bootDir);
  return { root, dataDir, bootDir, layout: deviceLayout(dataDir), remove: () => rmSync(root, { recursive: true, force: true }) };
}

export function writeJsonFile(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export interface DeviceRig {
  readonly dirs: DeviceDirs;
  readonly clock: ManualClock;
  readonly hal: SimDeviceHal;
  readonly runtimes: InMemoryRuntimes;
  readonly config: DeviceConfigStore;
  readonly agent: DeviceAgent;
  /** Resolves on the next entry into `name` (not the current state). */
  nextState(name: AgentState['name']): Promise<AgentState>;
  /** The names of the patterns the LED was given, in order (state names, identify, hold-warning, reset-ack). */
  ledShown(): string[];
  /** Stops the agent (idempotent). The dirs stay: makeDeviceDirs' remove() is the caller's. */
  stop(): Promise<void>;
}

const WALL_TIME = Date.UTC(2025, 0, 2, 3, 4, 5);

export function nameOfPattern(pattern: LedPattern): string {
  if (pattern === IDENTIFY_PATTERN) return 'identify';
  if (pattern === HOLD_WARNING_PATTERN) return 'hold-warning';
  if (pattern === RESET_ACK_PATTERN) return 'reset-ack';
  const state = Object.entries(STATE_PATTERNS).find(([, p]) => p === pattern);
  return state ? state[0] : `unknown ${JSON.stringify(pattern)}`;
}

export function createDeviceRig(
  dirs: DeviceDirs,
  options: { env?: Record<string, string>; console?: boolean; runtimes?: InMemoryRuntimes } & Partial<Pick<DeviceAgentOptions, 'healthChecks' | 'reboot' | 'walletScheme' | 'dashboard'>> = {},
): DeviceRig {
  const clock = new ManualClock(0);
  const hal = createSimDeviceHal(clock, options.console ? { console: true } : {});
  const runtimes = options.runtimes ?? new InMemoryRuntimes();
  const config = openDeviceConfig({ env: options.env ?? {}, dataDir: dirs.dataDir, bootDir: dirs.bootDir });
  const agent = createDeviceAgent({
    config,
    hal,
    runtime: runtimes.factory,
    clock,
    wallNow: () => WALL_TIME,
    // ECDSA keeps the suite fast; Falcon (the default) is exercised once in the provisioning tests.
    walletScheme: options.walletScheme ?? 'ecdsa',
    ...(options.healthChecks ? { healthChecks: options.healthChecks } : {}),
    ...(options.reboot ? { reboot: options.reboot } : {}),
    ...(options.dashboard ? { dashboard: options.dashboard } : {}),
  });
  return {
    dirs,
    clock,
    hal,
    runtimes,
    config,
    agent,
    nextState: (name) =>
      new Promise((resolve) => {
        const off = agent.onState((state) => {
          if (state.name !== name) return;
          off();
          resolve(state);
        });
      }),
    ledShown: () => hal.led.patterns().map((entry) => nameOfPattern(entry.pattern)),
    stop: () => agent.stop(),
  };
}

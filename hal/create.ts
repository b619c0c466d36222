/**
 * createHal: detects the board, picks an adapter for every port from the configuration and what the hardware
 * offers, and gives them one start/stop lifecycle. Missing hardware never throws: it degrades to a sim or absent
 * adapter and a structured warning (hal.warnings(), and the logger if one is given). Only an invalid configuration
 * throws (HalError BAD_CONFIG, naming the field).
 */
import { detectBoard, BOARDS } from './boards/detect.ts';
import type { BoardDefinition } from './boards/types.ts';
import { systemClock, type Clock } from './clock.ts';
import { pinMapFor, validateOptions, type HalOptions, type PinMap } from './config.ts';
import { buildButton, buildConsole, buildLed, buildWatchdog, type BuildContext } from './create-ports.ts';
import { describeError } from './errors.ts';
import type { GpioDriver } from './linux/gpio.ts';
import { createOnoffGpioDriver, loadOnoff, type OnoffGpioClass } from './linux/gpio-onoff.ts';
import { createSysfsGpioDriver } from './linux/gpio-sysfs.ts';
import { createLinuxSystemInfo } from './linux/sysinfo.ts';
import type { CommandRunner } from './linux/watchdog-systemd.ts';
import { noneButton, noneConsole, noneLed } from './none.ts';
import { isRealRoot } from './paths.ts';
import type { AdapterKind, ButtonPort, ConsolePort, LedPort, SystemInfoPort, WatchdogKind, WatchdogPort } from './ports.ts';
import { createSimSystemInfo } from './sim/sysinfo.ts';
import { createWarningLog, type HalPortName, type HalWarning } from './warnings.ts';

export interface Hal {
  readonly root: string;
  readonly board: BoardDefinition;
  /** The device-tree model string, when there is one. */
  readonly model: string | null;
  readonly pins: PinMap;
  readonly clock: Clock;
  readonly led: LedPort;
  readonly button: ButtonPort;
  readonly console: ConsolePort;
  readonly sysinfo: SystemInfoPort;
  /** Not started by start(): arming it is a promise to kick, so the agent arms it through a watchdog keeper. */
  readonly watchdog: WatchdogPort;
  /** The adapters in use (after start(), a port that failed to start shows 'none'). */
  adapters(): { led: AdapterKind; button: AdapterKind; console: AdapterKind; sysinfo: 'linux' | 'sim'; watchdog: WatchdogKind; gpioDriver: GpioDriver['name'] | null };
  /** Every warning so far, from detection, start, and faults while running. */
  warnings(): readonly HalWarning[];
  /** Starts LED, button and console; a port that fails is replaced by its absent adapter and a warning. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Test seams for what cannot be faked with files: the onoff loader, the command runner, the pty helper. */
export interface HalHooks {
  readonly loadOnoff?: () => Promise<OnoffGpioClass>;
  readonly runCommand?: CommandRunner;
  readonly pid?: number;
}

export async function createHal(options: HalOptions = {}, hooks: HalHooks = {}): Promise<Hal> {
  validateOptions(options);
  const root = options.root ?? '/';
  const clock = options.clock ?? systemClock;
  const log = createWarningLog(options.logger);
  const report = log.report;

  const detected =
    options.board === undefined || options.board === 'auto'
      ? await detectBoard(root)
      : { ...(await detectBoard(root)), board: BOARDS[options.board], warnings: [] };
  detected.warnings.forEach(report);
  const pins = pinMapFor(detected.board, options.pins);

  let driver: Promise<GpioDriver> | null = null;
  const gpioDriver = () => (driver ??= chooseGpioDriver(root, clock, hooks, report));
  const ctx: BuildContext = { root, pins, clock, report, gpioDriver };

  const ports = {
    led: await buildLed(ctx, options.led ?? 'auto'),
    button: await buildButton(ctx, options.button ?? 'auto'),
    console: buildConsole(ctx, options.console ?? 'auto', options.baudRate),
  };
  const sysinfo =
    options.sysinfo === 'sim'
      ? createSimSystemInfo(options.simSystemInfo)
      : createLinuxSystemInfo({ root, ...(options.dataPath ? { dataPath: options.dataPath } : {}) });
  const watchdog = await buildWatchdog(ctx, options.watchdog ?? 'auto', {
    devicePath: detected.board.watchdogPath,
    env: options.env ?? process.env,
    pid: hooks.pid ?? process.pid,
    ...(options.simWatchdogTimeoutMs ? { simTimeoutMs: options.simWatchdogTimeoutMs } : {}),
    ...(hooks.runCommand ? { run: hooks.runCommand } : {}),
  });
  const driverName = driver ? (await (driver as Promise<GpioDriver>)).name : null;

  /** Starts one port; on failure swaps in the absent adapter (carrying the LED's pattern over). */
  const startPort = async <K extends 'led' | 'button' | 'console'>(name: K, replacement: () => (typeof ports)[K]) => {
    try {
      await ports[name].start();
    } catch (error) {
      const failed = ports[name];
      report({
        code: 'START_FAILED',
        port: name as HalPortName,
        level: 'error',
        message: `${name} (${failed.kind}) failed to start and is disabled`,
        cause: describeError(error),
      });
      await failed.stop().catch(() => {});
      ports[name] = replacement();
      await ports[name].start();
    }
  };

  return {
    root,
    board: detected.board,
    model: detected.model,
    pins,
    clock,
    get led() {
      return ports.led;
    },
    get button() {
      return ports.button;
    },
    get console() {
      return ports.console;
    },
    sysinfo,
    watchdog,
    adapters: () => ({
      led: ports.led.kind,
      button: ports.button.kind,
      console: ports.console.kind,
      sysinfo: sysinfo.kind,
      watchdog: watchdog.kind,
      gpioDriver: driverName,
    }),
    warnings: log.list,
    async start() {
      await startPort('led', () => {
        const led = noneLed(clock);
        led.set(ports.led.pattern());
        return led;
      });
      await startPort('button', noneButton);
      await startPort('console', noneConsole);
    },
    async stop() {
      const order = [['console', ports.console], ['button', ports.button], ['led', ports.led], ['watchdog', watchdog]] as const;
      for (const [name, port] of order) {
        try {
          await port.stop();
        } catch (error) {
          report({ code: 'STOP_FAILED', port: name, level: 'warn', message: `${name} failed to stop cleanly`, cause: describeError(error) });
        }
      }
    },
  };
}

/** onoff (interrupts) on the real root; the sysfs poll driver under any other root, or if onoff will not load. */
export async function chooseGpioDriver(
  root: string,
  clock: Clock,
  hooks: HalHooks,
  report: (w: HalWarning) => void,
): Promise<GpioDriver> {
  if (!isRealRoot(root)) return createSysfsGpioDriver({ root, clock });
  try {
    return createOnoffGpioDriver(await (hooks.loadOnoff ?? loadOnoff)());
  } catch (error) {
    report({
      code: 'GPIO_DRIVER_FALLBACK',
      port: 'board',
      level: 'warn',
      message: 'onoff is unavailable: GPIO inputs are polled every 10 ms instead of interrupt-driven',
      cause: describeError(error),
    });
    return createSysfsGpioDriver({ root, clock });
  }
}

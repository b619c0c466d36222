/**
 * One builder per port: picks the adapter from the configured choice and what exists under the root, and says why
 * with a warning whenever the result is not the hardware. None of them throws for missing hardware.
 */
import type { Clock } from './clock.ts';
import type { PinMap, PortChoice, WatchdogChoice } from './config.ts';
import { describeError } from './errors.ts';
import { createLedController, type LedSink } from './led-controller.ts';
import { gpioSysfsPresent, resolveSysfsNumber, GPIO_SYSFS, type GpioDriver } from './linux/gpio.ts';
import { createLinuxButton } from './linux/button.ts';
import { createSerialConsole } from './linux/console.ts';
import { combinedSink, findSysfsLed, gpioLedSink, sysfsLedSink, LEDS_SYSFS } from './linux/led.ts';
import { createDevWatchdog, readWatchdogTimeoutMs } from './linux/watchdog-dev.ts';
import { createSystemdWatchdog, systemdWatchdogRequest, type CommandRunner } from './linux/watchdog-systemd.ts';
import { noneButton, noneConsole, noneLed, noneWatchdog } from './none.ts';
import { existsUnder, underRoot } from './paths.ts';
import type { ButtonPort, ConsolePort, LedPort, WatchdogPort } from './ports.ts';
import { createSimButton } from './sim/button.ts';
import { createSimConsole } from './sim/console.ts';
import { createSimLed } from './sim/led.ts';
import { createSimWatchdog } from './sim/watchdog.ts';
import type { HalPortName, WarningReporter } from './warnings.ts';

export interface BuildContext {
  readonly root: string;
  readonly pins: PinMap;
  readonly clock: Clock;
  readonly report: WarningReporter;
  /** The GPIO driver, loaded once and only if a GPIO port needs it. */
  readonly gpioDriver: () => Promise<GpioDriver>;
}

/** When forced to 'linux' and the hardware is missing the result is 'none' (an error); in 'auto' it is the fallback. */
function absent(ctx: BuildContext, port: HalPortName, choice: string, code: 'LED_ABSENT' | 'BUTTON_ABSENT' | 'CONSOLE_ABSENT' | 'WATCHDOG_ABSENT', why: string, then: string, cause?: string): void {
  const forced = choice !== 'auto';
  ctx.report({
    code,
    port,
    level: forced ? 'error' : 'warn',
    message: `${port}: ${why}; ${forced ? `configured as ${choice}, so the ${port} is disabled` : then}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

export async function buildLed(ctx: BuildContext, choice: PortChoice): Promise<LedPort> {
  if (choice === 'none') return noneLed(ctx.clock);
  if (choice === 'sim') return createSimLed(ctx.clock);
  const targets: { label: string; sink: LedSink }[] = [];
  const skipped: string[] = [];
  for (const target of ctx.pins.statusLeds) {
    if (target.kind === 'sysfs-led') {
      const dir = findSysfsLed(ctx.root, target);
      if (dir) targets.push({ label: dir, sink: sysfsLedSink(dir) });
      else skipped.push(`no ${target.names.join(' or ')} under ${underRoot(ctx.root, LEDS_SYSFS)}`);
      continue;
    }
    if (!gpioSysfsPresent(ctx.root)) {
      skipped.push(`GPIO line ${target.line}: no ${underRoot(ctx.root, GPIO_SYSFS)}`);
      continue;
    }
    try {
      const n = resolveSysfsNumber(ctx.root, ctx.pins.gpioChipLabel, target.line);
      targets.push({ label: `GPIO ${n}`, sink: gpioLedSink(await ctx.gpioDriver(), n, target) });
    } catch (error) {
      skipped.push(`GPIO line ${target.line}: ${describeError(error)}`);
    }
  }
  if (targets.length === 0) {
    const why = ctx.pins.statusLeds.length === 0 ? 'the pin map has no status LED' : `no status LED is present (${skipped.join('; ')})`;
    absent(ctx, 'led', choice, 'LED_ABSENT', why, 'using the in-memory LED: its pattern shows on the dashboard only');
    return choice === 'auto' ? createSimLed(ctx.clock) : noneLed(ctx.clock);
  }
  for (const s of skipped) ctx.report({ code: 'LED_TARGET_SKIPPED', port: 'led', level: 'info', message: `LED target skipped: ${s}` });
  return createLedController('linux', combinedSink(targets, ctx.report), ctx.clock, ctx.report);
}

export async function buildButton(ctx: BuildContext, choice: PortChoice): Promise<ButtonPort> {
  if (choice === 'none') return noneButton();
  if (choice === 'sim') return createSimButton(ctx.clock);
  const pin = ctx.pins.button;
  const fallback = () => (choice === 'auto' ? createSimButton(ctx.clock) : noneButton());
  const then = 'no physical button (identify and reset remain available on the console and dashboard)';
  if (!pin) {
    absent(ctx, 'button', choice, 'BUTTON_ABSENT', 'the pin map has no button', then);
    return fallback();
  }
  if (!gpioSysfsPresent(ctx.root)) {
    absent(ctx, 'button', choice, 'BUTTON_ABSENT', `no ${underRoot(ctx.root, GPIO_SYSFS)}`, then);
    return fallback();
  }
  let n: number;
  try {
    n = resolveSysfsNumber(ctx.root, ctx.pins.gpioChipLabel, pin.line);
  } catch (error) {
    absent(ctx, 'button', choice, 'BUTTON_ABSENT', `GPIO line ${pin.line} cannot be numbered`, then, describeError(error));
    return fallback();
  }
  return createLinuxButton({ driver: await ctx.gpioDriver(), sysfsNumber: n, pin, clock: ctx.clock, report: ctx.report });
}

export function buildConsole(ctx: BuildContext, choice: PortChoice, baudRate: number | undefined): ConsolePort {
  if (choice === 'none') return noneConsole();
  if (choice === 'sim') return createSimConsole({ report: ctx.report });
  const found = ctx.pins.uartPaths.find((p) => existsUnder(ctx.root, p));
  if (!found) {
    const why =
      ctx.pins.uartPaths.length === 0
        ? 'the pin map has no console UART'
        : `none of ${ctx.pins.uartPaths.map((p) => underRoot(ctx.root, p)).join(', ')} exists`;
    absent(ctx, 'console', choice, 'CONSOLE_ABSENT', why, 'the serial console is disabled');
    return noneConsole();
  }
  return createSerialConsole({
    path: underRoot(ctx.root, found),
    report: ctx.report,
    ...(baudRate === undefined ? {} : { baudRate }),
  });
}

export async function buildWatchdog(
  ctx: BuildContext,
  choice: WatchdogChoice,
  options: {
    devicePath: string;
    env: Readonly<Record<string, string | undefined>>;
    pid: number;
    simTimeoutMs?: number;
    run?: CommandRunner;
  },
): Promise<WatchdogPort> {
  if (choice === 'none') return noneWatchdog();
  if (choice === 'sim') return createSimWatchdog({ clock: ctx.clock, ...(options.simTimeoutMs ? { timeoutMs: options.simTimeoutMs } : {}) });
  const request = systemdWatchdogRequest(options.env, options.pid);
  if ((choice === 'auto' || choice === 'systemd') && request) {
    return createSystemdWatchdog({ request, env: options.env, ...(options.run ? { run: options.run } : {}) });
  }
  if ((choice === 'auto' || choice === 'dev') && existsUnder(ctx.root, options.devicePath)) {
    return createDevWatchdog({ root: ctx.root, devicePath: options.devicePath, timeoutMs: await readWatchdogTimeoutMs(ctx.root) });
  }
  const why =
    choice === 'systemd'
      ? 'systemd asked for no watchdog (NOTIFY_SOCKET and WATCHDOG_USEC not set for this process)'
      : choice === 'dev'
        ? `no ${underRoot(ctx.root, options.devicePath)}`
        : `no systemd watchdog and no ${underRoot(ctx.root, options.devicePath)}`;
  absent(ctx, 'watchdog', choice, 'WATCHDOG_ABSENT', why, 'nothing resets the box if the agent hangs');
  return noneWatchdog();
}

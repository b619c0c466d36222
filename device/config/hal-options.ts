/** The HAL's options from the device config: what `ame device` passes to createHal before starting the agent. */
import type { Clock, HalLogger, HalOptions, PinOverrides } from '../../hal/index.ts';
import type { DeviceConfig } from './schema.ts';

export function halOptionsOf(config: DeviceConfig, extra: { clock?: Clock; logger?: HalLogger; env?: Readonly<Record<string, string | undefined>> } = {}): HalOptions {
  const { hal } = config;
  const pins: { -readonly [K in keyof PinOverrides]: PinOverrides[K] } = {};
  if (hal.pins.statusLeds !== 'board') pins.statusLeds = hal.pins.statusLeds;
  if (hal.pins.button !== 'board') pins.button = hal.pins.button === 'none' ? null : hal.pins.button;
  if (hal.pins.uart !== 'board') pins.uart = hal.pins.uart === 'none' ? null : hal.pins.uart;
  if (hal.pins.gpioChipLabel !== 'board') pins.gpioChipLabel = hal.pins.gpioChipLabel === 'none' ? null : hal.pins.gpioChipLabel;
  return {
    root: hal.root,
    board: hal.board,
    led: hal.led,
    button: hal.button,
    console: hal.console,
    watchdog: hal.watchdog,
    sysinfo: hal.sysinfo,
    baudRate: hal.baudRate,
    pins,
    // The disk figures describe the data mount, the one that fills up.
    dataPath: config.dataDir,
    ...(extra.clock ? { clock: extra.clock } : {}),
    ...(extra.logger ? { logger: extra.logger } : {}),
    ...(extra.env ? { env: extra.env } : {}),
  };
}

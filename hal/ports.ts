/**
 * The HAL's ports: what the device agent sees of the hardware. Each has a `linux` adapter, a `sim` adapter
 * (in-memory and observable) and an absent (`none`) adapter, chosen by create.ts.
 */
import type { LedPattern } from './led-pattern.ts';

export type AdapterKind = 'linux' | 'sim' | 'none';

export interface Lifecycle {
  /** Opens the hardware. Throws HalError when it cannot; createHal's start() turns that into a warning. */
  start(): Promise<void>;
  /** Releases the hardware; safe to call twice or without start(). */
  stop(): Promise<void>;
}

/** A status LED (or several driven together). The pattern is tracked even with no LED, so a dashboard can show it. */
export interface LedPort extends Lifecycle {
  readonly kind: AdapterKind;
  /** Replaces the standing pattern; its timing starts now. */
  set(pattern: LedPattern): void;
  /**
   * Shows a finite pattern (one with a repeat count) over the standing one, then returns to it. Resolves when it
   * ends or is superseded by another flash; stop() resolves it too.
   */
  flash(pattern: LedPattern): Promise<void>;
  /** The standing pattern. */
  pattern(): LedPattern;
  /** What shows right now: the flash if one runs, else the standing pattern. */
  showing(): LedPattern;
  /** Whether the LED is lit right now. */
  lit(): boolean;
}

export interface ButtonEvent {
  readonly kind: 'press' | 'release';
  /** Clock milliseconds of the edge. */
  readonly at: number;
}

/** Raw, undebounced button edges; gestures (identify, factory reset) are classified by button-gestures.ts. */
export interface ButtonPort extends Lifecycle {
  readonly kind: AdapterKind;
  /** Subscribes to edges; returns the unsubscribe function. */
  onEvent(listener: (event: ButtonEvent) => void): () => void;
  isPressed(): boolean;
}

/**
 * A line-oriented text console (a UART, or a pseudo-terminal in the simulator). It only moves text: the command set
 * belongs to the device agent.
 */
export interface ConsolePort extends Lifecycle {
  readonly kind: AdapterKind;
  /** The device path in use (UART or pty end), or null when the console is absent. */
  readonly path: string | null;
  /** Subscribes to complete input lines (terminators and control characters removed). */
  onLine(listener: (line: string) => void): () => void;
  /** Writes `text` and a line end; embedded newlines become CR LF, as a serial terminal needs. */
  writeLine(text: string): Promise<void>;
}

export interface CpuInfo {
  readonly cores: number | null;
  /** Busy share of all cores since the previous read() (null on the first read: one sample gives no rate). */
  readonly usagePercent: number | null;
  readonly loadAverage: readonly [number, number, number] | null;
  readonly frequencyMHz: number | null;
}

export interface MemoryInfo {
  readonly totalBytes: number;
  readonly availableBytes: number;
}

export interface DiskInfo {
  /** The path whose file system was measured (the data directory). */
  readonly path: string;
  readonly totalBytes: number;
  readonly availableBytes: number;
}

/** eMMC wear as the card reports it (JEDEC life_time / pre_eol_info); SD cards mostly report nothing. */
export interface DiskWear {
  readonly device: string;
  /** Upper bound of the estimated life used, in 10 % steps; 110 means "exceeded". */
  readonly lifeUsedPercent: number;
  readonly preEol: 'normal' | 'warning' | 'urgent' | null;
}

export interface NetworkInterfaceInfo {
  readonly name: string;
  readonly rxBytes: number;
  readonly txBytes: number;
}

/** A snapshot; a value the machine does not offer, or a file that is malformed, is null (see `problems`). */
export interface SystemInfo {
  readonly model: string | null;
  readonly serial: string | null;
  readonly cpu: CpuInfo;
  readonly memory: MemoryInfo | null;
  readonly temperatureC: number | null;
  readonly disk: DiskInfo | null;
  readonly diskWear: DiskWear | null;
  readonly uptimeSeconds: number | null;
  readonly network: readonly NetworkInterfaceInfo[] | null;
  /** Files that exist but could not be read or parsed (missing files are normal and not listed). */
  readonly problems: readonly { readonly code: 'SYSINFO_UNREADABLE' | 'SYSINFO_MALFORMED'; readonly path: string; readonly message: string }[];
}

export interface SystemInfoPort {
  readonly kind: 'linux' | 'sim';
  /** Never throws for missing or malformed files: those fields are null and listed in `problems`. */
  read(): Promise<SystemInfo>;
}

export type WatchdogKind = 'dev' | 'systemd' | 'sim' | 'none';

/** A hardware or service-manager watchdog. Arming is a promise to kick: see watchdog-keeper.ts. */
export interface WatchdogPort extends Lifecycle {
  readonly kind: WatchdogKind;
  /** The timeout the watchdog enforces, when it can be known. */
  readonly timeoutMs: number | null;
  /** Tells the watchdog we are alive. Throws HalError NOT_STARTED before start(). */
  kick(): Promise<void>;
  /** start() arms it; stop() disarms (magic close 'V' for /dev/watchdog). */
}

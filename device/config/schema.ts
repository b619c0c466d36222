/**
 * Every key of the device config in one table: its path, environment variable, default, parser, and whether it
 * takes effect only at the next start. docs/device.md lists the same table (a test checks each variable is there).
 * Adding a key is one row here and one field in DeviceConfig.
 */
import type { BoardId, ButtonPin, LedTarget, PortChoice, WatchdogChoice } from '../../hal/index.ts';
import {
  absolutePath,
  brokerUrl,
  buttonPin,
  decimal,
  integer,
  ledTargets,
  multiaddrList,
  nullableText,
  oneOf,
  payoutAddress,
  text,
  uartPath,
  type ValueParser,
} from './values.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface DeviceConfig {
  /** Where the agent keeps everything (config.json, identity, wallet, the node's databases). */
  readonly dataDir: string;
  /** The boot partition, where the first-boot file ame.json may be. */
  readonly bootDir: string;
  readonly logLevel: LogLevel;
  readonly hal: {
    readonly root: string;
    readonly board: 'auto' | BoardId;
    readonly led: PortChoice;
    readonly button: PortChoice;
    readonly console: PortChoice;
    readonly watchdog: WatchdogChoice;
    readonly sysinfo: 'linux' | 'sim';
    readonly baudRate: number;
    readonly pins: {
      readonly statusLeds: readonly LedTarget[] | 'board';
      readonly button: ButtonPin | 'none' | 'board';
      /** A device path, 'none' or 'board'. */
      readonly uart: string;
      /** A gpiochip label, 'none' (lines are sysfs numbers) or 'board'. */
      readonly gpioChipLabel: string;
    };
  };
  readonly network: {
    /** The chain this device joins. */
    readonly name: string;
    readonly listen: readonly string[];
    readonly bootstrap: readonly string[];
    /** Reaching this device through a circuit relay (docs/device.md "Behind NAT"). */
    readonly relay: 'auto' | 'always' | 'never';
    /** Relays to reserve a slot on (multiaddrs ending in /p2p/<PeerId>): Unity servers. */
    readonly relays: readonly string[];
    /** Worker Ring servers to route from (multiaddrs ending in /p2p/<PeerId>): where blobs are replicated. */
    readonly ring: readonly string[];
    /** Peers that decide the ring map (ring/join): where a promoted device joins the ring as a server. */
    readonly ringAuthority: readonly string[];
  };
  /** The owner's payout account; null: the device's own wallet is the payout account. */
  readonly payoutAddress: string | null;
  readonly dashboard: { readonly port: number; readonly password: string | null };
  readonly mqtt: {
    readonly url: string | null;
    readonly provisioningToken: string | null;
    /** The broker id login tokens name (the fleet gives it with the URL). */
    readonly brokerId: string;
    /** The fleet's command key (hex Ed25519 public key): commands and desired state signed by another are refused. */
    readonly commandKey: string | null;
    /** Between two telemetry messages. */
    readonly telemetryMs: number;
  };
  /**
   * How the update agent judges a new release on trial (docs/device.md "Update agent"). Not under `update`: that
   * key of the fleet's desired state is the update offer, never configuration.
   */
  readonly trial: {
    /** The health judgement of a new release lasts this long. */
    readonly windowMs: number;
    /** Health checks spread over the judgement; every one must pass. */
    readonly checks: number;
    /** Starts a new release gets to finish its judgement before it counts as a crash loop. */
    readonly bootsAllowed: number;
  };
  readonly thresholds: {
    /** Below this many free bytes on the data mount the agent does not start serving, and degrades while serving. */
    readonly minFreeBytes: number;
    /** Above this temperature the agent reports degraded. */
    readonly maxTemperatureC: number;
    /** How often the supervisor runs its health checks. */
    readonly healthIntervalMs: number;
    /** The longest wait between two attempts to connect or register. */
    readonly retryMaxMs: number;
  };
}

export interface KeySpec<T = unknown> {
  readonly path: string;
  readonly env: string;
  readonly default: T;
  readonly parser: ValueParser<T>;
  /** Takes effect at the next start (the HAL, the network host and the dashboard are built once). */
  readonly restart: boolean;
  /** Never echoed in messages or status output. */
  readonly secret: boolean;
  /** Only from the agent's options or the environment: it says where the files are, so no file may set it. */
  readonly location: boolean;
  readonly doc: string;
}

/** dashboard.port → AME_DASHBOARD_PORT; hal.pins.statusLeds → AME_HAL_PINS_STATUS_LEDS. */
export function envNameOf(path: string): string {
  return `AME_${path
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_')}`;
}

function key<T>(
  path: string,
  defaultValue: T,
  parser: ValueParser<T>,
  doc: string,
  flags: { restart?: boolean; secret?: boolean; location?: boolean } = {},
): KeySpec<T> {
  return {
    path,
    env: envNameOf(path),
    default: defaultValue,
    parser,
    restart: flags.restart ?? true,
    secret: flags.secret ?? false,
    location: flags.location ?? false,
    doc,
  };
}

const PORTS: readonly PortChoice[] = ['auto', 'linux', 'sim', 'none'];

export const CONFIG_KEYS: readonly KeySpec[] = [
  key('dataDir', '/data', absolutePath(), 'data directory (config.json, identity, wallet, node data)', { location: true }),
  key('bootDir', '/boot/firmware', absolutePath(), 'boot partition holding the first-boot file ame.json', { location: true }),
  key<LogLevel>('logLevel', 'info', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'pino log level'),
  key('hal.root', '/', absolutePath(), 'where /proc, /sys and /dev are read (a fake tree in tests)'),
  key<'auto' | BoardId>('hal.board', 'auto', oneOf(['auto', 'rpi4', 'rpi5', 'generic']), 'board pin map'),
  key('hal.led', 'auto' as PortChoice, oneOf(PORTS), 'status LED adapter'),
  key('hal.button', 'auto' as PortChoice, oneOf(PORTS), 'button adapter'),
  key('hal.console', 'auto' as PortChoice, oneOf(PORTS), 'serial console adapter'),
  key<WatchdogChoice>('hal.watchdog', 'auto', oneOf(['auto', 'dev', 'systemd', 'sim', 'none']), 'watchdog adapter'),
  key<'linux' | 'sim'>('hal.sysinfo', 'linux', oneOf(['linux', 'sim']), 'system information source'),
  key('hal.baudRate', 115_200, integer(1, 4_000_000), 'console UART speed'),
  key<readonly LedTarget[] | 'board'>('hal.pins.statusLeds', 'board', ledTargets(), "status LEDs instead of the board's"),
  key<ButtonPin | 'none' | 'board'>('hal.pins.button', 'board', buttonPin(), "button pin instead of the board's"),
  key('hal.pins.uart', 'board', uartPath(), "console UART instead of the board's candidates"),
  key('hal.pins.gpioChipLabel', 'board', text(/^[\w.:-]{1,64}$/, 'board, none or a gpiochip label'), 'GPIO chip the pins are numbered on'),
  key('network.name', 'ame', text(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a chain name (lower-case letters, digits, -)'), 'chain to join'),
  key<readonly string[]>('network.listen', ['/ip4/0.0.0.0/tcp/4001'], multiaddrList({ needsPeerId: false }), 'multiaddrs to listen on'),
  key<readonly string[]>('network.bootstrap', [], multiaddrList({ needsPeerId: true }), 'peers to join through'),
  key<'auto' | 'always' | 'never'>('network.relay', 'auto', oneOf(['auto', 'always', 'never']), 'listen through a circuit relay: auto (when no listen address is public), always or never'),
  key<readonly string[]>('network.relays', [], multiaddrList({ needsPeerId: true }), 'relays to reserve a slot on (Unity servers)'),
  key<readonly string[]>('network.ringAuthority', [], multiaddrList({ needsPeerId: true }), 'peers that decide the ring map, where a promoted device joins the ring as a server (none: it keeps serving without replicas)'),
  key<readonly string[]>('network.ring', [], multiaddrList({ needsPeerId: true }), 'Worker Ring servers to route from; blobs are replicated on the ring (none: they stay on this device)'),
  key('payoutAddress', null, payoutAddress(), "owner's payout account; unset: the device's own wallet"),
  key('dashboard.port', 8080, integer(0, 65535), 'dashboard HTTP port (0: any free port)'),
  key('dashboard.password', null, nullableText(/^[^\0]{8,128}$/, 'a password of 8 to 128 characters', true), 'dashboard password', {
    secret: true,
    restart: false,
  }),
  key('mqtt.url', null, brokerUrl(), 'fleet broker URL; unset: no fleet connection'),
  key('mqtt.brokerId', 'ame-fleet', text(/^[\x21-\x7e]{1,128}$/, 'a broker id of 1 to 128 printable characters'), 'broker id the login tokens name'),
  key('mqtt.commandKey', null, nullableText(/^[0-9a-f]{64}$/, 'a hex Ed25519 public key (64 lower-case hex digits)'), "the fleet's command key"),
  key('mqtt.telemetryMs', 30_000, integer(1_000, 3_600_000), 'period of the telemetry messages'),
  key('mqtt.provisioningToken', null, nullableText(/^[\x21-\x7e]{8,256}$/, 'a token of 8 to 256 printable characters', true), 'fleet enrolment token', {
    secret: true,
  }),
  key('trial.windowMs', 600_000, integer(1_000, 86_400_000), 'how long a new release is judged by its health before it is kept'),
  key('trial.checks', 10, integer(1, 1_000), 'health checks spread over the judgement; one failure rolls the release back'),
  key('trial.bootsAllowed', 3, integer(1, 100), 'starts a new release may use to finish its judgement before it is rolled back as a crash loop'),
  key('thresholds.minFreeBytes', 1024 ** 3, integer(0, Number.MAX_SAFE_INTEGER), 'free bytes the data mount needs', { restart: false }),
  key('thresholds.maxTemperatureC', 80, decimal(0, 150), 'temperature above which the agent reports degraded', { restart: false }),
  key('thresholds.healthIntervalMs', 5_000, integer(500, 600_000), 'health-check period', { restart: false }),
  key('thresholds.retryMaxMs', 60_000, integer(1_000, 3_600_000), 'longest back-off between connect/register attempts', { restart: false }),
];

export const KEYS_BY_PATH: ReadonlyMap<string, KeySpec> = new Map(CONFIG_KEYS.map((k) => [k.path, k]));
export const KEYS_BY_ENV: ReadonlyMap<string, KeySpec> = new Map(CONFIG_KEYS.map((k) => [k.env, k]));

/** Dotted paths that are groups (hal, hal.pins, …), so a JSON object there is walked rather than refused. */
export const GROUP_PATHS: ReadonlySet<string> = new Set(
  CONFIG_KEYS.flatMap((k) => {
    const parts = k.path.split('.');
    return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('.'));
  }),
);

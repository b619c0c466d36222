/**
 * Parsers of single config values, each in two forms: `json` checks a value from a JSON document (the config
 * files, the fleet's desired state) and `text` parses an environment variable. Both throw ValueProblem with a
 * sentence that starts with what was expected, which the layer parsers prefix with the field's name.
 */
import { multiaddr } from '@multiformats/multiaddr';
import type { ButtonPin, LedTarget } from '../../hal/index.ts';
import { parseAddress } from '../../node/crypto/index.ts';

/** Thrown by the parsers below; never leaves device/config (parse.ts turns it into DeviceError CONFIG_INVALID). */
export class ValueProblem extends Error {}

export interface ValueParser<T> {
  readonly json: (value: unknown) => T;
  readonly text: (text: string) => T;
  /** How the expected value is described in docs and messages. */
  readonly expected: string;
}

const MAX_SHOWN = 60;

/** How a refused value is quoted: secrets are never echoed, long values are cut. */
export function shown(value: unknown, secret: boolean): string {
  if (secret) return typeof value === 'string' ? `a ${value.length}-character string` : `a ${kindOf(value)}`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? kindOf(value);
  } catch {
    text = kindOf(value);
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value;
}

const refuse = (expected: string, value: unknown): never => {
  throw new ValueProblem(`expected ${expected}, got ${shown(value, false)}`);
};

export function integer(min: number, max: number): ValueParser<number> {
  const expected = `an integer ${min}..${max}`;
  const check = (n: number, original: unknown) => (Number.isSafeInteger(n) && n >= min && n <= max ? n : refuse(expected, original));
  return {
    expected,
    json: (v) => (typeof v === 'number' ? check(v, v) : refuse(expected, v)),
    text: (t) => (/^[+-]?\d{1,16}$/.test(t.trim()) ? check(Number(t.trim()), t) : refuse(expected, t)),
  };
}

export function decimal(min: number, max: number): ValueParser<number> {
  const expected = `a number ${min}..${max}`;
  const check = (n: number, original: unknown) => (Number.isFinite(n) && n >= min && n <= max ? n : refuse(expected, original));
  return {
    expected,
    json: (v) => (typeof v === 'number' ? check(v, v) : refuse(expected, v)),
    text: (t) => (/^[+-]?\d{1,6}(\.\d{1,6})?$/.test(t.trim()) ? check(Number(t.trim()), t) : refuse(expected, t)),
  };
}

export function oneOf<T extends string>(choices: readonly T[]): ValueParser<T> {
  const expected = `one of ${choices.join(', ')}`;
  const check = (v: unknown): T => (typeof v === 'string' && (choices as readonly string[]).includes(v) ? (v as T) : refuse(expected, v));
  return { expected, json: check, text: (t) => check(t.trim()) };
}

export function absolutePath(): ValueParser<string> {
  const expected = 'an absolute path';
  const check = (v: unknown): string =>
    typeof v === 'string' && v.startsWith('/') && v.length <= 4096 && !v.includes('\0') ? v : refuse(expected, v);
  return { expected, json: check, text: (t) => check(t.trim()) };
}

/** A string matching `pattern`, or null (JSON null; an empty variable means "not set" and never reaches here). */
export function nullableText(pattern: RegExp, expected: string, secret = false): ValueParser<string | null> {
  const check = (v: unknown): string | null => {
    if (v === null) return null;
    if (typeof v === 'string' && pattern.test(v)) return v;
    throw new ValueProblem(`expected ${expected}, got ${shown(v, secret)}`);
  };
  return { expected: `${expected} or null`, json: check, text: check };
}

export function text(pattern: RegExp, expected: string): ValueParser<string> {
  const check = (v: unknown): string => (typeof v === 'string' && pattern.test(v) ? v : refuse(expected, v));
  return { expected, json: check, text: (t) => check(t.trim()) };
}

/** An AME account address; returned in its canonical spelling (a `falcon:` form becomes the F… one). */
export function payoutAddress(): ValueParser<string | null> {
  const expected = 'an AME address (A… or F…) or null';
  const check = (v: unknown): string | null => {
    if (v === null) return null;
    if (typeof v !== 'string') return refuse(expected, v);
    try {
      return parseAddress(v).text;
    } catch (error) {
      throw new ValueProblem(`expected ${expected}, got ${shown(v, false)} (${(error as Error).message})`);
    }
  };
  return { expected, json: check, text: (t) => check(t.trim()) };
}

const URL_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

export function brokerUrl(): ValueParser<string | null> {
  const expected = 'an mqtt://, mqtts://, ws:// or wss:// URL or null';
  const check = (v: unknown): string | null => {
    if (v === null) return null;
    if (typeof v !== 'string' || v.length > 2048 || !URL.canParse(v)) return refuse(expected, v);
    const url = new URL(v);
    return URL_PROTOCOLS.includes(url.protocol) && url.hostname !== '' ? v : refuse(expected, v);
  };
  return { expected, json: check, text: (t) => check(t.trim()) };
}

const MAX_ADDRS = 32;

/** A list of multiaddrs: a JSON array of strings, or a comma-separated variable. */
export function multiaddrList(options: { needsPeerId: boolean }): ValueParser<readonly string[]> {
  const expected = `a list of at most ${MAX_ADDRS} multiaddrs${options.needsPeerId ? ' ending in /p2p/<PeerId>' : ''}`;
  const one = (item: unknown): string => {
    if (typeof item !== 'string' || item.length > 512) return refuse(expected, item);
    let components: { name: string }[];
    try {
      components = multiaddr(item).getComponents();
    } catch (error) {
      throw new ValueProblem(`expected ${expected}, got ${shown(item, false)} (${(error as Error).message})`);
    }
    if (options.needsPeerId && !components.some((c) => c.name === 'p2p')) {
      throw new ValueProblem(`expected ${expected}, got ${shown(item, false)} (no /p2p/<PeerId>)`);
    }
    return item;
  };
  const list = (items: readonly unknown[], original: unknown) =>
    items.length <= MAX_ADDRS ? Object.freeze(items.map(one)) : refuse(expected, original);
  return {
    expected,
    json: (v) => (Array.isArray(v) ? list(v, v) : refuse(expected, v)),
    text: (t) =>
      list(
        t.split(',').map((s) => s.trim()).filter((s) => s !== ''),
        t,
      ),
  };
}

/** The board's pin map, or an override: JSON objects as hal/boards/types.ts has them, or a compact variable. */
export function ledTargets(): ValueParser<readonly LedTarget[] | 'board'> {
  const expected = 'board, none, or a list of LED targets (gpio:<line>[:active-low], led:<name>[/<name>…])';
  const target = (v: unknown): LedTarget => {
    const o = v as Record<string, unknown> | null;
    if (typeof o === 'object' && o !== null && o['kind'] === 'gpio' && Object.keys(o).every((k) => ['kind', 'line', 'activeLow'].includes(k))) {
      const line = o['line'];
      const activeLow = o['activeLow'] ?? false;
      if (Number.isInteger(line) && (line as number) >= 0 && (line as number) <= 4095 && typeof activeLow === 'boolean') {
        return { kind: 'gpio', line: line as number, activeLow };
      }
    }
    if (typeof o === 'object' && o !== null && o['kind'] === 'sysfs-led' && Object.keys(o).every((k) => ['kind', 'names'].includes(k))) {
      const names = o['names'];
      if (Array.isArray(names) && names.length > 0 && names.length <= 8 && names.every((n) => typeof n === 'string' && /^[\w:.-]{1,64}$/.test(n))) {
        return { kind: 'sysfs-led', names: [...(names as string[])] };
      }
    }
    return refuse(expected, v);
  };
  const fromText = (item: string): LedTarget => {
    const gpio = /^gpio:(\d{1,4})(:active-low)?$/.exec(item);
    if (gpio) return target({ kind: 'gpio', line: Number(gpio[1]), activeLow: gpio[2] !== undefined });
    const led = /^led:(.+)$/.exec(item);
    if (led) return target({ kind: 'sysfs-led', names: led[1]!.split('/') });
    return refuse(expected, item);
  };
  return {
    expected,
    json: (v) => {
      if (v === 'board') return 'board';
      if (v === 'none') return [];
      return Array.isArray(v) && v.length <= 8 ? Object.freeze(v.map(target)) : refuse(expected, v);
    },
    text: (t) => {
      const s = t.trim();
      if (s === 'board') return 'board';
      if (s === 'none') return [];
      const items = s.split(',').map((i) => i.trim());
      return items.length <= 8 ? Object.freeze(items.map(fromText)) : refuse(expected, t);
    },
  };
}

export function buttonPin(): ValueParser<ButtonPin | 'none' | 'board'> {
  const expected = 'board, none, or a GPIO line 0..4095 (JSON {line, activeLow}; variable <line>[:active-high])';
  const pin = (line: unknown, activeLow: unknown, original: unknown): ButtonPin =>
    Number.isInteger(line) && (line as number) >= 0 && (line as number) <= 4095 && typeof activeLow === 'boolean'
      ? { line: line as number, activeLow }
      : refuse(expected, original);
  return {
    expected,
    json: (v) => {
      if (v === 'board' || v === 'none') return v;
      const o = v as Record<string, unknown> | null;
      if (typeof o !== 'object' || o === null || Array.isArray(o) || !Object.keys(o).every((k) => k === 'line' || k === 'activeLow')) {
        return refuse(expected, v);
      }
      // A button to ground with a pull-up is the usual wiring, so active-low unless told.
      return pin(o['line'], o['activeLow'] ?? true, v);
    },
    text: (t) => {
      const s = t.trim();
      if (s === 'board' || s === 'none') return s;
      const m = /^(\d{1,4})(:active-high|:active-low)?$/.exec(s);
      return m ? pin(Number(m[1]), m[2] !== ':active-high', t) : refuse(expected, t);
    },
  };
}

/** A device path, or `board` (the board's candidates) or `none`. */
export function uartPath(): ValueParser<string> {
  const expected = 'board, none or an absolute device path';
  const check = (v: unknown): string =>
    v === 'board' || v === 'none' || (typeof v === 'string' && /^\/[\w./-]{1,255}$/.test(v)) ? (v as string) : refuse(expected, v);
  return { expected, json: check, text: (t) => check(t.trim()) };
}

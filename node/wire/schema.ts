/**
 * A small schema language for message bodies. A schema both validates a decoded value (untrusted) and builds the
 * typed value the protocol code sees; the same call checks what a sender is about to encode. Failures are
 * WireError 'SCHEMA' whose message starts with the field path, e.g. "body.items[3].amount: expected unsigned
 * integer, got text".
 *
 * Structs are exact: a missing or unknown key is an error, because a signed message whose extra fields a
 * receiver silently ignored would mean different things to different versions of the software.
 */
import { WireError } from './errors.ts';
import { UINT64_MAX, isCborMap, kindOf, quote, type CborMap, type CborValue } from './cbor-model.ts';

export interface Schema<T> {
  /** What the schema wants, for error messages: "unsigned integer", "32 bytes", … */
  readonly expected: string;
  /** Returns the typed value, or throws WireError SCHEMA naming `path`. */
  parse(value: unknown, path: string): T;
}

/** A struct field that may be absent. Only valid inside s.struct, which the types enforce. */
export interface Optional<T> {
  readonly optional: true;
  readonly inner: Schema<T>;
}

export type Infer<S> = S extends Schema<infer T> ? T : S extends Optional<infer T> ? T : never;

type Field = Schema<unknown> | Optional<unknown>;
type Fields = Readonly<Record<string, Field>>;
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends Optional<unknown> ? K : never }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type StructOf<F extends Fields> = Simplify<
  { readonly [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & {
    readonly [K in OptionalKeys<F>]?: Infer<F[K]>;
  }
>;

export function schemaError(path: string, message: string): WireError {
  return new WireError('SCHEMA', `${path || 'value'}: ${message}`);
}

function mismatch(path: string, expected: string, value: unknown): WireError {
  return schemaError(path, `expected ${expected}, got ${kindOf(value)}`);
}

function childPath(path: string, key: string): string {
  if (key.length > 40 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return `${path}[${quote(key)}]`;
  return path ? `${path}.${key}` : key;
}

function make<T>(expected: string, parse: (value: unknown, path: string) => T): Schema<T> {
  return { expected, parse };
}

/** Unsigned integer as a JavaScript number: for counters, indices and times that stay below 2^53. */
function uint(options: { readonly max?: number } = {}): Schema<number> {
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  return make('unsigned integer', (value, path) => {
    const n = typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) {
      if (n > max) throw schemaError(path, `${n} exceeds the maximum ${max}`);
      return n;
    }
    if (typeof n === 'bigint' && n >= 0n) throw schemaError(path, `${n} exceeds the maximum ${max}`);
    throw mismatch(path, 'unsigned integer', value);
  });
}

/** Unsigned 64-bit integer, always a bigint: amounts, epochs, anything that may pass 2^53. */
function u64(options: { readonly max?: bigint } = {}): Schema<bigint> {
  const max = options.max ?? UINT64_MAX;
  return make('unsigned 64-bit integer', (value, path) => {
    const n = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
    if (typeof n !== 'bigint' || n < 0n) throw mismatch(path, 'unsigned integer', value);
    if (n > max) throw schemaError(path, `${n} exceeds the maximum ${max}`);
    return n;
  });
}

export interface BytesOptions {
  /** Exact length; sets min and max. */
  readonly len?: number;
  readonly min?: number;
  readonly max?: number;
}

function bytes(options: BytesOptions = {}): Schema<Uint8Array> {
  const { len, min = len ?? 0, max = len ?? Infinity } = options;
  const expected = len !== undefined ? `${len} bytes` : 'bytes';
  return make(expected, (value, path) => {
    if (!(value instanceof Uint8Array)) throw mismatch(path, expected, value);
    if (value.length < min || value.length > max) {
      const want = len !== undefined ? `exactly ${len}` : max === Infinity ? `at least ${min}` : `${min}…${max}`;
      throw schemaError(path, `expected ${want} bytes, got ${value.length}`);
    }
    return value;
  });
}

/** Text whose UTF-8 form has `min`…`max` bytes (bytes, because that is what it costs on the wire). */
function text(options: { readonly max: number; readonly min?: number }): Schema<string> {
  const { max, min = 0 } = options;
  return make('text', (value, path) => {
    if (typeof value !== 'string') throw mismatch(path, 'text', value);
    const size = Buffer.byteLength(value, 'utf8');
    if (size < min || size > max) throw schemaError(path, `expected text of ${min}…${max} UTF-8 bytes, got ${size}`);
    return value;
  });
}

function bool(): Schema<boolean> {
  return make('boolean', (value, path) => {
    if (typeof value !== 'boolean') throw mismatch(path, 'boolean', value);
    return value;
  });
}

function literal<const T extends string | number | boolean>(expectedValue: T): Schema<T> {
  const shown = JSON.stringify(expectedValue);
  return make(shown, (value, path) => {
    // A bigint on the wire that equals a number literal is the same CBOR integer.
    const v = typeof value === 'bigint' && typeof expectedValue === 'number' ? Number(value) : value;
    if (v !== expectedValue) {
      throw schemaError(path, `expected ${shown}, got ${typeof v === 'string' ? quote(v) : kindOf(v)}`);
    }
    return expectedValue;
  });
}

function array<T>(item: Schema<T>, options: { readonly max: number; readonly min?: number }): Schema<readonly T[]> {
  const { max, min = 0 } = options;
  const expected = `array of ${item.expected}`;
  return make(expected, (value, path) => {
    if (!Array.isArray(value)) throw mismatch(path, expected, value);
    if (value.length < min || value.length > max) {
      throw schemaError(path, `expected ${min}…${max} items, got ${value.length}`);
    }
    return value.map((element: unknown, i) => item.parse(element, `${path}[${i}]`));
  });
}

function optional<T>(inner: Schema<T>): Optional<T> {
  return { optional: true, inner };
}

function struct<const F extends Fields>(fields: F): Schema<StructOf<F>> {
  const names = Object.keys(fields);
  const known = new Set(names);
  return make('map', (value, path) => {
    if (!isCborMap(value)) throw mismatch(path, 'map', value);
    for (const key of Object.keys(value)) {
      if (!known.has(key)) throw schemaError(childPath(path, key), 'unknown field');
    }
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const field = fields[name]!;
      const present = Object.hasOwn(value, name) && value[name] !== undefined;
      if ('optional' in field) {
        if (present) out[name] = field.inner.parse(value[name], childPath(path, name));
      } else if (present) {
        out[name] = field.parse(value[name], childPath(path, name));
      } else {
        throw schemaError(childPath(path, name), `missing (expected ${field.expected})`);
      }
    }
    return out as StructOf<F>;
  });
}

/** Any value of the CBOR data model, unchecked: for fields whose shape a later layer decides. */
function raw(): Schema<CborValue> {
  return make('any value', (value, path) => {
    if (value === undefined) throw mismatch(path, 'any value', value);
    return value as CborValue;
  });
}

/** A map with text keys and values of one schema, e.g. per-node counters keyed by node id. */
function record<T>(value: Schema<T>, options: { readonly max: number }): Schema<Readonly<Record<string, T>>> {
  const expected = `map of ${value.expected}`;
  return make(expected, (input, path) => {
    if (!isCborMap(input)) throw mismatch(path, expected, input);
    const keys = Object.keys(input);
    if (keys.length > options.max) {
      throw schemaError(path, `expected at most ${options.max} entries, got ${keys.length}`);
    }
    const out: CborMap = {};
    for (const key of keys) {
      const parsed = value.parse((input as CborMap)[key], childPath(path, key));
      Object.defineProperty(out, key, { value: parsed, enumerable: true, writable: true, configurable: true });
    }
    return out as Readonly<Record<string, T>>;
  });
}

export const s = { uint, u64, bytes, text, bool, literal, array, optional, struct, raw, record } as const;

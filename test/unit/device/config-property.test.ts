import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildConfig, CONFIG_KEYS, DeviceError, parseConfigEnv, parseConfigObject, valueAt } from '../../../device/index.ts';

const PATHS = CONFIG_KEYS.map((k) => k.path);
const ENVS = CONFIG_KEYS.map((k) => k.env);
const GROUPS = ['hal', 'hal.pins', 'network', 'dashboard', 'mqtt', 'thresholds'];

/** Runs fn; returns the DeviceError it threw, undefined if it returned, and fails on any other throw. */
function outcome(fn: () => unknown): DeviceError | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (!(error instanceof DeviceError)) throw new Error(`threw ${String(error)} instead of a DeviceError`, { cause: error });
    return error;
  }
}

/** A document with some known key paths set to arbitrary JSON (and sometimes an unknown key). */
const documents = fc
  .tuple(
    fc.uniqueArray(fc.constantFrom(...PATHS), { maxLength: 6 }),
    fc.array(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string(), fc.integer(), fc.double())),
    fc.option(fc.tuple(fc.constantFrom('', ...GROUPS), fc.string({ minLength: 1, maxLength: 8 })), { nil: undefined }),
  )
  .map(([paths, values, extra]) => {
    const doc: Record<string, unknown> = {};
    const put = (path: string, value: unknown) => {
      const parts = path.split('.');
      let node = doc;
      for (const part of parts.slice(0, -1)) {
        const next = node[part];
        node = (typeof next === 'object' && next !== null ? next : (node[part] = {})) as Record<string, unknown>;
      }
      node[parts[parts.length - 1]!] = value;
    };
    paths.forEach((p, i) => put(p, values[i % Math.max(1, values.length)] ?? null));
    if (extra) put(extra[0] === '' ? extra[1] : `${extra[0]}.${extra[1]}`, 1);
    return doc;
  });

describe('config parser properties', () => {
  it('any JSON document is accepted or refused with CONFIG_INVALID naming a field, never another throw', () => {
    fc.assert(
      fc.property(fc.oneof(documents, fc.jsonValue({ maxDepth: 4 })), (doc) => {
        const error = outcome(() => parseConfigObject(doc, 'doc', { allowLocation: true }));
        if (error === undefined) return;
        expect(error.code).toBe('CONFIG_INVALID');
        expect(error.field).toBeTruthy();
        expect(error.message.startsWith(`${error.field}: `)).toBe(true);
        // The field is a known key or group, the document itself, or the unknown key that was refused.
        const field = error.field!;
        const known = PATHS.includes(field) || GROUPS.includes(field) || field === 'doc';
        expect(known || error.message.startsWith(`${field}: unknown key`)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('any set of AME_* variables is accepted or refused naming one of them, never another throw', () => {
    const values = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.integer().map(String), fc.constantFrom('none', 'board', ' ', '0', '-1', '1e3', ','));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...ENVS, 'AME_OTHER', 'HOME'), values), (env) => {
        const error = outcome(() => parseConfigEnv(env));
        if (error === undefined) return;
        expect(error.code).toBe('CONFIG_INVALID');
        expect(ENVS).toContain(error.field);
        expect(error.message.startsWith(`${error.field}: expected `)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('a value of the wrong kind for an integer key is refused naming exactly that key', () => {
    const integerKeys = CONFIG_KEYS.filter((k) => typeof k.default === 'number');
    fc.assert(
      fc.property(
        fc.constantFrom(...integerKeys),
        fc.oneof(fc.string().filter((s) => !/^\s*[+-]?\d+(\.\d+)?\s*$/.test(s)), fc.constant('1.5e2'), fc.constant('0x10')),
        (key, text) => {
          const error = outcome(() => parseConfigEnv({ [key.env]: text }));
          if (text.trim() === '') return; // an empty variable is unset
          expect(error?.field).toBe(key.env);
          const doc = outcome(() => parseConfigObject(nest(key.path, text), 'doc'));
          expect(doc?.field).toBe(key.path);
        },
      ),
    );
  });

  it('in-range integers from a document round-trip into the config', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 500, max: 600_000 }), (port, interval) => {
        const patch = parseConfigObject({ dashboard: { port }, thresholds: { healthIntervalMs: interval } }, 'doc');
        const config = buildConfig([patch]);
        expect(valueAt(config, 'dashboard.port')).toBe(port);
        expect(config.thresholds.healthIntervalMs).toBe(interval);
      }),
    );
  });
});

function nest(path: string, value: unknown): Record<string, unknown> {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, part) => ({ [part]: inner }), value) as Record<string, unknown>;
}

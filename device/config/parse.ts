/**
 * One config layer at a time: a JSON document (config file, first-boot file, fleet desired state) or the
 * environment becomes a patch of key → value, or is refused whole with DeviceError CONFIG_INVALID naming the first
 * bad field. Nothing else is ever thrown: whatever a value parser throws is turned into that error, so a hostile
 * desired state cannot crash the agent.
 */
import { DeviceError } from '../errors.ts';
import { CONFIG_KEYS, GROUP_PATHS, KEYS_BY_ENV, KEYS_BY_PATH, type DeviceConfig, type KeySpec } from './schema.ts';
import { shown, ValueProblem } from './values.ts';

/** Key path → parsed value; only the keys the layer sets. */
export type ConfigPatch = ReadonlyMap<string, unknown>;

export type Env = Readonly<Record<string, string | undefined>>;

const MAX_DEPTH = 4;

function invalid(field: string, message: string, origin: string): DeviceError {
  return new DeviceError('CONFIG_INVALID', `${message} (in ${origin})`, { field });
}

function parseValue(spec: KeySpec, field: string, origin: string, parse: () => unknown): unknown {
  try {
    return parse();
  } catch (error) {
    const message = error instanceof ValueProblem ? error.message : `expected ${spec.parser.expected} (${(error as Error)?.message ?? String(error)})`;
    throw invalid(field, message, origin);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/**
 * A JSON document's keys, nested as in DeviceConfig ({"dashboard": {"port": 8080}}). Unknown keys are refused (a
 * typo must not be silently ignored); location keys (dataDir, bootDir) are refused unless `allowLocation`.
 */
export function parseConfigObject(raw: unknown, origin: string, options: { allowLocation?: boolean } = {}): ConfigPatch {
  if (!isPlainObject(raw)) throw invalid(origin, `expected a JSON object, got ${shown(raw, false)}`, origin);
  const patch = new Map<string, unknown>();
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number) => {
    for (const name of Object.keys(obj)) {
      // A key that is empty or not a plain name is quoted, so the message still names something visible.
      const shownName = /^[A-Za-z_][\w-]{0,63}$/.test(name) ? name : shown(name, false);
      const path = prefix === '' ? shownName : `${prefix}.${shownName}`;
      const value = obj[name];
      const spec = KEYS_BY_PATH.get(path);
      if (spec) {
        if (spec.location && options.allowLocation !== true) {
          throw invalid(path, `set only by ${spec.env} or the agent's options, not in a config document`, origin);
        }
        patch.set(path, parseValue(spec, path, origin, () => spec.parser.json(value)));
      } else if (GROUP_PATHS.has(path) && depth < MAX_DEPTH) {
        if (!isPlainObject(value)) throw invalid(path, `expected a JSON object, got ${shown(value, false)}`, origin);
        walk(value, path, depth + 1);
      } else {
        throw invalid(path, `unknown key (known under ${prefix || 'the top level'}: ${knownUnder(prefix).join(', ')})`, origin);
      }
    }
  };
  walk(raw, '', 0);
  return patch;
}

function knownUnder(prefix: string): string[] {
  const depth = prefix === '' ? 0 : prefix.split('.').length;
  const names = new Set<string>();
  for (const k of CONFIG_KEYS) {
    if (prefix !== '' && !k.path.startsWith(`${prefix}.`)) continue;
    names.add(k.path.split('.')[depth]!);
  }
  return [...names];
}

/**
 * The AME_* variables that name a key. An empty variable counts as unset (service managers and balena leave
 * empty ones behind). Other AME_* variables belong to other tools and are returned in `ignored` for the log.
 */
export function parseConfigEnv(env: Env): { patch: ConfigPatch; ignored: string[] } {
  const patch = new Map<string, unknown>();
  const ignored: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!name.startsWith('AME_') || value === undefined || value === '') continue;
    const spec = KEYS_BY_ENV.get(name);
    if (!spec) {
      ignored.push(name);
      continue;
    }
    patch.set(spec.path, parseValue(spec, name, 'the environment', () => spec.parser.text(value)));
  }
  return { patch, ignored };
}

/** The defaults with each patch applied in order (later wins); frozen, so nobody edits a shared config. */
export function buildConfig(patches: readonly ConfigPatch[], base?: DeviceConfig): DeviceConfig {
  const root: Record<string, unknown> = {};
  const set = (path: string, value: unknown) => {
    const parts = path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = value;
  };
  for (const spec of CONFIG_KEYS) set(spec.path, base ? valueAt(base, spec.path) : spec.default);
  for (const patch of patches) for (const [path, value] of patch) set(path, value);
  return deepFreeze(root) as unknown as DeviceConfig;
}

export function valueAt(config: DeviceConfig, path: string): unknown {
  let node: unknown = config;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  return node;
}

/** The key paths whose values differ. */
export function changedKeys(a: DeviceConfig, b: DeviceConfig): string[] {
  return CONFIG_KEYS.filter((k) => JSON.stringify(valueAt(a, k.path)) !== JSON.stringify(valueAt(b, k.path))).map((k) => k.path);
}

/** The config as a JSON document with secrets replaced by "(set)", for status output and logs. */
export function redactedConfig(config: DeviceConfig): Record<string, unknown> {
  const patch = new Map<string, unknown>();
  for (const k of CONFIG_KEYS) if (k.secret && valueAt(config, k.path) !== null) patch.set(k.path, '(set)');
  return JSON.parse(JSON.stringify(buildConfig([patch], config))) as Record<string, unknown>;
}

/** The full config as a patch (to persist it and read it back as one layer). */
export function configAsPatch(config: DeviceConfig): ConfigPatch {
  return new Map(CONFIG_KEYS.map((k) => [k.path, valueAt(config, k.path)]));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The device config and its layers, lowest first: defaults < first-boot file (<bootDir>/ame.json) < config file
 * (<dataDir>/config.json) < AME_* environment < the fleet's desired state. A layer with one bad value is refused
 * whole, with a DeviceError naming the field, and the config in force stays what it was:
 *
 *   - while running, applyDesired() and reload() return { ok: false, error } and change nothing;
 *   - at start, when a layer is refused, the config of the last run (agent/last-good.json, written whenever every
 *     layer was valid) is used as it was, so a bad variable pushed to a whole fleet cannot silently revert other
 *     keys to defaults; with no last good config (first boot) the valid layers are used.
 *
 * dataDir and bootDir say where the files are, so they come only from the options or the environment.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../../node/client/json-file.ts';
import { DeviceError, describeError } from '../errors.ts';
import { bootFilePath, deviceLayout } from '../layout.ts';
import {
  buildConfig,
  changedKeys,
  configAsPatch,
  parseConfigEnv,
  parseConfigObject,
  type ConfigPatch,
  type Env,
} from './parse.ts';
import { KEYS_BY_PATH, type DeviceConfig } from './schema.ts';

export type ConfigLayer = 'boot' | 'file' | 'env' | 'desired' | 'last-good';

export interface ConfigProblem {
  readonly layer: ConfigLayer;
  readonly error: DeviceError;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: DeviceConfig; readonly changed: readonly string[]; readonly restartRequired: readonly string[] }
  | { readonly ok: false; readonly error: DeviceError; readonly config: DeviceConfig };

export interface ConfigSources {
  /** Default process.env. */
  readonly env?: Env;
  /** Overrides AME_DATA_DIR. */
  readonly dataDir?: string;
  /** Overrides AME_BOOT_DIR. */
  readonly bootDir?: string;
  readonly logger?: Logger;
}

export interface ConfigFiles {
  readonly boot: string;
  readonly file: string;
  readonly desired: string;
  readonly lastGood: string;
}

export interface DeviceConfigStore {
  readonly files: ConfigFiles;
  current(): DeviceConfig;
  /** 'last-good' when a layer was refused at start and the last run's config is in force. */
  basis(): 'layers' | 'last-good';
  /** The layers refused when the config in force was made, and by the latest refused change. */
  problems(): readonly ConfigProblem[];
  /** AME_* variables that are not config keys (other tools' variables, or typos). */
  ignoredEnv(): readonly string[];
  /** Applies the fleet's desired state (a document shaped like the config file; it replaces the previous one). */
  applyDesired(desired: unknown): ConfigResult;
  /** Re-reads the first-boot file, the config file and the stored desired state. */
  reload(): ConfigResult;
  /** After a factory reset: forgets the desired state and the last good config and rebuilds from what is left. */
  reset(): ConfigResult;
  /**
   * Writes agent/desired.json, and agent/last-good.json when every layer was accepted; nothing before the data dir
   * exists (provisioning creates it: the agent calls this then, and every accepted change calls it).
   */
  persist(): void;
  onChange(listener: (config: DeviceConfig, changed: readonly string[]) => void): () => void;
}

const MAX_FILE_BYTES = 64 * 1024;
const SECRET_MODE = 0o600;

/** A JSON file as a layer: absent is an empty layer; unreadable or not JSON is CONFIG_UNREADABLE naming the file. */
function readLayerFile(path: string, allowLocation = false): ConfigPatch {
  if (!existsSync(path)) return new Map();
  let raw: unknown;
  try {
    if (statSync(path).size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new DeviceError('CONFIG_UNREADABLE', `not a readable JSON config file (${describeError(cause)})`, { field: path, cause });
  }
  return parseConfigObject(raw, path, { allowLocation });
}

function locationOf(sources: ConfigSources, env: Env): ConfigPatch {
  const patch = new Map<string, unknown>();
  for (const [path, given] of [
    ['dataDir', sources.dataDir],
    ['bootDir', sources.bootDir],
  ] as const) {
    const spec = KEYS_BY_PATH.get(path)!;
    if (given !== undefined) patch.set(path, parseConfigObject({ [path]: given }, 'the agent options', { allowLocation: true }).get(path));
    else {
      const fromEnv = env[spec.env];
      if (fromEnv !== undefined && fromEnv !== '') patch.set(path, parseConfigEnv({ [spec.env]: fromEnv }).patch.get(path));
    }
  }
  return patch;
}

/** Opens the config: reads every layer now. Throws only when dataDir or bootDir is invalid (nothing can be read). */
export function openDeviceConfig(sources: ConfigSources = {}): DeviceConfigStore {
  const env = sources.env ?? process.env;
  const logger = sources.logger;
  const location = locationOf(sources, env);
  const base = buildConfig([location]);
  const layout = deviceLayout(base.dataDir);
  const files: ConfigFiles = {
    boot: bootFilePath(base.bootDir),
    file: layout.configFile,
    desired: layout.desiredFile,
    lastGood: layout.lastGoodFile,
  };

  // The environment cannot change while we run: parse it once.
  let envLayer: { patch: ConfigPatch; error?: DeviceError; ignored: string[] };
  try {
    envLayer = parseConfigEnv(env);
  } catch (error) {
    envLayer = { patch: new Map(), error: error as DeviceError, ignored: [] };
  }

  const attempt = (layer: ConfigLayer, read: () => ConfigPatch): { patch: ConfigPatch; problem?: ConfigProblem } => {
    try {
      return { patch: read() };
    } catch (error) {
      // Only DeviceError comes out of the parsers; anything else is a bug worth seeing whole.
      if (!(error instanceof DeviceError)) throw error;
      return { patch: new Map(), problem: { layer, error } };
    }
  };

  const readLayers = () => {
    const boot = attempt('boot', () => readLayerFile(files.boot));
    const file = attempt('file', () => readLayerFile(files.file));
    const desired = attempt('desired', () => readLayerFile(files.desired));
    const envProblem: ConfigProblem[] = envLayer.error ? [{ layer: 'env', error: envLayer.error }] : [];
    const problems = [boot.problem, file.problem, ...envProblem, desired.problem].filter((p): p is ConfigProblem => p !== undefined);
    return { boot: boot.patch, file: file.patch, desired: desired.patch, problems };
  };

  const fromLayers = (l: { boot: ConfigPatch; file: ConfigPatch; desired: ConfigPatch }) =>
    buildConfig([l.boot, l.file, envLayer.patch, location, l.desired]);

  let layers = readLayers();
  // Layers refused in the making of the config in force, and the latest refused change (which changed nothing).
  let inForceProblems: ConfigProblem[] = layers.problems;
  let lastRefusal: ConfigProblem | null = null;
  let basis: 'layers' | 'last-good' = 'layers';
  let config: DeviceConfig;
  if (inForceProblems.length === 0) config = fromLayers(layers);
  else {
    const lastGood = attempt('last-good', () => readLayerFile(files.lastGood));
    if (lastGood.problem) inForceProblems = [...inForceProblems, lastGood.problem];
    if (!lastGood.problem && lastGood.patch.size > 0) {
      config = buildConfig([lastGood.patch, location]);
      basis = 'last-good';
    } else config = fromLayers(layers);
  }
  for (const p of inForceProblems) logger?.error({ layer: p.layer, field: p.error.field, code: p.error.code }, `config refused: ${p.error.message}`);
  if (basis === 'last-good') logger?.warn({ file: files.lastGood }, 'running on the last good config until the refused layer is fixed');
  if (envLayer.ignored.length > 0) logger?.info({ variables: envLayer.ignored }, 'AME_* variables that are not device config keys were ignored');

  const listeners = new Set<(config: DeviceConfig, changed: readonly string[]) => void>();

  const persist = () => {
    if (!existsSync(base.dataDir)) return;
    mkdirSync(layout.agentDir, { recursive: true, mode: 0o700 });
    if (layers.desired.size > 0) writeFileAtomic(files.desired, documentOf(layers.desired), SECRET_MODE);
    else rmSync(files.desired, { force: true });
    // Only a config every layer agreed to is worth falling back to.
    if (basis !== 'layers' || inForceProblems.length > 0) return;
    const full = [...configAsPatch(config)].filter(([path]) => !KEYS_BY_PATH.get(path)!.location);
    writeFileAtomic(files.lastGood, documentOf(new Map(full)), SECRET_MODE);
  };

  const adopt = (next: DeviceConfig): ConfigResult => {
    const changed = changedKeys(config, next);
    config = next;
    lastRefusal = null;
    persist();
    const restartRequired = changed.filter((path) => KEYS_BY_PATH.get(path)!.restart);
    if (changed.length > 0) {
      logger?.info({ changed, restartRequired }, 'config changed');
      for (const listener of [...listeners]) listener(config, changed);
    }
    return { ok: true, config, changed, restartRequired };
  };

  const refuse = (problem: ConfigProblem): ConfigResult => {
    lastRefusal = problem;
    logger?.error(
      { layer: problem.layer, field: problem.error.field, code: problem.error.code },
      `config refused, keeping the config in force: ${problem.error.message}`,
    );
    return { ok: false, error: problem.error, config };
  };

  return {
    files,
    current: () => config,
    basis: () => basis,
    problems: () => (lastRefusal ? [...inForceProblems, lastRefusal] : inForceProblems),
    ignoredEnv: () => envLayer.ignored,
    applyDesired(desired) {
      const parsed = attempt('desired', () => parseConfigObject(desired, 'the desired state'));
      if (parsed.problem) return refuse(parsed.problem);
      layers = { ...layers, desired: parsed.patch };
      // On the last good config, which keys the refused layers would set is unknown: lay the new state over it.
      return adopt(basis === 'last-good' ? buildConfig([parsed.patch], config) : fromLayers(layers));
    },
    reload() {
      const next = readLayers();
      const first = next.problems[0];
      if (first) return refuse(first);
      layers = next;
      basis = 'layers';
      inForceProblems = [];
      return adopt(fromLayers(layers));
    },
    reset() {
      rmSync(files.desired, { force: true });
      rmSync(files.lastGood, { force: true });
      layers = readLayers();
      basis = 'layers';
      inForceProblems = layers.problems;
      return adopt(fromLayers(layers));
    },
    persist,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** A patch as a nested JSON document, the shape of config.json. */
function documentOf(patch: ConfigPatch): string {
  const doc: Record<string, unknown> = {};
  for (const [path, value] of patch) {
    const parts = path.split('.');
    let node = doc;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = value;
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}

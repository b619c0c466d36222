/** The device config: key table, layer parsers and the layered store (docs/device.md "Config"). */
export { CONFIG_KEYS, envNameOf, type DeviceConfig, type KeySpec, type LogLevel } from './schema.ts';
export { buildConfig, changedKeys, parseConfigEnv, parseConfigObject, redactedConfig, valueAt, type ConfigPatch, type Env } from './parse.ts';
export {
  openDeviceConfig,
  type ConfigFiles,
  type ConfigLayer,
  type ConfigProblem,
  type ConfigResult,
  type ConfigSources,
  type DeviceConfigStore,
} from './store.ts';
export { halOptionsOf } from './hal-options.ts';

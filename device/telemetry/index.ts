/** device/telemetry: the device's MQTT client of the fleet contract (SPEC §9). */
export { TELEMETRY_ERROR_CODES, TelemetryError, type TelemetryErrorCode } from './errors.ts';
export {
  createTelemetryClient,
  type ConnectionStatus,
  type TelemetryClient,
  type TelemetryClientOptions,
} from './client.ts';
export type { TelemetryLogger } from './logger.ts';
export { TELEMETRY_STORE_FORMAT, TelemetryStore, type OutboxKind, type OutboxRow } from './store.ts';
export {
  CREDENTIALS_FILE,
  loadCredentials,
  MQTT_CREDENTIALS_COMMAND,
  parseCredentials,
  saveCredentials,
  type MqttCredentials,
} from './credentials.ts';

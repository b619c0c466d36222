/**
 * Typed errors of the device agent. Every refusal the owner can act on (a bad config value, a failed check) names
 * what it is about — a config error its field — so the console, the dashboard and the logs show the same sentence
 * and the fleet can map the stable code.
 */
import { AmeError } from '../node/crypto/errors.ts';

export type DeviceErrorCode =
  | 'CONFIG_INVALID' // a config value refused; `field` is the key path (dashboard.port) or the variable (AME_DASHBOARD_PORT)
  | 'CONFIG_UNREADABLE' // a config file that exists but cannot be read or is not a JSON object; `field` is its path
  | 'PROVISION_FAILED' // the data dir, node identity or wallet could not be created or read back
  | 'RESET_FAILED' // a factory reset was refused or aborted (the graceful exit failed, a wipe failed)
  | 'CHECK_FAILED' // a pre-serving check failed: the agent will not serve on this data
  | 'BAD_TRANSITION' // an event the current agent state does not accept
  | 'RUNTIME_FAILED' // the node runtime failed to start serving (connect and register are retried instead)
  | 'NOT_CONFIRMED' // a dangerous console command whose typed confirmation did not match
  | 'NOT_STARTED' // the agent used before start() or after stop()
  | 'DASHBOARD_FAILED'; // the dashboard could not listen (`field` dashboard.port); the agent runs without it

export const DEVICE_ERROR_CODES: readonly DeviceErrorCode[] = [
  'CONFIG_INVALID',
  'CONFIG_UNREADABLE',
  'PROVISION_FAILED',
  'RESET_FAILED',
  'CHECK_FAILED',
  'BAD_TRANSITION',
  'RUNTIME_FAILED',
  'NOT_CONFIRMED',
  'NOT_STARTED',
  'DASHBOARD_FAILED',
];

export interface DeviceErrorOptions extends ErrorOptions {
  /** What the error is about: a config key path, an environment variable, a file, a check's name. */
  readonly field?: string;
}

export class DeviceError extends AmeError {
  declare readonly code: DeviceErrorCode;
  readonly field: string | undefined;

  constructor(code: DeviceErrorCode, message: string, options: DeviceErrorOptions = {}) {
    const { field, ...rest } = options;
    super(code, field === undefined ? message : `${field}: ${message}`, rest);
    this.field = field;
  }
}

/** The message of any thrown value, for logs and console replies. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * GET /api/fleet (docs/explorer.md "Network page"): the devices the process running the explorer looks after, when
 * it has any (`ame up --devices N` passes its device processes and the fleet broker's connected clients). The
 * ledger knows a device only as a node record; whether it is up right now is this process's knowledge, so without
 * a provider the endpoint is NOT_AVAILABLE (404).
 */
import { ExplorerError } from './errors.ts';
import type { Json } from './json.ts';

export interface FleetDevice {
  /** The name the operator knows it by (`d0`, …). */
  readonly name: string;
  /** Its PeerId once it said who it is. */
  readonly peerId: string | null;
  /** Logged in to the fleet broker now (its MQTT session is up). */
  readonly online: boolean;
  /** Its process: running, or exited with a code or signal; null when this process did not start it. */
  readonly process: 'running' | 'exited' | null;
  readonly exit: string | null;
  /** The agent's last state line (connecting, registered, attached, promoted…). */
  readonly state: string | null;
  readonly dashboard: string | null;
}

export type FleetProvider = () => readonly FleetDevice[];

export function fleetRoute(provider: FleetProvider | undefined): Json {
  if (provider === undefined) throw new ExplorerError('NOT_AVAILABLE', 'this explorer looks after no devices');
  return { devices: provider().map((d) => ({ ...d })) };
}

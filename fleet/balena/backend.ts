/**
 * The fleet controller's balenaCloud side (SPEC §10): pins devices and the fleet to releases, sets device and
 * fleet variables and reads every device's status, through an injected balena-sdk instance (`getSdk(…)` after
 * `auth.loginWithToken`). Releases are named by their commit, as balena names them. Every reply is checked before
 * use: balenaCloud is a peer, and a reply of the wrong shape is BAD_REPLY, not a crash further down.
 */
import type { BalenaSDK } from 'balena-sdk';
import { AGENT_STATUS_TAG, GROUPS_TAG, isCommit, parseAgentStatus, parseGroups, type AgentStatus } from './agent-status.ts';
import { BalenaError } from './errors.ts';

type SdkModels = BalenaSDK['models'];

/** The part of balena-sdk's `BalenaSDK` this backend calls (`getSdk(…)` gives one). */
export interface BalenaSdkPort {
  readonly models: {
    readonly device: Pick<SdkModels['device'], 'pinToRelease' | 'trackApplicationRelease' | 'getAllByApplication'> & {
      readonly envVar: Pick<SdkModels['device']['envVar'], 'set'>;
    };
    readonly application: Pick<SdkModels['application'], 'pinToRelease' | 'get'> & {
      readonly envVar: Pick<SdkModels['application']['envVar'], 'set'>;
    };
  };
}

export interface BalenaDeviceStatus {
  readonly uuid: string;
  readonly name: string;
  readonly online: boolean;
  /** balena's overall status (`idle`, `updating`, `offline`, …), as balena words it. */
  readonly overallStatus: string | null;
  /** Commit of the release the supervisor reports running; null before its first report. */
  readonly running: string | null;
  /** Commit the device is pinned to; null when it follows the fleet. */
  readonly pinned: string | null;
  readonly groups: readonly string[];
  /** Our agent's latest verdict (AME_UPDATE_STATUS), null when absent or unreadable. */
  readonly agent: AgentStatus | null;
}

export interface FleetTarget {
  /** Commit of the release the fleet is pinned to (or, when tracking latest, the latest one). */
  readonly release: string | null;
  readonly tracksLatest: boolean;
}

export interface BalenaBackend {
  pinDevices(uuids: readonly string[], commit: string): Promise<void>;
  /** Makes the devices follow the fleet's release again. */
  unpinDevices(uuids: readonly string[]): Promise<void>;
  pinFleet(commit: string): Promise<void>;
  fleetTarget(): Promise<FleetTarget>;
  setDeviceVar(uuid: string, name: string, value: string): Promise<void>;
  setFleetVar(name: string, value: string): Promise<void>;
  deviceStatus(): Promise<BalenaDeviceStatus[]>;
}

export interface BalenaBackendOptions {
  readonly sdk: BalenaSdkPort;
  /** The fleet's slug (`org/name`), uuid or id as balena-sdk takes it. */
  readonly fleet: string;
}

const UUID = /^[0-9a-f]{32}$|^[0-9a-f]{62}$/;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_VALUE = 16 * 1024;

const DEVICE_QUERY = {
  $select: ['uuid', 'device_name', 'is_online', 'overall_status'],
  $expand: {
    is_running__release: { $select: 'commit' },
    is_pinned_on__release: { $select: 'commit' },
    device_tag: { $select: ['tag_key', 'value'], $filter: { tag_key: { $in: [AGENT_STATUS_TAG, GROUPS_TAG] } } },
  },
  $orderby: { uuid: 'asc' },
} as const;

function checkUuid(uuid: string): void {
  if (typeof uuid !== 'string' || !UUID.test(uuid)) throw new BalenaError('BAD_INPUT', `device uuid ${JSON.stringify(uuid)} is not 32 or 62 lowercase hex digits`);
}

function checkCommit(commit: string): void {
  if (!isCommit(commit)) throw new BalenaError('BAD_INPUT', `release commit ${JSON.stringify(commit)} is not 7-64 lowercase hex digits`);
}

function checkVar(name: string, value: string): void {
  if (typeof name !== 'string' || !VAR_NAME.test(name)) throw new BalenaError('BAD_INPUT', `variable name ${JSON.stringify(name)} is not [A-Za-z_][A-Za-z0-9_]*`);
  if (typeof value !== 'string' || value.length > MAX_VALUE) throw new BalenaError('BAD_INPUT', `variable ${name}: the value must be a string of at most ${MAX_VALUE} characters`);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BalenaError('BAD_REPLY', `${what} is not an object`);
  return value as Record<string, unknown>;
}

/** An expanded to-one navigation: `[{ commit }]` or `[]`. */
function expandedCommit(value: unknown, what: string): string | null {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return null;
  if (!Array.isArray(value) || value.length !== 1) throw new BalenaError('BAD_REPLY', `${what} is not an expanded release`);
  const commit = record(value[0], what).commit;
  if (!isCommit(commit)) throw new BalenaError('BAD_REPLY', `${what}.commit is not a release commit`);
  return commit;
}

export function parseDevice(value: unknown, i: number): BalenaDeviceStatus {
  const what = `device[${i}]`;
  const row = record(value, what);
  if (typeof row.uuid !== 'string' || !UUID.test(row.uuid)) throw new BalenaError('BAD_REPLY', `${what}.uuid is not a device uuid`);
  if (typeof row.is_online !== 'boolean') throw new BalenaError('BAD_REPLY', `${what}.is_online is not a boolean`);
  const tags = Array.isArray(row.device_tag) ? row.device_tag : [];
  let agent: AgentStatus | null = null;
  let groups: string[] = [];
  for (const tag of tags) {
    const { tag_key, value: v } = record(tag, `${what}.device_tag`);
    if (typeof v !== 'string') continue;
    if (tag_key === AGENT_STATUS_TAG) agent = parseAgentStatus(v);
    else if (tag_key === GROUPS_TAG) groups = parseGroups(v);
  }
  return {
    uuid: row.uuid,
    name: typeof row.device_name === 'string' ? row.device_name : row.uuid,
    online: row.is_online,
    overallStatus: typeof row.overall_status === 'string' ? row.overall_status : null,
    running: expandedCommit(row.is_running__release, `${what}.is_running__release`),
    pinned: expandedCommit(row.is_pinned_on__release, `${what}.is_pinned_on__release`),
    groups,
    agent,
  };
}

export function createBalenaBackend(o: BalenaBackendOptions): BalenaBackend {
  const { device, application } = o.sdk.models;

  /** Runs one SDK call, turning its failure into API_FAILED naming what was attempted. */
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof BalenaError) throw error;
      throw new BalenaError('API_FAILED', `${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };

  return {
    async pinDevices(uuids, commit) {
      uuids.forEach(checkUuid);
      checkCommit(commit);
      if (uuids.length === 0) return;
      await call(`pinning ${uuids.length} device(s) to ${commit}`, () => device.pinToRelease([...uuids], commit));
    },
    async unpinDevices(uuids) {
      uuids.forEach(checkUuid);
      if (uuids.length === 0) return;
      await call(`unpinning ${uuids.length} device(s)`, () => device.trackApplicationRelease([...uuids]));
    },
    async pinFleet(commit) {
      checkCommit(commit);
      await call(`pinning fleet ${o.fleet} to ${commit}`, () => application.pinToRelease(o.fleet, commit));
    },
    async fleetTarget() {
      const reply = await call(`reading fleet ${o.fleet}`, () =>
        application.get(o.fleet, { $select: ['id', 'should_track_latest_release'], $expand: { should_be_running__release: { $select: 'commit' } } }),
      );
      const row = record(reply, `fleet ${o.fleet}`);
      if (typeof row.should_track_latest_release !== 'boolean') throw new BalenaError('BAD_REPLY', `fleet ${o.fleet}.should_track_latest_release is not a boolean`);
      return { release: expandedCommit(row.should_be_running__release, `fleet ${o.fleet}.should_be_running__release`), tracksLatest: row.should_track_latest_release };
    },
    async setDeviceVar(uuid, name, value) {
      checkUuid(uuid);
      checkVar(name, value);
      await call(`setting ${name} on device ${uuid}`, () => device.envVar.set(uuid, name, value));
    },
    async setFleetVar(name, value) {
      checkVar(name, value);
      await call(`setting ${name} on fleet ${o.fleet}`, () => application.envVar.set(o.fleet, name, value));
    },
    async deviceStatus() {
      const rows = await call(`listing the devices of ${o.fleet}`, () => device.getAllByApplication(o.fleet, DEVICE_QUERY));
      if (!Array.isArray(rows)) throw new BalenaError('BAD_REPLY', `the devices of ${o.fleet} are not a list`);
      return rows.map(parseDevice);
    },
  };
}

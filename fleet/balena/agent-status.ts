/**
 * What our agent on balenaOS tells the controller, through device tags (docs/fleet.md "balenaCloud"). balena's
 * supervisor only reports the release a device runs; whether that release is healthy — and whether it matches the
 * fleet's signed targets metadata — is our agent's verdict, which it writes to the tag AME_UPDATE_STATUS as
 * `<status> <release commit>`. A tag and not a device variable: changing a device variable makes the supervisor
 * restart the containers, and a tag is plain metadata. The commit in the value keeps a verdict about one release
 * from judging another. A device's rollout groups (the canary) are the comma-separated tag AME_GROUPS.
 */
import { REPORT_STATUSES, type ReportStatus } from '../rollout/index.ts';

export const AGENT_STATUS_TAG = 'AME_UPDATE_STATUS';
export const GROUPS_TAG = 'AME_GROUPS';

export interface AgentStatus {
  readonly status: ReportStatus;
  /** The release commit the verdict is about. */
  readonly release: string;
}

const COMMIT = /^[0-9a-f]{7,64}$/;
const GROUP = /^[A-Za-z0-9_.-]{1,128}$/;

export function isCommit(value: unknown): value is string {
  return typeof value === 'string' && COMMIT.test(value);
}

/** The agent's verdict from its tag value; null for anything else (a device's bytes never stop a rollout). */
export function parseAgentStatus(value: string): AgentStatus | null {
  const [status, release, ...rest] = value.trim().split(/\s+/);
  if (rest.length > 0 || !isCommit(release) || !(REPORT_STATUSES as readonly string[]).includes(status ?? '')) return null;
  return { status: status as ReportStatus, release };
}

export function formatAgentStatus(s: AgentStatus): string {
  return `${s.status} ${s.release}`;
}

/** The groups named in an AME_GROUPS tag; names that are not group names are left out. */
export function parseGroups(value: string): string[] {
  return [...new Set(value.split(',').map((g) => g.trim()))].filter((g) => GROUP.test(g));
}

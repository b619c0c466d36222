/**
 * A rack Unity's health as its servers' explorer APIs report it: each server's final head and its view of the
 * role table (SPEC §7: a standby holds a failed member's role). Read over HTTP with a short timeout per request, so
 * a dead host costs a second, not a hang.
 */
import type { HostLayout } from './plan.ts';

export interface RoleRow {
  readonly role: number;
  readonly name: string;
  /** The member whose role it is, and the member doing it now (-1: vacant). */
  readonly owner: number;
  readonly holder: number;
  readonly state: 'own' | 'taken-over' | 'vacant';
}

export interface ServerHealth {
  readonly name: string;
  readonly role: number;
  readonly api: string;
  readonly reachable: boolean;
  /** Its last final block's height (undefined when unreachable). */
  readonly height?: number;
  readonly roles?: readonly RoleRow[];
  readonly error?: string;
}

export interface RackStatus {
  readonly servers: readonly ServerHealth[];
  /** The highest final height any server reports (0 when none answers). */
  readonly height: number;
  readonly reachable: number;
  /** ⌊2n/3⌋ + 1 servers answer: enough to finalise blocks. */
  readonly quorum: boolean;
}

export type Fetch = (url: string, init?: { signal?: AbortSignal }) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

export const quorumOf = (n: number): number => Math.floor((2 * n) / 3) + 1;

async function getJson(fetcher: Fetch, url: string, timeoutMs: number): Promise<unknown> {
  const response = await fetcher(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function serverHealth(layout: HostLayout, fetcher: Fetch, timeoutMs: number): Promise<ServerHealth> {
  const base = { name: layout.host.name, role: layout.role, api: layout.api };
  try {
    // Heights are decimal strings in the explorer's JSON (they are u64 on the ledger).
    const head = (await getJson(fetcher, `${layout.api}/api/head`, timeoutMs)) as { height?: unknown };
    const height = typeof head.height === 'string' && /^\d{1,15}$/.test(head.height) ? Number(head.height) : undefined;
    if (height === undefined) throw new Error(`${layout.api}/api/head: no height in ${JSON.stringify(head).slice(0, 200)}`);
    const roles = (await getJson(fetcher, `${layout.api}/api/roles`, timeoutMs).catch(() => ({ roles: undefined }))) as { roles?: RoleRow[] };
    return { ...base, reachable: true, height, ...(Array.isArray(roles.roles) ? { roles: roles.roles } : {}) };
  } catch (cause) {
    return { ...base, reachable: false, error: (cause as Error).message };
  }
}

export async function rackStatus(layouts: readonly HostLayout[], fetcher: Fetch, timeoutMs = 1_500): Promise<RackStatus> {
  const servers = await Promise.all(layouts.map((l) => serverHealth(l, fetcher, timeoutMs)));
  const reachable = servers.filter((s) => s.reachable).length;
  return { servers, height: Math.max(0, ...servers.map((s) => s.height ?? 0)), reachable, quorum: reachable >= quorumOf(layouts.length) };
}

/** Who holds `role` in the view of the first server that answers with a role table; undefined if none does. */
export function holderOf(status: RackStatus, role: number): RoleRow | undefined {
  for (const server of status.servers) {
    const row = server.roles?.find((r) => r.role === role);
    if (row !== undefined) return row;
  }
  return undefined;
}

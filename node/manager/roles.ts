/**
 * The six roles of a manager Unity (SPEC §7, whitepaper §1.1.1) and who holds each one. Member i holds role i;
 * role 5 is the hot standby, which takes over the role of any member it has not heard from for `downAfterMs`,
 * and hands it back when that member answers again. Every member sends a heartbeat (`manager/alive`) to every
 * other one each `heartbeatMs` and computes the table from what it heard, by the same rule, so members that hear
 * the same things show the same table; the table is each member's view, not a ledger fact (a duty is done by
 * whoever believes it holds it, and the duties are idempotent: intake, ring messages, client answers).
 *
 * Members past the sixth (a larger Manager Ring) are further standbys: the first one that is up takes the failed
 * roles, in index order. When every standby is down a failed role is `vacant`.
 */
import { NetError, type Clock, type ClockTimer, type NetLogger, type PeerRef, type RequestContext, type Rpc } from '../net/index.ts';
import { decodeCbor, encodeCbor, s, type CborValue } from '../wire/index.ts';
import { ManagerError } from './errors.ts';

export const ALIVE_METHOD = 'manager/alive';
export const ROLES_METHOD = 'manager/roles';

export const ROLE_NAMES = [
  'command-intake', // 0: takes clients' commands and checks message integrity
  'ring-messaging', // 1
  'ring-messaging', // 2
  'client-requests', // 3: client requests and computation
  'client-requests', // 4
  'standby', // 5: hot standby, takes over any failed role
] as const;
export const STANDBY_ROLE = 5;

export const DEFAULT_HEARTBEAT_MS = 500;
export const DEFAULT_DOWN_AFTER_MS = 3_000;

export interface RoleEntry {
  readonly role: number;
  readonly name: string;
  /** The member whose role it is. */
  readonly owner: number;
  /** The member doing it now; -1 when vacant. */
  readonly holder: number;
  readonly state: 'own' | 'taken-over' | 'vacant';
  /** Since when (clock ms) the role has had this holder. */
  readonly since: number;
}

export interface MemberLiveness {
  readonly member: number;
  readonly up: boolean;
  /** Clock ms of the last heartbeat answered (or of the start). */
  readonly lastSeen: number;
}

export interface RoleBoardOptions {
  readonly rpc: Rpc;
  readonly clock: Clock;
  /** Index → member's peer; `peers[index]` is this host. */
  readonly peers: readonly PeerRef[];
  readonly index: number;
  readonly heartbeatMs?: number;
  readonly downAfterMs?: number;
  readonly logger?: NetLogger;
}

const tableSchema = s.array(
  s.struct({ role: s.uint(), name: s.text({ max: 32 }), owner: s.uint(), holder: s.uint(), state: s.text({ max: 16 }), since: s.u64() }),
  { max: 1024 },
);

export class RoleBoard {
  readonly #o: RoleBoardOptions;
  readonly #lastSeen: number[];
  readonly #up: boolean[];
  #table: RoleEntry[] = [];
  #timer: ClockTimer | undefined;
  #running = false;

  constructor(options: RoleBoardOptions) {
    if (options.peers[options.index]?.id !== options.rpc.self.id) {
      throw new ManagerError('BAD_CONFIG', 'peers[index] is not this host');
    }
    this.#o = options;
    const now = options.clock.now();
    this.#lastSeen = options.peers.map(() => now);
    this.#up = options.peers.map(() => true);
    this.#table = this.#compute(now);
  }

  get #downAfterMs(): number {
    return this.#o.downAfterMs ?? DEFAULT_DOWN_AFTER_MS;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const now = this.#o.clock.now();
    this.#lastSeen.fill(now);
    this.#o.rpc.handle(ALIVE_METHOD, async (_body, ctx) => this.#onAlive(ctx));
    this.#o.rpc.handle(ROLES_METHOD, async () => encodeRoles(this.#table));
    this.#tick();
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#o.rpc.unhandle(ALIVE_METHOD);
    this.#o.rpc.unhandle(ROLES_METHOD);
  }

  /** This member's view of who holds each role. */
  table(): readonly RoleEntry[] {
    return this.#table;
  }

  liveness(): MemberLiveness[] {
    return this.#o.peers.map((_, member) => ({ member, up: this.#up[member]!, lastSeen: this.#lastSeen[member]! }));
  }

  /** The member holding `role` now (-1 when vacant). */
  holderOf(role: number): number {
    return this.#table[role]?.holder ?? -1;
  }

  #onAlive(ctx: RequestContext): Uint8Array {
    const member = this.#o.peers.findIndex((p) => p.id === ctx.peer);
    if (member < 0) throw new NetError('UNAUTHORIZED', 'not a member of this ring');
    // A heartbeat received is as good as one answered: the member is up.
    this.#seen(member);
    return new Uint8Array(0);
  }

  #tick(): void {
    if (!this.#running) return;
    const { rpc, peers, index } = this.#o;
    const heartbeatMs = this.#o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    peers.forEach((peer, member) => {
      if (member === index) return;
      rpc.request(peer, ALIVE_METHOD, new Uint8Array(0), { timeoutMs: heartbeatMs * 2 }).then(
        () => this.#seen(member),
        () => undefined,
      );
    });
    this.#evaluate();
    this.#timer = this.#o.clock.setTimeout(() => this.#tick(), heartbeatMs);
  }

  #seen(member: number): void {
    if (!this.#running) return;
    this.#lastSeen[member] = this.#o.clock.now();
    if (!this.#up[member]) this.#evaluate();
  }

  #evaluate(): void {
    const now = this.#o.clock.now();
    const { index, logger } = this.#o;
    for (let m = 0; m < this.#up.length; m++) {
      const up = m === index || now - this.#lastSeen[m]! < this.#downAfterMs;
      if (up === this.#up[m]) continue;
      this.#up[m] = up;
      if (up) logger?.info({ member: m }, 'manager member answers again');
      else logger?.warn({ member: m, silentMs: now - this.#lastSeen[m]! }, 'manager member unreachable');
    }
    const next = this.#compute(now);
    for (const entry of next) {
      const before = this.#table[entry.role];
      if (before !== undefined && before.holder === entry.holder) continue;
      const fields = { role: entry.role, name: entry.name, owner: entry.owner, holder: entry.holder };
      if (entry.state === 'taken-over' && entry.holder === index) logger?.warn(fields, 'took over a failed role');
      else if (entry.state === 'taken-over') logger?.info(fields, 'a standby took over a failed role');
      else if (entry.state === 'vacant') logger?.warn(fields, 'role vacant: its member and every standby are down');
      else logger?.info(fields, 'role back with its member');
    }
    this.#table = next.map((e) => {
      const before = this.#table[e.role];
      return before !== undefined && before.holder === e.holder ? before : e;
    });
  }

  #compute(now: number): RoleEntry[] {
    const n = this.#o.peers.length;
    const roles = Math.min(n, ROLE_NAMES.length);
    const standby = (): number => {
      for (let m = STANDBY_ROLE; m < n; m++) if (this.#up[m]) return m;
      return -1;
    };
    const out: RoleEntry[] = [];
    for (let role = 0; role < roles; role++) {
      const name = ROLE_NAMES[role]!;
      if (this.#up[role]) {
        out.push({ role, name, owner: role, holder: role, state: 'own', since: now });
        continue;
      }
      const holder = standby();
      out.push({ role, name, owner: role, holder, state: holder < 0 ? 'vacant' : 'taken-over', since: now });
    }
    return out;
  }
}

/** A vacant role travels with holder = owner (the state says it is vacant). */
export function encodeRoles(table: readonly RoleEntry[]): Uint8Array {
  const rows = table.map((e) => ({ ...e, holder: e.holder < 0 ? e.owner : e.holder, since: BigInt(Math.floor(e.since)) }));
  return encodeCbor(rows as unknown as CborValue);
}

export function decodeRoles(bytes: Uint8Array): RoleEntry[] {
  let rows;
  try {
    rows = tableSchema.parse(decodeCbor(bytes, { maxSize: 65_536 }), 'roles');
  } catch (cause) {
    throw new ManagerError('BAD_REPLY', `roles: ${(cause as Error).message}`, { cause });
  }
  return rows.map((r) => {
    const state = r.state === 'own' || r.state === 'taken-over' || r.state === 'vacant' ? r.state : undefined;
    if (state === undefined) throw new ManagerError('BAD_REPLY', `roles: unknown state ${r.state}`);
    return { role: r.role, name: r.name, owner: r.owner, holder: state === 'vacant' ? -1 : r.holder, state, since: Number(r.since) };
  });
}

/** A member's view of the role table, over `manager/roles`. */
export async function getRoles(rpc: Rpc, manager: PeerRef, timeoutMs = 5_000): Promise<RoleEntry[]> {
  return decodeRoles(await rpc.request(manager, ROLES_METHOD, new Uint8Array(0), { timeoutMs }));
}

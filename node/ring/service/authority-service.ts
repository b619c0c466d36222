/**
 * The ring authority as a service: it holds the whole map, decides its changes and publishes each new epoch as
 * certified views to every server (SPEC.md §5). It stands in for the Manager Ring's ring duties. Who certifies
 * is injected (`certify`): the genesis ring-authority key (`key`, the default) or a collector that gathers the
 * shares of a manager quorum (epoch-certificate.ts, managers.ts); the servers' side of the interface — certified
 * views pulled or pushed — stays the same either way.
 *
 * It admits new servers (ring/join, placing them in the smallest Unity and splitting a Unity that reaches the
 * server limit), takes down reports from index servers (a server is removed once `reportsNeeded` siblings saw it
 * silent), and re-plans maintenance every heartbeat: borrow guests for a Unity under its replica count, release
 * them when it recovers, merge a Unity that has stayed under minServers for `mergeAfterMs`.
 */
import type { Logger } from 'pino';
import type { Ed25519KeyPair } from '../../crypto/index.ts';
import { authorityCertify, type Certify } from '../epoch-certificate.ts';
import { NetError } from '../../net/errors.ts';
import type { Clock, ClockTimer, PeerRef, RequestContext, Rpc } from '../../net/types.ts';
import { RingError } from '../errors.ts';
import { applyTransitions, planMaintenance, type Transition } from '../maintenance.ts';
import { unityOfServer, validateMap, type RingMap } from '../map.ts';
import { certifyMapUpdate, encodeMapUpdate, type MapUpdate } from '../certificate.ts';
import { bodies, decodeBody, encodeBody, METHOD } from './protocol.ts';
import { serving } from './remote-errors.ts';
import { certifyView, encodeSignedView, viewOf, type SignedView } from './view.ts';

export interface RingAuthorityOptions {
  readonly rpc: Rpc;
  readonly clock: Clock;
  /** The ring-authority key; certifies views and map updates unless `certify` is given. */
  readonly key?: Ed25519KeyPair;
  /** Certifies each view and map update (e.g. by collecting a manager quorum's shares); takes precedence over key. */
  readonly certify?: Certify;
  readonly genesis: RingMap;
  /** Distinct siblings that must report a server silent before it is removed (default 2). */
  readonly reportsNeeded?: number;
  /** How long a Unity stays under minServers (borrowing) before it merges; default: one heartbeat period × 6. */
  readonly mergeAfterMs?: number;
  readonly timeoutMs?: number;
  /**
   * Whether a new server may join (`unity`: the Unity it asks for): the ledger's say in a network with one (a
   * promoted worker of that Unity); default every server.
   */
  readonly admitJoin?: (peer: string, unity: string | undefined) => boolean;
  readonly logger?: Logger;
}

function sameAddrs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class RingAuthority {
  private readonly options: RingAuthorityOptions;
  private current: RingMap;
  private readonly certify: Certify;
  private signed = new Map<number, Promise<SignedView>>();
  private update: { readonly epoch: bigint; readonly certified: Promise<MapUpdate> } | undefined;
  private readonly reports = new Map<string, Set<string>>();
  private readonly down = new Set<string>();
  private readonly underSince = new Map<string, number>();
  private timer: ClockTimer | undefined;
  private stopped = false;

  constructor(options: RingAuthorityOptions) {
    if (options.genesis.epoch < 1n) {
      // Requests name the epoch they route by, and 0 means "no map" (a client): a map never has it.
      throw new RingError('BAD_MAP', 'the genesis map must have epoch 1 or more');
    }
    const certify = options.certify ?? (options.key === undefined ? undefined : authorityCertify(options.key));
    if (certify === undefined) throw new RingError('UNSUPPORTED', 'the ring authority needs a key or a certify function');
    this.certify = certify;
    this.options = options;
    this.current = options.genesis;
  }

  map(): RingMap {
    return this.current;
  }

  async start(): Promise<void> {
    const handlers: Record<string, (body: Uint8Array, ctx: RequestContext) => Promise<Uint8Array>> = {
      [METHOD.viewGet]: async (_body, ctx) => this.viewsReply(ctx.peer),
      [METHOD.join]: async (body, ctx) => {
        const { addrs, unity } = decodeBody(bodies.join, body, METHOD.join);
        if (unityOfServer(this.current, ctx.peer) < 0) {
          if (this.options.admitJoin?.(ctx.peer, unity) === false) throw new NetError('UNAUTHORIZED', `${ctx.peer} may not join the ring${unity === undefined ? '' : ` in ${unity}`}`);
          this.admit({ id: ctx.peer, addrs }, unity);
        }
        else if (this.down.has(ctx.peer) || !sameAddrs(this.addrsOf(ctx.peer), addrs)) this.readdress(ctx.peer, addrs);
        return this.viewsReply(ctx.peer);
      },
      [METHOD.reportDown]: async (body, ctx) => {
        const { peer } = decodeBody(bodies.reportDown, body, METHOD.reportDown);
        this.report(ctx.peer, peer);
        return encodeBody(bodies.empty, {});
      },
      [METHOD.mapGet]: async () => encodeBody(bodies.mapReply, { update: encodeMapUpdate(await this.mapUpdate()) }),
    };
    for (const [method, handler] of Object.entries(handlers)) this.options.rpc.handle(method, serving(handler));
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    for (const method of [METHOD.viewGet, METHOD.join, METHOD.reportDown, METHOD.mapGet]) this.options.rpc.unhandle(method);
  }

  /** Applies transitions as one new epoch and pushes the new views; returns the new map. */
  async change(transitions: readonly Transition[]): Promise<RingMap> {
    this.apply(transitions);
    await this.publish();
    return this.current;
  }

  /** The certified views a server holds: its own Unity's and those of the Unities it is a guest of. */
  viewsFor(peer: string): Promise<SignedView[]> {
    const out: Promise<SignedView>[] = [];
    this.current.unities.forEach((unity, u) => {
      if (unity.servers.some((s) => s.id === peer) || unity.guests.some((s) => s.id === peer)) out.push(this.viewOf(u));
    });
    return Promise.all(out);
  }

  /** The current map, certified (once per epoch). */
  mapUpdate(): Promise<MapUpdate> {
    const { epoch } = this.current;
    if (this.update?.epoch !== epoch) {
      const certified = certifyMapUpdate(this.current, this.certify);
      const entry = { epoch, certified };
      this.update = entry;
      certified.catch(() => {
        if (this.update === entry) this.update = undefined; // a failed certification is tried again next time
      });
    }
    return this.update!.certified;
  }

  /** Pushes the current views to every server and guest; resolves when all answered or failed. */
  async publish(): Promise<void> {
    const targets = new Map<string, PeerRef>();
    for (const unity of this.current.unities) for (const s of [...unity.servers, ...unity.guests]) targets.set(s.id, s);
    await Promise.all(
      [...targets.values()].map(async (peer) => {
        if (this.down.has(peer.id)) return;
        try {
          const body = encodeBody(bodies.views, { views: (await this.viewsFor(peer.id)).map(encodeSignedView) });
          await this.options.rpc.request(peer, METHOD.view, body, { timeoutMs: this.options.timeoutMs ?? 5_000 });
        } catch (error) {
          this.options.logger?.debug({ peer: peer.id, err: error }, 'view push failed');
        }
      }),
    );
  }

  /** The certified view of Unity u of the current map, certified once per epoch (a failure is retried later). */
  private viewOf(u: number): Promise<SignedView> {
    const cache = this.signed;
    const held = cache.get(u);
    if (held !== undefined) return held;
    const certified = certifyView(viewOf(this.current, u), this.certify);
    cache.set(u, certified);
    certified.catch(() => {
      if (cache.get(u) === certified) cache.delete(u);
    });
    return certified;
  }

  private async viewsReply(peer: string): Promise<Uint8Array> {
    const views = await this.viewsFor(peer);
    if (views.length === 0) throw new NetError('UNAUTHORIZED', `${peer} is not a server of the ring; join first`);
    return encodeBody(bodies.views, { views: views.map(encodeSignedView) });
  }

  private apply(transitions: readonly Transition[]): void {
    if (transitions.length === 0) return;
    this.current = applyTransitions(this.current, transitions, this.liveness());
    this.signed = new Map();
    this.options.logger?.info({ epoch: this.current.epoch.toString(), transitions }, 'new ring epoch');
  }

  private admit(server: PeerRef, unity?: string): void {
    // The Unity asked for while it has room (it splits at the limit anyway); else the smallest.
    const asked = unity === undefined ? undefined : this.current.unities.find((u) => u.id === unity);
    const room = asked !== undefined && asked.servers.length < this.current.params.serverLimit;
    const plan: Transition[] = [room ? { kind: 'join', server, unity: asked.id } : { kind: 'join', server }];
    try {
      this.apply(plan);
    } catch (error) {
      if (!(error instanceof RingError) || error.code !== 'UNITY_FULL') throw error;
      // Every Unity is at the limit: split the first full one, then place the server.
      this.apply([...planMaintenance(this.current, this.liveness()), ...plan]);
    }
    this.maintain();
    void this.publish();
  }

  private addrsOf(peer: string): readonly string[] {
    for (const unity of this.current.unities) {
      const found = unity.servers.find((s) => s.id === peer);
      if (found !== undefined) return found.addrs;
    }
    return [];
  }

  /** A member came back (restarted, maybe on new addresses): new epoch with its addresses, no longer down. */
  private readdress(peer: string, addrs: readonly string[]): void {
    this.down.delete(peer);
    this.reports.delete(peer);
    const swap = (list: readonly PeerRef[]) => list.map((s) => (s.id === peer ? { id: peer, addrs: [...addrs] } : s));
    this.current = validateMap({
      ...this.current,
      epoch: this.current.epoch + 1n,
      unities: this.current.unities.map((u) => ({ ...u, servers: swap(u.servers), guests: swap(u.guests) })),
    });
    this.signed = new Map();
    this.options.logger?.info({ peer, epoch: this.current.epoch.toString() }, 'server readdressed');
    void this.publish();
  }

  private report(reporter: string, peer: string): void {
    const home = unityOfServer(this.current, peer);
    if (home < 0 || this.down.has(peer)) return;
    const unity = this.current.unities[home]!;
    const sibling = [...unity.servers, ...unity.guests].some((s) => s.id === reporter) && reporter !== peer;
    if (!sibling) throw new NetError('UNAUTHORIZED', 'only servers of its Unity report a server down');
    const seen = this.reports.get(peer) ?? new Set<string>();
    seen.add(reporter);
    this.reports.set(peer, seen);
    const needed = Math.min(this.options.reportsNeeded ?? 2, unity.servers.length - 1);
    if (seen.size < needed) return;
    this.down.add(peer);
    this.reports.delete(peer);
    this.options.logger?.info({ peer }, 'server marked down');
    try {
      this.apply([{ kind: 'leave', server: peer }]);
    } catch (error) {
      // The last server of a Unity stays listed until the Unity merges (planMaintenance sees it down).
      this.options.logger?.info({ peer, err: error }, 'down server kept until its Unity merges');
    }
    this.maintain();
    void this.publish();
  }

  private liveness() {
    return { isDown: (id: string) => this.down.has(id) };
  }

  /** Applies the maintenance due now as one more epoch; true when the map changed. */
  private maintain(): boolean {
    const now = this.options.clock.now();
    const { minServers, heartbeatMs } = this.current.params;
    const mergeAfter = this.options.mergeAfterMs ?? 6 * heartbeatMs;
    for (const unity of this.current.unities) {
      const live = unity.servers.filter((s) => !this.down.has(s.id)).length;
      if (live >= minServers) this.underSince.delete(unity.id);
      else if (!this.underSince.has(unity.id)) this.underSince.set(unity.id, now);
    }
    const plan = planMaintenance(this.current, this.liveness(), {
      mergeDue: (unity) => now - (this.underSince.get(unity.id) ?? now) >= mergeAfter,
    });
    if (plan.length === 0) return false;
    this.apply(plan);
    return true;
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => {
      if (this.stopped) return;
      if (this.maintain()) void this.publish();
      this.schedule();
    }, this.current.params.heartbeatMs);
  }
}

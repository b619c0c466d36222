/**
 * A Worker Ring server: index, group and resource server of its Unity at once (SPEC.md §5). It holds its
 * Unity's view (never the whole map), serves lookups and coordinated reads and writes, keeps its replicas,
 * pulls its Unity's pairs whenever its range or Unity changes (and at start), sends heartbeats to its siblings
 * and reports the silent ones to the authority, and relays broadcasts. Time, randomness and transport are
 * injected, so the simulator runs this same code.
 */
import type { Logger } from 'pino';
import { NetError } from '../../net/errors.ts';
import type { Clock, ClockTimer, Datagrams, PeerRef, Random, Rpc } from '../../net/types.ts';
import type { CertifiersLike } from '../epoch-certificate.ts';
import { RingError } from '../errors.ts';
import type { Key } from '../keyspace.ts';
import { Broadcaster } from './broadcast.ts';
import { RingClient, type Traced } from './client.ts';
import { Coordinator } from './coordinator.ts';
import { registerHandlers } from './handlers.ts';
import { HeartbeatMonitor } from './liveness.ts';
import { bodies, decodeBody, encodeBody, METHOD } from './protocol.ts';
import type { ReplicaStore } from './replica-store.ts';
import { Router, type Located } from './router.ts';
import { pullUnity } from './sync.ts';
import type { ValueSchemes } from './value.ts';
import { decodeSignedView, ownsKey, type SignedView, type UnityView } from './view.ts';
import { ViewSet } from './views.ts';
import { encodeCbor } from '../../wire/index.ts';

export const HEARTBEAT_TOPIC = 'ring/hb';

export interface RingServerOptions {
  readonly rpc: Rpc;
  readonly datagrams: Datagrams;
  readonly clock: Clock;
  readonly random: Random;
  readonly store: ReplicaStore;
  /**
   * Who certifies views: the ring-authority public key of the genesis configuration (bare, or `{ authority }`),
   * or `{ managers: () => keys }`, the current manager set, whose quorum ⌊2n/3⌋ + 1 must sign each view.
   */
  readonly authority: CertifiersLike;
  /** Who decides the map (the ring authority now, the managers later): views come from them, reports go to them. */
  readonly managers: () => readonly PeerRef[];
  /** Ask the managers for a Unity at start (a new server) instead of only fetching the views it already has. */
  readonly join?: boolean;
  /** The Unity to join (a promoted temporary worker joins the one it served); default: the authority's choice. */
  readonly unity?: string;
  readonly timeoutMs?: number;
  readonly logger?: Logger;
  /**
   * The checked-value schemes this server stores and serves, by name (value.ts): the layers above the ring
   * inject their key rules here, since the ring may not import them. None by default.
   */
  readonly schemes?: ValueSchemes;
}

export class RingServer {
  private readonly options: RingServerOptions;
  private readonly views: ViewSet;
  private readonly monitor: HeartbeatMonitor;
  private readonly coordinator: Coordinator;
  readonly router: Router;
  readonly client: RingClient;
  readonly broadcaster: Broadcaster;
  private unregister: (() => void) | undefined;
  private timer: ClockTimer | undefined;
  private heartbeats = 0;
  private period = 0;
  private retry: ClockTimer | undefined;
  private readonly startedAt: number;
  private syncing: Promise<void> = Promise.resolve();
  private refreshing: Promise<void> | undefined;
  private firstSync: Promise<void> | undefined;
  private markFirstSync: () => void = () => {};
  private stopped = false;

  constructor(options: RingServerOptions) {
    this.options = options;
    const timeoutMs = options.timeoutMs ?? 5_000;
    const selfId = () => options.rpc.self.id;
    this.views = new ViewSet(options.authority);
    this.monitor = new HeartbeatMonitor({ clock: options.clock, downAfterMs: 60_000 });
    this.startedAt = options.clock.now();
    this.coordinator = new Coordinator({
      rpc: options.rpc,
      store: options.store,
      selfId,
      timeoutMs,
      onRepairError: (error) => options.logger?.debug({ err: error }, 'read repair failed'),
      schemes: options.schemes ?? {},
    });
    this.router = new Router({
      rpc: options.rpc,
      authority: options.authority,
      view: () => this.views.own()?.view,
      onFreshView: () => this.refreshSoon(),
      timeoutMs,
    });
    this.client = new RingClient({ rpc: options.rpc, router: this.router, timeoutMs });
    this.broadcaster = new Broadcaster({
      rpc: options.rpc,
      random: options.random,
      selfId,
      view: () => this.views.own()?.view,
      timeoutMs,
      onError: (error) => options.logger?.debug({ err: error }, 'broadcast relay failed'),
    });
  }

  view(): UnityView | undefined {
    return this.views.own()?.view;
  }

  signedView(): SignedView | undefined {
    return this.views.own()?.signed;
  }

  hostedViews(): UnityView[] {
    return this.views.hosted().map((h) => h.view);
  }

  async start(): Promise<void> {
    this.firstSync = new Promise((resolve) => (this.markFirstSync = resolve));
    this.unregister = registerHandlers(this.options.rpc, {
      views: this.views,
      store: this.options.store,
      coordinator: this.coordinator,
      broadcaster: this.broadcaster,
      behind: () => this.refreshSoon(),
      clock: this.options.clock,
      pushed: (views, from) => this.pushed(views, from),
      schemes: this.options.schemes ?? {},
    });
    this.options.datagrams.onDatagram(HEARTBEAT_TOPIC, (from) => this.monitor.seen(from));
    this.schedule();
    await this.fetchViews(500);
  }

  /**
   * Joins (a new server) or fetches its views (a known one) from the managers; a manager that is busy or not up
   * yet is asked again later with growing pauses, so start never fails for it: ready() waits instead.
   */
  private async fetchViews(pauseMs: number): Promise<void> {
    if (this.stopped || this.views.own() !== undefined) return;
    try {
      if (this.options.join === true) await this.joinRing();
      else await this.refresh();
    } catch (error) {
      this.options.logger?.warn({ err: error, retryInMs: pauseMs }, 'no view from the managers yet');
      this.retry = this.options.clock.setTimeout(() => void this.fetchViews(Math.min(pauseMs * 2, 10_000)), pauseMs);
    }
  }

  /** Resolves once the server holds a view and has pulled its Unity's pairs once. */
  ready(): Promise<void> {
    return this.firstSync ?? Promise.reject(new RingError('UNKNOWN_UNITY', 'the server was not started'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    if (this.retry !== undefined) this.options.clock.clearTimeout(this.retry);
    this.unregister?.();
    await this.syncing;
  }

  locate(key: Key): Promise<Located> {
    return this.router.locate(key);
  }

  get(key: Key): Promise<Traced<Uint8Array | undefined>> {
    return this.client.get(key);
  }

  put(key: Key, value: Uint8Array): Promise<Traced<{ acks: number; replicas: number }>> {
    return this.client.put(key, value);
  }

  /** Fetches this server's current views from the managers. */
  refresh(): Promise<void> {
    this.refreshing ??= this.fromManagers(METHOD.viewGet, encodeBody(bodies.empty, {})).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** A refresh in the background, when a peer showed that a newer epoch exists. */
  private refreshSoon(): void {
    this.refresh().catch((error: unknown) => this.options.logger?.debug({ err: error }, 'view refresh failed'));
  }

  private async joinRing(): Promise<void> {
    const unity = this.options.unity === undefined ? {} : { unity: this.options.unity };
    await this.fromManagers(METHOD.join, encodeBody(bodies.join, { addrs: [...this.options.rpc.self.addrs], ...unity }));
  }

  private async fromManagers(method: string, body: Uint8Array): Promise<void> {
    let last: unknown = new NetError('UNAVAILABLE', 'no manager is known');
    for (const manager of this.options.managers()) {
      try {
        const reply = await this.options.rpc.request(manager, method, body, { timeoutMs: this.options.timeoutMs ?? 5_000 });
        const { views } = decodeBody(bodies.views, reply, method);
        this.installViews(views.map((bytes) => decodeSignedView(bytes)));
        return;
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  private pushed(views: readonly SignedView[], from: string): void {
    if (!this.options.managers().some((m) => m.id === from)) {
      throw new NetError('UNAUTHORIZED', 'views are pushed by the managers only');
    }
    this.installViews(views);
  }

  private installViews(pushed: readonly SignedView[]): void {
    const self = this.options.rpc.self.id;
    const result = this.views.install(pushed, self);
    if (result.removed) this.options.logger?.warn('this server is no longer in the ring map');
    const own = result.own?.view;
    if (own !== undefined) {
      // The first view (or new parameters) sets the heartbeat period; until then the timer ran on the default.
      if (this.period !== own.params.heartbeatMs) this.reschedule();
      this.monitor.setDownAfter(own.params.downAfterMs);
      this.monitor.track([...own.unity.servers, ...own.unity.guests].map((s) => s.id).filter((id) => id !== self));
      this.resync(own, result.hosted.map((h) => h.view));
    } else if (result.hosted.length > 0) {
      this.resync(undefined, result.hosted.map((h) => h.view));
    }
  }

  /** Pulls the pairs of a new own view (and of newly hosted Unities), then drops pairs no held range covers. */
  private resync(own: UnityView | undefined, hosted: readonly UnityView[]): void {
    const previous = this.views.previous();
    const deps = {
      rpc: this.options.rpc,
      store: this.options.store,
      selfId: () => this.options.rpc.self.id,
      timeoutMs: this.options.timeoutMs ?? 5_000,
      onError: (source: string, error: unknown) => this.options.logger?.debug({ source, err: error }, 'sync failed'),
      schemes: this.options.schemes ?? {},
    };
    this.syncing = this.syncing.then(async () => {
      if (this.stopped) return;
      if (own !== undefined) {
        const members = [...own.unity.servers, ...own.unity.guests];
        const before = previous === undefined ? [] : [...previous.unity.servers, ...previous.unity.guests];
        const report = await pullUnity(deps, own, [...members, ...before]);
        this.options.logger?.info({ epoch: own.epoch.toString(), ...report }, 'pulled the Unity’s pairs');
        await this.dropForeign();
        this.markFirstSync();
      }
      for (const view of hosted) await pullUnity(deps, view, [...view.unity.servers, ...view.unity.guests]);
    });
  }

  private async dropForeign(): Promise<void> {
    const own = this.views.own()?.view;
    if (own === undefined) return;
    const foreign: Key[] = [];
    let after: Key | undefined;
    for (;;) {
      const page = this.options.store.page(own.end, own.unity.start, after, 512);
      for (const [key] of page) if (this.views.forKey(key) === undefined && !ownsKey(own, key)) foreign.push(key);
      if (page.length < 512) break;
      after = page.at(-1)![0];
    }
    if (foreign.length > 0) await this.options.store.remove(foreign);
  }

  private reschedule(): void {
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    if (!this.stopped) this.schedule();
  }

  /** Heartbeats to the siblings and a check for silent ones, every heartbeatMs of the current view. */
  private schedule(): void {
    const every = this.views.own()?.view.params.heartbeatMs ?? 10_000;
    this.period = every;
    this.timer = this.options.clock.setTimeout(() => {
      if (this.stopped) return;
      this.tick();
      this.schedule();
    }, every);
  }

  private tick(): void {
    const own = this.views.own()?.view;
    if (own === undefined) return;
    const self = this.options.rpc.self.id;
    this.heartbeats++;
    const payload = encodeCbor({
      unity: own.slice.index,
      epoch: own.epoch,
      uptime: this.options.clock.now() - this.startedAt,
      sent: this.heartbeats,
      interval: own.params.heartbeatMs,
    });
    const targets = [own, ...this.views.hosted().map((h) => h.view)].flatMap((v) => [...v.unity.servers, ...v.unity.guests]);
    for (const peer of new Map(targets.map((t) => [t.id, t])).values()) {
      if (peer.id !== self) this.options.datagrams.send(peer, HEARTBEAT_TOPIC, payload);
    }
    for (const peer of this.monitor.down()) void this.reportDown(own, peer);
  }

  private async reportDown(own: UnityView, peer: string): Promise<void> {
    const body = encodeBody(bodies.reportDown, { epoch: own.epoch, peer });
    for (const manager of this.options.managers()) {
      try {
        await this.options.rpc.request(manager, METHOD.reportDown, body, { timeoutMs: this.options.timeoutMs ?? 5_000 });
        return;
      } catch (error) {
        this.options.logger?.debug({ peer, err: error }, 'down report failed');
      }
    }
  }
}


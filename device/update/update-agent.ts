/**
 * The device's update agent (SPEC §10): it takes the fleet's update offer (node/fleetproto/update.ts), checks it
 * with node/update against the image repository, installs the target beside the running version, switches to it,
 * judges it by real health and returns to the previous slot by itself when it fails.
 *
 * One job at a time, in order: an offer (verify, then idle / waiting-lock / download, install, switch) or a
 * judgement. The newest offer replaces one not yet started. Files are written before anything they promise is
 * done: the trial (with its boots left) is on disk before `restart` switches, and a boot of the trial version
 * counts itself down before it is judged, so a version that crashes before its verdict is rolled back unjudged
 * once its boots run out. Trust and slots change only after everything was verified: a refused update leaves the
 * running version and trust.json as they were.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { Clock } from '../../hal/index.ts';
import { toHex } from '../../node/crypto/index.ts';
import type { UpdateOffer, UpdateReport } from '../../node/fleetproto/index.ts';
import { type TrustState, UpdateError, verifyUpdate } from '../../node/update/index.ts';
import { UpdateAgentError } from './errors.ts';
import { installTarget } from './install.ts';
import { Aborted, type HealthCheck, judgeHealth, type Judgement } from './judgement.ts';
import { createRepositoryClient } from './repository-client.ts';
import { pruneSlots, slotPath, updatePaths } from './slots.ts';
import { currentLock, type UpdateLock } from './update-lock.ts';
import { type InitialRoots, readTrust, readUpdateState, type SlotTarget, type UpdateState, writeTrust, writeUpdateState } from './update-state.ts';

export interface UpdateAgentOptions {
  readonly dataDir: string;
  /** The node's PeerId: director metadata must name it. */
  readonly deviceId: string;
  /** `now()` is trusted wall time in ms (consensus time or NTP): metadata expiry and lock expiry are judged on it. */
  readonly clock: Clock;
  readonly fetch?: typeof fetch;
  /**
   * The first trusted root documents (used while `trust.json` does not exist yet), or the error saying why there
   * are none (NO_ROOTS, BAD_ROOTS): the agent then still judges a trial, but refuses every offer with that error.
   */
  readonly initialRoots: InitialRoots | UpdateAgentError;
  /** The device's real health (it serves, reaches the network, passes audits). */
  readonly health: HealthCheck;
  /**
   * Switches the process to `slot` (null: the flashed release). Production exits for the launcher to start it;
   * after it returns this agent does nothing more until it is stopped.
   */
  readonly restart: (slot: string | null) => Promise<void>;
  readonly report: (report: UpdateReport) => void;
  /** The update lock in force at `now` (default: `<dataDir>/update/lock.json`). */
  readonly lock?: (now: number) => UpdateLock | undefined;
  readonly judgement: Judgement;
  /** Wait before trying again after INCOMPLETE (a dropped download, an unreachable repository). Default 60 s. */
  readonly retryMs?: number;
  /** How often a held lock is looked at again (its expiry is looked at in any case). Default 30 s. */
  readonly lockPollMs?: number;
  readonly logger?: Logger;
}

export interface UpdateAgent {
  /** Loads state and trust; in a trial, counts this boot and starts the judgement (or rolls back: no boots left). */
  start(): Promise<void>;
  /** Aborts downloads, waits and judgements; a trial not judged yet is judged again at the next start. */
  stop(): Promise<void>;
  /** The fleet's offer (the `update` key of the desired state): handled after the job in progress. */
  offer(offer: UpdateOffer): void;
  /** The last report sent. */
  status(): UpdateReport | null;
  /** Resolves once no job is running or queued (waits on timers — a held lock, a retry — do not count). */
  settled(): Promise<void>;
}

const sameTarget = (a: SlotTarget | null, b: SlotTarget | null): boolean =>
  a !== null && b !== null && a.name === b.name && a.sha256 === b.sha256 && a.length === b.length;

/** Reports worth showing after a restart; the others describe work a restart abandoned. */
const SETTLED = new Set(['idle', 'installed', 'healthy', 'failed', 'rolled-back']);

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * trust.json, else the trust the shipped roots start. Without usable roots there is no trust state (and no
 * trust.json is written): the error says why. A trust.json that does not read back is BAD_STATE, thrown.
 */
function loadTrust(path: string, roots: InitialRoots | UpdateAgentError): { trust?: TrustState; untrusted?: UpdateAgentError } {
  // The roots only start a trust state; once trust.json exists it is the trust, with or without them.
  if (existsSync(path)) return { trust: readTrust(path, roots as InitialRoots) };
  if (roots instanceof UpdateAgentError) return { untrusted: roots };
  try {
    return { trust: readTrust(path, roots) };
  } catch (error) {
    return { untrusted: new UpdateAgentError('BAD_ROOTS', `the shipped root documents are not usable: ${describe(error)}`, { cause: error }) };
  }
}

export function createUpdateAgent(options: UpdateAgentOptions): UpdateAgent {
  const { clock, judgement } = options;
  const paths = updatePaths(options.dataDir);
  const logger = (options.logger ?? pino({ enabled: false })).child({ component: 'update-agent' });
  const readLock = options.lock ?? ((now: number) => currentLock(options.dataDir, now));
  const retryMs = options.retryMs ?? 60_000;
  const lockPollMs = options.lockPollMs ?? 30_000;

  let started = false;
  let switched = false;
  let controller = new AbortController();
  let state: UpdateState;
  let trust: TrustState | undefined;
  /** Why there is no trust state: offers are refused with it. */
  let untrusted: UpdateAgentError | undefined;
  let lastSent: string | undefined;
  let lastReport: UpdateReport | null = null;
  let chain: Promise<void> = Promise.resolve();
  let pending: UpdateOffer | undefined;
  let latest: UpdateOffer | undefined;
  let timer: ReturnType<Clock['setTimeout']> | undefined;

  function save(next: UpdateState): void {
    writeUpdateState(paths.state, next);
    state = next;
  }

  function send(report: UpdateReport): void {
    if (SETTLED.has(report.status)) save({ ...state, lastReport: report });
    const text = JSON.stringify(report);
    if (text === lastSent) return;
    lastSent = text;
    lastReport = report;
    logger.info({ update: report }, `update ${report.status}`);
    try {
      options.report(report);
    } catch (error) {
      logger.warn({ err: error }, 'update report not delivered');
    }
  }

  const runningName = () => state.running?.name ?? null;

  function schedule(delayMs: number): void {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (latest !== undefined && pending === undefined) {
        pending = latest;
        enqueue(handleOffer);
      }
    }, Math.max(0, delayMs));
  }

  function enqueue(job: () => Promise<void>): void {
    chain = chain.then(async () => {
      if (!started || switched) return;
      try {
        await job();
      } catch (error) {
        if (error instanceof Aborted || controller.signal.aborted) return;
        logger.error({ err: error }, 'update job failed');
      }
    });
  }

  async function switchTo(slot: string | null): Promise<void> {
    switched = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    await options.restart(slot);
  }

  async function handleOffer(): Promise<void> {
    const offer = pending;
    pending = undefined;
    if (offer === undefined) return;
    let wanted: string | null = null;
    try {
      if (trust === undefined) throw untrusted ?? new UpdateAgentError('NO_ROOTS', 'no trusted root documents');
      const repository = createRepositoryClient({ base: offer.repository, fetch: options.fetch ?? fetch, signal: controller.signal });
      const image = await repository.imageMetadata(trust);
      const now = clock.now();
      const verified = verifyUpdate(trust, { ...image, directorRoots: offer.directorRoots, director: offer.director }, { deviceId: options.deviceId, now });
      const target: SlotTarget = { name: verified.target.name, sha256: toHex(verified.target.sha256), length: verified.target.length };
      wanted = target.name;
      const directorVersion = verified.nextState.versions.director;
      if (sameTarget(state.running, target)) {
        writeTrust(paths.trust, verified.nextState);
        trust = verified.nextState;
        send({ status: 'idle', target: target.name, running: runningName() });
        return;
      }
      if (state.rejected !== null && sameTarget(state.rejected.target, target) && directorVersion <= state.rejected.directorVersion) {
        // The retained offer that named a release already rolled back: only newer director metadata retries it.
        if (state.lastReport !== null) send(state.lastReport);
        return;
      }
      const lock = readLock(now);
      if (lock !== undefined) {
        send({ status: 'waiting-lock', target: target.name, running: runningName(), reason: `held by ${lock.holder}: ${lock.reason}` });
        schedule(Math.min(lock.expiresAt - now, lockPollMs));
        return;
      }
      send({ status: 'downloading', target: target.name, running: runningName() });
      const installed = await installTarget(paths, repository, verified.target, controller.signal);
      writeTrust(paths.trust, verified.nextState);
      trust = verified.nextState;
      const rejected = state.rejected !== null && sameTarget(state.rejected.target, target) ? null : state.rejected;
      save({ ...state, running: target, previous: state.running, trial: { target, since: now, bootsLeft: judgement.bootsAllowed }, rejected });
      await pruneSlots(paths, new Set([target.sha256, ...(state.previous === null ? [] : [state.previous.sha256])]));
      logger.info({ target: target.name, reused: installed.reused }, 'installed beside the running version');
      send({ status: 'installed', target: target.name, running: target.name });
      await switchTo(installed.slot);
    } catch (error) {
      if (error instanceof Aborted || controller.signal.aborted) return;
      const typed = error instanceof UpdateError || error instanceof UpdateAgentError;
      if (!typed) logger.error({ err: error }, 'update failed unexpectedly');
      const code = typed ? error.code : 'INSTALL_FAILED';
      send({ status: 'failed', target: wanted, running: runningName(), code, reason: describe(error).slice(0, 1024) });
      if (code === 'INCOMPLETE') schedule(retryMs);
    }
  }

  async function rollBack(code: 'UNHEALTHY' | 'CRASH_LOOP', reason: string): Promise<void> {
    const failed = state.trial!.target;
    const back = state.previous;
    save({
      ...state,
      running: back,
      previous: null,
      trial: null,
      rejected: { target: failed, directorVersion: trust?.versions.director ?? 0 },
    });
    await pruneSlots(paths, new Set(back === null ? [] : [back.sha256]));
    send({ status: 'rolled-back', target: failed.name, running: back?.name ?? null, code, reason: reason.slice(0, 1024) });
    await switchTo(back === null ? null : slotPath(paths, back.sha256));
  }

  async function judge(): Promise<void> {
    const verdict = await judgeHealth(options.health, judgement, clock, controller.signal);
    if (!verdict.ok) return rollBack('UNHEALTHY', verdict.reason ?? 'not healthy');
    const running = state.running!;
    save({ ...state, trial: null });
    await pruneSlots(paths, new Set([running.sha256, ...(state.previous === null ? [] : [state.previous.sha256])]));
    send({ status: 'healthy', target: running.name, running: running.name });
  }

  return {
    async start() {
      if (started) throw new UpdateAgentError('NOT_STARTED', 'the update agent is started already');
      mkdirSync(paths.root, { recursive: true });
      ({ trust, untrusted } = loadTrust(paths.trust, options.initialRoots));
      if (trust !== undefined) writeTrust(paths.trust, trust);
      else logger.warn({ code: untrusted?.code }, `update offers will be refused: ${untrusted?.message}`);
      state = readUpdateState(paths.state);
      controller = new AbortController();
      started = true;
      switched = false;
      const trial = state.trial;
      if (trial === null) {
        if (state.lastReport !== null) send(state.lastReport);
        return;
      }
      if (trial.bootsLeft <= 0) {
        const reason = `${trial.target.name} started ${judgement.bootsAllowed} time(s) without finishing its health judgement`;
        enqueue(() => rollBack('CRASH_LOOP', reason));
        return;
      }
      // Counted before judging: a version that dies during its judgement has used this boot.
      save({ ...state, trial: { ...trial, bootsLeft: trial.bootsLeft - 1 } });
      enqueue(judge);
    },

    async stop() {
      if (!started) return;
      started = false;
      controller.abort();
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      pending = undefined;
      await chain;
    },

    offer(offer) {
      if (!started) throw new UpdateAgentError('NOT_STARTED', 'offer() before start() or after stop()');
      latest = offer;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      const queued = pending !== undefined;
      pending = offer;
      if (!queued) enqueue(handleOffer);
    },

    status: () => lastReport,

    async settled() {
      for (let seen: Promise<void> | undefined; seen !== chain; ) {
        seen = chain;
        await seen;
      }
    },
  };
}

/**
 * TEST ONLY: a device running the real update agent in a temporary data dir, with what production does by
 * process restarts done in-process: `restart` stops the agent and starts a new one on the same folder (as the
 * launcher would run the new slot), and the fleet's retained offer is handed to it again, as the fleet link does
 * on every connect. Health is the running release's own: its `health.txt` says `ok` or why not (the flashed
 * release, no slot, is healthy). The clock moves only while a trial is being judged, one check interval a step.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../hal/index.ts';
import type { UpdateOffer, UpdateReport } from '../../node/fleetproto/index.ts';
import {
  createUpdateAgent,
  type HealthVerdict,
  type Judgement,
  readUpdateState,
  runningSlot,
  type UpdateAgent,
  type UpdateAgentOptions,
  updatePaths,
} from '../../device/update/index.ts';
import type { UpdateRepo } from './update-repo.ts';

export const TEST_JUDGEMENT: Judgement = { windowMs: 3_000, checks: 3, bootsAllowed: 2 };

export interface SimUpdateDevice {
  readonly id: string;
  readonly dataDir: string;
  readonly clock: ManualClock;
  /** Every report the agents sent, in order. */
  readonly reports: UpdateReport[];
  /** Every slot a restart switched to (null: the flashed release). */
  readonly restarts: (string | null)[];
  agent(): UpdateAgent;
  boot(): Promise<void>;
  /** Stops the agent without a verdict, as a crash of the new version would. */
  crash(): Promise<void>;
  /** The fleet's retained offer: kept, and handed to this and every later agent. */
  offer(offer: UpdateOffer): void;
  /** Runs until the agent has nothing to do and no restart is under way. */
  settle(): Promise<void>;
  /** Resolves once a restart under way (if any) has started the next agent; the clock does not move. */
  whenRebooted(): Promise<void>;
  /** The running slot's file `path`, or null when the flashed release runs. */
  runningFile(path: string): string | null;
  last(): UpdateReport | undefined;
  close(): Promise<void>;
}

export interface SimUpdateDeviceOptions {
  readonly repo: UpdateRepo;
  readonly id: string;
  readonly judgement?: Judgement;
  readonly fetch?: typeof fetch;
  readonly lock?: UpdateAgentOptions['lock'];
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

export function healthOfSlot(slot: string | null): HealthVerdict {
  if (slot === null) return { ok: true };
  const path = join(slot, 'health.txt');
  const text = existsSync(path) ? readFileSync(path, 'utf8').trim() : 'no health.txt';
  return text === 'ok' ? { ok: true } : { ok: false, reason: text };
}

export async function createSimUpdateDevice(options: SimUpdateDeviceOptions): Promise<SimUpdateDevice> {
  const judgement = options.judgement ?? TEST_JUDGEMENT;
  const dataDir = mkdtempSync(join(tmpdir(), 'ame-update-device-'));
  const clock = new ManualClock(options.repo.clock.now());
  const reports: UpdateReport[] = [];
  const restarts: (string | null)[] = [];
  let retained: UpdateOffer | undefined;
  let current: UpdateAgent | undefined;
  let rebooting: Promise<void> | undefined;

  const make = () =>
    createUpdateAgent({
      dataDir,
      deviceId: options.id,
      clock,
      initialRoots: options.repo.initialRoots,
      health: async () => healthOfSlot(runningSlot(dataDir)),
      restart: async (slot) => {
        restarts.push(slot);
        // Like a process exit: the old agent finishes its job, then a new one starts on the same folder.
        rebooting = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
          await current?.stop();
          await device.boot();
        });
      },
      report: (report) => reports.push(report),
      judgement,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.lock === undefined ? {} : { lock: options.lock }),
    });

  const device: SimUpdateDevice = {
    id: options.id,
    dataDir,
    clock,
    reports,
    restarts,
    agent: () => current!,
    async boot() {
      current = make();
      await current.start();
      if (retained !== undefined) current.offer(retained);
    },
    async crash() {
      await current?.stop();
    },
    offer(offer) {
      retained = offer;
      current!.offer(offer);
    },
    async settle() {
      for (;;) {
        const agent = current!;
        let done = false;
        void agent.settled().then(() => (done = true));
        while (!done) {
          if (readUpdateState(updatePaths(dataDir).state).trial !== null) clock.advance(judgement.windowMs / judgement.checks);
          await tick();
        }
        await rebooting;
        if (current === agent) return;
      }
    },
    async whenRebooted() {
      await current!.settled();
      await rebooting;
    },
    runningFile(path) {
      const slot = runningSlot(dataDir);
      return slot === null ? null : readFileSync(join(slot, path), 'utf8');
    },
    last: () => reports.at(-1),
    async close() {
      await rebooting;
      await current?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await device.boot();
  return device;
}

/**
 * `ame fleet balena rollout start|status|abort`: rollouts over a balenaCloud fleet (fleet/balena), run by this
 * process straight against balena's API with the user's API key, as the balena CLI works — no fleet controller is
 * needed (docs/fleet.md "balenaCloud" says why). The rollout's state lives in a folder (fleet-balena-state.ts), so
 * `start` may follow it to the end or leave it (`--detach`), and each later `status` reads the devices once and
 * moves the rollout on (`--follow`: to the end).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createBalenaBackend, createBalenaRolloutDriver, type BalenaBackend, type BalenaRolloutDriver } from '../../fleet/balena/index.ts';
import { Rollout, type RolloutProgress } from '../../fleet/rollout/index.ts';
import { parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { PLAN_OPTIONS, progressLines, rolloutPlan } from './fleet-admin.ts';
import { DEFAULT_BALENA_DIR, RolloutFiles, type StoredRollout } from './fleet-balena-state.ts';

export const DEFAULT_BALENA_API = 'https://api.balena-cloud.com/';

const USAGE = `ame fleet balena rollout start ID --fleet ORG/NAME --release COMMIT --previous COMMIT [--canary GROUP] [--steps 10,50]
                                  [--threshold F] [--budget N] [--concurrency N] [--rate N] [--timeout S] [--detach]
       ame fleet balena rollout status ID [--follow] | abort ID [--reason TEXT]
  every one: [--api-url URL] [--api-key-file F] [--state DIR] [--poll S] [--json]
  API key: BALENA_API_KEY, --api-key-file, or the balena CLI's ~/.balena/token; API: --api-url, BALENA_API_URL or ${DEFAULT_BALENA_API}
  state: DIR (default ${DEFAULT_BALENA_DIR}); --poll: seconds between device reads while following (default 10)`;

const OPTIONS = {
  ...PLAN_OPTIONS,
  fleet: { type: 'string' },
  'api-url': { type: 'string' },
  'api-key-file': { type: 'string' },
  state: { type: 'string' },
  poll: { type: 'string' },
  reason: { type: 'string' },
  detach: { type: 'boolean' },
  follow: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

function apiKey(values: Values, io: CliIO): string {
  const fromEnv = io.env['BALENA_API_KEY'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  const file = values['api-key-file'] !== undefined ? resolve(io.cwd, values['api-key-file']) : io.env['HOME'] !== undefined ? join(io.env['HOME'], '.balena', 'token') : undefined;
  try {
    const key = file === undefined ? '' : readFileSync(file, 'utf8').trim();
    if (key !== '') return key;
  } catch {
    // answered below
  }
  throw new CliError('NOT_FOUND', 'no balena API key: set BALENA_API_KEY, give --api-key-file F, or log in with the balena CLI (~/.balena/token)');
}

interface Session {
  readonly backend: BalenaBackend;
  readonly driver: BalenaRolloutDriver;
}

async function connect(stored: Pick<StoredRollout, 'fleet' | 'apiUrl'>, files: RolloutFiles, key: string, io: CliIO): Promise<Session> {
  const { getSdk } = await import('balena-sdk');
  const sdk = getSdk({ apiUrl: stored.apiUrl, dataDirectory: false });
  try {
    await sdk.auth.loginWithToken(key);
  } catch (cause) {
    throw new CliError('BAD_INPUT', `balena-sdk does not take this API key: ${(cause as Error).message}`, { cause });
  }
  const backend = createBalenaBackend({ sdk, fleet: stored.fleet });
  const save = (snapshot: unknown, finalised = false) => files.write({ format: 1, fleet: stored.fleet, apiUrl: stored.apiUrl, snapshot, finalised });
  const driver = createBalenaRolloutDriver({ backend, now: () => io.now(), onSnapshot: (snapshot) => save(snapshot) });
  return { backend, driver };
}

const show = (io: CliIO, json: boolean | undefined, p: RolloutProgress, note?: string) =>
  io.stdout.write(json === true ? `${JSON.stringify(p)}\n` : `${[...progressLines(p), ...(note === undefined ? [] : [note])].join('\n')}\n`);

const ended = (p: RolloutProgress) => p.state === 'done' || p.state === 'aborted';

/** After a round: a done rollout whose fleet is pinned to the release needs nothing more. */
async function record(s: Session, files: RolloutFiles, id: string): Promise<RolloutProgress> {
  const progress = s.driver.progress(id);
  if (progress.state === 'done') {
    const target = await s.backend.fleetTarget();
    const stored = files.read();
    if (!target.tracksLatest && target.release === progress.release) files.write({ ...stored, finalised: true });
  }
  return progress;
}

/** Polls until the rollout ends, an abort is asked for in between, or SIGINT/SIGTERM (the rollout stays as it is). */
async function follow(s: Session, files: RolloutFiles, id: string, pollMs: number, values: Values, io: CliIO): Promise<number> {
  let interrupted = false;
  const stop = () => (interrupted = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let last = '';
    for (;;) {
      const reason = files.takeAbortRequest();
      if (reason !== undefined) await s.driver.abort(id, reason);
      else await s.driver.poll();
      const p = await record(s, files, id);
      const text = progressLines(p).join('\n');
      if (values.json !== true && text !== last) io.stdout.write(`${text}\n`);
      last = text;
      if (ended(p) && (p.state === 'aborted' || files.read().finalised)) {
        if (values.json === true) show(io, true, p);
        return p.state === 'aborted' ? 1 : 0;
      }
      const until = Date.now() + pollMs;
      while (!interrupted && Date.now() < until) await new Promise((done) => setTimeout(done, Math.min(100, pollMs)));
      if (interrupted) {
        io.stdout.write(`stopped following; rollout ${id} stays ${p.state} (ame fleet balena rollout status ${id} --follow goes on)\n`);
        return 0;
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function pollMsOf(values: Values): number {
  const seconds = values.poll === undefined ? 10 : Number(values.poll);
  if (!(seconds >= 0.05 && seconds <= 3_600)) throw new CliError('USAGE', `--poll must be seconds in [0.05, 3600], got "${values.poll}"\nusage: ${USAGE}`);
  return seconds * 1_000;
}

export async function balena(args: string[], io: CliIO): Promise<number> {
  const [what, sub, ...rest] = args;
  if (what === '--help' || what === '-h' || sub === '--help' || sub === '-h') {
    io.stdout.write(`usage: ${USAGE}\n`);
    return 0;
  }
  if (what !== 'rollout' || (sub !== 'start' && sub !== 'status' && sub !== 'abort')) throw new CliError('USAGE', `usage: ${USAGE}`);
  const { values, positionals } = parse(rest, OPTIONS, USAGE);
  if (positionals.length !== 1) throw new CliError('USAGE', `ame fleet balena rollout ${sub} takes one rollout ID\nusage: ${USAGE}`);
  const id = positionals[0]!;
  const files = new RolloutFiles(resolve(io.cwd, values.state ?? DEFAULT_BALENA_DIR), id);
  const pollMs = pollMsOf(values);
  const apiUrl = (stored?: StoredRollout) => values['api-url'] ?? io.env['BALENA_API_URL'] ?? stored?.apiUrl ?? DEFAULT_BALENA_API;

  if (sub === 'start') {
    if (values.fleet === undefined || values.release === undefined || values.previous === undefined) {
      throw new CliError('USAGE', `rollout start needs --fleet, --release and --previous (commits)\nusage: ${USAGE}`);
    }
    const plan = rolloutPlan(values.release, values.previous, values);
    if (files.exists()) throw new CliError('EXISTS', `balena rollout ${id} already exists in ${files.dir}: pick another ID`);
    const lock = files.lock(process.pid);
    if ('heldBy' in lock) throw new CliError('WRONG_STATE', `process ${lock.heldBy} is driving rollout ${id}`);
    try {
      const s = await connect({ fleet: values.fleet, apiUrl: apiUrl() }, files, apiKey(values, io), io);
      const progress = await s.driver.start(id, plan);
      if (values.detach === true) {
        show(io, values.json, progress, `detached: ame fleet balena rollout status ${id} [--follow] moves it on`);
        return 0;
      }
      if (values.json !== true) io.stdout.write(`${progressLines(progress).join('\n')}\n`);
      return await follow(s, files, id, pollMs, values, io);
    } finally {
      lock.release();
    }
  }

  const stored = files.read();
  const lock = files.lock(process.pid);
  if ('heldBy' in lock) {
    // Another invocation drives it: read what it stored, or hand it the abort.
    if (sub === 'abort') {
      files.requestAbort(values.reason ?? 'aborted from the command line');
      const deadline = Date.now() + Math.max(60_000, 3 * pollMs);
      for (;;) {
        const p = Rollout.restore(files.read().snapshot, () => false).progress();
        if (p.state === 'aborted' || p.state === 'done') {
          show(io, values.json, p);
          return p.state === 'aborted' ? 0 : 1;
        }
        if (Date.now() > deadline) throw new CliError('UNAVAILABLE', `process ${lock.heldBy} drives rollout ${id} but did not take the abort`);
        await new Promise((done) => setTimeout(done, 100));
      }
    }
    show(io, values.json, Rollout.restore(stored.snapshot, () => false).progress(), `(process ${lock.heldBy} is following it)`);
    return 0;
  }
  try {
    const settled = Rollout.restore(stored.snapshot, () => false).progress();
    if (ended(settled) && (settled.state === 'aborted' || stored.finalised)) {
      if (sub === 'abort') throw new CliError('WRONG_STATE', `rollout ${id} is ${settled.state}: nothing to abort`);
      show(io, values.json, settled);
      return 0;
    }
    const s = await connect({ fleet: stored.fleet, apiUrl: apiUrl(stored) }, files, apiKey(values, io), io);
    await s.driver.restore(stored.snapshot);
    if (sub === 'abort') {
      show(io, values.json, await s.driver.abort(id, values.reason ?? 'aborted from the command line'));
      return 0;
    }
    if (values.follow === true) return await follow(s, files, id, pollMs, values, io);
    await s.driver.poll();
    show(io, values.json, await record(s, files, id));
    return 0;
  } finally {
    lock.release();
  }
}

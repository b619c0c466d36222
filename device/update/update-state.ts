/**
 * The update agent's two small files under `<dataDir>/update/`, each written atomically (temporary file, fsync,
 * rename) so that a power cut leaves the old or the new content, never half of either:
 * - `state.json`: which target runs, which ran before (kept for a rollback or a fleet revert), the trial being
 *   judged with its boots left, the target a failed trial was rolled back from, and the last report;
 * - `trust.json`: node/update's trust state (the verified roots and the highest accepted versions).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../node/client/json-file.ts';
import { parseUpdateReport, type UpdateReport } from '../../node/fleetproto/index.ts';
import { initialTrustState, parseTrustState, serializeTrustState, type TrustState } from '../../node/update/index.ts';
import { UpdateAgentError } from './errors.ts';

export const STATE_FORMAT = 'ame-update-state/1';
const FILE_MODE = 0o644;

/** A target as installed: its name and what identifies its bytes (the slot folder is named by `sha256`). */
export interface SlotTarget {
  readonly name: string;
  /** Lowercase hex SHA-256 of the bundle. */
  readonly sha256: string;
  readonly length: number;
}

export interface Trial {
  readonly target: SlotTarget;
  /** Trusted time (ms) at install. */
  readonly since: number;
  /** Starts still allowed before the trial counts as a crash loop; decremented before each judgement. */
  readonly bootsLeft: number;
}

export interface UpdateState {
  /** null: the release the device was flashed with. */
  readonly running: SlotTarget | null;
  /** The slot that ran before `running` (null: the flashed release, or none). */
  readonly previous: SlotTarget | null;
  readonly trial: Trial | null;
  /** The target a trial was rolled back from, and the director version that named it: not tried again under it. */
  readonly rejected: { readonly target: SlotTarget; readonly directorVersion: number } | null;
  readonly lastReport: UpdateReport | null;
}

export const INITIAL_STATE: UpdateState = { running: null, previous: null, trial: null, rejected: null, lastReport: null };

function bad(path: string, message: string, cause?: unknown): UpdateAgentError {
  return new UpdateAgentError('BAD_STATE', `${path}: ${message}`, cause === undefined ? {} : { cause });
}

function readText(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw bad(path, 'cannot be read', cause);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function slotTarget(value: unknown, path: string, field: string): SlotTarget {
  if (!isObject(value)) throw bad(path, `${field} must be an object`);
  const { name, sha256, length } = value;
  if (typeof name !== 'string' || name.length === 0 || name.length > 256) throw bad(path, `${field}.name must be a target name`);
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) throw bad(path, `${field}.sha256 must be 64 lowercase hex digits`);
  if (!isCount(length)) throw bad(path, `${field}.length must be a non-negative integer`);
  return { name, sha256, length };
}

const orNull = <T>(value: unknown, parse: (v: unknown) => T): T | null => (value === null ? null : parse(value));

export function parseUpdateState(text: string, path = 'state.json'): UpdateState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw bad(path, 'is not JSON', cause);
  }
  if (!isObject(json) || json['format'] !== STATE_FORMAT) throw bad(path, `must be a JSON object of format ${STATE_FORMAT}`);
  const trial = orNull(json['trial'], (t) => {
    if (!isObject(t) || !isCount(t['since']) || !isCount(t['bootsLeft'])) throw bad(path, 'trial must be {target, since, bootsLeft}');
    return { target: slotTarget(t['target'], path, 'trial.target'), since: t['since'], bootsLeft: t['bootsLeft'] };
  });
  const rejected = orNull(json['rejected'], (r) => {
    if (!isObject(r) || !isCount(r['directorVersion'])) throw bad(path, 'rejected must be {target, directorVersion}');
    return { target: slotTarget(r['target'], path, 'rejected.target'), directorVersion: r['directorVersion'] };
  });
  const lastReport = orNull(json['lastReport'], (r) => {
    try {
      return parseUpdateReport(r);
    } catch (cause) {
      throw bad(path, `lastReport: ${(cause as Error).message}`, cause);
    }
  });
  return {
    running: orNull(json['running'], (v) => slotTarget(v, path, 'running')),
    previous: orNull(json['previous'], (v) => slotTarget(v, path, 'previous')),
    trial,
    rejected,
    lastReport,
  };
}

/** The state in `path`; INITIAL_STATE when the agent never wrote one. */
export function readUpdateState(path: string): UpdateState {
  const text = readText(path);
  return text === undefined ? INITIAL_STATE : parseUpdateState(text, path);
}

export function writeUpdateState(path: string, state: UpdateState): void {
  writeFileAtomic(path, `${JSON.stringify({ format: STATE_FORMAT, ...state })}\n`, FILE_MODE);
}

export interface InitialRoots {
  /** The first trusted root documents, as they ship with the image or the first-boot config. */
  readonly image: Uint8Array;
  readonly director: Uint8Array;
}

/** The trust state in `path`, or the one the shipped roots start (they must carry their own root signatures). */
export function readTrust(path: string, roots: InitialRoots): TrustState {
  const text = readText(path);
  if (text === undefined) return initialTrustState({ imageRoot: roots.image, directorRoot: roots.director });
  try {
    return parseTrustState(text);
  } catch (cause) {
    throw bad(path, (cause as Error).message, cause);
  }
}

export function writeTrust(path: string, trust: TrustState): void {
  writeFileAtomic(path, serializeTrustState(trust), FILE_MODE);
}

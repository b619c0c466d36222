/**
 * The update part of the device–fleet contract (SPEC §10, docs/update.md): how a device learns which release to run
 * and how it says how the update went.
 *
 * - **Offer** (fleet → device): the key `update` of the retained desired state (`fleet.desired`, signed by the
 *   command key) holds `{director, directorRoots, repository}`: this device's director targets document (node/update,
 *   signed by the director's keys), any newer director root documents, and the base URL of the image repository.
 *   Everything else in the desired state is configuration; the device hands `update` to its update agent.
 * - **Repository** (HTTP, read by the device): the image repository's documents and the bundles under
 *   `repository` at the paths of `repositoryPath` — `metadata/timestamp`, `metadata/snapshot`, `metadata/targets`,
 *   `metadata/root/<version>` (404 when there is no such version: the device walks the root chain until then) and
 *   `targets/<name>` (answering HTTP Range requests, so a download resumes).
 * - **Report** (device → fleet): the device's retained `state` carries `update: {status, target, running, code?,
 *   reason?}`, and each change is also an `events` message `{type: "update", data: <the same>}`.
 *
 * Both sides check their input; the signatures inside the offer are node/update's to check, not this module's.
 */
import { s, type CborMap, type CborValue, type Infer } from '../wire/index.ts';
import { FleetProtoError } from './errors.ts';
import type { JsonObject } from './payloads.ts';

/** The desired-state key that carries the offer. */
export const UPDATE_KEY = 'update';
/** A director or root document is a few KiB; the desired state as a whole is at most 64 KiB. */
const MAX_DOCUMENT = 16 * 1024;

const offerSchema = s.struct({
  director: s.bytes({ max: MAX_DOCUMENT }),
  directorRoots: s.array(s.bytes({ max: MAX_DOCUMENT }), { max: 8 }),
  repository: s.text({ min: 1, max: 512 }),
});

export type UpdateOffer = Infer<typeof offerSchema>;

/** The offer in a desired state (a CBOR map), or undefined when it has none. */
const isMap = (v: CborValue): v is CborMap => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

export function updateOfferOf(state: CborValue): UpdateOffer | undefined {
  if (!isMap(state) || !Object.hasOwn(state, UPDATE_KEY)) return undefined;
  let offer: UpdateOffer;
  try {
    offer = offerSchema.parse(state[UPDATE_KEY], UPDATE_KEY);
  } catch (cause) {
    throw new FleetProtoError('MALFORMED', `the desired state's update offer: ${(cause as Error).message}`, { cause });
  }
  let url: URL;
  try {
    url = new URL(offer.repository);
  } catch (cause) {
    throw new FleetProtoError('MALFORMED', `the update offer's repository is not a URL: ${offer.repository}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FleetProtoError('MALFORMED', `the update offer's repository must be http(s), not ${url.protocol}`);
  return offer;
}

/** The desired state without the offer: what the device's configuration receives. */
export function withoutUpdateOffer(state: CborValue): CborValue {
  if (!isMap(state) || !Object.hasOwn(state, UPDATE_KEY)) return state;
  const { [UPDATE_KEY]: _offer, ...rest } = state;
  return rest;
}

/** `config` (a CBOR map, or none) with `offer` under the update key. */
export function withUpdateOffer(config: CborValue | undefined, offer: UpdateOffer): CborValue {
  const base = config !== undefined && isMap(config) ? config : {};
  return { ...base, [UPDATE_KEY]: { director: offer.director, directorRoots: [...offer.directorRoots], repository: offer.repository } };
}

export type RepositoryDocument = 'timestamp' | 'snapshot' | 'targets';

/** A path under the repository URL: a document, a root version, or a target file. */
export function repositoryPath(item: { document: RepositoryDocument } | { root: number } | { target: string }): string {
  if ('document' in item) return `metadata/${item.document}`;
  if ('root' in item) {
    if (!Number.isSafeInteger(item.root) || item.root < 1) throw new FleetProtoError('MALFORMED', `a root version is a positive integer, not ${item.root}`);
    return `metadata/root/${item.root}`;
  }
  return `targets/${encodeURIComponent(item.target)}`;
}

/**
 * Where a device's update stands. `idle`: nothing to do (running what the director names); `waiting-lock`: an
 * update lock holds it back; `downloading`; `installed`: switched to the new slot, being judged; `healthy`: judged
 * good and kept; `failed`: refused or could not be installed (`code` says why), still running the old release;
 * `rolled-back`: the new release failed its health judgement and the device returned to the old slot by itself.
 */
export const UPDATE_STATUSES = ['idle', 'waiting-lock', 'downloading', 'installed', 'healthy', 'failed', 'rolled-back'] as const;
export type UpdateStatus = (typeof UPDATE_STATUSES)[number];

export interface UpdateReport {
  readonly status: UpdateStatus;
  /** The target the director names (null before any offer). */
  readonly target: string | null;
  /** The target running now (null: the release the device was flashed with, not installed by an update). */
  readonly running: string | null;
  /** For failed and rolled-back: an UpdateError code (node/update) or an update agent's (device/update: UNHEALTHY, CRASH_LOOP…). */
  readonly code?: string;
  readonly reason?: string;
}

const isText = (v: unknown, max: number) => typeof v === 'string' && v.length >= 1 && v.length <= max;

/** The `update` object of a device's state or event, checked; MALFORMED naming the field otherwise. */
export function parseUpdateReport(value: unknown): UpdateReport {
  const r = value as Partial<Record<keyof UpdateReport, unknown>> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new FleetProtoError('MALFORMED', 'an update report is a JSON object');
  if (!(UPDATE_STATUSES as readonly unknown[]).includes(r.status)) throw new FleetProtoError('MALFORMED', `update report "status" must be one of ${UPDATE_STATUSES.join(', ')}`);
  for (const field of ['target', 'running'] as const) {
    if (r[field] !== null && !isText(r[field], 256)) throw new FleetProtoError('MALFORMED', `update report "${field}" must be a target name or null`);
  }
  for (const field of ['code', 'reason'] as const) {
    if (r[field] !== undefined && !isText(r[field], 1024)) throw new FleetProtoError('MALFORMED', `update report "${field}" must be text`);
  }
  // Only the contract's fields go on: a peer's extra keys never reach a store or a page.
  const { status, target, running, code, reason } = r as UpdateReport;
  return { status, target, running, ...(code === undefined ? {} : { code }), ...(reason === undefined ? {} : { reason }) };
}

export function updateReportJson(report: UpdateReport): JsonObject {
  return { ...report };
}

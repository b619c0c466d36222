/**
 * Payloads of the topics a device publishes (SPEC §9). They are JSON, for brokers' tools and dashboards to read:
 * only commands and desired state, which the device acts on, are signed envelopes. What a device publishes is
 * trusted as far as the broker's ACL goes (only that device may publish under its id).
 *
 *   state      retained JSON object: agent state, version running, role, earnings, health (the agent's choice)
 *   telemetry  JSON object of metrics
 *   events     JSON object, at least { type }
 *   cmd/result CommandResult
 *   online     retained text `true`, or `false` (the last will, or a clean stop)
 *
 * Messages sent through a device's outbox also carry `msgId` (increasing per device, never reused) and `time`
 * (the device's clock when it queued them), so the fleet can drop the duplicates at-least-once delivery makes.
 */
import { FleetProtoError } from './errors.ts';
import type { CommandStream } from './replay-guard.ts';

export const ONLINE_PAYLOAD = 'true';
export const OFFLINE_PAYLOAD = 'false';
/** Largest JSON payload either side encodes or decodes. */
export const MAX_JSON_PAYLOAD = 256 * 1024;

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** What a device answers on `cmd/result` for every command or desired state it received. */
export interface CommandResult {
  readonly kind: CommandStream;
  /** The envelope's sequence number; null when the payload was refused before one could be read. */
  readonly seq: number | null;
  readonly ok: boolean;
  /** The refusal's error code (a FleetProtoError code, or FAILED when the handler failed). */
  readonly code?: string;
  readonly reason?: string;
  /** What the command handler returned. */
  readonly detail?: JsonValue;
  readonly msgId?: number;
  readonly time?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 JSON of an object; MALFORMED if it is not JSON (a bigint, a cycle), TOO_LARGE above `maxSize`. */
export function encodeJson(value: JsonObject, maxSize = MAX_JSON_PAYLOAD): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new FleetProtoError('MALFORMED', `not JSON: ${(cause as Error).message}`, { cause });
  }
  if (text === undefined || !text.startsWith('{')) throw new FleetProtoError('MALFORMED', 'not a JSON object');
  const bytes = encoder.encode(text);
  if (bytes.length > maxSize) {
    throw new FleetProtoError('TOO_LARGE', `JSON payload of ${bytes.length} bytes exceeds ${maxSize}`);
  }
  return bytes;
}

/** A JSON object from UTF-8 bytes; MALFORMED or TOO_LARGE, never anything else. */
export function decodeJsonObject(bytes: Uint8Array, maxSize = MAX_JSON_PAYLOAD): JsonObject {
  if (!(bytes instanceof Uint8Array)) throw new FleetProtoError('MALFORMED', 'expected bytes');
  if (bytes.length > maxSize) {
    throw new FleetProtoError('TOO_LARGE', `JSON payload of ${bytes.length} bytes exceeds ${maxSize}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new FleetProtoError('MALFORMED', 'not UTF-8 JSON', { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FleetProtoError('MALFORMED', 'not a JSON object');
  }
  return value as JsonObject;
}

export function encodeCommandResult(result: CommandResult): Uint8Array {
  return encodeJson(result as unknown as JsonObject);
}

/** A `cmd/result` payload, checked field by field; MALFORMED or TOO_LARGE. */
export function decodeCommandResult(bytes: Uint8Array): CommandResult {
  const o = decodeJsonObject(bytes);
  const bad = (field: string): never => {
    throw new FleetProtoError('MALFORMED', `cmd/result: bad or missing ${field}`);
  };
  if (o['kind'] !== 'cmd' && o['kind'] !== 'desired') bad('kind');
  const seq = o['seq'];
  if (seq !== null && !(typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0)) bad('seq');
  if (typeof o['ok'] !== 'boolean') bad('ok');
  for (const field of ['code', 'reason'] as const) {
    if (o[field] !== undefined && typeof o[field] !== 'string') bad(field);
  }
  for (const field of ['msgId', 'time'] as const) {
    const v = o[field];
    if (v !== undefined && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) bad(field);
  }
  return o as unknown as CommandResult;
}

/** The `online` payload as a boolean; MALFORMED for anything but `true` or `false`. */
export function decodeOnline(bytes: Uint8Array): boolean {
  const text = bytes instanceof Uint8Array && bytes.length <= 5 ? Buffer.from(bytes).toString('latin1') : '';
  if (text === ONLINE_PAYLOAD) return true;
  if (text === OFFLINE_PAYLOAD) return false;
  throw new FleetProtoError('MALFORMED', 'online payload is neither true nor false');
}

/**
 * Commands and desired state (SPEC §9, §10): wire envelopes signed by the fleet's command key, one type per topic,
 * each naming the device it is for and carrying a sequence number in the envelope's `seq`.
 *
 *   fleet.cmd v1      on …/cmd      { device, name, args }   a one-shot instruction; `args` is any CBOR value
 *   fleet.desired v1  on …/desired  { device, state }        the whole configuration the fleet wants (retained)
 *
 * A device checks, in this order: shape and signature under the envelope's key (UNSIGNED, MALFORMED, TOO_LARGE,
 * BAD_SIGNATURE), that the kind matches the topic (WRONG_TYPE), that the key is the fleet's command key
 * (BAD_SIGNATURE), that it names this device (WRONG_DEVICE), and last the replay guard (STALE, REPLAY).
 */
import { Ed25519PublicKey, bytesEqual, type Ed25519KeyPair } from '../crypto/index.ts';
import {
  createRegistry,
  decodeCbor,
  decodeEnvelope,
  defineMessage,
  s,
  WireError,
  type CborValue,
} from '../wire/index.ts';
import { FleetProtoError } from './errors.ts';
import { ReplayGuard, type CommandStream, type SequenceStore } from './replay-guard.ts';
import { assertDeviceId } from './topics.ts';

export const MAX_COMMAND_SIZE = 16 * 1024;
export const MAX_DESIRED_SIZE = 64 * 1024;

export const commandMessage = defineMessage(
  'fleet.cmd',
  1,
  s.struct({ device: s.text({ min: 1, max: 64 }), name: s.text({ min: 1, max: 64 }), args: s.raw() }),
  { maxSize: MAX_COMMAND_SIZE },
);

export const desiredMessage = defineMessage(
  'fleet.desired',
  1,
  s.struct({ device: s.text({ min: 1, max: 64 }), state: s.raw() }),
  { maxSize: MAX_DESIRED_SIZE },
);

/** The decoders' registry: one per verifier, since a registry carries a cache of sender keys (no module state). */
const commandRegistry = () => createRegistry([commandMessage, desiredMessage]);
type CommandRegistry = ReturnType<typeof commandRegistry>;
const TYPE_OF: Readonly<Record<CommandStream, string>> = { cmd: commandMessage.type, desired: desiredMessage.type };

export interface VerifiedCommand {
  readonly kind: 'cmd';
  readonly seq: number;
  /** The fleet's clock when it signed, ms since the epoch (informative: ordering is by `seq`). */
  readonly time: number;
  readonly name: string;
  readonly args: CborValue;
}

export interface VerifiedDesired {
  readonly kind: 'desired';
  readonly seq: number;
  readonly time: number;
  readonly state: CborValue;
}

export type VerifiedOf<K extends CommandStream> = K extends 'cmd' ? VerifiedCommand : VerifiedDesired;

export interface CommandFields {
  readonly device: string;
  readonly seq: number;
  readonly time: number;
  readonly name: string;
  readonly args: CborValue;
}

export interface DesiredFields {
  readonly device: string;
  readonly seq: number;
  readonly time: number;
  readonly state: CborValue;
}

/** A command envelope signed by the fleet's command key. */
export function signCommand(commandKey: Ed25519KeyPair, fields: CommandFields): Uint8Array {
  return encodeOrThrow(() =>
    commandMessage.encode(commandKey, {
      seq: fields.seq,
      time: fields.time,
      body: { device: assertDeviceId(fields.device), name: fields.name, args: fields.args },
    }),
  );
}

/** A desired-state envelope signed by the fleet's command key. */
export function signDesired(commandKey: Ed25519KeyPair, fields: DesiredFields): Uint8Array {
  return encodeOrThrow(() =>
    desiredMessage.encode(commandKey, {
      seq: fields.seq,
      time: fields.time,
      body: { device: assertDeviceId(fields.device), state: fields.state },
    }),
  );
}

function encodeOrThrow(encode: () => Uint8Array): Uint8Array {
  try {
    return encode();
  } catch (cause) {
    if (!(cause instanceof WireError)) throw cause;
    throw new FleetProtoError(cause.code === 'TOO_LARGE' ? 'TOO_LARGE' : 'MALFORMED', cause.message, { cause });
  }
}

export interface CommandVerifierOptions {
  /** This device's id: envelopes naming another are refused. */
  readonly deviceId: string;
  /** The fleet's command key (32 raw bytes or a verifier). */
  readonly commandKey: Uint8Array | Ed25519PublicKey;
  /** Where the last accepted sequence numbers live. */
  readonly sequences: SequenceStore;
}

/** Checks command and desired-state envelopes for one device; `accept` adds the replay guard. */
export class CommandVerifier {
  readonly deviceId: string;
  readonly #commandKey: Uint8Array;
  readonly #guard: ReplayGuard;
  readonly #registry: CommandRegistry = commandRegistry();

  constructor(options: CommandVerifierOptions) {
    this.deviceId = assertDeviceId(options.deviceId);
    const key = options.commandKey;
    this.#commandKey = (key instanceof Ed25519PublicKey ? key : new Ed25519PublicKey(key)).bytes;
    this.#guard = new ReplayGuard(options.sequences);
  }

  /**
   * The verified content of `bytes` received on the `kind` topic, without consulting the replay guard. Throws
   * FleetProtoError only.
   */
  open<K extends CommandStream>(kind: K, bytes: Uint8Array): VerifiedOf<K> {
    const envelope = decodeCommandEnvelope(this.#registry, bytes);
    const seq = envelope.seq;
    if (envelope.type !== TYPE_OF[kind]) {
      throw new FleetProtoError('WRONG_TYPE', `a ${envelope.type} envelope on the ${kind} topic`, { seq });
    }
    if (!bytesEqual(envelope.from, this.#commandKey)) {
      throw new FleetProtoError('BAD_SIGNATURE', `${kind} is not signed by the fleet's command key`, { seq });
    }
    if (envelope.body.device !== this.deviceId) {
      throw new FleetProtoError('WRONG_DEVICE', `${kind} ${seq} is for another device`, { seq });
    }
    const verified: VerifiedCommand | VerifiedDesired =
      envelope.type === 'fleet.cmd'
        ? { kind: 'cmd', seq, time: envelope.time, name: envelope.body.name, args: envelope.body.args }
        : { kind: 'desired', seq, time: envelope.time, state: envelope.body.state };
    return verified as VerifiedOf<K>;
  }

  /** open, then the replay guard: the sequence number is stored before this resolves. */
  async accept<K extends CommandStream>(kind: K, bytes: Uint8Array): Promise<VerifiedOf<K>> {
    const verified = this.open(kind, bytes);
    await this.#guard.accept(kind, verified.seq);
    return verified;
  }
}

function decodeCommandEnvelope(registry: CommandRegistry, bytes: Uint8Array) {
  if (!(bytes instanceof Uint8Array)) throw new FleetProtoError('MALFORMED', 'expected bytes');
  if (bytes.length > registry.maxSize) {
    throw new FleetProtoError('TOO_LARGE', `payload of ${bytes.length} bytes exceeds ${registry.maxSize}`);
  }
  try {
    return decodeEnvelope(registry, bytes);
  } catch (cause) {
    if (!(cause instanceof WireError)) throw cause;
    switch (cause.code) {
      case 'BAD_SIGNATURE':
        throw new FleetProtoError('BAD_SIGNATURE', cause.message, { cause });
      case 'TOO_LARGE':
        throw new FleetProtoError('TOO_LARGE', cause.message, { cause });
      case 'UNKNOWN_TYPE':
      case 'UNSUPPORTED_VERSION':
        throw new FleetProtoError('WRONG_TYPE', cause.message, { cause });
      default:
        if (isUnsigned(bytes)) {
          const why = 'not a signed envelope: commands must be signed by the fleet';
          throw new FleetProtoError('UNSIGNED', why, { cause });
        }
        throw new FleetProtoError('MALFORMED', cause.message, { cause });
    }
  }
}

/**
 * True for what someone publishing by hand would send instead of a signed envelope: JSON text, or a CBOR map
 * without a signature. Called only on input that already failed to decode as an envelope.
 */
function isUnsigned(bytes: Uint8Array): boolean {
  try {
    const value = decodeCbor(bytes, { maxSize: MAX_DESIRED_SIZE });
    if (!isMap(value)) return false;
    const sig = value['sig'];
    return sig === undefined || (sig instanceof Uint8Array && sig.length === 0);
  } catch {
    // not CBOR: fall through to JSON
  }
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return parsed !== null && typeof parsed === 'object';
  } catch {
    return false;
  }
}

function isMap(value: CborValue): value is { readonly [key: string]: CborValue } {
  return value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && !Array.isArray(value);
}

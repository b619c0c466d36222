/**
 * What the device does with what arrives on its `cmd` and `desired` topics: verify (fleetproto's CommandVerifier,
 * whose replay guard stores the sequence number first), hand accepted ones to the handlers one at a time in
 * arrival order, and answer every one on `cmd/result` — refusals with the code that refused them, so the fleet
 * sees a forged or replayed command instead of silence.
 *
 * One exception: desired state is retained, so the broker hands the device the same desired state again on every
 * reconnect. That copy (retain flag set, sequence equal to the last accepted) is the state already applied and is
 * dropped without an answer.
 */
import {
  FleetProtoError,
  type CommandResult,
  type CommandStream,
  type CommandVerifier,
  type DeviceTopics,
  type JsonValue,
  type VerifiedCommand,
  type VerifiedDesired,
} from '../../node/fleetproto/index.ts';
import type { TelemetryLogger } from './logger.ts';

export interface IncomingOptions {
  readonly topics: DeviceTopics;
  readonly verifier: CommandVerifier;
  readonly onCommand: (command: VerifiedCommand) => JsonValue | void | Promise<JsonValue | void>;
  readonly onDesired: (desired: VerifiedDesired) => void | Promise<void>;
  /** Queues a `cmd/result`. */
  readonly answer: (result: CommandResult) => void;
  readonly logger: TelemetryLogger | undefined;
}

/** Longest refusal reason sent back; error messages can quote input. */
const MAX_REASON = 300;

export class IncomingCommands {
  readonly #o: IncomingOptions;
  #tail: Promise<void> = Promise.resolve();

  constructor(options: IncomingOptions) {
    this.#o = options;
  }

  /** Queues a received message for handling; never throws. */
  receive(topic: string, payload: Uint8Array, retained: boolean): void {
    const kind: CommandStream | undefined =
      topic === this.#o.topics.cmd ? 'cmd' : topic === this.#o.topics.desired ? 'desired' : undefined;
    if (kind === undefined) {
      this.#o.logger?.warn({ topic: topic.slice(0, 200) }, 'message on a topic we did not subscribe to');
      return;
    }
    this.#tail = this.#tail
      .then(() => this.#handle(kind, payload, retained))
      .catch((err: unknown) => {
        this.#o.logger?.warn({ err: (err as Error).message, kind }, 'could not answer a command');
      });
  }

  /** Resolves when everything received so far has been handled and answered. */
  drained(): Promise<void> {
    return this.#tail;
  }

  async #handle(kind: CommandStream, payload: Uint8Array, retained: boolean): Promise<void> {
    let verified: VerifiedCommand | VerifiedDesired;
    try {
      verified = await this.#o.verifier.accept(kind, payload);
    } catch (error) {
      if (!(error instanceof FleetProtoError)) throw error;
      if (kind === 'desired' && retained && error.code === 'REPLAY') {
        this.#o.logger?.debug({ seq: error.seq }, 'retained desired state already applied');
        return;
      }
      this.#o.logger?.warn({ kind, code: error.code, seq: error.seq }, 'refused a fleet message');
      const reason = error.message.slice(0, MAX_REASON);
      this.#o.answer({ kind, seq: error.seq ?? null, ok: false, code: error.code, reason });
      return;
    }
    try {
      if (verified.kind === 'cmd') {
        const detail = await this.#o.onCommand(verified);
        this.#answerDone(verified.seq, detail);
      } else {
        await this.#o.onDesired(verified);
        this.#o.answer({ kind, seq: verified.seq, ok: true });
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#o.logger?.warn({ kind, seq: verified.seq, err: reason }, 'fleet message handler failed');
      this.#o.answer({ kind, seq: verified.seq, ok: false, code: 'FAILED', reason: reason.slice(0, MAX_REASON) });
    }
  }

  /** The success answer of a command; a detail that is not JSON (or too large) is left out, and the reason says so. */
  #answerDone(seq: number, detail: JsonValue | void): void {
    if (detail === undefined) return this.#o.answer({ kind: 'cmd', seq, ok: true });
    try {
      this.#o.answer({ kind: 'cmd', seq, ok: true, detail });
    } catch (error) {
      if (!(error instanceof FleetProtoError)) throw error;
      const reason = `result detail left out: ${error.message}`.slice(0, MAX_REASON);
      this.#o.answer({ kind: 'cmd', seq, ok: true, reason });
    }
  }
}

/**
 * RLDP limits: what one host accepts from, and sends to, each peer. Defaults follow SPEC.md §4 and the issue;
 * docs/net.md explains what happens when each one is reached.
 */
import { NetError } from '../errors.ts';

export interface RldpLimits {
  /** Largest payload slice in one frame; larger messages travel as a head frame plus CHUNK frames. */
  readonly frameLimit: number;
  /** Largest request or reply; larger ones are TOO_LARGE (sending side: before sending). */
  readonly maxMessageBytes: number;
  /** Requests from one peer being received or served at once; beyond, the request is refused (UNAVAILABLE). */
  readonly maxInboundInFlight: number;
  /**
   * Bytes held for one peer: its requests (received or announced) plus our queued replies to it. A request that
   * would pass the limit is refused (UNAVAILABLE), unless nothing else is held for the peer.
   */
  readonly maxBufferedBytes: number;
  /** Our requests to one peer sent and unanswered; beyond, new requests wait their turn locally. */
  readonly maxOutboundInFlight: number;
  /** Our requests to one peer sent or waiting; beyond, request() rejects at once with PEER_LIMIT. */
  readonly maxPendingRequests: number;
  /** Bytes queued for one stream before callers wait (requests) or are dropped (datagrams). */
  readonly maxQueuedBytes: number;
  /** Refusals for limits within floodWindowMs after which the peer is disconnected. */
  readonly floodStrikes: number;
  readonly floodWindowMs: number;
  /** Deadline of a request when the caller names none. */
  readonly defaultTimeoutMs: number;
  /** Longest deadline a peer may ask us to honour (a longer one is cut to this). */
  readonly maxDeadlineMs: number;
}

export const DEFAULT_RLDP_LIMITS: RldpLimits = Object.freeze({
  frameLimit: 4 * 1024 * 1024,
  maxMessageBytes: 64 * 1024 * 1024,
  maxInboundInFlight: 256,
  maxBufferedBytes: 32 * 1024 * 1024,
  maxOutboundInFlight: 256,
  maxPendingRequests: 4096,
  maxQueuedBytes: 8 * 1024 * 1024,
  floodStrikes: 1024,
  floodWindowMs: 10_000,
  defaultTimeoutMs: 10_000,
  maxDeadlineMs: 600_000,
});

/** The wire's upper bound on a frame's payload slice and on a message (u32 lengths). */
export const MAX_WIRE_LENGTH = 0xffff_ffff;
/** Smallest frame limit: a frame must carry at least a datagram. */
export const MIN_FRAME_LIMIT = 4096;

/** Defaults overridden by `overrides`; BAD_REQUEST for a value that cannot work. */
export function resolveLimits(overrides: Partial<RldpLimits> = {}): RldpLimits {
  const limits: RldpLimits = { ...DEFAULT_RLDP_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new NetError('BAD_REQUEST', `RLDP limit ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limits.frameLimit < MIN_FRAME_LIMIT || limits.frameLimit > MAX_WIRE_LENGTH - 1024) {
    throw new NetError('BAD_REQUEST', `frameLimit must be ${MIN_FRAME_LIMIT}…${MAX_WIRE_LENGTH - 1024}`);
  }
  if (limits.maxMessageBytes > MAX_WIRE_LENGTH) {
    throw new NetError('BAD_REQUEST', `maxMessageBytes must be at most ${MAX_WIRE_LENGTH}`);
  }
  if (limits.maxPendingRequests < limits.maxOutboundInFlight) {
    throw new NetError('BAD_REQUEST', 'maxPendingRequests must be at least maxOutboundInFlight');
  }
  if (limits.defaultTimeoutMs > limits.maxDeadlineMs) {
    throw new NetError('BAD_REQUEST', 'defaultTimeoutMs must be at most maxDeadlineMs');
  }
  return Object.freeze(limits);
}

/** Frames a message of `size` bytes takes: one head frame, then CHUNK frames of at most frameLimit each. */
export function frameCount(size: number, frameLimit: number): number {
  return size <= frameLimit ? 1 : Math.ceil(size / frameLimit);
}

/**
 * Whether `more` bytes fit a budget of which `held` are taken. Something is always admitted when nothing is held,
 * so a single message larger than the budget (but within maxMessageBytes) can still pass, alone.
 */
export function fitsBudget(held: number, more: number, budget: number): boolean {
  return held === 0 || held + more <= budget;
}

/**
 * Counts refusals of one peer in fixed windows; `strike` says when the peer has earned a disconnect.
 * Time comes from the caller (the injected clock), so the arithmetic is testable.
 */
export class FloodMeter {
  readonly #limit: number;
  readonly #windowMs: number;
  #windowStart = -Infinity;
  #count = 0;

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Records one refusal at `now`; true when the refusals in the current window exceed the limit. */
  strike(now: number): boolean {
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#count = 0;
    }
    this.#count += 1;
    return this.#count > this.#limit;
  }
}

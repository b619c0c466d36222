/**
 * The set of message types one decoder accepts. There is no global registry: each component builds the one it
 * needs (the wire messages plus its own layer's) and passes it in, so tests and simulated nodes never share hidden
 * state and a component cannot be made to accept a type it never asked for.
 */
import { WireError } from './errors.ts';
import type { AnyMessageType } from './message-type.ts';
import { KeyCache } from './key-cache.ts';

export class Registry<M extends AnyMessageType = AnyMessageType> {
  /** The largest maxSize among the registered types: no envelope above it can be valid. */
  readonly maxSize: number;
  /** Verifiers of recently seen sender keys, shared by every decode through this registry. */
  readonly keys = new KeyCache();
  readonly #types: ReadonlyMap<string, ReadonlyMap<number, M>>;

  constructor(types: Iterable<M>) {
    const byName = new Map<string, Map<number, M>>();
    let maxSize = 0;
    for (const type of types) {
      let versions = byName.get(type.type);
      if (versions === undefined) byName.set(type.type, (versions = new Map()));
      if (versions.has(type.version)) {
        throw new WireError('BAD_DEFINITION', `message type ${type.type} v${type.version} is registered twice`);
      }
      versions.set(type.version, type);
      maxSize = Math.max(maxSize, type.maxSize);
    }
    this.#types = byName;
    this.maxSize = maxSize;
  }

  /** The definition of `type` in version `v`, if registered. */
  get(type: string, v: number): M | undefined {
    return this.#types.get(type)?.get(v);
  }

  /** True if any version of `type` is registered. */
  has(type: string): boolean {
    return this.#types.has(type);
  }

  /** The registered versions of `type`, ascending. */
  versions(type: string): number[] {
    return [...(this.#types.get(type)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** A new registry with these types added (this one is unchanged). */
  with<N extends AnyMessageType>(...more: N[]): Registry<M | N> {
    return new Registry<M | N>([...this.all(), ...more]);
  }

  *all(): IterableIterator<M> {
    for (const versions of this.#types.values()) yield* versions.values();
  }
}

/** A registry of exactly these message types; decodeEnvelope then returns their union of envelope types. */
export function createRegistry<const L extends readonly AnyMessageType[]>(types: L): Registry<L[number]> {
  return new Registry<L[number]>(types);
}

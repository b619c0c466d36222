/**
 * The views a server holds: the one of its own Unity, those of Unities it is a guest of, and the previous own
 * view (whose members may still hold pairs of the current range after a split or merge). Views are installed only
 * with a certificate of the configured certifiers (the ring-authority key or a manager quorum), and an own view
 * only at a higher epoch.
 */
import { certifiersOf, type Certifiers, type CertifiersLike } from '../epoch-certificate.ts';
import { RingError } from '../errors.ts';
import type { Key } from '../keyspace.ts';
import { ownsKey, verifyView, type SignedView, type UnityView } from './view.ts';

export interface Held {
  readonly signed: SignedView;
  readonly view: UnityView;
}

export type InstallResult = { readonly own?: Held; readonly hosted: readonly Held[]; readonly removed: boolean };

export class ViewSet {
  private readonly certifiers: Certifiers;
  private current: Held | undefined;
  private before: UnityView | undefined;
  private guestOf = new Map<string, Held>();

  constructor(certifiers: CertifiersLike) {
    this.certifiers = certifiersOf(certifiers);
  }

  own(): Held | undefined {
    return this.current;
  }

  previous(): UnityView | undefined {
    return this.before;
  }

  hosted(): Held[] {
    return [...this.guestOf.values()];
  }

  /** The epoch of the own view; 0 before the first (genesis maps start at 1, so 0 never names a map). */
  epoch(): bigint {
    return this.current?.view.epoch ?? 0n;
  }

  /** The held view whose range holds `key`: the own one first, then a hosted one. */
  forKey(key: Key): UnityView | undefined {
    if (this.current !== undefined && ownsKey(this.current.view, key)) return this.current.view;
    return this.hosted().find((h) => ownsKey(h.view, key))?.view;
  }

  /**
   * Installs the views of one push (all of this server's views at one epoch): the one listing `self` among its
   * servers becomes the own view when newer; those listing it as guest replace the hosted set. `removed` is true
   * when a newer push no longer lists this server as a server anywhere (it left the ring).
   */
  install(pushed: readonly SignedView[], self: string): InstallResult {
    // Staleness first, from the certificates' epochs: an old push costs no signature check.
    const heldEpoch = this.current?.view.epoch;
    const old = pushed.find((signed) => heldEpoch !== undefined && signed.certificate.epoch < heldEpoch);
    if (old !== undefined) throw new RingError('STALE_EPOCH', `views of epoch ${old.certificate.epoch}; held ${heldEpoch}`);
    const views = pushed.map((signed) => ({ signed, view: verifyView(signed, this.certifiers) }));
    const epoch = views.reduce((max, h) => (h.view.epoch > max ? h.view.epoch : max), 0n);
    const held = this.current?.view.epoch ?? -1n;
    if (epoch <= held) {
      if (views.length > 0 && epoch < held) throw new RingError('STALE_EPOCH', `views of epoch ${epoch}; held ${this.epoch()}`);
      return { hosted: [], removed: false };
    }
    const own = views.find((h) => h.view.unity.servers.some((s) => s.id === self));
    const hosted = views.filter((h) => h.view.unity.guests.some((s) => s.id === self));
    if (own !== undefined) {
      this.before = this.current?.view;
      this.current = own;
    }
    const fresh = hosted.filter((h) => !this.guestOf.has(h.view.unity.id));
    this.guestOf = new Map(hosted.map((h) => [h.view.unity.id, h]));
    const removed = own === undefined && this.current !== undefined && hosted.length === 0;
    return { ...(own === undefined ? {} : { own }), hosted: fresh, removed };
  }
}

/**
 * Blob replication against a ring stand-in that checks every part as a ring replica does (checkBlobPart): every
 * held part reaches it once, a failing ring is retried, a restart puts only what lacks a mark, a hand-over puts
 * everything again, and a fetch returns only parts that lead to the address.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256, toHex, utf8 } from '../../../../../node/crypto/index.ts';
import type { Clock, ClockTimer } from '../../../../../node/net/index.ts';
import {
  type BlobStore,
  buildBlob,
  checkBlobPart,
  chunkPartKey,
  manifestPartKey,
  MIN_CHUNK_SIZE,
  openMemoryBlobStore,
} from '../../../../../node/services/blobs/index.ts';
import { MANIFEST_PART, ReplicationMarks } from '../../../../../node/worker/replication/marks.ts';
import type { PartStore } from '../../../../../node/worker/replication/part-store.ts';
import { Replicator } from '../../../../../node/worker/replication/replicator.ts';
import { labelledBytes } from '../../../../support/seeded.ts';

class StepClock implements Clock {
  readonly timers = new Map<number, () => void>();
  #next = 0;
  now(): number {
    return 0;
  }
  setTimeout(fn: () => void, _ms: number): ClockTimer {
    this.#next += 1;
    this.timers.set(this.#next, fn);
    return this.#next as unknown as ClockTimer;
  }
  clearTimeout(timer: ClockTimer): void {
    this.timers.delete(timer as unknown as number);
  }
  /** Runs the timers due (all of them: the test decides when time has passed). */
  fire(): void {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const fn of due) fn();
  }
}

/** A ring that keeps what its replicas would accept; `failing` puts are refused first. */
class CheckingRing implements PartStore {
  readonly parts = new Map<string, Uint8Array>();
  puts = 0;
  failing = 0;
  async put(key: Uint8Array, part: Uint8Array): Promise<void> {
    if (this.failing > 0) {
      this.failing -= 1;
      throw new Error('no quorum');
    }
    checkBlobPart(key, part);
    this.puts += 1;
    this.parts.set(toHex(key), part);
  }
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.parts.get(toHex(key));
  }
}

const bytes = (n: number, label: string): Uint8Array => labelledBytes(label)(n);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(ring = new CheckingRing()) {
  const dir = mkdtempSync(join(tmpdir(), 'ame-replicator-'));
  dirs.push(dir);
  const blobs = openMemoryBlobStore();
  const clock = new StepClock();
  const marksPath = join(dir, 'replication.sqlite');
  let marks = ReplicationMarks.open(marksPath);
  const make = () => new Replicator({ blobs, ring, marks, clock });
  return {
    blobs,
    ring,
    clock,
    make,
    reopen(): Replicator {
      marks.close();
      marks = ReplicationMarks.open(marksPath);
      return make();
    },
    marks: () => marks,
  };
}

function store(blobs: BlobStore, data: Uint8Array) {
  const built = buildBlob(data, MIN_CHUNK_SIZE);
  blobs.put(built.address, built.manifest, built.chunks);
  return built;
}

describe('Replicator', () => {
  it('puts the manifest and every held chunk once, each a part the ring accepts', async () => {
    const s = setup();
    const replicator = s.make();
    replicator.start();
    const a = store(s.blobs, bytes(3 * MIN_CHUNK_SIZE + 10, 'a'));
    const b = store(s.blobs, bytes(100, 'b'));
    replicator.stored(a.address);
    replicator.stored(b.address);
    await replicator.idle();
    expect(s.ring.parts.size).toBe(1 + 4 + 1 + 1);
    expect(s.ring.parts.has(toHex(manifestPartKey(a.address)))).toBe(true);
    for (let i = 0; i < 4; i++) expect(s.ring.parts.has(toHex(chunkPartKey(a.address, i)))).toBe(true);
    expect(replicator.status()).toMatchObject({ pending: 0, put: 7, failures: 0 });
    replicator.stored(a.address);
    await replicator.idle();
    expect(s.ring.puts).toBe(7);
  });

  it('retries while the ring refuses, and a restart puts only the parts without a mark', async () => {
    const s = setup();
    s.ring.failing = 2;
    const replicator = s.make();
    const a = store(s.blobs, bytes(2 * MIN_CHUNK_SIZE, 'retry'));
    replicator.start();
    const idle = replicator.idle();
    await new Promise((r) => setTimeout(r, 0));
    expect(replicator.status()).toMatchObject({ pending: 1, failures: 1, lastError: 'no quorum' });
    s.clock.fire();
    await new Promise((r) => setTimeout(r, 0));
    s.clock.fire();
    await idle;
    expect(s.ring.puts).toBe(3);
    replicator.stop();

    // A crash after chunk 1's put but before its mark: only that part is due on the next start.
    s.marks().clear();
    s.marks().mark(a.address, [MANIFEST_PART, 0]);
    const again = s.reopen();
    again.start();
    await again.idle();
    expect(s.ring.puts).toBe(4);
    expect(again.status().put).toBe(1);
  });

  it('a hand-over puts every held part again and resolves once the ring took them all', async () => {
    const s = setup();
    const replicator = s.make();
    store(s.blobs, bytes(2 * MIN_CHUNK_SIZE, 'one'));
    store(s.blobs, bytes(10, 'two'));
    replicator.start();
    await replicator.idle();
    expect(s.ring.puts).toBe(5);
    s.ring.parts.clear(); // the ring lost its copies since
    await replicator.handOver();
    expect(s.ring.parts.size).toBe(5);
    expect(s.ring.puts).toBe(10);
  });

  it('fetches a chunk another worker put, and refuses a part that does not lead to the address', async () => {
    const ring = new CheckingRing();
    const holder = setup(ring);
    const a = store(holder.blobs, bytes(3 * MIN_CHUNK_SIZE, 'fetched'));
    const putter = holder.make();
    putter.start();
    await putter.idle();

    const reader = setup(ring).make();
    const got = await reader.fetch(a.address, 2);
    expect(got?.chunk).toEqual(a.chunks[2]!);
    expect(got?.manifest.chunkRoots.length).toBe(3);
    expect(await reader.fetch(a.address, 3)).toBeUndefined();
    expect(await reader.fetch(sha256(utf8('nothing')), 0)).toBeUndefined();

    // A replica that serves chunk 1's bytes under chunk 2's key: the reader checks and refuses it.
    ring.parts.set(toHex(chunkPartKey(a.address, 2)), ring.parts.get(toHex(chunkPartKey(a.address, 1)))!);
    await expect(reader.fetch(a.address, 2)).rejects.toMatchObject({ code: expect.stringMatching(/MISMATCH/) });
  });
});

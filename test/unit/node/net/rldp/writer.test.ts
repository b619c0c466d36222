import { describe, expect, it } from 'vitest';
import { ChunkedMessage } from '../../../../../node/net/rldp/chunker.ts';
import { FrameDecoder } from '../../../../../node/net/rldp/frame-decoder.ts';
import { encodeCancel, encodeResponse, type Frame } from '../../../../../node/net/rldp/frame.ts';
import { LinkWriter, type SendableStream } from '../../../../../node/net/rldp/writer.ts';

/** A stream whose send() says "full" after `capacity` bytes until drain() is called. */
class FakeStream implements SendableStream {
  readonly sends: Uint8Array[] = [];
  writableNeedsDrain = false;
  writeBufferLength = 0;
  #sinceDrain = 0;
  #drained: (() => void) | undefined;
  readonly capacity: number;
  constructor(capacity = Infinity) {
    this.capacity = capacity;
  }
  send(data: Uint8Array): boolean {
    this.sends.push(data);
    this.#sinceDrain += data.length;
    this.writableNeedsDrain = this.#sinceDrain >= this.capacity;
    return !this.writableNeedsDrain;
  }
  onDrain(): Promise<void> {
    return new Promise((resolve) => (this.#drained = resolve));
  }
  drain(): void {
    this.#sinceDrain = 0;
    this.writableNeedsDrain = false;
    this.#drained?.();
  }
  frames(limit = 1 << 20): Frame[] {
    const d = new FrameDecoder(limit);
    const out: Frame[] = [];
    for (const s of this.sends) d.push(s, (f) => out.push(f));
    return out;
  }
}

const events = () => ({ space: 0, idle: 0, onSpace() { this.space++; }, onIdle() { this.idle++; }, onError() {} });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('LinkWriter', () => {
  it('joins the small frames queued in one turn into one send', async () => {
    const stream = new FakeStream();
    const writer = new LinkWriter(stream, 1 << 20, events());
    for (let i = 1; i <= 32; i++) writer.push(encodeCancel(i));
    expect(writer.queuedBytes).toBe(32 * 9);
    await tick();
    expect(stream.sends).toHaveLength(1);
    expect(stream.frames().map((f) => (f as { id: number }).id)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(writer.queuedBytes).toBe(0);
    expect(writer.idle).toBe(true);
  });

  it('waits for drain when send() says the stream is full, and bounds what callers may queue', async () => {
    const stream = new FakeStream(20_000);
    const ev = events();
    const writer = new LinkWriter(stream, 50_000, ev);
    for (let i = 0; i < 8; i++) writer.push(encodeResponse(i, 10_000, new Uint8Array(10_000)));
    expect(writer.hasSpace(10_000)).toBe(false);
    await tick();
    // Six 10 kB frames fill one joined send of < 64 KiB; the stream is then full until it drains.
    expect(stream.sends).toHaveLength(1);
    expect(stream.sends[0]!.length).toBe(6 * 10_013);
    expect(writer.idle).toBe(false);
    await tick();
    expect(stream.sends).toHaveLength(1);
    stream.drain();
    await tick();
    expect(stream.sends).toHaveLength(2);
    expect(stream.frames()).toHaveLength(8);
    expect(writer.queuedBytes).toBe(0);
    expect(writer.hasSpace(10_000)).toBe(true);
    expect(ev.space).toBeGreaterThan(0);
    // The last send filled the stream again: idle only once it drains.
    expect(ev.idle).toBe(0);
    stream.drain();
    await tick();
    expect(ev.idle).toBe(1);
  });

  it('lets small frames through between the chunks of a large message', async () => {
    const stream = new FakeStream();
    const writer = new LinkWriter(stream, 1 << 20, events());
    const big = new Uint8Array(300_000);
    writer.push(new ChunkedMessage('response', 1, big, 100_000, (f) => encodeResponse(1, big.length, f)));
    writer.push(encodeCancel(2));
    await tick();
    const kinds = stream.frames().map((f) => f.kind);
    expect(kinds).toEqual(['response', 'cancel', 'chunk', 'chunk']);
    expect(writer.queuedBytes).toBe(0);
  });

  it('drops the rest of an abandoned message and its accounting', async () => {
    const stream = new FakeStream();
    const writer = new LinkWriter(stream, 1 << 20, events());
    const m = new ChunkedMessage('request', 1, new Uint8Array(300_000), 100_000, (f) => encodeResponse(1, 300_000, f));
    writer.push(m);
    m.abandon();
    await tick();
    expect(stream.sends).toHaveLength(0);
    expect(writer.queuedBytes).toBe(0);
  });
});

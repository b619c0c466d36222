import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkNativeBinaries, describeMachine, fitsTarget, readElfHeader } from '../../../../scripts/bundle/elf.ts';
import { BundleBuildError } from '../../../../scripts/bundle/errors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ame-elf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The first 20 bytes of an ELF file: magic, class, data (endianness), then e_machine at offset 18. */
function elf(machine: number, opts: { elfClass?: number; bigEndian?: boolean } = {}): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, opts.elfClass ?? 2, opts.bigEndian ? 2 : 1, 1]);
  if (opts.bigEndian) b.set([machine >> 8, machine & 0xff], 18);
  else b.set([machine & 0xff, machine >> 8], 18);
  return b;
}

function tree(name: string, files: Record<string, Uint8Array>): string {
  const root = join(tmp, name);
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), data);
  }
  return root;
}

describe('readElfHeader', () => {
  it('reads the class, endianness and machine that decide where a binary runs', () => {
    expect(readElfHeader(elf(183))).toEqual({ elfClass: 2, littleEndian: true, machine: 183 });
    expect(readElfHeader(elf(62, { bigEndian: true }))).toEqual({ elfClass: 2, littleEndian: false, machine: 62 });
    expect(describeMachine(readElfHeader(elf(40, { elfClass: 1 }))!)).toBe('ARM (32-bit), 32-bit little-endian');
  });

  it('knows the Node running this test for what it is', () => {
    const fd = openSync(process.execPath, 'r');
    const head = new Uint8Array(20);
    readSync(fd, head, 0, 20, 0);
    closeSync(fd);
    const header = readElfHeader(head);
    expect(header && fitsTarget(header, process.arch === 'arm64' ? 'arm64' : 'x64')).toBe(true);
    expect(header && fitsTarget(header, process.arch === 'arm64' ? 'x64' : 'arm64')).toBe(false);
  });

  it('returns undefined for anything without the ELF magic, and never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const header = readElfHeader(bytes);
        const magic = bytes.length >= 20 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
        expect(header === undefined).toBe(!magic);
      }),
    );
  });

  it('fits only a 64-bit little-endian binary of the target machine', () => {
    expect(fitsTarget(readElfHeader(elf(183))!, 'arm64')).toBe(true);
    expect(fitsTarget(readElfHeader(elf(62))!, 'arm64')).toBe(false);
    expect(fitsTarget(readElfHeader(elf(183, { elfClass: 1 }))!, 'arm64')).toBe(false);
    expect(fitsTarget(readElfHeader(elf(183, { bigEndian: true }))!, 'arm64')).toBe(false);
  });
});

describe('checkNativeBinaries', () => {
  it('lists every ELF file of the target, addons and executables alike, and ignores other files', async () => {
    const root = tree('good', {
      'runtime/bin/node': elf(183),
      'app/node_modules/a/build/Release/a.node': elf(183),
      'app/node_modules/b/index.js': new TextEncoder().encode('module.exports = 1;'),
    });
    const found = await checkNativeBinaries(root, 'arm64');
    expect(found.map((f) => f.path)).toEqual(['app/node_modules/a/build/Release/a.node', 'runtime/bin/node']);
  });

  it('fails naming each binary built for another CPU, and each addon that is no ELF file', async () => {
    const root = tree('bad', {
      'runtime/bin/node': elf(183),
      'app/node_modules/a/prebuilds/linux-x64/a.node': elf(62),
      'app/node_modules/b/prebuilds/darwin-arm64.node': new Uint8Array([0xcf, 0xfa, 0xed, 0xfe, 0, 0, 0, 0]),
      'app/node_modules/c/bin/tool': elf(40, { elfClass: 1 }),
    });
    const err = await checkNativeBinaries(root, 'arm64').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleBuildError);
    expect((err as BundleBuildError).code).toBe('WRONG_ARCH');
    const message = (err as BundleBuildError).message;
    expect(message).toContain('app/node_modules/a/prebuilds/linux-x64/a.node (x86-64, 64-bit little-endian)');
    expect(message).toContain('app/node_modules/b/prebuilds/darwin-arm64.node (not an ELF file)');
    expect(message).toContain('app/node_modules/c/bin/tool (ARM (32-bit), 32-bit little-endian)');
    expect(message).not.toContain('runtime/bin/node');
  });
});

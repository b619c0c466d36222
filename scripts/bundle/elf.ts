/**
 * Proves that every native binary in a staging folder runs on the target CPU. npm installs addons by what the
 * build host says unless told otherwise, and a package may ship prebuilds for every platform, so the build reads
 * the ELF header of each file itself instead of trusting the install: an x86-64 addon in an arm64 bundle would
 * only fail on the device, at the first `require`.
 */
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BundleBuildError } from './errors.ts';
import { ELF_MACHINE_NAMES, ELF_MACHINES, type TargetArch } from './target.ts';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const HEADER_BYTES = 20;

export interface ElfHeader {
  /** 1: 32-bit, 2: 64-bit. */
  readonly elfClass: number;
  readonly littleEndian: boolean;
  readonly machine: number;
}

/** The fields of an ELF header that decide where it runs; undefined for bytes that are not an ELF file. */
export function readElfHeader(bytes: Uint8Array): ElfHeader | undefined {
  if (bytes.length < HEADER_BYTES || ELF_MAGIC.some((b, i) => bytes[i] !== b)) return undefined;
  const littleEndian = bytes[5] === 1;
  const lo = bytes[18] ?? 0;
  const hi = bytes[19] ?? 0;
  return { elfClass: bytes[4] ?? 0, littleEndian, machine: littleEndian ? lo | (hi << 8) : (lo << 8) | hi };
}

export function describeMachine(header: ElfHeader): string {
  const name = ELF_MACHINE_NAMES[header.machine] ?? `machine ${header.machine}`;
  return `${name}, ${header.elfClass === 2 ? '64' : '32'}-bit ${header.littleEndian ? 'little' : 'big'}-endian`;
}

export function fitsTarget(header: ElfHeader, arch: TargetArch): boolean {
  return header.elfClass === 2 && header.littleEndian && header.machine === ELF_MACHINES[arch];
}

async function head(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const buf = new Uint8Array(HEADER_BYTES);
    const { bytesRead } = await file.read(buf, 0, HEADER_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

async function* regularFiles(root: string, relative = ''): AsyncGenerator<string> {
  const entries = await readdir(join(root, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) yield* regularFiles(root, path);
    else if (entry.isFile()) yield path;
  }
}

export interface NativeBinary {
  readonly path: string;
  readonly machine: string;
}

/**
 * Checks every ELF file and every `.node` addon under `root` (paths relative to it in the result). Throws
 * WRONG_ARCH naming each file that is built for another CPU, or that is an addon but no ELF file at all (a Mach-O
 * or PE prebuild left behind).
 */
export async function checkNativeBinaries(root: string, arch: TargetArch): Promise<NativeBinary[]> {
  const found: NativeBinary[] = [];
  const wrong: string[] = [];
  for await (const path of regularFiles(root)) {
    const header = readElfHeader(await head(join(root, path)));
    if (header === undefined) {
      if (path.endsWith('.node')) wrong.push(`${path} (not an ELF file)`);
      continue;
    }
    if (fitsTarget(header, arch)) found.push({ path, machine: describeMachine(header) });
    else wrong.push(`${path} (${describeMachine(header)})`);
  }
  if (wrong.length > 0) {
    const want = ELF_MACHINE_NAMES[ELF_MACHINES[arch]];
    throw new BundleBuildError('WRONG_ARCH', `native binaries not built for ${arch} (${want}): ${wrong.join(', ')}`);
  }
  return found;
}

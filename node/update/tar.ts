/**
 * A small ustar (POSIX.1-1988) writer and reader for bundles: regular files only, every header field that could
 * vary between machines fixed (mtime 0, uid/gid 0, empty user and group names), so equal inputs give equal bytes.
 * The reader takes only what the writer makes and refuses the rest by name: links, devices, pax and GNU headers.
 */
import { UpdateError } from './errors.ts';

export const BLOCK = 512;
/** 11 octal digits: the most a ustar size field can hold. */
export const MAX_TAR_FILE_SIZE = 8 ** 11 - 1;

export interface TarFile {
  readonly path: string;
  /** 0o644 or 0o755. */
  readonly mode: number;
  readonly data: Uint8Array;
}

export interface TarReadLimits {
  readonly maxEntries: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function octal(header: Uint8Array, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  header.set(encoder.encode(digits), offset);
  header[offset + width - 1] = 0;
}

function checksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

/** Splits a path into ustar's prefix (≤ 155 bytes) and name (≤ 100 bytes) at a slash, or refuses it. */
function splitPath(path: string): { prefix: Uint8Array; name: Uint8Array } {
  const whole = encoder.encode(path);
  if (whole.length <= 100) return { prefix: new Uint8Array(), name: whole };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = encoder.encode(path.slice(0, i));
    const name = encoder.encode(path.slice(i + 1));
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return { prefix, name };
  }
  throw new UpdateError('BAD_PATH', `path ${JSON.stringify(path.slice(0, 60))}… is too long for a ustar header`);
}

function header(file: TarFile): Uint8Array {
  if (file.data.length > MAX_TAR_FILE_SIZE) throw new UpdateError('TOO_LARGE', `${file.path} is too large for ustar`);
  const out = new Uint8Array(BLOCK);
  const { prefix, name } = splitPath(file.path);
  out.set(name, 0);
  octal(out, 100, 8, file.mode);
  octal(out, 108, 8, 0);
  octal(out, 116, 8, 0);
  octal(out, 124, 12, file.data.length);
  octal(out, 136, 12, 0);
  out[156] = 0x30; // '0': regular file
  out.set(encoder.encode('ustar\u000000'), 257);
  octal(out, 329, 8, 0);
  octal(out, 337, 8, 0);
  out.set(prefix, 345);
  const sum = checksum(out).toString(8).padStart(6, '0');
  out.set(encoder.encode(`${sum}\u0000 `), 148);
  return out;
}

/** The tar of `files` in the order given, ended by two zero blocks. */
export function writeTar(files: readonly TarFile[]): Uint8Array {
  const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;
  const total = files.reduce((sum, f) => sum + BLOCK + padded(f.data.length), 2 * BLOCK);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const file of files) {
    out.set(header(file), offset);
    out.set(file.data, offset + BLOCK);
    offset += BLOCK + padded(file.data.length);
  }
  return out;
}

function readOctal(block: Uint8Array, offset: number, width: number, what: string): number {
  const field = block.subarray(offset, offset + width);
  const end = field.indexOf(0);
  const text = String.fromCharCode(...field.subarray(0, end === -1 ? width : end)).trim();
  if (!/^[0-7]{1,12}$/.test(text)) throw new UpdateError('MALFORMED', `tar entry ${what}: field at ${offset} is not octal`);
  return parseInt(text, 8);
}

function readText(block: Uint8Array, offset: number, width: number): string {
  const field = block.subarray(offset, offset + width);
  const end = field.indexOf(0);
  try {
    return decoder.decode(field.subarray(0, end === -1 ? width : end));
  } catch (cause) {
    throw new UpdateError('BAD_PATH', 'tar entry name is not UTF-8', { cause });
  }
}

const isZero = (block: Uint8Array) => block.every((b) => b === 0);

/** Every entry of a tar the writer made; anything else is refused with a typed error naming the entry. */
export function readTar(tar: Uint8Array, limits: TarReadLimits): TarFile[] {
  const files: TarFile[] = [];
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > tar.length) throw new UpdateError('MALFORMED', 'tar ends without its end-of-archive blocks');
    const block = tar.subarray(offset, offset + BLOCK);
    if (isZero(block)) return files;
    if (files.length >= limits.maxEntries) throw new UpdateError('TOO_LARGE', `more than ${limits.maxEntries} tar entries`);
    const name = readText(block, 0, 100);
    const prefix = readText(block, 345, 155);
    const path = prefix ? `${prefix}/${name}` : name;
    const what = JSON.stringify(path.slice(0, 80));
    if (readOctal(block, 148, 8, what) !== checksum(block)) throw new UpdateError('MALFORMED', `tar entry ${what}: bad header checksum`);
    if (readText(block, 257, 6) !== 'ustar' || block[262] !== 0 || block[263] !== 0x30 || block[264] !== 0x30) {
      throw new UpdateError('MALFORMED', `tar entry ${what}: not a ustar header`);
    }
    const type = block[156]!;
    if (type !== 0x30 && type !== 0) {
      throw new UpdateError('UNSUPPORTED_ENTRY', `tar entry ${what} is of type ${JSON.stringify(String.fromCharCode(type))}, not a regular file`);
    }
    const size = readOctal(block, 124, 12, what);
    const start = offset + BLOCK;
    if (start + size > tar.length) throw new UpdateError('MALFORMED', `tar entry ${what}: data runs past the end`);
    files.push({ path, mode: readOctal(block, 100, 8, what), data: tar.subarray(start, start + size) });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
}

/**
 * Attachments (SPEC §3): each file is encrypted under its own random AES-256-GCM key; the blob goes to storage
 * (content-addressed: its key is SHA-256 of the encrypted blob, which is the hash the pointer names), and the
 * pointer {key, hash, size, name?, type?} travels inside an end-to-end message. Storage nodes and relays see
 * neither the file nor its key; the recipient checks the hash before decrypting, so a swapped blob is refused
 * before any work, and the GCM tag then catches anything the hash could not.
 *
 * The key encrypts exactly one file, so a fixed all-zero nonce is safe; the blob is ciphertext ‖ 16-byte tag.
 *
 * Message content, what a client puts inside a message: cbor({text, att: [pointer…]}).
 */
import { bytesEqual, type RandomSource, sha256, utf8 } from '../../crypto/index.ts';
import { s, type Infer } from '../../wire/index.ts';
import { ServiceError } from '../errors.ts';
import { decodeWith, encodeValue, wrapLower } from './codec.ts';
import { MAX_PLAINTEXT_SIZE } from './envelope.ts';
import { AES_KEY_LENGTH, GCM_NONCE_LENGTH, GCM_TAG_LENGTH, gcmOpen, gcmSeal } from './primitives.ts';

export const ATTACHMENT_AAD = 'AME-MSG-FILE-v1';
export const MAX_ATTACHMENTS = 32;
const NONCE = new Uint8Array(GCM_NONCE_LENGTH);

export const attachmentPointerSchema = s.struct({
  key: s.bytes({ len: AES_KEY_LENGTH }),
  hash: s.bytes({ len: 32 }),
  size: s.uint(),
  name: s.optional(s.text({ max: 255 })),
  type: s.optional(s.text({ max: 127 })),
});
export type AttachmentPointer = Infer<typeof attachmentPointerSchema>;

const contentSchema = s.struct({
  text: s.text({ max: MAX_PLAINTEXT_SIZE }),
  att: s.array(attachmentPointerSchema, { max: MAX_ATTACHMENTS }),
});

export interface MessageContent {
  readonly text: string;
  readonly attachments: readonly AttachmentPointer[];
}

export interface AttachmentMeta {
  readonly name?: string;
  readonly type?: string;
}

/** The encrypted blob to store and the pointer to send inside a message. */
export function encryptAttachment(
  file: Uint8Array,
  random: RandomSource,
  meta: AttachmentMeta = {},
): { blob: Uint8Array; pointer: AttachmentPointer } {
  const key = random(AES_KEY_LENGTH);
  const blob = gcmSeal(key, NONCE, file, utf8(ATTACHMENT_AAD));
  const pointer: AttachmentPointer = { key, hash: sha256(blob), size: file.length, ...meta };
  // The pointer is checked against its own schema here so a bad name or type fails at the sender, not the reader.
  wrapLower('MALFORMED', 'attachment', () => attachmentPointerSchema.parse(pointer, 'attachment'));
  return { blob, pointer };
}

/** The file behind a pointer. HASH_MISMATCH for another blob, DECRYPT_FAILED / MALFORMED for a lying pointer. */
export function decryptAttachment(pointer: AttachmentPointer, blob: Uint8Array): Uint8Array {
  if (!bytesEqual(sha256(blob), pointer.hash)) throw new ServiceError('HASH_MISMATCH', 'blob does not match its hash');
  const file = gcmOpen(pointer.key, NONCE, blob, utf8(ATTACHMENT_AAD));
  if (file.length !== pointer.size) {
    throw new ServiceError('MALFORMED', `attachment is ${file.length} bytes, its pointer says ${pointer.size}`);
  }
  return file;
}

/** Blob size for a file of `size` bytes, for storage quotes before encrypting. */
export function attachmentBlobSize(size: number): number {
  return size + GCM_TAG_LENGTH;
}

export function encodeContent(content: MessageContent): Uint8Array {
  const bytes = encodeValue({ text: content.text, att: content.attachments }, 'message content');
  if (bytes.length > MAX_PLAINTEXT_SIZE) throw new ServiceError('TOO_LARGE', 'message content exceeds one message');
  return bytes;
}

/** MALFORMED / TOO_LARGE. */
export function decodeContent(bytes: Uint8Array): MessageContent {
  const raw = decodeWith(bytes, MAX_PLAINTEXT_SIZE, contentSchema, 'message content');
  return { text: raw.text, attachments: raw.att };
}

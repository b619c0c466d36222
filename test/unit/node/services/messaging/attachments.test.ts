/** Attachments: per-file keys, hash checked before decryption, pointers carried inside an end-to-end message. */
import { describe, expect, it } from 'vitest';
import { sha256, toHex, utf8 } from '../../../../../node/crypto/index.ts';
import {
  attachmentBlobSize,
  decodeContent,
  decryptAttachment,
  encodeContent,
  encryptAttachment,
  MAX_PLAINTEXT_SIZE,
} from '../../../../../node/services/messaging/index.ts';
import { codeOf, seededRandom, sessionPair } from './fixtures.ts';

describe('attachments', () => {
  const random = seededRandom('attachments');
  const file = random(10_000);

  it('encrypt each file under its own key; the blob hides the file and hashes to the pointer', () => {
    const one = encryptAttachment(file, random, { name: 'photo.jpg', type: 'image/jpeg' });
    const two = encryptAttachment(file, random);
    expect(toHex(one.pointer.key)).not.toBe(toHex(two.pointer.key));
    expect(toHex(one.blob)).not.toBe(toHex(two.blob));
    expect(one.blob.length).toBe(attachmentBlobSize(file.length));
    expect(one.pointer.hash).toEqual(sha256(one.blob));
    expect(Buffer.from(one.blob).includes(Buffer.from(file.subarray(0, 16)))).toBe(false);
    expect(decryptAttachment(one.pointer, one.blob)).toEqual(file);
    expect(one.pointer.name).toBe('photo.jpg');
  });

  it('refuses another blob (HASH_MISMATCH), a wrong key (DECRYPT_FAILED) and a lying size (MALFORMED)', () => {
    const { blob, pointer } = encryptAttachment(file, random);
    const other = encryptAttachment(file, random);
    expect(codeOf(() => decryptAttachment(pointer, other.blob))).toBe('HASH_MISMATCH');
    const flipped = Uint8Array.from(blob);
    flipped[7]! ^= 1;
    expect(codeOf(() => decryptAttachment(pointer, flipped))).toBe('HASH_MISMATCH');
    expect(codeOf(() => decryptAttachment({ ...pointer, key: other.pointer.key }, blob))).toBe('DECRYPT_FAILED');
    expect(codeOf(() => decryptAttachment({ ...pointer, size: 3 }, blob))).toBe('MALFORMED');
    expect(codeOf(() => encryptAttachment(file, random, { name: 'x'.repeat(300) }))).toBe('MALFORMED');
  });

  it('travel inside a message: the recipient opens the file from the pointer it received', () => {
    const { alice, bob } = sessionPair('attachments session');
    const { blob, pointer } = encryptAttachment(file, random, { name: 'notes.txt' });
    const envelope = alice.encrypt(encodeContent({ text: 'see attached', attachments: [pointer] }));
    // The key travels encrypted: neither it nor the file is in the envelope a relay carries.
    expect(Buffer.from(envelope).includes(Buffer.from(pointer.key))).toBe(false);
    const content = decodeContent(bob.decrypt(envelope));
    expect(content.text).toBe('see attached');
    expect(decryptAttachment(content.attachments[0]!, blob)).toEqual(file);
  });

  it('bounds message content to one message', () => {
    expect(decodeContent(encodeContent({ text: 'hi', attachments: [] }))).toEqual({ text: 'hi', attachments: [] });
    expect(codeOf(() => encodeContent({ text: 'x'.repeat(MAX_PLAINTEXT_SIZE), attachments: [] }))).toBe('TOO_LARGE');
    expect(codeOf(() => decodeContent(utf8('not cbor')))).toBe('MALFORMED');
  });
});

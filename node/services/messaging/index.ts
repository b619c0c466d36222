/**
 * node/services/messaging: end-to-end messages (SPEC §3). Clients use identities, prekeys, sessions (PQXDH-style
 * handshake + Double Ratchet) and attachments; workers use the relay side (Mailbox, PrekeyDirectory), which holds
 * ciphertext and public keys only.
 */
export { ServiceError, SERVICE_ERROR_CODES, type ServiceErrorCode } from '../errors.ts';
export {
  ADDRESS_DOMAIN_TAG,
  ADDRESS_LENGTH,
  IDENTITY_DOMAIN_TAG,
  MessagingIdentity,
  messagingAddress,
  type PublicIdentity,
  verifyIdentity,
} from './identity.ts';
export {
  decodeBundle,
  decodeUpload,
  encodeBundle,
  encodeUpload,
  MAX_PREKEY_ID,
  MAX_UPLOAD_PREKEYS,
  PREKEY_DOMAIN_TAG,
  type PrekeyBundle,
  type PrekeyKind,
  type PrekeyUpload,
  type SignedPrekey,
  verifyBundle,
  verifyUpload,
} from './prekeys.ts';
export {
  MAX_HELD_PREKEYS,
  MAX_SEEN_HANDSHAKES,
  PrekeySecrets,
  type PrekeySecretsOptions,
  SIGNED_PREKEYS_KEPT,
} from './prekey-secrets.ts';
export { HANDSHAKE_DOMAIN_TAG, SESSION_ID_LENGTH, type SessionStart } from './handshake.ts';
export { type Header } from './ratchet.ts';
export { MAX_SKIP, MAX_SKIPPED_KEYS } from './ratchet-state.ts';
export {
  decodeEnvelope,
  decodeHeader,
  encodeEnvelope,
  type Envelope,
  MAX_ENVELOPE_SIZE,
  MAX_PLAINTEXT_SIZE,
} from './envelope.ts';
export { Session, type SessionOptions } from './session.ts';
export {
  type AttachmentMeta,
  type AttachmentPointer,
  attachmentBlobSize,
  decodeContent,
  decryptAttachment,
  encodeContent,
  encryptAttachment,
  MAX_ATTACHMENTS,
  type MessageContent,
} from './attachments.ts';
export {
  DEFAULT_MAILBOX_LIMITS,
  type MailItem,
  type Mailbox,
  type MailboxLimits,
  type MailboxUsage,
  MAX_LIST,
} from './mailbox.ts';
export { MemoryMailbox } from './mailbox-memory.ts';
export { SqliteMailbox, type SqliteMailboxOptions } from './mailbox-sqlite.ts';
export { DEFAULT_MAX_ONE_TIME, type PrekeyDirectory, type PublishResult } from './directory.ts';
export { MemoryPrekeyDirectory, type MemoryDirectoryOptions } from './directory-memory.ts';
export { SqlitePrekeyDirectory, type SqliteDirectoryOptions } from './directory-sqlite.ts';

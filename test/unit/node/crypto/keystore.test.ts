import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CryptoError } from '../../../../node/crypto/errors.ts';
import {
  DEFAULT_SCRYPT,
  parseKeystore,
  serializeKeystore,
  TEST_SCRYPT,
  type KeystoreFile,
} from '../../../../node/crypto/keystore-format.ts';
import { decodeKeystorePublic, encodeKeystore, markPhraseShown, unlockKeystore } from '../../../../node/crypto/keystore.ts';
import { KEYSTORE_FILE_MODE, readKeystoreFile, writeKeystoreFile } from '../../../../node/crypto/keystore-file.ts';
import { toHex } from '../../../../node/crypto/hash.ts';
import { Wallet } from '../../../../node/crypto/wallet.ts';
import { seededRandom } from './seeded-random.ts';

const NOW = Date.UTC(2026, 10, 24, 10, 0, 0);
const random = seededRandom('keystore');
const wallet = Wallet.generate('ecdsa', random);
const otherWallet = Wallet.generate('ecdsa', random);
const options = { password: 'correct horse', scrypt: TEST_SCRYPT, random };

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof CryptoError) return error.code;
    throw error;
  }
  return undefined;
}

/** Parsed JSON edited freely by the tests, as an attacker editing the file would; typing it would only hide that. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EditableJson = Record<string, any>;

/** A deep copy of a keystore with some fields replaced. */
function edit(ks: KeystoreFile, change: (json: EditableJson) => void): string {
  const json = JSON.parse(JSON.stringify(ks)) as EditableJson;
  change(json);
  return JSON.stringify(json);
}

function flipHex(hex: string, at = 0): string {
  const digit = (parseInt(hex[at]!, 16) ^ 1).toString(16);
  return hex.slice(0, at) + digit + hex.slice(at + 1);
}

describe('encrypted keystores', async () => {
  const ks = await encodeKeystore(wallet, options, NOW);

  it('round-trip with the password and expose the public part without it', async () => {
    expect(ks.encrypted?.kdfParams).toMatchObject({ N: TEST_SCRYPT.N, r: 8, p: 1 });
    expect(ks.plain).toBeUndefined();
    const text = serializeKeystore(ks);
    expect(text).not.toContain(toHex(wallet.entropy()));
    const pub = decodeKeystorePublic(text);
    expect(pub).toMatchObject({
      scheme: 'ecdsa',
      address: wallet.account.address,
      publicKeyHex: toHex(wallet.account.publicKey),
      created: '2026-11-24T10:00:00.000Z',
      phraseShown: false,
      encrypted: true,
    });
    const unlocked = await unlockKeystore(text, 'correct horse');
    expect(unlocked.phrase()).toBe(wallet.phrase());
    expect(unlocked.scheme).toBe('ecdsa');
  });

  it('work with the default scrypt parameters (N = 2^17 needs maxmem above the 32 MiB default)', async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    const strong = await encodeKeystore(wallet, { password: 'pw' }, NOW);
    expect(strong.encrypted?.kdfParams.N).toBe(2 ** 17);
    expect((await unlockKeystore(strong, 'pw')).account.address).toBe(wallet.account.address);
  }, 30_000);

  it('round-trip a Falcon wallet', async () => {
    const falcon = Wallet.generate('falcon', random);
    const fks = await encodeKeystore(falcon, options, NOW);
    expect(decodeKeystorePublic(fks).address[0]).toBe('F');
    const unlocked = await unlockKeystore(serializeKeystore(fks), 'correct horse');
    expect(unlocked.account.address).toBe(falcon.account.address);
  });

  it('refuse a wrong or missing password with BAD_PASSWORD', async () => {
    expect(await codeOf(() => unlockKeystore(ks, 'correct hors'))).toBe('BAD_PASSWORD');
    expect(await codeOf(() => unlockKeystore(ks))).toBe('BAD_PASSWORD');
    expect(await codeOf(() => unlockKeystore(ks, ''))).toBe('BAD_PASSWORD');
    await expect(unlockKeystore(ks, 'nope')).rejects.toThrowError(/wrong password/);
  });

  it('refuse a tampered header or ciphertext with BAD_KEYSTORE', async () => {
    const other = await encodeKeystore(otherWallet, options, NOW);
    const tampered = [
      // Another wallet's consistent address and key: only the authenticated data notices.
      edit(ks, (j) => {
        j.address = other.address;
        j.publicKey = other.publicKey;
      }),
      edit(ks, (j) => {
        j.created = '2020-01-01T00:00:00.000Z';
      }),
      edit(ks, (j) => {
        j.publicKey = flipHex(j.publicKey, 10);
      }),
      edit(ks, (j) => {
        j.address = other.address;
      }),
      edit(ks, (j) => {
        j.scheme = 'falcon';
      }),
      edit(ks, (j) => {
        j.encrypted.ciphertext = flipHex(j.encrypted.ciphertext, 5);
      }),
      edit(ks, (j) => {
        j.encrypted.tag = flipHex(j.encrypted.tag, 31);
      }),
      edit(ks, (j) => {
        j.encrypted.iv = flipHex(j.encrypted.iv);
      }),
      edit(ks, (j) => {
        j.encrypted.ciphertext = j.encrypted.ciphertext.slice(2);
      }),
    ];
    for (const text of tampered) {
      expect(await codeOf(() => unlockKeystore(text, 'correct horse'))).toBe('BAD_KEYSTORE');
    }
  });

  it('report altered key-derivation parameters as a password failure, never as success', async () => {
    const altered = [
      edit(ks, (j) => {
        j.encrypted.kdfParams.salt = flipHex(j.encrypted.kdfParams.salt);
      }),
      edit(ks, (j) => {
        j.encrypted.kdfParams.N = 2 ** 11;
      }),
      edit(ks, (j) => {
        j.encrypted.check = flipHex(j.encrypted.check);
      }),
    ];
    for (const text of altered) {
      expect(await codeOf(() => unlockKeystore(text, 'correct horse'))).toBe('BAD_PASSWORD');
    }
  });

  it('keep phraseShown outside the authenticated data, so it can be set without the password', async () => {
    const shown = markPhraseShown(ks);
    expect(shown.phraseShown).toBe(true);
    expect(decodeKeystorePublic(shown).phraseShown).toBe(true);
    expect((await unlockKeystore(shown, 'correct horse')).account.address).toBe(wallet.account.address);
  });

  it('refuse an empty password, absurd scrypt parameters and unknown versions', async () => {
    expect(await codeOf(() => encodeKeystore(wallet, { password: '' }, NOW))).toBe('BAD_PASSWORD');
    expect(await codeOf(() => encodeKeystore(wallet, { password: 'x', scrypt: { N: 1000, r: 8, p: 1 } }, NOW))).toBe(
      'BAD_KEYSTORE',
    );
    const greedy = edit(ks, (j) => {
      j.encrypted.kdfParams.N = 2 ** 22;
      j.encrypted.kdfParams.r = 64;
    });
    expect(await codeOf(() => unlockKeystore(greedy, 'correct horse'))).toBe('BAD_KEYSTORE');
    expect(await codeOf(() => parseKeystore(edit(ks, (j) => (j.version = 2))))).toBe('UNSUPPORTED');
    expect(await codeOf(() => parseKeystore(edit(ks, (j) => (j.encrypted.cipher = 'des'))))).toBe('UNSUPPORTED');
  });
});

describe('plain keystores', async () => {
  const ks = await encodeKeystore(wallet, {}, NOW);

  it('hold the entropy in the clear and unlock without a password', async () => {
    expect(ks.plain?.entropy).toBe(toHex(wallet.entropy()));
    expect(decodeKeystorePublic(ks).encrypted).toBe(false);
    expect((await unlockKeystore(serializeKeystore(ks))).phrase()).toBe(wallet.phrase());
    expect((await unlockKeystore(ks, 'ignored')).account.address).toBe(wallet.account.address);
  });

  it('notice a changed secret or a header copied from another wallet', async () => {
    const other = await encodeKeystore(otherWallet, {}, NOW);
    const changedSecret = edit(ks, (j) => {
      j.plain.entropy = flipHex(j.plain.entropy);
    });
    const otherHeader = edit(ks, (j) => {
      j.address = other.address;
      j.publicKey = other.publicKey;
    });
    expect(await codeOf(() => unlockKeystore(changedSecret))).toBe('BAD_KEYSTORE');
    expect(await codeOf(() => unlockKeystore(otherHeader))).toBe('BAD_KEYSTORE');
    const both = edit(ks, (j) => (j.encrypted = {}));
    expect(await codeOf(() => unlockKeystore(both))).toBe('BAD_KEYSTORE');
  });

  it('parse arbitrary JSON and mangled keystores with typed errors only', () => {
    const check = (input: string): void => {
      try {
        parseKeystore(input);
      } catch (error) {
        expect(error).toBeInstanceOf(CryptoError);
      }
    };
    fc.assert(fc.property(fc.json(), check), { seed: 11, numRuns: 500 });
    fc.assert(fc.property(fc.string(), check), { seed: 12, numRuns: 500 });
    const fields = ['format', 'version', 'scheme', 'address', 'publicKey', 'created', 'phraseShown', 'plain'];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.jsonValue(), (name, value) =>
        check(edit(ks, (j) => (j[name] = value))),
      ),
      { seed: 13, numRuns: 500 },
    );
  });
});

describe('keystore files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ame-keystore-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const plain = await encodeKeystore(wallet, {}, NOW);

  it('are written with mode 0600 whatever the umask, and read back', () => {
    const path = join(dir, 'plain.json');
    const old = process.umask(0);
    try {
      writeKeystoreFile(path, plain);
    } finally {
      process.umask(old);
    }
    expect(statSync(path).mode & 0o777).toBe(KEYSTORE_FILE_MODE);
    expect(readKeystoreFile(path)).toEqual(plain);
    expect(readFileSync(path, 'utf8')).toBe(serializeKeystore(plain));
  });

  it('are never replaced unless asked, and then replaced atomically by rename', () => {
    const path = join(dir, 'atomic.json');
    writeKeystoreFile(path, plain);
    const before = statSync(path).ino;
    expect(() => writeKeystoreFile(path, markPhraseShown(plain))).toThrowError(/EEXIST/);
    expect(readKeystoreFile(path).phraseShown).toBe(false);

    writeKeystoreFile(path, markPhraseShown(plain), { overwrite: true });
    // A new inode: the new text was written elsewhere and renamed over, never written into the old file.
    expect(statSync(path).ino).not.toBe(before);
    expect(statSync(path).mode & 0o777).toBe(KEYSTORE_FILE_MODE);
    expect(readKeystoreFile(path).phraseShown).toBe(true);
    expect(() => writeKeystoreFile(path, { ...plain, address: 'A' } as KeystoreFile, { overwrite: true })).toThrow(
      CryptoError,
    );
    expect(readKeystoreFile(path).phraseShown).toBe(true);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('refuse what is not a keystore', async () => {
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"format":"something else"}');
    expect(await codeOf(() => readKeystoreFile(junk))).toBe('BAD_KEYSTORE');
    writeFileSync(junk, 'x'.repeat(100_000));
    expect(await codeOf(() => readKeystoreFile(junk))).toBe('BAD_KEYSTORE');
    expect(() => readKeystoreFile(join(dir, 'missing.json'))).toThrowError(/ENOENT/);
  });
});

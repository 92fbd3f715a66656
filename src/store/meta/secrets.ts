/**
 * Secrets at rest. Secret access keys must be kept (SigV4 verification needs them), so they are
 * sealed with AES-256-GCM under a 32-byte key in `DIR/secret.key` (mode 0600, created on first
 * start). Session tokens are only verified, never handed out again, so a hash is enough.
 *
 * Who seals: the services (or the auth layer) hold the `SecretBox` and give the store
 * `SealedSecret`s; the store never sees a plaintext secret. So every driver stores the same
 * opaque string and needs no key, a PostgreSQL server never receives the key, and a secret is
 * decrypted only at the moment a signature is checked, not whenever a key list is read.
 * The access key id is bound in as additional data, so a ciphertext moved to another row fails.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';

declare const sealedBrand: unique symbol;

/** A secret sealed by `SecretBox.seal`: safe to store or log, useless without the key file. */
export type SealedSecret = string & { readonly [sealedBrand]: true };

/** The file, under the data directory, that holds the 32-byte key. */
export const SECRET_KEY_FILE = 'secret.key';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';

/** Why a secret operation failed; the message never contains secret material. */
export class SecretError extends Error {
  constructor(
    /** `BadKeyFile`: the key file is unusable; `Unsealable`: wrong key, context or tampered data. */
    readonly code: 'BadKeyFile' | 'Unsealable',
    message: string,
  ) {
    super(message);
    this.name = 'SecretError';
  }
}

const SEALED = /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/;

/** Tells a sealed secret from anything else (drivers check values read back from a database). */
export function isSealedSecret(s: string): s is SealedSecret {
  return SEALED.test(s);
}

/** Types a value read back from storage; throws (without echoing it) if it is not a sealed secret. */
export function asSealedSecret(s: string): SealedSecret {
  if (!isSealedSecret(s)) throw new SecretError('Unsealable', 'stored value is not a sealed secret');
  return s;
}

/** Seals and unseals secrets with one AES-256-GCM key; prints as `[SecretBox]`, never its key. */
export class SecretBox {
  readonly #key: Buffer;

  private constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw new SecretError('BadKeyFile', `a secret key has ${KEY_BYTES} bytes`);
    this.#key = Buffer.from(key);
  }

  /** A box over a given key (tests; callers that keep the key elsewhere). */
  static fromKey(key: Uint8Array): SecretBox {
    return new SecretBox(key);
  }

  /**
   * The box of a data directory: reads `DIR/secret.key`, or creates it (0600) on first start.
   * Creation is atomic (write a temporary file, then hard-link it into place), so two processes
   * starting at once agree on one key and a crash never leaves a short key file.
   */
  static async forDataDir(dir: string): Promise<SecretBox> {
    await mkdir(dir, { recursive: true });
    const file = join(dir, SECRET_KEY_FILE);
    try {
      return new SecretBox(await readKeyFile(file));
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const fh = await open(tmp, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, 0o600);
    try {
      await fh.writeFile(randomBytes(KEY_BYTES));
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, file);
    } catch (e) {
      if (!isErrno(e, 'EEXIST')) throw e;
    } finally {
      await unlink(tmp);
    }
    return new SecretBox(await readKeyFile(file));
  }

  /** Seals `plaintext`; `context` (the access key id) must be given again to unseal. */
  seal(plaintext: string, context: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const sealed = [FORMAT, iv, body, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
    return asSealedSecret(sealed);
  }

  /** Recovers the plaintext; throws `SecretError('Unsealable')` on a wrong key, context or any tampering. */
  unseal(sealed: SealedSecret, context: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== FORMAT)
      throw new SecretError('Unsealable', 'unknown sealed format');
    const [iv, body, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [
      Buffer,
      Buffer,
      Buffer,
    ];
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretError('Unsealable', 'secret could not be unsealed');
    }
  }

  /** Keeps the key out of string conversions. */
  toString(): string {
    return '[SecretBox]';
  }

  /** Keeps the key out of JSON. */
  toJSON(): string {
    return '[SecretBox]';
  }

  /** Keeps the key out of `console.log` and `util.inspect`. */
  [inspect.custom](): string {
    return '[SecretBox]';
  }
}

/**
 * The stored form of a session token: hex SHA-256. Tokens are long random strings, so a fast hash
 * cannot be brute-forced; a salt or a slow hash would add nothing.
 */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Checks a presented session token against a stored hash in constant time. */
export function sessionTokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashSessionToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readKeyFile(file: string): Promise<Buffer> {
  const info = await stat(file);
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    // Tighten rather than refuse: the key is already exposed to whoever could read it, and
    // failing here would only stop the server. Owner-only from now on.
    await chmod(file, 0o600);
  }
  const key = await readFile(file);
  if (key.length !== KEY_BYTES) {
    throw new SecretError('BadKeyFile', `\`${file}\` must hold exactly ${KEY_BYTES} bytes`);
  }
  return key;
}

function isErrno(e: unknown, code: string): boolean {
  return e instanceof Error && (e as NodeJS.ErrnoException).code === code;
}

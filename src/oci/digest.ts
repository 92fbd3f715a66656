/**
 * Digests: parsing, hashing bytes, and a pass-through stream that hashes what flows through it
 * and fails at the end (or as soon as too many bytes arrive) when the content is not what the
 * digest and size promised, so that a blob is verified while it streams, never buffered.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { RegistryError } from './errors.js';

/** The algorithms the client can verify, with the length of their hex encoding. */
const ALGORITHMS: Record<string, number> = { sha256: 64, sha512: 128 };

/** `sha256:<64 hex>` or `sha512:<128 hex>`, lowercase. */
export function isDigest(s: string): boolean {
  const colon = s.indexOf(':');
  const len = ALGORITHMS[s.slice(0, colon)];
  return len !== undefined && s.length === colon + 1 + len && /^[a-f0-9]+$/.test(s.slice(colon + 1));
}

/** The algorithm of a digest; throws when the client cannot verify it. */
function algorithmOf(digest: string): string {
  if (!isDigest(digest)) throw new RegistryError('DIGEST_INVALID', `\`${digest}\` is not a digest`);
  return digest.slice(0, digest.indexOf(':'));
}

/** The digest of some bytes (sha256 unless another algorithm is asked). */
export function digestOf(bytes: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Whether `bytes` have `digest` (in the digest's own algorithm). */
export function hasDigest(bytes: Buffer, digest: string): boolean {
  return digestOf(bytes, algorithmOf(digest)) === digest;
}

/**
 * A transform that passes bytes through unchanged and fails with `DIGEST_INVALID` when their
 * digest differs from `digest`, or `SIZE_INVALID` when their count differs from `size`.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private received = 0;

  constructor(
    readonly digest: string,
    readonly size: number | undefined,
    /** Names the content in error messages (`blob sha256:… of app`). */
    private readonly what = `blob ${digest}`,
  ) {
    super();
    this.hash = createHash(algorithmOf(digest));
  }

  /** How many bytes have passed. */
  get bytes(): number {
    return this.received;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    if (this.size !== undefined && this.received > this.size) {
      done(new RegistryError('SIZE_INVALID', `${this.what}: more than the ${this.size} bytes expected`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.size !== undefined && this.received !== this.size) {
      done(
        new RegistryError(
          'SIZE_INVALID',
          `${this.what}: ${this.received} bytes received, ${this.size} expected`,
        ),
      );
      return;
    }
    const got = `${algorithmOf(this.digest)}:${this.hash.digest('hex')}`;
    if (got !== this.digest) {
      done(new RegistryError('DIGEST_INVALID', `${this.what}: the content has digest ${got}`));
      return;
    }
    done();
  }
}

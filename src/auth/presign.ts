import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Presigned layer URLs, GetDownloadUrlForLayer's `downloadUrl`. ECR answers with a presigned
 * Amazon S3 URL that anyone holding it may GET until it expires, with no AWS credentials: the
 * caller's right to the layer was checked when the URL was made. crossdock serves blobs itself,
 * so its URL is the registry's own blob path with two query parameters:
 *
 *   /v2/<registry>/<repository>/blobs/<digest>?X-Crossdock-Expires=<epoch s>&X-Crossdock-Signature=<hex>
 *
 * The signature is HMAC-SHA-256 over the method, the repository (account, region, name), the
 * digest and the expiry, under a key derived from the registry token key, so a URL opens one
 * layer of one repository, for GET only, until it expires, and changing any part of it breaks it.
 */
export const PRESIGN_EXPIRES = 'X-Crossdock-Expires';
/** The query parameter carrying the signature. */
export const PRESIGN_SIGNATURE = 'X-Crossdock-Signature';

/**
 * How long a layer URL stays valid. ECR does not document the lifetime of its S3 URLs; an hour
 * is long enough for a slow download to start and short enough that a leaked URL soon dies.
 */
export const PRESIGN_TTL_MS = 60 * 60 * 1000;

/** What a presigned URL opens. */
export interface PresignedBlob {
  readonly accountId: string;
  readonly region: string;
  readonly repositoryName: string;
  readonly digest: string;
}

/** Why a presigned URL was refused. */
export type PresignProblem = 'malformed' | 'forged' | 'expired';

/** Signs and verifies layer URLs with one key. */
export class BlobUrlSigner {
  private readonly key: Buffer;

  /** `tokenKey` is the registry token key; the signing key is derived from it, never used as is. */
  constructor(tokenKey: Uint8Array) {
    this.key = createHmac('sha256', tokenKey).update('crossdock presigned layer url v1').digest();
  }

  private mac(blob: PresignedBlob, expires: number): Buffer {
    const text = ['GET', blob.accountId, blob.region, blob.repositoryName, blob.digest, String(expires)];
    return createHmac('sha256', this.key).update(text.join('\n')).digest();
  }

  /** The query string (without `?`) that opens `blob` until `expiresAt` (epoch ms). */
  sign(blob: PresignedBlob, expiresAt: number): string {
    const expires = Math.floor(expiresAt / 1000);
    const q = new URLSearchParams({
      [PRESIGN_EXPIRES]: String(expires),
      [PRESIGN_SIGNATURE]: this.mac(blob, expires).toString('hex'),
    });
    return q.toString();
  }

  /** Checks the query of a GET of `blob` at `now` (epoch ms). */
  verify(
    blob: PresignedBlob,
    query: URLSearchParams,
    now: number,
  ): { ok: true } | { ok: false; problem: PresignProblem } {
    const expires = query.get(PRESIGN_EXPIRES) ?? '';
    const sig = query.get(PRESIGN_SIGNATURE) ?? '';
    if (!/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(sig))
      return { ok: false, problem: 'malformed' };
    const expected = this.mac(blob, Number(expires));
    if (!timingSafeEqual(Buffer.from(sig, 'hex'), expected)) return { ok: false, problem: 'forged' };
    if (Number(expires) * 1000 <= now) return { ok: false, problem: 'expired' };
    return { ok: true };
  }
}

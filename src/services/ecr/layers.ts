/**
 * Blobs (ECR "layers") as a repository sees them: a blob is visible in a repository only once it is
 * linked there (pushed or mounted), whoever else stores the same bytes. Reads authorize the ECR
 * action AWS checks — `ecr:BatchCheckLayerAvailability` for a HEAD, `ecr:GetDownloadUrlForLayer`
 * for a GET — and stream from the blob store, never buffering. Writes that bypass an upload
 * session (monolithic put, cross-repository mount) store or find the bytes first and link them
 * last, so a blob is never visible before it is whole and verified.
 */
import type { Readable } from 'node:stream';
import type { Caller, Requester } from '../../auth/caller.js';
import { BlobUrlSigner, PRESIGN_TTL_MS } from '../../auth/presign.js';
import { isDigest, parseDigest, type ByteRange, type Digest } from '../../store/blobs/BlobStore.js';
import { BlobStoreError } from '../../store/blobs/errors.js';
import { StoreError } from '../../store/meta/errors.js';
import type { BlobLink, RepositoryRef } from '../../store/meta/records.js';
import { ServiceError } from '../errors.js';
import { RepositoryAccess, repositoryNotFound } from './access.js';
import type { RegistryAddressing } from './addressing.js';
import type { EcrDeps } from './deps.js';
import { holdBlob, LINK_REFRESH_MS } from './gc.js';

/**
 * Runs a store call for a repository that was found a moment ago, turning the store's
 * `NotFound(repository)` (deleted in between) into ECR's RepositoryNotFoundException.
 */
export async function inRepository<T>(ref: RepositoryRef, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreError && err.code === 'NotFound' && err.entity === 'repository')
      throw repositoryNotFound(ref);
    throw err;
  }
}

/** ECR's LayersNotFoundException for one blob the repository does not have. */
export function layerNotFound(ref: RepositoryRef, digest: string): ServiceError {
  return new ServiceError(
    'LayersNotFoundException',
    `The layer with digest ${digest} does not exist within the repository with name '${ref.name}' in the registry with id '${ref.accountId}'`,
  );
}

/** ECR's InvalidLayerException for bytes that do not hash to the digest claimed. */
export function layerDigestMismatch(expected: string, actual: string): ServiceError {
  return new ServiceError(
    'InvalidLayerException',
    `The calculated digest '${actual}' of the uploaded layer does not match the expected digest '${expected}'`,
  );
}

/** A blob store error turned into ECR's word where ECR has one; others pass through unchanged. */
export function fromBlobError(err: unknown, ref: RepositoryRef, digest: string): unknown {
  if (!(err instanceof BlobStoreError)) return err;
  if (err.code === 'DigestMismatch') {
    const e = err as BlobStoreError & { expected: string; actual: string };
    return layerDigestMismatch(e.expected, e.actual);
  }
  if (err.code === 'BlobUnknown') return layerNotFound(ref, digest);
  return err;
}

/**
 * The URL of a blob on this server, in the configured addressing style. GetDownloadUrlForLayer
 * adds the presigning query to it (`auth/presign.ts`), so it opens with no credentials, like
 * ECR's presigned storage URLs.
 */
export function blobUrl(a: RegistryAddressing, ref: RepositoryRef, digest: string): string {
  if (a.style === 'host') {
    const host = `${ref.accountId}.dkr.ecr.${ref.region}.${a.domain}${a.port === '' ? '' : `:${a.port}`}`;
    return `${a.scheme}://${host}/v2/${ref.name}/blobs/${digest}`;
  }
  const registry = ref.region === a.defaultRegion ? ref.accountId : `${ref.accountId}.${ref.region}`;
  return `${a.scheme}://${a.authority}/v2/${registry}/${ref.name}/blobs/${digest}`;
}

/** One entry of BatchCheckLayerAvailability's `layers`. */
export interface LayerOut {
  readonly layerDigest: string;
  readonly layerAvailability: 'AVAILABLE' | 'UNAVAILABLE' | 'ARCHIVED';
  readonly layerSize: number;
  readonly mediaType?: string;
}

/** One entry of BatchCheckLayerAvailability's `failures`. */
export interface LayerFailureOut {
  readonly layerDigest: string;
  readonly failureCode: 'InvalidLayerDigest' | 'MissingLayerDigest';
  readonly failureReason: string;
}

/** Blob reads, mounts and monolithic puts of repositories; see the module comment. */
export class LayerService {
  private readonly access: RepositoryAccess;
  private readonly signer: BlobUrlSigner;

  constructor(private readonly deps: EcrDeps) {
    this.access = new RepositoryAccess(deps);
    this.signer = new BlobUrlSigner(deps.registryTokenKey);
  }

  /** The link of a blob in a repository, or LayersNotFoundException. */
  private async linked(ref: RepositoryRef, digest: Digest): Promise<BlobLink> {
    const link = await inRepository(ref, () => this.deps.store.blobs.get(ref, digest));
    if (link === undefined) throw layerNotFound(ref, digest);
    return link;
  }

  /** `HEAD /v2/<name>/blobs/<digest>` — ecr:BatchCheckLayerAvailability. */
  async stat(caller: Requester, ref: RepositoryRef, digest: string): Promise<{ readonly size: number }> {
    await this.access.read(caller, 'ecr:BatchCheckLayerAvailability', ref);
    const d = parseDigest(digest);
    const link = await this.linked(ref, d);
    const info = await this.deps.blobs.store.stat(d);
    if (info === undefined) throw layerNotFound(ref, d);
    // A client that finds the blob may skip its upload: keep the link through the push (gc.ts).
    if ((await this.refresh(ref, link, false)) === undefined) throw layerNotFound(ref, d);
    return { size: info.size };
  }

  /**
   * `GET /v2/<name>/blobs/<digest>` — ecr:GetDownloadUrlForLayer. `size` is the whole blob's;
   * a range outside it is the store's `RangeInvalid` (carrying the size for `Content-Range`).
   */
  async open(
    caller: Requester,
    ref: RepositoryRef,
    digest: string,
    range?: ByteRange,
  ): Promise<{ readonly size: number; readonly body: Readable }> {
    await this.access.read(caller, 'ecr:GetDownloadUrlForLayer', ref);
    const d = parseDigest(digest);
    const link = await this.linked(ref, d);
    try {
      const body = await this.deps.blobs.store.open(d, range);
      return { size: link.size, body };
    } catch (err) {
      throw fromBlobError(err, ref, d);
    }
  }

  /**
   * A GET of a presigned layer URL (GetDownloadUrlForLayer's `downloadUrl`): no credentials, the
   * signature stands for the check made when the URL was issued. Refused as S3 refuses a bad or
   * expired presigned URL (access denied); a layer gone since then is not found.
   */
  async openPresigned(
    ref: RepositoryRef,
    digest: string,
    query: URLSearchParams,
    range?: ByteRange,
  ): Promise<{ readonly size: number; readonly body: Readable }> {
    const d = parseDigest(digest);
    const blob = { accountId: ref.accountId, region: ref.region, repositoryName: ref.name, digest: d };
    const v = this.signer.verify(blob, query, this.deps.clock.now());
    if (!v.ok) {
      throw new ServiceError(
        'AccessDenied',
        v.problem === 'expired'
          ? 'the presigned layer url has expired; call GetDownloadUrlForLayer again'
          : 'the presigned layer url does not match its signature',
      );
    }
    const link = await this.linked(ref, d);
    try {
      return { size: link.size, body: await this.deps.blobs.store.open(d, range) };
    } catch (err) {
      throw fromBlobError(err, ref, d);
    }
  }

  /**
   * Cross-repository mount: the caller must be allowed to pull from `from` (ecr:BatchGetImage and
   * ecr:GetDownloadUrlForLayer there) and to push here (ecr:InitiateLayerUpload and
   * ecr:CompleteLayerUpload, as a monolithic push). `undefined` when `from` does not have the blob.
   */
  async mount(
    caller: Caller,
    ref: RepositoryRef,
    digest: string,
    from: RepositoryRef,
  ): Promise<{ readonly size: number } | undefined> {
    await this.access.require(caller, 'ecr:BatchGetImage', from);
    await this.access.require(caller, 'ecr:GetDownloadUrlForLayer', from);
    await this.access.require(caller, 'ecr:InitiateLayerUpload', ref);
    await this.access.require(caller, 'ecr:CompleteLayerUpload', ref);
    const d = parseDigest(digest);
    // Held against garbage collection from before the bytes are looked at until linked (gc.ts).
    return inRepository(ref, () =>
      holdBlob(this.deps, ref, d, async () => {
        const source = await inRepository(from, () => this.deps.store.blobs.get(from, d));
        if (source === undefined) return undefined;
        const info = await this.deps.blobs.store.stat(d);
        if (info === undefined) return undefined;
        await this.link(ref, d, info.size);
        return { size: info.size };
      }),
    );
  }

  /**
   * A whole blob in one request (`POST .../uploads/?digest=`): ecr:InitiateLayerUpload and
   * ecr:CompleteLayerUpload. The store hashes while it writes and publishes only verified bytes;
   * the link comes last. A digest mismatch is InvalidLayerException and stores nothing.
   */
  async put(
    caller: Caller,
    ref: RepositoryRef,
    digest: string,
    body: Readable,
    size?: number,
  ): Promise<{ readonly size: number }> {
    await this.access.require(caller, 'ecr:InitiateLayerUpload', ref);
    await this.access.require(caller, 'ecr:CompleteLayerUpload', ref);
    const d = parseDigest(digest);
    // Held against garbage collection from before the bytes are written until linked (gc.ts).
    return inRepository(ref, () =>
      holdBlob(this.deps, ref, d, async () => {
        let stored: number;
        try {
          stored = (
            await this.deps.blobs.store.put(d, body, size === undefined ? {} : { expectedSize: size })
          ).size;
        } catch (err) {
          throw fromBlobError(err, ref, d);
        }
        await this.link(ref, d, stored);
        return { size: stored };
      }),
    );
  }

  /** Makes a stored blob visible in a repository (idempotent). */
  async link(ref: RepositoryRef, digest: Digest, size: number): Promise<BlobLink> {
    const linkedAt = new Date(this.deps.clock.now());
    const link = await inRepository(ref, () => this.deps.store.blobs.link(ref, { digest, size, linkedAt }));
    return (await this.refresh(ref, link, true)) ?? link;
  }

  /**
   * Restarts the grace period of a link no image uses when a push relies on it again (upload,
   * mount, HEAD), so that garbage collection does not remove it mid-push (gc.ts). `relink` says
   * the caller holds the blob against collection (an upload session or {@link holdBlob}), so a
   * link pruned meanwhile may be made again; otherwise a pruned link answers `undefined`.
   */
  private async refresh(ref: RepositoryRef, link: BlobLink, relink: boolean): Promise<BlobLink | undefined> {
    const now = this.deps.clock.now();
    if (link.imageCount > 0 || now - link.linkedAt.getTime() < LINK_REFRESH_MS) return link;
    const fresh = { digest: link.digest, size: link.size, linkedAt: new Date(now) };
    return inRepository(ref, () =>
      this.deps.store.transaction(async (tx) => {
        const l = await tx.blobs.get(ref, link.digest);
        if (l === undefined) return relink ? tx.blobs.link(ref, fresh) : undefined;
        if (l.imageCount > 0 || now - l.linkedAt.getTime() < LINK_REFRESH_MS) return l;
        await tx.blobs.unlink(ref, link.digest);
        return tx.blobs.link(ref, fresh);
      }),
    );
  }

  /**
   * BatchCheckLayerAvailability: linked blobs are AVAILABLE with their size; malformed digests and
   * blobs the repository lacks are failures (ECR lists unknown layers as failures).
   */
  async checkAvailability(
    caller: Caller,
    ref: RepositoryRef,
    digests: readonly string[],
  ): Promise<{ layers: LayerOut[]; failures: LayerFailureOut[] }> {
    await this.access.require(caller, 'ecr:BatchCheckLayerAvailability', ref);
    const valid = digests.filter(isDigest);
    const links = await inRepository(ref, () => this.deps.store.blobs.getMany(ref, valid));
    // As a HEAD: a client told a layer is there may skip it, so its link is kept through the push.
    const kept: BlobLink[] = [];
    for (const l of links) {
      const fresh = await this.refresh(ref, l, false);
      if (fresh !== undefined) kept.push(fresh);
    }
    const byDigest = new Map(kept.map((l) => [l.digest, l]));
    const layers: LayerOut[] = [];
    const failures: LayerFailureOut[] = [];
    for (const d of digests) {
      const link = byDigest.get(d);
      if (!isDigest(d)) {
        failures.push({
          layerDigest: d,
          failureCode: 'InvalidLayerDigest',
          failureReason: 'Invalid layer digest',
        });
      } else if (link === undefined) {
        failures.push({
          layerDigest: d,
          failureCode: 'MissingLayerDigest',
          failureReason: 'Could not find layer',
        });
      } else {
        layers.push({ layerDigest: d, layerAvailability: 'AVAILABLE', layerSize: link.size });
      }
    }
    return { layers, failures };
  }

  /**
   * GetDownloadUrlForLayer: the blob's URL on this server. LayersNotFoundException when the
   * repository does not have it; LayerInaccessibleException when it was uploaded but no image
   * references it (ECR serves only layers of images through this API; the registry GET serves any
   * linked blob, as OCI clients read back what they just pushed).
   */
  async downloadUrl(
    caller: Caller,
    ref: RepositoryRef,
    digest: string,
  ): Promise<{ downloadUrl: string; layerDigest: string }> {
    await this.access.require(caller, 'ecr:GetDownloadUrlForLayer', ref);
    if (!isDigest(digest)) throw layerNotFound(ref, digest);
    const link = await this.linked(ref, digest);
    if (link.imageCount === 0) {
      throw new ServiceError(
        'LayerInaccessibleException',
        'The specified layer is not available because it is not associated with an image. Unassociated image layers may be cleaned up at any time.',
      );
    }
    const blob = { accountId: ref.accountId, region: ref.region, repositoryName: ref.name, digest };
    const query = this.signer.sign(blob, this.deps.clock.now() + PRESIGN_TTL_MS);
    return { downloadUrl: `${blobUrl(this.deps.addressing, ref, digest)}?${query}`, layerDigest: digest };
  }
}

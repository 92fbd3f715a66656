/**
 * Layer upload sessions, for both doors: the registry's chunked OCI protocol (POST, PATCH..., PUT
 * `?digest=`) and ECR's API (InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload). Each
 * step authorizes the action AWS checks (ecr:InitiateLayerUpload, ecr:UploadLayerPart,
 * ecr:CompleteLayerUpload).
 *
 * Two records per session, one id: the bytes live in the blob store's upload session (hashed as
 * they arrive, appended all-or-nothing, in order), and the metadata store records the session
 * against its repository (`IN_PROGRESS` → `COMPLETING` with the digest named → gone), so a session
 * belongs to exactly one repository, survives a restart, and can be cleaned when abandoned
 * ({@link UploadService.cleanup}). Completing commits the bytes under their verified digest, then
 * links the blob into the repository, then drops the session record: the blob becomes visible only
 * whole, and a digest mismatch stores nothing and ends the session (the client starts over).
 */
import { Readable } from 'node:stream';
import type { Caller } from '../../auth/caller.js';
import { isUploadId, parseDigest, type Digest, type UploadId } from '../../store/blobs/BlobStore.js';
import { BlobStoreError } from '../../store/blobs/errors.js';
import { StoreError } from '../../store/meta/errors.js';
import type { RepositoryRef, Upload } from '../../store/meta/records.js';
import { listAll } from '../authz.js';
import { ServiceError } from '../errors.js';
import { RepositoryAccess } from './access.js';
import type { EcrDeps } from './deps.js';
import { inRepository, LayerService, layerDigestMismatch } from './layers.js';

/** An upload's id and how many bytes it holds. */
export interface UploadProgress {
  readonly uploadId: string;
  readonly size: number;
}

/** ECR's quota of parts per layer upload. */
export const MAX_LAYER_PARTS = 4200;

/** ECR's smallest layer part but the last (5 MiB; CompleteLayerUpload's LayerPartTooSmallException). */
export const MIN_LAYER_PART = 5 * 1024 * 1024;

/** Which door a completion comes through: the API adds ECR's EmptyUpload and LayerAlreadyExists rules. */
export type UploadDoor = 'api' | 'registry';

function sameRepository(a: RepositoryRef, b: RepositoryRef): boolean {
  return a.accountId === b.accountId && a.region === b.region && a.name === b.name;
}

/** ECR's UploadNotFoundException. */
export function uploadNotFound(ref: RepositoryRef, uploadId: string): ServiceError {
  return new ServiceError(
    'UploadNotFoundException',
    `The upload with id '${uploadId.slice(0, 140)}' does not exist in the repository with name '${ref.name}' in the registry with id '${ref.accountId}'`,
  );
}

/**
 * ECR's InvalidLayerPartException: a part that does not start where the upload ends (or whose
 * length disagrees with its byte range). Carries `lastValidByteReceived` (`-1` when empty), which
 * the registry turns into `Range` on its 416.
 */
export function invalidLayerPart(
  ref: RepositoryRef,
  uploadId: string,
  size: number,
  why: string,
): ServiceError {
  return new ServiceError(
    'InvalidLayerPartException',
    `The layer part is invalid: ${why}; the last valid byte received is ${size - 1}`,
    {
      registryId: ref.accountId,
      repositoryName: ref.name,
      uploadId,
      lastValidByteReceived: size - 1,
    },
  );
}

/** Upload sessions of repositories; see the module comment. */
export class UploadService {
  private readonly access: RepositoryAccess;

  constructor(
    private readonly deps: EcrDeps,
    private readonly layers: LayerService = new LayerService(deps),
  ) {
    this.access = new RepositoryAccess(deps);
  }

  private now(): Date {
    return new Date(this.deps.clock.now());
  }

  /** `POST .../blobs/uploads/` and InitiateLayerUpload — ecr:InitiateLayerUpload. */
  async start(caller: Caller, ref: RepositoryRef): Promise<UploadProgress> {
    await this.access.require(caller, 'ecr:InitiateLayerUpload', ref);
    const id = await this.deps.blobs.uploads.create();
    try {
      await inRepository(ref, () =>
        this.deps.store.uploads.create({ id, repository: ref, createdAt: this.now() }),
      );
    } catch (err) {
      await this.deps.blobs.uploads.cancel(id).catch(() => undefined);
      throw err;
    }
    return { uploadId: id, size: 0 };
  }

  /** The session record, which must be this repository's and still open. */
  private async session(ref: RepositoryRef, uploadId: string): Promise<Upload & { id: UploadId }> {
    if (!isUploadId(uploadId)) throw uploadNotFound(ref, uploadId);
    const u = await this.deps.store.uploads.get(uploadId);
    if (u === undefined || !sameRepository(u.repository, ref) || u.state !== 'IN_PROGRESS')
      throw uploadNotFound(ref, uploadId);
    return { ...u, id: uploadId };
  }

  /** Bytes held by the blob store's session (the truth about the bytes). */
  private async bytesHeld(ref: RepositoryRef, u: Upload & { id: UploadId }): Promise<number> {
    const status = await this.deps.blobs.uploads.status(u.id);
    if (status === undefined) {
      // The bytes are gone (a memory store restarted, cleanup ran): the session cannot go on.
      await this.deps.store.uploads.delete(u.id).catch(() => undefined);
      throw uploadNotFound(ref, u.id);
    }
    return status.size;
  }

  /** Appends at `offset` (or at the end), mapping the store's refusals to ECR's words. */
  private async appendBytes(
    ref: RepositoryRef,
    u: Upload & { id: UploadId },
    body: Readable,
    offset: number | undefined,
  ): Promise<number> {
    const held = await this.bytesHeld(ref, u);
    const at = offset ?? held;
    let size: number;
    try {
      size = (await this.deps.blobs.uploads.append(u.id, body, { offset: at })).size;
    } catch (err) {
      if (err instanceof BlobStoreError && err.code === 'RangeMismatch') {
        const current = (err as BlobStoreError & { size: number }).size;
        throw invalidLayerPart(ref, u.id, current, `a part starting at byte ${at} is out of order`);
      }
      if (err instanceof BlobStoreError && err.code === 'UploadUnknown') throw uploadNotFound(ref, u.id);
      throw err;
    }
    // A part under 5 MiB may only be the last one: remember the first that another followed.
    const small =
      u.firstSmallPart === undefined && u.lastPartSize !== undefined && u.lastPartSize < MIN_LAYER_PART
        ? u.partCount
        : undefined;
    try {
      await this.deps.store.uploads.update(u.id, {
        size,
        partCount: u.partCount + 1,
        lastPartSize: size - at,
        ...(small !== undefined && { firstSmallPart: small }),
        updatedAt: this.now(),
      });
    } catch (err) {
      if (err instanceof StoreError && err.code === 'NotFound') throw uploadNotFound(ref, u.id);
      throw err;
    }
    return size;
  }

  /**
   * `PATCH <upload>` and UploadLayerPart — ecr:UploadLayerPart. `offset` is where the chunk claims
   * to start (OCI `Content-Range`, API `partFirstByte`); absent, the chunk is appended (streamed
   * upload). Out of order: InvalidLayerPartException and nothing appended.
   */
  async append(
    caller: Caller,
    ref: RepositoryRef,
    uploadId: string,
    body: Readable,
    offset?: number,
  ): Promise<UploadProgress> {
    await this.access.require(caller, 'ecr:UploadLayerPart', ref);
    const u = await this.session(ref, uploadId);
    const size = await this.appendBytes(ref, u, body, offset);
    return { uploadId: u.id, size };
  }

  /**
   * UploadLayerPart — ecr:UploadLayerPart, with ECR's byte rules: the part must start right after
   * the last byte received (0 for the first), and `partLastByte - partFirstByte + 1` must be the
   * part's length; otherwise InvalidLayerPartException and nothing is appended. At most
   * {@link MAX_LAYER_PARTS} parts (LimitExceededException).
   */
  async uploadPart(
    caller: Caller,
    ref: RepositoryRef,
    uploadId: string,
    part: { readonly first: number; readonly last: number; readonly bytes: Uint8Array },
  ): Promise<UploadProgress> {
    await this.access.require(caller, 'ecr:UploadLayerPart', ref);
    const u = await this.session(ref, uploadId);
    const held = await this.bytesHeld(ref, u);
    if (part.first !== held)
      throw invalidLayerPart(ref, u.id, held, `the part must start at byte ${held}, not ${part.first}`);
    if (part.last - part.first + 1 !== part.bytes.byteLength || part.bytes.byteLength === 0) {
      throw invalidLayerPart(
        ref,
        u.id,
        held,
        `bytes ${part.first}-${part.last} do not match a part of ${part.bytes.byteLength} bytes`,
      );
    }
    if (u.partCount >= MAX_LAYER_PARTS) {
      throw new ServiceError(
        'LimitExceededException',
        `The upload with id '${u.id}' has reached the limit of ${MAX_LAYER_PARTS} layer parts`,
      );
    }
    const body = Readable.from([
      Buffer.from(part.bytes.buffer, part.bytes.byteOffset, part.bytes.byteLength),
    ]);
    const size = await this.appendBytes(ref, u, body, part.first);
    return { uploadId: u.id, size };
  }

  /** `GET <upload>` — ecr:UploadLayerPart. */
  async status(caller: Caller, ref: RepositoryRef, uploadId: string): Promise<UploadProgress> {
    await this.access.require(caller, 'ecr:UploadLayerPart', ref);
    const u = await this.session(ref, uploadId);
    return { uploadId: u.id, size: await this.bytesHeld(ref, u) };
  }

  /**
   * `PUT <upload>?digest=` (with an optional last chunk) and CompleteLayerUpload —
   * ecr:CompleteLayerUpload. Verifies the digest of the whole upload, links the blob into the
   * repository and ends the session. Through the API, an upload without parts is
   * EmptyUploadException and a layer the repository already has is LayerAlreadyExistsException.
   */
  async complete(
    caller: Caller,
    ref: RepositoryRef,
    uploadId: string,
    digest: string,
    body?: Readable,
    door: UploadDoor = 'registry',
  ): Promise<{ readonly size: number; readonly digest: Digest }> {
    await this.access.require(caller, 'ecr:CompleteLayerUpload', ref);
    let u = await this.session(ref, uploadId);
    const d = parseDigest(digest);
    if (body !== undefined) {
      const size = await this.appendBytes(ref, u, body, undefined);
      u = { ...u, size, partCount: u.partCount + 1 };
    }
    if (door === 'api') {
      if (u.partCount === 0) {
        throw new ServiceError(
          'EmptyUploadException',
          `The upload with id '${u.id}' does not contain any layer parts`,
        );
      }
      if (u.firstSmallPart !== undefined) {
        // Parts cannot be replaced, so this upload can never complete: it ends here.
        await this.end(u.id);
        throw new ServiceError(
          'LayerPartTooSmallException',
          `Layer parts must be at least 5 MiB in size: part ${u.firstSmallPart} of the upload with id '${u.id}' is smaller and is not the last part`,
        );
      }
      if (await inRepository(ref, () => this.deps.store.blobs.isLinked(ref, d))) {
        await this.end(u.id);
        throw new ServiceError(
          'LayerAlreadyExistsException',
          `Layer with digest '${d}' already exists in the repository with name '${ref.name}' in registry with id '${ref.accountId}'`,
        );
      }
    }
    // Name the digest before the bytes become a blob: garbage collection keeps a blob that an
    // upload names, so nothing can take it between the commit and the link.
    try {
      await this.deps.store.uploads.update(
        u.id,
        { state: 'COMPLETING', digest: d, updatedAt: this.now() },
        { state: 'IN_PROGRESS' },
      );
    } catch (err) {
      if (err instanceof StoreError) throw uploadNotFound(ref, u.id);
      throw err;
    }
    let size: number;
    try {
      size = (await this.deps.blobs.uploads.commit(u.id, d)).size;
    } catch (err) {
      if (err instanceof BlobStoreError && err.code === 'DigestMismatch') {
        await this.deps.store.uploads.delete(u.id).catch(() => undefined);
        const e = err as BlobStoreError & { expected: string; actual: string };
        throw layerDigestMismatch(e.expected, e.actual);
      }
      if (err instanceof BlobStoreError && err.code === 'UploadUnknown') {
        await this.deps.store.uploads.delete(u.id).catch(() => undefined);
        throw uploadNotFound(ref, u.id);
      }
      await this.deps.store.uploads
        .update(u.id, { state: 'IN_PROGRESS', digest: null, updatedAt: this.now() })
        .catch(() => undefined);
      throw err;
    }
    await this.layers.link(ref, d, size);
    await this.deps.store.uploads.delete(u.id).catch(() => undefined);
    return { size, digest: d };
  }

  /** `DELETE <upload>` — ecr:UploadLayerPart: ends the session and drops its bytes. */
  async cancel(caller: Caller, ref: RepositoryRef, uploadId: string): Promise<void> {
    await this.access.require(caller, 'ecr:UploadLayerPart', ref);
    const u = await this.session(ref, uploadId);
    await this.end(u.id);
  }

  /** Drops a session's bytes and its record, whichever remain. */
  private async end(id: UploadId): Promise<void> {
    await this.deps.blobs.uploads.cancel(id).catch(() => undefined);
    await this.deps.store.uploads.delete(id).catch(() => undefined);
  }

  /**
   * Ends every session idle for more than `olderThanMs` (records and bytes), and the blob store's
   * own leftovers; returns how many session records were removed. For the server to run on a timer.
   */
  async cleanup(olderThanMs: number): Promise<number> {
    const now = this.deps.clock.now();
    const stale = await listAll((marker) =>
      this.deps.store.uploads.list({
        updatedBefore: new Date(now - olderThanMs),
        ...(marker !== undefined && { marker }),
      }),
    );
    for (const u of stale) {
      if (isUploadId(u.id)) await this.end(u.id);
      else await this.deps.store.uploads.delete(u.id).catch(() => undefined);
    }
    await this.deps.blobs.uploads.cleanup(olderThanMs, now);
    return stale.length;
  }
}

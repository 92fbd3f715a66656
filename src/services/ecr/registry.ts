import type { Readable } from 'node:stream';
import type { Caller, Requester, RequestInfo } from '../../auth/caller.js';
import type { RepositoryRef } from '../../store/meta/records.js';

/**
 * The contract between the OCI registry layer (`src/registry/`, HTTP only) and the ECR service
 * (`src/services/ecr/`, all semantics). Every method authorizes the caller through the one
 * `authorize()` door with the ECR action AWS checks for that registry request (DESIGN.md; ECR
 * reference §6) before it acts, and throws `ServiceError`s in ECR's vocabulary
 * (`RepositoryNotFoundException`, `ImageNotFoundException`, `LayersNotFoundException`,
 * `ImageTagAlreadyExistsException`, `InvalidLayerException`, `UploadNotFoundException`,
 * `InvalidLayerPartException`, `InvalidParameterException`, ...) or `AccessDeniedError`; the
 * registry layer maps them to OCI error codes once.
 */

/** A repository as a registry request names it: registry account, region, repository name. */
export type { RepositoryRef } from '../../store/meta/records.js';

/** A `sha256:` / `sha512:` digest string, validated by the service. */
export type DigestString = string;

/** A manifest as stored: the exact bytes, their digest and media type. */
export interface StoredManifest {
  readonly digest: DigestString;
  readonly mediaType: string;
  readonly bytes: Buffer;
  /** Set when the manifest carries `artifactType` (OCI 1.1). */
  readonly artifactType?: string;
}

/** An inclusive byte range of a blob. */
export interface BlobRange {
  readonly start: number;
  readonly end: number;
}

/** An upload session's state, for `Location`, `Range` and `Docker-Upload-UUID`. */
export interface UploadState {
  readonly uploadId: string;
  /** Bytes received so far. */
  readonly size: number;
}

/** One entry of the OCI referrers list (an index `manifests[]` descriptor). */
export interface ReferrerDescriptor {
  readonly mediaType: string;
  readonly digest: DigestString;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * What a registry request says about where it goes. A token is good in the region it was got in
 * only; whether `request.region` names the registry of the request (a host-style name, or a
 * path-style name with or without `.<region>`) or is only the default (a path-style `/v2/` ping,
 * which names no registry) decides whether a token of another region is refused.
 */
export interface RegistryScope {
  readonly regionKnown: boolean;
}

/** What the registry layer calls; the ECR service implements it. */
export interface RegistryBackend {
  /**
   * Resolves HTTP Basic `AWS:<token>` to the caller the token stands for. Throws
   * `ServiceError('Unauthenticated', ...)` when the header is missing, malformed, forged, or its
   * credential is gone or expired: the registry answers 401 with a Basic challenge.
   */
  authenticate(
    authorization: string | undefined,
    request: RequestInfo,
    scope?: RegistryScope,
  ): Promise<Caller>;

  /**
   * The requester of a request to ECR Public's registry (`public/registryAuth.ts`): anonymous
   * without credentials, else the caller a Bearer token of {@link publicToken} or a Basic
   * `AWS:<ecr-public password>` stands for; `Unauthenticated` for anything forged or expired.
   */
  authenticatePublic(authorization: string | undefined, request: RequestInfo): Promise<Requester>;
  /** `GET /token/` of ECR Public's registry: a Bearer token for whoever asks (see above). */
  publicToken(
    authorization: string | undefined,
    request: RequestInfo,
  ): Promise<{ readonly token: string; readonly issuedAt: Date; readonly expiresInSeconds: number }>;
  /** The account whose public registry has this alias, or `undefined`. */
  publicRegistry(alias: string): Promise<string | undefined>;

  /**
   * `GET|HEAD /v2/<name>/manifests/<ref>` — ecr:BatchGetImage (anyone's on a public repository). `reference` is a tag or a digest. */
  getManifest(
    caller: Requester,
    repo: RepositoryRef,
    reference: string,
    accept: readonly string[],
  ): Promise<StoredManifest>;
  /** `PUT /v2/<name>/manifests/<ref>` — ecr:PutImage. Validates JSON, media type, referenced blobs/manifests, tag mutability. */
  putManifest(
    caller: Caller,
    repo: RepositoryRef,
    reference: string,
    mediaType: string,
    bytes: Buffer,
  ): Promise<{ readonly digest: DigestString; readonly subject?: DigestString }>;
  /** `DELETE /v2/<name>/manifests/<ref>` — ecr:BatchDeleteImage (by digest: image and its tags; by tag: the tag). */
  deleteManifest(caller: Caller, repo: RepositoryRef, reference: string): Promise<void>;

  /** `HEAD /v2/<name>/blobs/<digest>` — ecr:BatchCheckLayerAvailability. */
  statBlob(caller: Requester, repo: RepositoryRef, digest: DigestString): Promise<{ readonly size: number }>;
  /** `GET /v2/<name>/blobs/<digest>` — ecr:GetDownloadUrlForLayer. Streams; never buffers. */
  openBlob(
    caller: Requester,
    repo: RepositoryRef,
    digest: DigestString,
    range?: BlobRange,
  ): Promise<{ readonly size: number; readonly body: Readable }>;
  /**
   * `GET /v2/<name>/blobs/<digest>?X-Crossdock-Expires=…&X-Crossdock-Signature=…` with no
   * credentials: a layer URL GetDownloadUrlForLayer presigned (`auth/presign.ts`).
   */
  openPresignedBlob(
    repo: RepositoryRef,
    digest: DigestString,
    query: URLSearchParams,
    range?: BlobRange,
  ): Promise<{ readonly size: number; readonly body: Readable }>;
  /** `DELETE /v2/<name>/blobs/<digest>` — refused as ECR does (blobs go with their images); throws `UnsupportedOperation`. */

  /** `POST /v2/<name>/blobs/uploads/` — ecr:InitiateLayerUpload. */
  startUpload(caller: Caller, repo: RepositoryRef): Promise<UploadState>;
  /**
   * `POST .../uploads/?mount=<digest>&from=<other>` — mounts when the caller may pull from `from`
   * (ecr:BatchGetImage + GetDownloadUrlForLayer there) and push here; `undefined` when the blob is
   * not in `from` (the registry then starts a normal upload, as OCI says).
   */
  mountBlob(
    caller: Caller,
    repo: RepositoryRef,
    digest: DigestString,
    from: RepositoryRef,
  ): Promise<{ readonly size: number } | undefined>;
  /** `POST .../uploads/?digest=<d>` with a body: one-shot upload — ecr:InitiateLayerUpload + CompleteLayerUpload. */
  putBlob(
    caller: Caller,
    repo: RepositoryRef,
    digest: DigestString,
    body: Readable,
    size?: number,
  ): Promise<{ readonly size: number }>;
  /** `PATCH <upload>` — ecr:UploadLayerPart; `offset` from Content-Range (chunks must be in order: RangeMismatch otherwise). */
  appendUpload(
    caller: Caller,
    repo: RepositoryRef,
    uploadId: string,
    body: Readable,
    offset?: number,
  ): Promise<UploadState>;
  /** `GET <upload>` — ecr:UploadLayerPart. */
  uploadStatus(caller: Caller, repo: RepositoryRef, uploadId: string): Promise<UploadState>;
  /** `PUT <upload>?digest=` with an optional last chunk — ecr:CompleteLayerUpload; verifies the digest. */
  completeUpload(
    caller: Caller,
    repo: RepositoryRef,
    uploadId: string,
    digest: DigestString,
    body?: Readable,
  ): Promise<{ readonly size: number }>;
  /** `DELETE <upload>` — ecr:UploadLayerPart (cancel). */
  cancelUpload(caller: Caller, repo: RepositoryRef, uploadId: string): Promise<void>;

  /** `GET /v2/<name>/tags/list?n=&last=` — ecr:ListImages; lexical order. */
  listTags(
    caller: Requester,
    repo: RepositoryRef,
    opts: { n?: number; last?: string },
  ): Promise<readonly string[]>;
  /** `GET /v2/<name>/referrers/<digest>?artifactType=` — ecr:BatchGetImage. */
  referrers(
    caller: Requester,
    repo: RepositoryRef,
    digest: DigestString,
    artifactType?: string,
  ): Promise<readonly ReferrerDescriptor[]>;
  /** `GET /v2/_catalog?n=&last=` — the repositories of `accountId`/`region` the caller may describe. */
  catalog(
    caller: Caller,
    accountId: string,
    region: string,
    opts: { n?: number; last?: string },
  ): Promise<readonly string[]>;
}

/**
 * The ECR service behind the OCI registry: {@link createRegistryBackend} implements the
 * `RegistryBackend` contract (`registry.ts`) over the image, layer and upload services, and
 * resolves registry tokens to callers (`registryAuth.ts`).
 *
 * Speed without changing any of that: the backend's reads of the metadata store (identity,
 * policies, repository, image) are kept while the store's change stamp holds (`readCache.ts`):
 * any write drops them, so the next request sees it.
 */
import { PullThroughCache } from './pullThrough.js';
import { authenticateRegistryToken, VerifiedTokens } from './registryAuth.js';
import { PublicAliases } from './public/aliases.js';
import { authenticatePublic, issuePublicBearer } from './public/registryAuth.js';
import type { Readable } from 'node:stream';
import { isAnonymous, type Caller, type Requester, type RequestInfo } from '../../auth/caller.js';
import { AccessDeniedError, ServiceError } from '../errors.js';
import { listAll } from '../authz.js';
import { RepositoryAccess } from './access.js';
import type { EcrDeps } from './deps.js';
import { ImageService, storedManifest } from './images.js';
import { LayerService } from './layers.js';
import { withReadCache } from './readCache.js';
import type {
  BlobRange,
  DigestString,
  ReferrerDescriptor,
  RegistryBackend,
  RegistryScope,
  RepositoryRef,
  StoredManifest,
  UploadState,
} from './registry.js';
import { UploadService } from './uploads.js';

/**
 * `GET /v2/_catalog` — the repositories of a registry the caller may describe
 * (ecr:DescribeRepositories, authorized per repository: repositories the caller may not describe
 * are left out rather than failing the listing), by name, strictly after `last`, at most `n`.
 */
async function catalog(
  deps: EcrDeps,
  access: RepositoryAccess,
  caller: Caller,
  accountId: string,
  region: string,
  opts: { n?: number; last?: string },
): Promise<string[]> {
  const all = await listAll((marker) =>
    deps.store.repositories.list(accountId, region, {
      maxItems: 1000,
      ...(marker !== undefined && { marker }),
    }),
  );
  const limit = opts.n === undefined ? Infinity : Math.max(0, Math.floor(opts.n));
  const out: string[] = [];
  for (const r of all) {
    if (out.length >= limit) break;
    if (opts.last !== undefined && r.name <= opts.last) continue;
    try {
      await access.authorize(caller, 'ecr:DescribeRepositories', { accountId, region, name: r.name });
    } catch (err) {
      if (err instanceof AccessDeniedError) continue;
      if (err instanceof ServiceError && err.code === 'RepositoryNotFoundException') continue;
      throw err;
    }
    out.push(r.name);
  }
  return out;
}

/** The ECR service as the OCI registry layer sees it: every method authorizes, then acts. */
export function createRegistryBackend(plain: EcrDeps): RegistryBackend {
  // Registry requests read through the stamped cache (readCache.ts); their writes and
  // transactions go to the store itself, and move the stamp.
  const deps: EcrDeps = { ...plain, store: withReadCache(plain.store).store };
  const tokens = new VerifiedTokens();
  const access = new RepositoryAccess(deps);
  const layers = new LayerService(deps);
  const uploads = new UploadService(deps, layers);
  const images = new ImageService(deps);
  const pullThrough = new PullThroughCache(deps, images, layers, plain.pullThroughRefreshMs);
  const aliases = new PublicAliases(deps);
  return {
    authenticate: (
      authorization: string | undefined,
      request: RequestInfo,
      scope?: RegistryScope,
    ): Promise<Caller> => authenticateRegistryToken(deps, authorization, request, tokens, scope),

    authenticatePublic: (authorization: string | undefined, request: RequestInfo): Promise<Requester> =>
      authenticatePublic(deps, authorization, request, tokens),

    publicToken: (authorization: string | undefined, request: RequestInfo) =>
      issuePublicBearer(deps, authorization, request, tokens),

    publicRegistry: (alias: string): Promise<string | undefined> => aliases.accountOf(alias),

    async getManifest(
      caller: Requester,
      repo: RepositoryRef,
      reference: string,
      _accept: readonly string[],
    ): Promise<StoredManifest> {
      // Pull-through imports act for an identity; a public repository has no rules anyway.
      if (!isAnonymous(caller)) await pullThrough.beforePull(caller, repo, reference);
      return storedManifest(await images.get(caller, repo, reference));
    },

    async putManifest(
      caller: Caller,
      repo: RepositoryRef,
      reference: string,
      mediaType: string,
      bytes: Buffer,
    ): Promise<{ readonly digest: DigestString; readonly subject?: DigestString }> {
      const byDigest = reference.includes(':');
      const r = await images.push(
        caller,
        repo,
        { manifest: bytes, mediaType, ...(byDigest ? { digest: reference } : { tag: reference }) },
        'registry',
      );
      const subject = r.manifest.subject?.digest;
      return subject === undefined ? { digest: r.manifest.digest } : { digest: r.manifest.digest, subject };
    },

    deleteManifest: (caller: Caller, repo: RepositoryRef, reference: string): Promise<void> =>
      images.delete(caller, repo, reference),

    statBlob: (
      caller: Requester,
      repo: RepositoryRef,
      digest: DigestString,
    ): Promise<{ readonly size: number }> => layers.stat(caller, repo, digest),

    openBlob: (
      caller: Requester,
      repo: RepositoryRef,
      digest: DigestString,
      range?: BlobRange,
    ): Promise<{ readonly size: number; readonly body: Readable }> =>
      layers.open(caller, repo, digest, range),

    openPresignedBlob: (
      repo: RepositoryRef,
      digest: DigestString,
      query: URLSearchParams,
      range?: BlobRange,
    ): Promise<{ readonly size: number; readonly body: Readable }> =>
      layers.openPresigned(repo, digest, query, range),

    startUpload: (caller: Caller, repo: RepositoryRef): Promise<UploadState> => uploads.start(caller, repo),

    mountBlob: (
      caller: Caller,
      repo: RepositoryRef,
      digest: DigestString,
      from: RepositoryRef,
    ): Promise<{ readonly size: number } | undefined> => layers.mount(caller, repo, digest, from),

    putBlob: (
      caller: Caller,
      repo: RepositoryRef,
      digest: DigestString,
      body: Readable,
      size?: number,
    ): Promise<{ readonly size: number }> => layers.put(caller, repo, digest, body, size),

    appendUpload: (
      caller: Caller,
      repo: RepositoryRef,
      uploadId: string,
      body: Readable,
      offset?: number,
    ): Promise<UploadState> => uploads.append(caller, repo, uploadId, body, offset),

    uploadStatus: (caller: Caller, repo: RepositoryRef, uploadId: string): Promise<UploadState> =>
      uploads.status(caller, repo, uploadId),

    async completeUpload(
      caller: Caller,
      repo: RepositoryRef,
      uploadId: string,
      digest: DigestString,
      body?: Readable,
    ): Promise<{ readonly size: number }> {
      const done = await uploads.complete(caller, repo, uploadId, digest, body, 'registry');
      return { size: done.size };
    },

    cancelUpload: (caller: Caller, repo: RepositoryRef, uploadId: string): Promise<void> =>
      uploads.cancel(caller, repo, uploadId),

    listTags: (
      caller: Requester,
      repo: RepositoryRef,
      opts: { n?: number; last?: string },
    ): Promise<readonly string[]> => images.listTags(caller, repo, opts),

    referrers: (
      caller: Requester,
      repo: RepositoryRef,
      digest: DigestString,
      artifactType?: string,
    ): Promise<readonly ReferrerDescriptor[]> => images.referrers(caller, repo, digest, artifactType),

    catalog: (
      caller: Caller,
      accountId: string,
      region: string,
      opts: { n?: number; last?: string },
    ): Promise<readonly string[]> => catalog(deps, access, caller, accountId, region, opts),
  };
}

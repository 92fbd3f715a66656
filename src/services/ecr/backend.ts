/**
 * The ECR service behind the OCI registry: {@link createRegistryBackend} implements the
 * `RegistryBackend` contract (`registry.ts`) over the image, layer and upload services, and
 * resolves registry tokens to callers.
 *
 * Authentication of a registry request: HTTP Basic `AWS:<token>` → the token's signature and
 * expiry (`auth/tokens.ts`) → the access key it names, resolved again on every request without
 * SigV4 (there is no signature to check, only the key's life): an `AKIA…` key must exist, be
 * Active, and belong to an active account (and an existing user); an `ASIA…` session must exist,
 * not be expired, and its role or user must still exist. So a token stands for its caller's
 * identity and dies with it. Every failure is `ServiceError('Unauthenticated')` with one generic
 * sentence, except expiry (of the token or of the session it stands for), which says so in ECR's
 * words: "Your authorization token has expired. Reauthenticate and try again."
 *
 * Speed without changing any of that: a token's signature is verified once per `Authorization`
 * header ({@link VerifiedTokens}; expiry still on every request), and the backend's reads of the
 * metadata store (identity, policies, repository, image) are kept while the store's change stamp
 * holds (`readCache.ts`): any write drops them, so the next request sees it.
 */
import { PullThroughCache } from './pullThrough.js';
import type { Readable } from 'node:stream';
import { principalOf, type Caller, type CallerIdentity, type RequestInfo } from '../../auth/caller.js';
import { parseBasicAuth, verifyRegistryToken, type RegistryTokenClaims } from '../../auth/tokens.js';
import type { Account } from '../../store/meta/records.js';
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

/** ECR's sentence for an expired registry token. */
export const TOKEN_EXPIRED_MESSAGE = 'Your authorization token has expired. Reauthenticate and try again.';

const INVALID_TOKEN_MESSAGE =
  'The registry authorization token is missing or invalid. Authenticate and try again.';

function unauthenticated(expired = false): ServiceError {
  return new ServiceError('Unauthenticated', expired ? TOKEN_EXPIRED_MESSAGE : INVALID_TOKEN_MESSAGE);
}

/** A token got in one region, presented to a registry of another (ECR refuses it too). */
function otherRegion(tokenRegion: string, region: string): ServiceError {
  return new ServiceError(
    'Unauthenticated',
    `the authorization token was issued in region \`${tokenRegion}\`; get one in \`${region}\` for this registry`,
  );
}

/** The identity an access key id stands for right now, or why it stands for nothing. */
async function identityOf(
  deps: EcrDeps,
  accessKeyId: string,
  now: number,
): Promise<{ account: Account; identity: CallerIdentity } | 'expired' | undefined> {
  const store = deps.store;
  if (accessKeyId.startsWith('ASIA')) {
    const session = await store.sessions.get(accessKeyId);
    if (session === undefined) return undefined;
    if (session.expiresAt.getTime() <= now) return 'expired';
    const account = await store.accounts.get(session.accountId);
    if (account === undefined || account.status !== 'ACTIVE') return undefined;
    const p = session.principal;
    if (p.type === 'AssumedRole') {
      const role = await store.roles.getById(p.roleId);
      return role === undefined ? undefined : { account, identity: { kind: 'role-session', role, session } };
    }
    if (p.type === 'User') {
      const user = await store.users.getById(p.userId);
      return user === undefined ? undefined : { account, identity: { kind: 'user-session', user, session } };
    }
    return { account, identity: { kind: 'root-session', session } };
  }
  const key = await store.accessKeys.get(accessKeyId);
  if (key === undefined || key.status !== 'Active') return undefined;
  const account = await store.accounts.get(key.accountId);
  if (account === undefined || account.status !== 'ACTIVE') return undefined;
  if (key.userName === undefined) return { account, identity: { kind: 'root' } };
  const user = await store.users.get(key.accountId, key.userName);
  return user === undefined ? undefined : { account, identity: { kind: 'user', user } };
}

/** Verified tokens kept at most; past it, all are dropped and verified anew. */
const VERIFIED_TOKENS_MAX = 10_000;

/**
 * `Authorization` headers whose token verified (signature, shape), with its claims: a client
 * sends the same header on every request, and decoding and the HMAC then run once. Only what
 * cannot change is kept: expiry is checked on every request, and the access key is resolved
 * again every time (`identityOf`). Forged or malformed tokens are never kept.
 */
export class VerifiedTokens {
  private readonly claims = new Map<string, RegistryTokenClaims>();

  constructor(private readonly max = VERIFIED_TOKENS_MAX) {}

  /** The claims of a verified token, or why it is refused (as `verifyRegistryToken` says it). */
  verify(
    key: Uint8Array,
    authorization: string | undefined,
    now: number,
  ): RegistryTokenClaims | 'expired' | 'invalid' {
    const known = authorization === undefined ? undefined : this.claims.get(authorization);
    if (known !== undefined) return known.expiresAt <= now ? 'expired' : known;
    const basic = parseBasicAuth(authorization);
    if (basic === undefined || basic.user !== 'AWS') return 'invalid';
    const verified = verifyRegistryToken(key, basic.password, now);
    if (!verified.ok) return verified.problem === 'expired' ? 'expired' : 'invalid';
    if (this.claims.size >= this.max) this.claims.clear();
    this.claims.set(authorization!, verified.claims);
    return verified.claims;
  }
}

/**
 * Resolves `Authorization: Basic base64(AWS:<token>)` to the caller the token stands for; see the
 * module comment. Throws `ServiceError('Unauthenticated')` (the registry answers 401 + challenge).
 * `tokens` keeps verified tokens across calls (the backend passes its own).
 */
export async function authenticateRegistryToken(
  deps: EcrDeps,
  authorization: string | undefined,
  request: RequestInfo,
  tokens: VerifiedTokens = new VerifiedTokens(),
  scope: RegistryScope = { regionKnown: true },
): Promise<Caller> {
  const now = deps.clock.now();
  const verified = tokens.verify(deps.registryTokenKey, authorization, now);
  if (verified === 'invalid') throw unauthenticated();
  if (verified === 'expired') throw unauthenticated(true);
  if (scope.regionKnown && verified.region !== undefined && verified.region !== request.region)
    throw otherRegion(verified.region, request.region);
  const accessKeyId = verified.accessKeyId;
  const resolved = await identityOf(deps, accessKeyId, now);
  if (resolved === 'expired') throw unauthenticated(true);
  if (resolved === undefined) throw unauthenticated();
  return {
    principal: principalOf(resolved.account, resolved.identity),
    account: resolved.account,
    accessKeyId,
    identity: resolved.identity,
    request,
  };
}

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
  return {
    authenticate: (
      authorization: string | undefined,
      request: RequestInfo,
      scope?: RegistryScope,
    ): Promise<Caller> => authenticateRegistryToken(deps, authorization, request, tokens, scope),

    async getManifest(
      caller: Caller,
      repo: RepositoryRef,
      reference: string,
      _accept: readonly string[],
    ): Promise<StoredManifest> {
      await pullThrough.beforePull(caller, repo, reference);
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
      caller: Caller,
      repo: RepositoryRef,
      digest: DigestString,
    ): Promise<{ readonly size: number }> => layers.stat(caller, repo, digest),

    openBlob: (
      caller: Caller,
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
      caller: Caller,
      repo: RepositoryRef,
      opts: { n?: number; last?: string },
    ): Promise<readonly string[]> => images.listTags(caller, repo, opts),

    referrers: (
      caller: Caller,
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

/**
 * An in-memory {@link RegistryBackend} for the registry's own tests and real-client runs: Maps for
 * repositories, blobs, manifests, tags and uploads, fixed tokens, and switches to deny actions or
 * fail a call. It keeps the contract's error vocabulary (ECR codes, `AccessDeniedError` with the
 * IAM sentence) so that the HTTP layer can be proven without the ECR service, and so that the
 * service can later be checked against the same expectations. Not used by the server.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Caller, Requester, RequestInfo } from '../auth/caller.js';
import type { AuthzResult } from '../iam/index.js';
import type {
  BlobRange,
  DigestString,
  ReferrerDescriptor,
  RegistryBackend,
  RepositoryRef,
  StoredManifest,
  UploadState,
} from '../services/ecr/registry.js';
import { AccessDeniedError, ServiceError } from '../services/errors.js';

interface StoredImage extends StoredManifest {
  readonly subject?: string;
  readonly annotations?: Record<string, string>;
  readonly configMediaType?: string;
}

interface RepoState {
  readonly ref: RepositoryRef;
  readonly blobs: Map<string, Buffer>;
  readonly manifests: Map<string, StoredImage>;
  readonly tags: Map<string, string>;
  immutable: boolean;
}

interface Upload {
  readonly repoKey: string;
  chunks: Buffer[];
  size: number;
}

/** One backend call as the fake saw it, for assertions on what the HTTP layer passed. */
export interface FakeCall {
  readonly method: keyof RegistryBackend;
  readonly repo?: RepositoryRef;
  readonly args: readonly unknown[];
}

const DENIAL: AuthzResult = {
  decision: 'ImplicitDeny',
  crossAccount: false,
  denial: { by: 'identity', explicit: false },
  sides: { identity: 'none', resource: 'n/a', boundary: 'n/a', session: 'n/a', scp: 'n/a', rcp: 'n/a' },
  matched: [],
};

function keyOf(r: RepositoryRef): string {
  return `${r.accountId}|${r.region}|${r.name}`;
}

function digestOf(bytes: Buffer, alg: 'sha256' | 'sha512' = 'sha256'): string {
  return `${alg}:${createHash(alg).update(bytes).digest('hex')}`;
}

async function readAll(body: Readable | undefined): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function descriptors(v: unknown): { digest: string; mediaType?: string }[] {
  if (!Array.isArray(v)) return [];
  const out: { digest: string; mediaType?: string }[] = [];
  for (const d of v) {
    const r = record(d);
    if (r !== undefined && typeof r.digest === 'string') {
      out.push(
        typeof r.mediaType === 'string' ? { digest: r.digest, mediaType: r.mediaType } : { digest: r.digest },
      );
    }
  }
  return out;
}

/** An in-memory registry backend; see the module comment. */
export class FakeRegistryBackend implements RegistryBackend {
  readonly repos = new Map<string, RepoState>();
  readonly uploads = new Map<string, Upload>();
  readonly tokens = new Map<string, Caller>();
  /** Actions (`ecr:PutImage`) refused with AccessDeniedError; `*` refuses all. */
  readonly denied = new Set<string>();
  /** Every call after authentication, in order. */
  readonly calls: FakeCall[] = [];
  /** When set, the next backend call (after authentication) throws it. */
  failNext: Error | undefined;

  /** Registers a token standing for the root of `accountId` (or an IAM user of it). */
  addToken(token: string, accountId: string, userName?: string): void {
    const account = {
      id: accountId,
      name: `acct-${accountId}`,
      email: `${accountId}@example.com`,
      status: 'ACTIVE' as const,
      joinedMethod: 'CREATED' as const,
      joinedAt: new Date(0),
    };
    const arn =
      userName === undefined
        ? `arn:aws:iam::${accountId}:root`
        : `arn:aws:iam::${accountId}:user/${userName}`;
    const caller: Caller = {
      principal: {
        type: userName === undefined ? 'Account' : 'User',
        arn,
        account: accountId,
        principalArn: arn,
      },
      account,
      accessKeyId: 'AKIAFAKEFAKEFAKE0000',
      identity:
        userName === undefined
          ? { kind: 'root' }
          : {
              kind: 'user',
              user: {
                accountId,
                name: userName,
                path: '/',
                id: 'AIDAFAKE',
                createdAt: new Date(0),
                tags: [],
              },
            },
      request: { sourceIp: '127.0.0.1', secure: false, region: 'us-east-1' },
    };
    this.tokens.set(token, caller);
  }

  /** Creates an empty repository. */
  createRepository(ref: RepositoryRef, opts: { immutable?: boolean } = {}): void {
    this.repos.set(keyOf(ref), {
      ref,
      blobs: new Map(),
      manifests: new Map(),
      tags: new Map(),
      immutable: opts.immutable ?? false,
    });
  }

  /** Stores a blob directly (test setup). */
  seedBlob(ref: RepositoryRef, bytes: Buffer): string {
    const d = digestOf(bytes);
    this.repo(ref).blobs.set(d, bytes);
    return d;
  }

  /** The state of a repository (assertions). */
  repo(ref: RepositoryRef): RepoState {
    const r = this.repos.get(keyOf(ref));
    if (r === undefined) {
      throw new ServiceError(
        'RepositoryNotFoundException',
        `The repository with name '${ref.name}' does not exist in the registry with id '${ref.accountId}'`,
      );
    }
    return r;
  }

  private enter(
    method: keyof RegistryBackend,
    caller: Caller,
    repo: RepositoryRef | undefined,
    args: unknown[],
  ) {
    this.calls.push(repo === undefined ? { method, args } : { method, repo, args });
    const f = this.failNext;
    if (f !== undefined) {
      this.failNext = undefined;
      throw f;
    }
    void caller;
  }

  private authorize(caller: Caller, action: string, repo: RepositoryRef): RepoState {
    if (this.denied.has('*') || this.denied.has(action)) {
      const resource = `arn:aws:ecr:${repo.region}:${repo.accountId}:repository/${repo.name}`;
      throw new AccessDeniedError(
        DENIAL,
        `User: ${caller.principal.arn} is not authorized to perform: ${action} on resource: ${resource} ` +
          `because no resource-based policy allows the ${action} action`,
      );
    }
    return this.repo(repo);
  }

  async authenticate(authorization: string | undefined, request: RequestInfo): Promise<Caller> {
    const m = authorization === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization);
    const decoded = m === null ? '' : Buffer.from(m[1]!, 'base64').toString('utf8');
    const token = decoded.startsWith('AWS:') ? decoded.slice(4) : undefined;
    const caller = token === undefined ? undefined : this.tokens.get(token);
    if (caller === undefined) throw new ServiceError('Unauthenticated', 'no valid registry token');
    return { ...caller, request };
  }

  /** Aliases of public registries → accounts ({@link publicRegistry}). */
  readonly publicAliases = new Map<string, string>();

  async authenticatePublic(authorization: string | undefined, request: RequestInfo): Promise<Requester> {
    if (authorization === undefined) return { anonymous: true, request };
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (bearer?.[1] === 'anonymous') return { anonymous: true, request };
    return this.authenticate(bearer === null ? authorization : `Basic ${bearer[1]}`, request);
  }

  async publicToken(
    authorization: string | undefined,
    request: RequestInfo,
  ): Promise<{ readonly token: string; readonly issuedAt: Date; readonly expiresInSeconds: number }> {
    if (authorization !== undefined) await this.authenticate(authorization, request);
    const token = authorization === undefined ? 'anonymous' : /^Basic\s+(\S+)$/i.exec(authorization)![1]!;
    return { token, issuedAt: new Date(0), expiresInSeconds: 3600 };
  }

  async publicRegistry(alias: string): Promise<string | undefined> {
    return this.publicAliases.get(alias);
  }

  async getManifest(
    caller: Caller,
    repo: RepositoryRef,
    reference: string,
    accept: readonly string[],
  ): Promise<StoredManifest> {
    this.enter('getManifest', caller, repo, [reference, accept]);
    const r = this.authorize(caller, 'ecr:BatchGetImage', repo);
    const digest = reference.includes(':') ? reference : r.tags.get(reference);
    const m = digest === undefined ? undefined : r.manifests.get(digest);
    if (m === undefined) throw new ServiceError('ImageNotFoundException', `image ${reference} not found`);
    return m;
  }

  async putManifest(
    caller: Caller,
    repo: RepositoryRef,
    reference: string,
    mediaType: string,
    bytes: Buffer,
  ): Promise<{ readonly digest: DigestString; readonly subject?: DigestString }> {
    this.enter('putManifest', caller, repo, [reference, mediaType, bytes.length]);
    const r = this.authorize(caller, 'ecr:PutImage', repo);
    let doc: Record<string, unknown> | undefined;
    try {
      doc = record(JSON.parse(bytes.toString('utf8')));
    } catch {
      doc = undefined;
    }
    if (doc === undefined || doc.schemaVersion !== 2) {
      throw new ServiceError(
        'InvalidParameterException',
        "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
      );
    }
    const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
    const type = mediaType !== '' ? mediaType : declared;
    if (type === undefined || (declared !== undefined && declared !== type)) {
      throw new ServiceError('InvalidParameterException', 'manifest media type does not match Content-Type');
    }
    const isIndex = type.endsWith('index.v1+json') || type.endsWith('manifest.list.v2+json');
    if (isIndex) {
      for (const d of descriptors(doc.manifests)) {
        if (!r.manifests.has(d.digest)) {
          throw new ServiceError('ReferencedImagesNotFoundException', `manifest ${d.digest} not found`);
        }
      }
    } else {
      const config = record(doc.config);
      const blobs = [...(config !== undefined ? descriptors([config]) : []), ...descriptors(doc.layers)];
      for (const d of blobs) {
        if (!r.blobs.has(d.digest))
          throw new ServiceError('LayersNotFoundException', `layer ${d.digest} not found`);
      }
    }
    const digest = digestOf(bytes);
    if (reference.includes(':') && reference !== digest) {
      throw new ServiceError('ImageDigestDoesNotMatchException', 'digest does not match');
    }
    if (!reference.includes(':')) {
      const old = r.tags.get(reference);
      if (old === digest) throw new ServiceError('ImageAlreadyExistsException', 'image already exists');
      if (old !== undefined && r.immutable) {
        throw new ServiceError(
          'ImageTagAlreadyExistsException',
          `The image tag '${reference}' already exists in the '${repo.name}' repository and cannot be overwritten because the repository is immutable.`,
        );
      }
    }
    const subject = record(doc.subject);
    const subjectDigest = typeof subject?.digest === 'string' ? subject.digest : undefined;
    const config = record(doc.config);
    const annotations = record(doc.annotations) as Record<string, string> | undefined;
    const stored: StoredImage = {
      digest,
      mediaType: type,
      bytes,
      ...(typeof doc.artifactType === 'string' && { artifactType: doc.artifactType }),
      ...(subjectDigest !== undefined && { subject: subjectDigest }),
      ...(annotations !== undefined && { annotations }),
      ...(typeof config?.mediaType === 'string' && { configMediaType: config.mediaType }),
    };
    r.manifests.set(digest, stored);
    if (!reference.includes(':')) r.tags.set(reference, digest);
    return subjectDigest === undefined ? { digest } : { digest, subject: subjectDigest };
  }

  async deleteManifest(caller: Caller, repo: RepositoryRef, reference: string): Promise<void> {
    this.enter('deleteManifest', caller, repo, [reference]);
    const r = this.authorize(caller, 'ecr:BatchDeleteImage', repo);
    if (reference.includes(':')) {
      if (!r.manifests.delete(reference)) throw new ServiceError('ImageNotFoundException', 'not found');
      for (const [t, d] of r.tags) if (d === reference) r.tags.delete(t);
    } else if (!r.tags.delete(reference)) {
      throw new ServiceError('ImageNotFoundException', 'not found');
    }
  }

  async statBlob(
    caller: Caller,
    repo: RepositoryRef,
    digest: DigestString,
  ): Promise<{ readonly size: number }> {
    this.enter('statBlob', caller, repo, [digest]);
    const b = this.authorize(caller, 'ecr:BatchCheckLayerAvailability', repo).blobs.get(digest);
    if (b === undefined) throw new ServiceError('LayersNotFoundException', `layer ${digest} not found`);
    return { size: b.length };
  }

  async openBlob(
    caller: Caller,
    repo: RepositoryRef,
    digest: DigestString,
    range?: BlobRange,
  ): Promise<{ readonly size: number; readonly body: Readable }> {
    this.enter('openBlob', caller, repo, [digest, range]);
    const b = this.authorize(caller, 'ecr:GetDownloadUrlForLayer', repo).blobs.get(digest);
    if (b === undefined) throw new ServiceError('LayersNotFoundException', `layer ${digest} not found`);
    if (range === undefined) return { size: b.length, body: Readable.from([b]) };
    if (range.start > range.end || range.end >= b.length) {
      throw Object.assign(new Error('range not satisfiable'), { code: 'RangeInvalid', size: b.length });
    }
    return { size: b.length, body: Readable.from([b.subarray(range.start, range.end + 1)]) };
  }

  /** Presigned GETs: the fake takes the signature `valid` (and nothing else) as a good one. */
  async openPresignedBlob(
    repo: RepositoryRef,
    digest: DigestString,
    query: URLSearchParams,
  ): Promise<{ readonly size: number; readonly body: Readable }> {
    if (query.get('X-Crossdock-Signature') !== 'valid') {
      throw new ServiceError('AccessDenied', 'the presigned layer url does not match its signature');
    }
    const b = this.repo(repo).blobs.get(digest);
    if (b === undefined) throw new ServiceError('LayersNotFoundException', `layer ${digest} not found`);
    return { size: b.length, body: Readable.from([b]) };
  }

  async startUpload(caller: Caller, repo: RepositoryRef): Promise<UploadState> {
    this.enter('startUpload', caller, repo, []);
    this.authorize(caller, 'ecr:InitiateLayerUpload', repo);
    const uploadId = randomUUID();
    this.uploads.set(uploadId, { repoKey: keyOf(repo), chunks: [], size: 0 });
    return { uploadId, size: 0 };
  }

  async mountBlob(
    caller: Caller,
    repo: RepositoryRef,
    digest: DigestString,
    from: RepositoryRef,
  ): Promise<{ readonly size: number } | undefined> {
    this.enter('mountBlob', caller, repo, [digest, from]);
    const source = this.authorize(caller, 'ecr:GetDownloadUrlForLayer', from);
    const target = this.authorize(caller, 'ecr:InitiateLayerUpload', repo);
    const b = source.blobs.get(digest);
    if (b === undefined) return undefined;
    target.blobs.set(digest, b);
    return { size: b.length };
  }

  async putBlob(
    caller: Caller,
    repo: RepositoryRef,
    digest: DigestString,
    body: Readable,
    size?: number,
  ): Promise<{ readonly size: number }> {
    this.enter('putBlob', caller, repo, [digest, size]);
    const r = this.authorize(caller, 'ecr:InitiateLayerUpload', repo);
    this.authorize(caller, 'ecr:CompleteLayerUpload', repo);
    const bytes = await readAll(body);
    if (size !== undefined && bytes.length !== size)
      throw new ServiceError('InvalidLayerException', 'size mismatch');
    if (digestOf(bytes, digest.startsWith('sha512:') ? 'sha512' : 'sha256') !== digest) {
      throw new ServiceError('InvalidLayerException', 'digest mismatch');
    }
    r.blobs.set(digest, bytes);
    return { size: bytes.length };
  }

  private upload(repo: RepositoryRef, uploadId: string): Upload {
    const u = this.uploads.get(uploadId);
    if (u === undefined || u.repoKey !== keyOf(repo)) {
      throw new ServiceError('UploadNotFoundException', `upload ${uploadId} not found`);
    }
    return u;
  }

  async appendUpload(
    caller: Caller,
    repo: RepositoryRef,
    uploadId: string,
    body: Readable,
    offset?: number,
  ): Promise<UploadState> {
    this.enter('appendUpload', caller, repo, [uploadId, offset]);
    this.authorize(caller, 'ecr:UploadLayerPart', repo);
    const u = this.upload(repo, uploadId);
    if (offset !== undefined && offset !== u.size) {
      throw new ServiceError('InvalidLayerPartException', 'chunk out of order', {
        lastValidByteReceived: String(u.size - 1),
      });
    }
    const bytes = await readAll(body);
    u.chunks.push(bytes);
    u.size += bytes.length;
    return { uploadId, size: u.size };
  }

  async uploadStatus(caller: Caller, repo: RepositoryRef, uploadId: string): Promise<UploadState> {
    this.enter('uploadStatus', caller, repo, [uploadId]);
    this.authorize(caller, 'ecr:UploadLayerPart', repo);
    return { uploadId, size: this.upload(repo, uploadId).size };
  }

  async completeUpload(
    caller: Caller,
    repo: RepositoryRef,
    uploadId: string,
    digest: DigestString,
    body?: Readable,
  ): Promise<{ readonly size: number }> {
    this.enter('completeUpload', caller, repo, [uploadId, digest, body !== undefined]);
    const r = this.authorize(caller, 'ecr:CompleteLayerUpload', repo);
    const u = this.upload(repo, uploadId);
    const last = await readAll(body);
    const bytes = Buffer.concat([...u.chunks, last]);
    if (digestOf(bytes, digest.startsWith('sha512:') ? 'sha512' : 'sha256') !== digest) {
      u.chunks = [bytes];
      u.size = bytes.length;
      throw new ServiceError('InvalidLayerException', 'digest mismatch');
    }
    this.uploads.delete(uploadId);
    r.blobs.set(digest, bytes);
    return { size: bytes.length };
  }

  async cancelUpload(caller: Caller, repo: RepositoryRef, uploadId: string): Promise<void> {
    this.enter('cancelUpload', caller, repo, [uploadId]);
    this.authorize(caller, 'ecr:UploadLayerPart', repo);
    this.upload(repo, uploadId);
    this.uploads.delete(uploadId);
  }

  async listTags(
    caller: Caller,
    repo: RepositoryRef,
    opts: { n?: number; last?: string },
  ): Promise<readonly string[]> {
    this.enter('listTags', caller, repo, [opts]);
    const r = this.authorize(caller, 'ecr:ListImages', repo);
    const tags = [...r.tags.keys()].sort().filter((t) => opts.last === undefined || t > opts.last);
    return opts.n === undefined ? tags : tags.slice(0, opts.n);
  }

  async referrers(
    caller: Caller,
    repo: RepositoryRef,
    digest: DigestString,
    artifactType?: string,
  ): Promise<readonly ReferrerDescriptor[]> {
    this.enter('referrers', caller, repo, [digest, artifactType]);
    const r = this.authorize(caller, 'ecr:BatchGetImage', repo);
    const out: ReferrerDescriptor[] = [];
    for (const m of r.manifests.values()) {
      if (m.subject !== digest) continue;
      const type = m.artifactType ?? m.configMediaType;
      if (artifactType !== undefined && type !== artifactType) continue;
      out.push({
        mediaType: m.mediaType,
        digest: m.digest,
        size: m.bytes.length,
        ...(type !== undefined && { artifactType: type }),
        ...(m.annotations !== undefined && { annotations: m.annotations }),
      });
    }
    return out.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  }

  async catalog(
    caller: Caller,
    accountId: string,
    region: string,
    opts: { n?: number; last?: string },
  ): Promise<readonly string[]> {
    this.enter('catalog', caller, undefined, [accountId, region, opts]);
    if (this.denied.has('*') || this.denied.has('ecr:DescribeRepositories')) {
      throw new AccessDeniedError(
        DENIAL,
        `User: ${caller.principal.arn} is not authorized to perform: ecr:DescribeRepositories`,
      );
    }
    const names = [...this.repos.values()]
      .filter((r) => r.ref.accountId === accountId && r.ref.region === region)
      .map((r) => r.ref.name)
      .sort()
      .filter((n) => opts.last === undefined || n > opts.last);
    return opts.n === undefined ? names : names.slice(0, opts.n);
  }
}

/**
 * Amazon ECR as the upstream of a pull-through cache rule (ECR to ECR): `upstreamRegistry` `ecr`,
 * `upstreamRegistryUrl` `<accountId>.dkr.ecr.<region>.amazonaws.com`. In crossdock that upstream is
 * a registry of this same server (another account, another region, or both), so the import reads
 * it in process, never over HTTP.
 *
 * Who reads. With `customRoleArn` (a role of the cache registry's own account), ECR assumes that
 * role as the service principal `pullthroughcache.ecr.amazonaws.com`: the role's trust policy must
 * allow that principal `sts:AssumeRole`, or nothing is read (UnableToGetUpstreamImageException,
 * which the registry answers as MANIFEST_UNKNOWN with the reason). The session (named
 * {@link PULL_THROUGH_SESSION_NAME}, one hour, never stored, no credentials handed out) then does
 * what a registry pull by that session would: `ecr:GetAuthorizationToken` on `*`, then
 * `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer` on the upstream repository, each through
 * the one door with the role's identity policies and boundary and the upstream repository's and
 * registry's policies (across accounts both sides must allow, as AWS's documentation has the
 * upstream owner grant the cache account). A denial, or an image the upstream does not have, is
 * what ECR answers the puller: ImageNotFoundException, `manifest unknown: Requested image not
 * found` on the registry.
 *
 * Without `customRoleArn` ECR uses its service-linked role `AWSServiceRoleForECRPullThroughCache`,
 * whose policy allows the pull actions on `*`; crossdock decides such a read as the cache account's
 * root (its identity side allows as that role's does, so the upstream's resource policies decide
 * across accounts). Like replication's stand-in, that principal is subject to the account's SCPs,
 * which a service-linked role is not: a documented deviation.
 *
 * Blobs are content-addressed and shared by every registry of the server, so importing a layer is
 * linking bytes the upstream repository already links; nothing is copied.
 */
import { principalOf, roleArn, type Caller } from '../../auth/caller.js';
import { hashSessionToken } from '../../auth/credentials.js';
import { parseDigest } from '../../store/blobs/BlobStore.js';
import type { PullThroughCacheRule, RepositoryRef, Role, StsSession } from '../../store/meta/records.js';
import { AccessDeniedError, ServiceError } from '../errors.js';
import { RepositoryAccess } from './access.js';
import type { EcrDeps } from './deps.js';
import type { ImageService } from './images.js';

/** The service principal that assumes a pull-through cache rule's `customRoleArn`. */
export const PULL_THROUGH_SERVICE = 'pullthroughcache.ecr.amazonaws.com';

/** The role session name of crossdock's upstream reads (the name AWS uses is not documented). */
export const PULL_THROUGH_SESSION_NAME = 'ecr-pullthroughcache';

/** How long an upstream-reading session lives (AssumeRole's default). */
const SESSION_MS = 3600_000;

const ECR_REGISTRY_HOST = /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com$/;
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/|\/[\u0021-\u007E]*\/)([\w+=,.@-]{1,64})$/;

/** The registry an Amazon ECR upstream URL names. */
export interface EcrRegistryRef {
  readonly accountId: string;
  readonly region: string;
}

/**
 * The account and region of an Amazon ECR registry URL (`<accountId>.dkr.ecr.<region>.amazonaws.com`,
 * with or without `https://`), or `undefined` when the URL names another kind of registry.
 */
export function ecrRegistryOf(url: string): EcrRegistryRef | undefined {
  const host = url
    .replace(/^https?:\/\//i, '')
    .replace(/\/+$/, '')
    .toLowerCase();
  const m = ECR_REGISTRY_HOST.exec(host);
  return m === null ? undefined : { accountId: m[1]!, region: m[2]! };
}

/** The account, path and name of a role ARN, or `undefined` when the text is not one. */
export function parseRoleArn(arn: string): { accountId: string; path: string; name: string } | undefined {
  const m = ROLE_ARN.exec(arn);
  return m === null ? undefined : { accountId: m[1]!, path: m[2]!, name: m[3]! };
}

/** An upstream that could not be read at all (the role, the login): MANIFEST_UNKNOWN with the reason. */
function unableToGet(message: string): ServiceError {
  return new ServiceError('UnableToGetUpstreamImageException', message);
}

/** What the puller is told when the upstream denies the read or lacks the image (ECR: image not found). */
function notFoundUpstream(upstream: RepositoryRef, reference: string, why: string): ServiceError {
  return new ServiceError(
    'ImageNotFoundException',
    `The image '${upstream.name}:${reference}' was not found in the upstream registry '${upstream.accountId}' (${upstream.region}): ${why}`,
  );
}

/** The role an ARN names, its path and name matched exactly as AWS does. */
async function findRole(deps: EcrDeps, arn: string): Promise<Role | undefined> {
  const ref = parseRoleArn(arn);
  if (ref === undefined) return undefined;
  const role = await deps.store.roles.get(ref.accountId, ref.name);
  return role !== undefined && role.name === ref.name && role.path === ref.path ? role : undefined;
}

/**
 * The principal ECR reads the upstream as, for a rule of the cache registry `cache`: a session of
 * the rule's role assumed by {@link PULL_THROUGH_SERVICE}, or the service-linked role's stand-in
 * (see the module comment). Its requests go to the upstream's region. Throws
 * UnableToGetUpstreamImageException when the role is missing or does not trust the service.
 */
export async function upstreamReader(
  deps: EcrDeps,
  rule: PullThroughCacheRule,
  cache: EcrRegistryRef,
  upstream: EcrRegistryRef,
): Promise<Caller> {
  const request = { sourceIp: '', secure: true, region: upstream.region };
  const cacheAccount = await deps.store.accounts.get(cache.accountId);
  if (cacheAccount === undefined) throw unableToGet(`the account '${cache.accountId}' no longer exists`);
  if (rule.customRoleArn === undefined) {
    return {
      principal: principalOf(cacheAccount, { kind: 'root' }),
      account: cacheAccount,
      accessKeyId: '',
      identity: { kind: 'root' },
      request,
    };
  }
  const arn = rule.customRoleArn;
  const role = await findRole(deps, arn);
  if (role === undefined)
    throw unableToGet(`Amazon ECR cannot assume the role ${arn}: the role does not exist`);
  const account = (await deps.store.accounts.get(role.accountId)) ?? cacheAccount;
  const trust = await deps.authz.check({
    caller: {
      principal: { type: 'Service', arn: PULL_THROUGH_SERVICE },
      account,
      accessKeyId: '',
      identity: { kind: 'root' },
      request,
    },
    action: 'sts:AssumeRole',
    resource: roleArn(role),
    resourceAccount: role.accountId,
    resourceTags: Object.fromEntries(role.tags.map((t) => [t.key, t.value])),
    resourcePolicies: [
      {
        id: 'trust-policy',
        text: role.assumeRolePolicyDocument,
        kind: 'trust',
        ...(role.trustPrincipals !== undefined && { principals: role.trustPrincipals }),
      },
    ],
    resourcePolicyRequired: true,
    context: { 'sts:RoleSessionName': PULL_THROUGH_SESSION_NAME, 'aws:SourceAccount': cache.accountId },
  });
  if (trust.decision !== 'Allow') {
    throw unableToGet(
      `Amazon ECR cannot assume the role ${arn}: its trust policy does not allow ${PULL_THROUGH_SERVICE} to perform sts:AssumeRole`,
    );
  }
  const now = Math.floor(deps.clock.now() / 1000) * 1000;
  const accessKeyId = deps.ids.iam('ASIA');
  // Held in memory for this import only: the secret is sealed and the token hashed as STS stores
  // them, but neither is ever stored or handed to anyone.
  const session: StsSession = {
    accessKeyId,
    secret: deps.box.seal(deps.ids.secretAccessKey(), accessKeyId),
    sessionTokenHash: hashSessionToken(deps.ids.sessionToken()),
    accountId: role.accountId,
    principal: {
      type: 'AssumedRole',
      roleId: role.id,
      roleName: role.name,
      sessionName: PULL_THROUGH_SESSION_NAME,
    },
    issuedAt: new Date(now),
    expiresAt: new Date(now + SESSION_MS),
    sessionPolicyArns: [],
    tags: [],
    transitiveTagKeys: [],
    chained: false,
  };
  const identity = { kind: 'role-session' as const, role, session };
  return { principal: principalOf(account, identity), account, accessKeyId, identity, request };
}

/**
 * Reads an Amazon ECR upstream of this server as a registry client of it would, authorized at
 * every step (see the module comment). One per import.
 */
export class EcrUpstream {
  private readonly access: RepositoryAccess;
  /** Upstream repositories whose layers this reader may download (checked once each). */
  private readonly layersAllowed = new Set<string>();

  private constructor(
    private readonly deps: EcrDeps,
    private readonly images: ImageService,
    readonly registry: EcrRegistryRef,
    readonly caller: Caller,
  ) {
    this.access = new RepositoryAccess(deps);
  }

  /**
   * Takes the rule's identity (assuming its role) and logs in to the upstream's region
   * (`ecr:GetAuthorizationToken`). Throws UnableToGetUpstreamImageException, with the reason.
   */
  static async open(
    deps: EcrDeps,
    images: ImageService,
    rule: PullThroughCacheRule,
    cache: EcrRegistryRef,
  ): Promise<EcrUpstream> {
    const registry = ecrRegistryOf(rule.upstreamRegistryUrl);
    if (registry === undefined)
      throw unableToGet(`\`${rule.upstreamRegistryUrl}\` is not an Amazon ECR registry`);
    const caller = await upstreamReader(deps, rule, cache, registry);
    try {
      await deps.authz.authorize({ caller, action: 'ecr:GetAuthorizationToken', resource: '*' });
    } catch (err) {
      if (err instanceof AccessDeniedError) throw unableToGet(err.message);
      throw err;
    }
    return new EcrUpstream(deps, images, registry, caller);
  }

  private ref(repository: string): RepositoryRef {
    return { accountId: this.registry.accountId, region: this.registry.region, name: repository };
  }

  /** Authorizes one pull action on an upstream repository; a refusal is "not found" for the puller. */
  private async allow(action: string, ref: RepositoryRef, reference: string): Promise<void> {
    try {
      await this.access.authorize(this.caller, action, ref);
    } catch (err) {
      if (err instanceof AccessDeniedError) throw notFoundUpstream(ref, reference, err.message);
      if (err instanceof ServiceError && err.code === 'RepositoryNotFoundException')
        throw notFoundUpstream(ref, reference, err.message);
      throw err;
    }
  }

  /** The manifest a tag or digest names upstream (`ecr:BatchGetImage`), exactly as stored there. */
  async manifest(repository: string, reference: string): Promise<{ bytes: Buffer; mediaType: string }> {
    const ref = this.ref(repository);
    await this.allow('ecr:BatchGetImage', ref, reference);
    const image = await this.images.find(ref, reference);
    if (image === undefined) throw notFoundUpstream(ref, reference, 'Requested image not found');
    await this.images.recordPull(ref, image);
    const m = image.manifest;
    return { bytes: Buffer.from(m.buffer, m.byteOffset, m.byteLength), mediaType: image.mediaType };
  }

  /** The digest a tag names upstream now, or `undefined` when it cannot be read. */
  async head(repository: string, reference: string): Promise<string | undefined> {
    const ref = this.ref(repository);
    try {
      await this.allow('ecr:BatchGetImage', ref, reference);
      return (await this.images.find(ref, reference))?.digest;
    } catch {
      return undefined;
    }
  }

  /**
   * The size of a layer of the upstream repository (`ecr:GetDownloadUrlForLayer`), whose bytes are
   * then in the shared blob store; ImageNotFoundException when the upstream does not have it.
   */
  async layer(repository: string, digest: string, reference: string): Promise<number> {
    const ref = this.ref(repository);
    if (!this.layersAllowed.has(repository)) {
      await this.allow('ecr:GetDownloadUrlForLayer', ref, reference);
      this.layersAllowed.add(repository);
    }
    const d = parseDigest(digest);
    const link = await this.deps.store.blobs.get(ref, d);
    const info = link === undefined ? undefined : await this.deps.blobs.store.stat(d);
    if (info === undefined)
      throw notFoundUpstream(ref, reference, `the layer ${digest} is not in the upstream repository`);
    return info.size;
  }
}

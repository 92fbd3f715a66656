/**
 * Pull-through cache: the rules (Create/Describe/Update/Delete/ValidatePullThroughCacheRule) and
 * the import a registry pull sets off.
 *
 * A rule maps the repositories under `ecrRepositoryPrefix/` (every repository for `ROOT`) to an
 * upstream registry: `<prefix>/<path>` is `<upstreamRepositoryPrefix>/<path>` upstream (or just
 * `<path>`). When a manifest pull of such a repository misses — no repository yet, or no image of
 * that tag or digest — ECR brings the image in: the caller needs, besides the pull permissions it
 * always needs, `ecr:BatchImportUpstreamImage` on the repository and, when it must be created,
 * `ecr:CreateRepository` (a PULL_THROUGH_CACHE creation template shapes it). The import takes the
 * manifest, for an index every child manifest, and every blob, verified by digest while they
 * stream into the blob store, linked, and then the manifests, children first, in the same
 * transactions a push uses: nothing of an image becomes visible before all of it is there. Later
 * pulls are served from the cache; a tag is checked upstream again once its refresh interval
 * (24 hours, as ECR) has passed since it was last checked, and moves when upstream moved it.
 *
 * Upstreams are reached anonymously (with the Bearer token flow where the registry asks for it),
 * except an Amazon ECR upstream (`<accountId>.dkr.ecr.<region>.amazonaws.com`, ECR to ECR): that is
 * a registry of this same server, read in process as the rule's `customRoleArn` assumed by
 * `pullthroughcache.ecr.amazonaws.com`, every read authorized by IAM (`pullThroughEcr.ts`).
 * Creating or updating a rule with `customRoleArn` needs `iam:PassRole` on the role, which must be
 * in the rule's own account.
 *
 * Upstream credentials (`credentialArn`): a Secrets Manager secret of the rule's own account and
 * region whose name starts with `ecr-pullthroughcache/`, holding `{"username", "accessToken"}`
 * (`services/secretsManager`). ECR reads it with its service-linked role, whose policy allows
 * `secretsmanager:GetSecretValue` on `ecr-pullthroughcache/*` secrets of its account; crossdock
 * decides that read with the one door as the cache account's root (the stand-in `pullThroughEcr.ts`
 * documents). Create and Update check the secret is there and readable (SecretNotFoundException,
 * UnableToAccessSecretException, UnableToDecryptSecretValueException); every import reads it
 * again, so a rotated token (PutSecretValue) is used by the next pull, and a secret deleted or
 * scheduled for deletion stops imports (UnableToAccessSecretException, `manifest unknown` with the
 * reason on the registry). The upstream gets them as Basic credentials, or with its Bearer token
 * flow (`oci/client.ts`); credentials it refuses fail the import (UnableToGetUpstreamImageException).
 * Secret values never appear in a message.
 */
import type { Readable } from 'node:stream';
import { principalOf, type Caller } from '../../auth/caller.js';
import { RegistryClient, RegistryError, type Credentials } from '../../oci/index.js';
import { parseDigest, type Digest } from '../../store/blobs/BlobStore.js';
import { StoreError } from '../../store/meta/errors.js';
import type { PullThroughCacheRule, RepositoryRef } from '../../store/meta/records.js';
import { AccessDeniedError, ServiceError } from '../errors.js';
import { parseSecretArn, readSecretAsService } from '../secretsManager/service.js';
import { RepositoryAccess } from './access.js';
import type { EcrDeps } from './deps.js';
import { ecrErrors as E } from './errors.js';
import { holdBlob } from './gc.js';
import { ImageService } from './images.js';
import { fromBlobError, type LayerService } from './layers.js';
import { parseManifest } from './manifests.js';
import { ecrRegistryOf, EcrUpstream, parseRoleArn, PULL_THROUGH_SERVICE } from './pullThroughEcr.js';
import type { EcrContext } from './service.js';
import { repositoryFromTemplate, templateFor } from './templates.js';
import { checkRegistryId, decodeToken, encodeToken } from './validate.js';

/** How long a cached tag is served before upstream is asked again (ECR: once in 24 hours). */
export const PULL_THROUGH_REFRESH_MS = 24 * 3600_000;
/** ECR's quota of pull-through cache rules per registry. */
const MAX_RULES = 50;
const PREFIX = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** The inputs of the rule operations, member names as in the ECR API. */
export interface PullThroughInputs {
  CreatePullThroughCacheRule: {
    ecrRepositoryPrefix: string;
    upstreamRegistryUrl: string;
    registryId?: string;
    upstreamRegistry?: string;
    credentialArn?: string;
    customRoleArn?: string;
    upstreamRepositoryPrefix?: string;
  };
  DescribePullThroughCacheRules: {
    registryId?: string;
    ecrRepositoryPrefixes?: string[];
    nextToken?: string;
    maxResults?: number;
  };
  UpdatePullThroughCacheRule: {
    ecrRepositoryPrefix: string;
    registryId?: string;
    credentialArn?: string;
    customRoleArn?: string;
  };
  DeletePullThroughCacheRule: { ecrRepositoryPrefix: string; registryId?: string };
  ValidatePullThroughCacheRule: { ecrRepositoryPrefix: string; registryId?: string };
}

/** The answers of the rule operations. */
export interface PullThroughOutputs {
  CreatePullThroughCacheRule: RuleOut;
  DescribePullThroughCacheRules: { pullThroughCacheRules: RuleOut[]; nextToken?: string };
  UpdatePullThroughCacheRule: {
    ecrRepositoryPrefix: string;
    registryId: string;
    updatedAt: Date;
    credentialArn?: string;
    customRoleArn?: string;
    upstreamRepositoryPrefix?: string;
  };
  DeletePullThroughCacheRule: RuleOut;
  ValidatePullThroughCacheRule: RuleOut & { isValid: boolean; failure?: string };
}

/** A rule as the API answers it. */
export interface RuleOut {
  ecrRepositoryPrefix: string;
  upstreamRegistryUrl: string;
  createdAt: Date;
  registryId: string;
  upstreamRegistry?: string;
  credentialArn?: string;
  customRoleArn?: string;
  upstreamRepositoryPrefix?: string;
  updatedAt?: Date;
}

function ruleOut(registryId: string, r: PullThroughCacheRule): RuleOut {
  return {
    ecrRepositoryPrefix: r.prefix,
    upstreamRegistryUrl: r.upstreamRegistryUrl,
    createdAt: r.createdAt,
    registryId,
    ...(r.upstreamRegistry !== undefined && { upstreamRegistry: r.upstreamRegistry }),
    ...(r.credentialArn !== undefined && { credentialArn: r.credentialArn }),
    ...(r.customRoleArn !== undefined && { customRoleArn: r.customRoleArn }),
    ...(r.upstreamRepositoryPrefix !== undefined && { upstreamRepositoryPrefix: r.upstreamRepositoryPrefix }),
    ...(r.updatedAt !== undefined && { updatedAt: r.updatedAt }),
  };
}

function checkPrefix(value: string, member: string): void {
  const ok = value === 'ROOT' || (value.length >= 2 && value.length <= 30 && PREFIX.test(value));
  if (!ok) {
    throw E.invalidParameter(
      member,
      'must be ROOT or 2 to 30 characters of lowercase letters, digits and . _ - / separators',
    );
  }
}

function checkUpstreamUrl(url: string): void {
  const ok =
    /^(?:https?:\/\/)?[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._/-]*)?$/.test(url) && url.length <= 512;
  if (!ok) throw E.invalidParameter('upstreamRegistryUrl', 'Invalid upstream registry URL');
}

/**
 * The checks of an upstream's naming: `upstreamRegistry` `ecr` takes an Amazon ECR registry URL
 * (`<accountId>.dkr.ecr.<region>.amazonaws.com`).
 */
function checkUpstream(url: string, upstreamRegistry: string | undefined): void {
  checkUpstreamUrl(url);
  if (upstreamRegistry === 'ecr' && ecrRegistryOf(url) === undefined) {
    throw E.invalidParameter(
      'upstreamRegistryUrl',
      'an Amazon ECR upstream registry URL must be <accountId>.dkr.ecr.<region>.amazonaws.com',
    );
  }
}

/**
 * A rule's `customRoleArn`: a role of the registry's own account (ECR's rule), which the caller
 * must be allowed to pass to the pull-through cache service (`iam:PassRole`, as for any role a
 * service is given).
 */
async function checkCustomRole(ctx: EcrContext, caller: Caller, arn: string): Promise<void> {
  const ref = parseRoleArn(arn);
  if (ref === undefined || arn.length > 2048)
    throw E.invalidParameter('customRoleArn', 'must be the ARN of an IAM role');
  if (ref.accountId !== caller.account.id) {
    throw E.invalidParameter(
      'customRoleArn',
      `the role must be in the same account as the registry (${caller.account.id})`,
    );
  }
  const role = await ctx.deps.store.roles.get(ref.accountId, ref.name);
  await ctx.deps.authz.authorize({
    caller,
    action: 'iam:PassRole',
    resource: arn,
    resourceAccount: ref.accountId,
    ...(role !== undefined &&
      role.tags.length > 0 && { resourceTags: Object.fromEntries(role.tags.map((t) => [t.key, t.value])) }),
    context: { 'iam:PassedToService': PULL_THROUGH_SERVICE },
  });
}

/** The form of `credentialArn` (ECR's model: 50 to 612 characters). */
const CREDENTIAL_ARN =
  /^arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr-pullthroughcache\/[a-zA-Z0-9/_+=.@-]+$/;

/**
 * The upstream credentials a rule's `credentialArn` names, read now as ECR's service-linked role
 * (the cache account's root stands in; see the module comment). Throws SecretNotFoundException,
 * UnableToAccessSecretException (denied, scheduled for deletion, not `{"username","accessToken"}`)
 * or UnableToDecryptSecretValueException, with the reason and never the value.
 */
export async function upstreamCredentials(
  deps: EcrDeps,
  arn: string,
  cache: { accountId: string; region: string },
): Promise<Credentials> {
  const account = await deps.store.accounts.get(cache.accountId);
  if (account === undefined)
    throw new ServiceError(
      'UnableToAccessSecretException',
      `the account '${cache.accountId}' no longer exists`,
    );
  const reader: Caller = {
    principal: principalOf(account, { kind: 'root' }),
    account,
    accessKeyId: '',
    identity: { kind: 'root' },
    request: { sourceIp: '', secure: true, region: cache.region },
  };
  const read = await readSecretAsService(deps, reader, arn);
  if (!read.ok) {
    const code =
      read.failure === 'NotFound'
        ? 'SecretNotFoundException'
        : read.failure === 'Undecryptable'
          ? 'UnableToDecryptSecretValueException'
          : 'UnableToAccessSecretException';
    throw new ServiceError(code, `Amazon ECR cannot read the secret '${arn}': ${read.message}`);
  }
  let doc: unknown;
  try {
    doc = read.value.kind === 'string' ? JSON.parse(read.value.text) : undefined;
  } catch {
    doc = undefined;
  }
  const { username, accessToken } = (doc ?? {}) as { username?: unknown; accessToken?: unknown };
  if (
    typeof username !== 'string' ||
    typeof accessToken !== 'string' ||
    username === '' ||
    accessToken === ''
  ) {
    throw new ServiceError(
      'UnableToAccessSecretException',
      `the secret '${arn}' must hold a JSON SecretString with the string members username and accessToken`,
    );
  }
  return { username, password: accessToken };
}

/**
 * A rule's `credentialArn` on Create and Update: ECR's form, a secret of the registry's own account
 * and region, which ECR can read now.
 */
async function checkCredential(ctx: EcrContext, caller: Caller, arn: string): Promise<void> {
  if (arn.length < 50 || arn.length > 612 || !CREDENTIAL_ARN.test(arn)) {
    throw E.invalidParameter(
      'credentialArn',
      'must be the ARN of a Secrets Manager secret whose name starts with ecr-pullthroughcache/',
    );
  }
  const parsed = parseSecretArn(arn)!;
  const region = caller.request.region;
  if (parsed.accountId !== caller.account.id || parsed.region !== region) {
    throw E.invalidParameter(
      'credentialArn',
      `the secret must be in the same account and Region as the registry (${caller.account.id}, ${region})`,
    );
  }
  await upstreamCredentials(ctx.deps, arn, { accountId: caller.account.id, region });
}

function ruleNotFound(prefix: string, registryId: string): ServiceError {
  return new ServiceError(
    'PullThroughCacheRuleNotFoundException',
    `The pull through cache rule with the repository prefix '${prefix}' does not exist in the registry with id '${registryId}'`,
  );
}

/** Where a rule sends the name of a repository under it, or `undefined` when it is not under it. */
export function upstreamName(rule: PullThroughCacheRule, repositoryName: string): string | undefined {
  let path: string;
  if (rule.prefix === 'ROOT') path = repositoryName;
  else if (repositoryName.startsWith(`${rule.prefix}/`)) path = repositoryName.slice(rule.prefix.length + 1);
  else return undefined;
  const up = rule.upstreamRepositoryPrefix;
  return up === undefined || up === 'ROOT' ? path : `${up}/${path}`;
}

/** The rule for a repository name: the longest prefix that holds it, else `ROOT`. */
export function ruleFor(
  rules: readonly PullThroughCacheRule[],
  repositoryName: string,
): PullThroughCacheRule | undefined {
  let best: PullThroughCacheRule | undefined;
  for (const r of rules) {
    if (upstreamName(r, repositoryName) === undefined) continue;
    if (
      best === undefined ||
      best.prefix === 'ROOT' ||
      (r.prefix !== 'ROOT' && r.prefix.length > best.prefix.length)
    )
      best = r;
  }
  return best;
}

/** The base URL of an upstream: plain HTTP on this machine unless said, HTTPS elsewhere. */
export function upstreamBase(url: string): URL {
  if (/^https?:\/\//.test(url)) return new URL(url);
  const host = url.split('/')[0]!.toLowerCase();
  const local = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
  return new URL(`${local ? 'http' : 'https'}://${url}`);
}

// ---- the API -------------------------------------------------------------------------------

/** CreatePullThroughCacheRule: `ecr:CreatePullThroughCacheRule` on `*`, in the caller's registry. */
export async function createPullThroughCacheRule(
  ctx: EcrContext,
  caller: Caller,
  input: PullThroughInputs['CreatePullThroughCacheRule'],
): Promise<PullThroughOutputs['CreatePullThroughCacheRule']> {
  if (input.registryId !== undefined) checkRegistryId(input.registryId);
  checkPrefix(input.ecrRepositoryPrefix, 'ecrRepositoryPrefix');
  if (input.upstreamRepositoryPrefix !== undefined)
    checkPrefix(input.upstreamRepositoryPrefix, 'upstreamRepositoryPrefix');
  checkUpstream(input.upstreamRegistryUrl, input.upstreamRegistry);
  await ctx.allowRegistryAction(caller, 'ecr:CreatePullThroughCacheRule');
  if (input.customRoleArn !== undefined) await checkCustomRole(ctx, caller, input.customRoleArn);
  if (input.credentialArn !== undefined) await checkCredential(ctx, caller, input.credentialArn);
  const { id: accountId } = caller.account;
  const region = caller.request.region;
  const rule: PullThroughCacheRule = {
    prefix: input.ecrRepositoryPrefix,
    upstreamRegistryUrl: input.upstreamRegistryUrl,
    ...(input.upstreamRegistry !== undefined && { upstreamRegistry: input.upstreamRegistry }),
    ...(input.credentialArn !== undefined && { credentialArn: input.credentialArn }),
    ...(input.customRoleArn !== undefined && { customRoleArn: input.customRoleArn }),
    ...(input.upstreamRepositoryPrefix !== undefined && {
      upstreamRepositoryPrefix: input.upstreamRepositoryPrefix,
    }),
    createdAt: ctx.now(),
  };
  await ctx.deps.store.transaction(async (tx) => {
    const registry = await tx.registries.get(accountId, region);
    const rules = registry?.pullThroughCacheRules ?? [];
    if (rules.some((r) => r.prefix === rule.prefix)) {
      throw new ServiceError(
        'PullThroughCacheRuleAlreadyExistsException',
        `A pull through cache rule with the repository prefix '${rule.prefix}' already exists in the registry with id '${accountId}'`,
      );
    }
    if (rules.length >= MAX_RULES) {
      throw new ServiceError(
        'LimitExceededException',
        `The maximum number of pull through cache rules (${MAX_RULES}) for the registry has been reached`,
      );
    }
    await tx.registries.put(accountId, region, {
      pullThroughCacheRules: [...rules, rule],
      updatedAt: ctx.now(),
    });
  });
  return ruleOut(accountId, rule);
}

/** DescribePullThroughCacheRules: `ecr:DescribePullThroughCacheRules`; by prefix, paginated. */
export async function describePullThroughCacheRules(
  ctx: EcrContext,
  caller: Caller,
  input: { registryId?: string; ecrRepositoryPrefixes?: string[]; nextToken?: string; maxResults?: number },
): Promise<{ pullThroughCacheRules: RuleOut[]; nextToken?: string }> {
  if (input.registryId !== undefined) checkRegistryId(input.registryId);
  for (const p of input.ecrRepositoryPrefixes ?? []) checkPrefix(p, 'ecrRepositoryPrefixes');
  const max = input.maxResults ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 1000)
    throw E.invalidParameter('maxResults', 'Member must have value between 1 and 1000');
  await ctx.allowRegistryAction(caller, 'ecr:DescribePullThroughCacheRules');
  const accountId = caller.account.id;
  const registry = await ctx.deps.store.registries.get(accountId, caller.request.region);
  let rules = registry?.pullThroughCacheRules ?? [];
  if (input.ecrRepositoryPrefixes !== undefined) {
    for (const p of input.ecrRepositoryPrefixes) {
      if (!rules.some((r) => r.prefix === p)) throw ruleNotFound(p, accountId);
    }
    rules = rules.filter((r) => input.ecrRepositoryPrefixes!.includes(r.prefix));
  }
  const after = input.nextToken === undefined ? undefined : decodeToken(input.nextToken, 'ptc', 1)[0]!;
  const rest = after === undefined ? rules : rules.filter((r) => r.prefix > after);
  const page = rest.slice(0, max);
  return {
    pullThroughCacheRules: page.map((r) => ruleOut(accountId, r)),
    ...(rest.length > max && { nextToken: encodeToken('ptc', [page.at(-1)!.prefix]) }),
  };
}

/** UpdatePullThroughCacheRule: `ecr:UpdatePullThroughCacheRule`; the credential and role. */
export async function updatePullThroughCacheRule(
  ctx: EcrContext,
  caller: Caller,
  input: { ecrRepositoryPrefix: string; registryId?: string; credentialArn?: string; customRoleArn?: string },
): Promise<{
  ecrRepositoryPrefix: string;
  registryId: string;
  updatedAt: Date;
  credentialArn?: string;
  customRoleArn?: string;
  upstreamRepositoryPrefix?: string;
}> {
  if (input.registryId !== undefined) checkRegistryId(input.registryId);
  checkPrefix(input.ecrRepositoryPrefix, 'ecrRepositoryPrefix');
  await ctx.allowRegistryAction(caller, 'ecr:UpdatePullThroughCacheRule');
  const accountId = caller.account.id;
  const region = caller.request.region;
  if (input.customRoleArn !== undefined || input.credentialArn !== undefined) {
    // A rule that does not exist is reported first; the transaction checks again.
    const rules = (await ctx.deps.store.registries.get(accountId, region))?.pullThroughCacheRules ?? [];
    if (!rules.some((r) => r.prefix === input.ecrRepositoryPrefix))
      throw ruleNotFound(input.ecrRepositoryPrefix, accountId);
    if (input.customRoleArn !== undefined) await checkCustomRole(ctx, caller, input.customRoleArn);
    if (input.credentialArn !== undefined) await checkCredential(ctx, caller, input.credentialArn);
  }
  const now = ctx.now();
  const updated = await ctx.deps.store.transaction(async (tx) => {
    const rules = (await tx.registries.get(accountId, region))?.pullThroughCacheRules ?? [];
    const old = rules.find((r) => r.prefix === input.ecrRepositoryPrefix);
    if (old === undefined) throw ruleNotFound(input.ecrRepositoryPrefix, accountId);
    const { credentialArn: _c, customRoleArn: _r, ...rest } = old;
    const next: PullThroughCacheRule = {
      ...rest,
      ...(input.credentialArn !== undefined && { credentialArn: input.credentialArn }),
      ...(input.customRoleArn !== undefined && { customRoleArn: input.customRoleArn }),
      updatedAt: now,
    };
    await tx.registries.put(accountId, region, {
      pullThroughCacheRules: rules.map((r) => (r === old ? next : r)),
      updatedAt: now,
    });
    return next;
  });
  return {
    ecrRepositoryPrefix: updated.prefix,
    registryId: accountId,
    updatedAt: now,
    ...(updated.credentialArn !== undefined && { credentialArn: updated.credentialArn }),
    ...(updated.customRoleArn !== undefined && { customRoleArn: updated.customRoleArn }),
    ...(updated.upstreamRepositoryPrefix !== undefined && {
      upstreamRepositoryPrefix: updated.upstreamRepositoryPrefix,
    }),
  };
}

/** DeletePullThroughCacheRule: `ecr:DeletePullThroughCacheRule`; cached repositories stay. */
export async function deletePullThroughCacheRule(
  ctx: EcrContext,
  caller: Caller,
  input: { ecrRepositoryPrefix: string; registryId?: string },
): Promise<RuleOut> {
  if (input.registryId !== undefined) checkRegistryId(input.registryId);
  checkPrefix(input.ecrRepositoryPrefix, 'ecrRepositoryPrefix');
  await ctx.allowRegistryAction(caller, 'ecr:DeletePullThroughCacheRule');
  const accountId = caller.account.id;
  const region = caller.request.region;
  const removed = await ctx.deps.store.transaction(async (tx) => {
    const rules = (await tx.registries.get(accountId, region))?.pullThroughCacheRules ?? [];
    const old = rules.find((r) => r.prefix === input.ecrRepositoryPrefix);
    if (old === undefined) throw ruleNotFound(input.ecrRepositoryPrefix, accountId);
    await tx.registries.put(accountId, region, {
      pullThroughCacheRules: rules.filter((r) => r !== old),
      updatedAt: ctx.now(),
    });
    return old;
  });
  const { updatedAt: _u, upstreamRegistry: _k, ...out } = ruleOut(accountId, removed);
  return out as RuleOut;
}

/**
 * ValidatePullThroughCacheRule: `ecr:ValidatePullThroughCacheRule`; reads the rule's secret, if any,
 * and reaches the upstream (`/v2/`, anonymously or with those credentials, which it must accept; an
 * Amazon ECR upstream as the rule's role, which must be assumable and may log in) and says whether
 * the rule can work, with the reason when not.
 */
export async function validatePullThroughCacheRule(
  ctx: EcrContext,
  caller: Caller,
  input: { ecrRepositoryPrefix: string; registryId?: string },
): Promise<RuleOut & { isValid: boolean; failure?: string }> {
  if (input.registryId !== undefined) checkRegistryId(input.registryId);
  checkPrefix(input.ecrRepositoryPrefix, 'ecrRepositoryPrefix');
  await ctx.allowRegistryAction(caller, 'ecr:ValidatePullThroughCacheRule');
  const accountId = caller.account.id;
  const rules = (await ctx.deps.store.registries.get(accountId, caller.request.region))
    ?.pullThroughCacheRules;
  const rule = rules?.find((r) => r.prefix === input.ecrRepositoryPrefix);
  if (rule === undefined) throw ruleNotFound(input.ecrRepositoryPrefix, accountId);
  const { createdAt: _c, updatedAt: _u, upstreamRegistry: _k, ...out } = ruleOut(accountId, rule);
  const failure = await upstreamProblem(ctx.deps, rule, { accountId, region: caller.request.region });
  return { ...(out as RuleOut), isValid: failure === undefined, ...(failure !== undefined && { failure }) };
}

async function upstreamProblem(
  deps: EcrDeps,
  rule: PullThroughCacheRule,
  cache: { accountId: string; region: string },
): Promise<string | undefined> {
  if (ecrRegistryOf(rule.upstreamRegistryUrl) !== undefined) {
    try {
      await EcrUpstream.open(deps, new ImageService(deps), rule, cache);
      return undefined;
    } catch (err) {
      if (err instanceof ServiceError) return err.message;
      throw err;
    }
  }
  let credentials: Credentials | undefined;
  if (rule.credentialArn !== undefined) {
    try {
      credentials = await upstreamCredentials(deps, rule.credentialArn, cache);
    } catch (err) {
      if (err instanceof ServiceError) return err.message;
      throw err;
    }
  }
  const client = new RegistryClient({
    url: upstreamBase(rule.upstreamRegistryUrl),
    idleTimeoutMs: 10_000,
    ...(credentials !== undefined && { credentials }),
  });
  try {
    await client.ping();
    return undefined;
  } catch (err) {
    if (err instanceof RegistryError && err.status === 401) {
      if (credentials !== undefined)
        return `the upstream registry did not accept the credentials of the secret '${rule.credentialArn}'`;
      // A registry that wants credentials for /v2/ still answers: anonymous pulls may work per repository.
      return undefined;
    }
    return `the upstream registry cannot be reached: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    client.close();
  }
}

// ---- the import ----------------------------------------------------------------------------

/** An upstream as an import reads it: a registry over HTTP, or an Amazon ECR registry of this server. */
interface Upstream {
  /** The digest a tag names upstream now, or `undefined` when that cannot be learnt. */
  head(repository: string, reference: string): Promise<string | undefined>;
  /** A manifest with its exact bytes. */
  manifest(repository: string, reference: string): Promise<{ bytes: Buffer; mediaType: string }>;
  /** Makes a blob's verified bytes present in the blob store (streaming them in if needed); its size. */
  blob(repository: string, digest: Digest, ref: RepositoryRef, reference: string): Promise<number>;
  close(): void;
}

/**
 * A registry reached over HTTP with the OCI client: anonymously (with its Bearer token flow), or
 * with the rule's upstream credentials (Basic, or Bearer from the token realm with them).
 */
class HttpUpstream implements Upstream {
  private readonly client: RegistryClient;

  constructor(
    private readonly deps: EcrDeps,
    url: string,
    credentials?: Credentials,
  ) {
    this.client = new RegistryClient({
      url: upstreamBase(url),
      ...(credentials !== undefined && { credentials }),
    });
  }

  async head(repository: string, reference: string): Promise<string | undefined> {
    const head = await this.client.headManifest(repository, reference).catch(() => undefined);
    return head?.digest;
  }

  manifest(repository: string, reference: string): Promise<{ bytes: Buffer; mediaType: string }> {
    return this.client.getManifest(repository, reference);
  }

  async blob(repository: string, digest: Digest, ref: RepositoryRef): Promise<number> {
    const known = await this.deps.blobs.store.stat(digest);
    if (known !== undefined) return known.size;
    const blob = await this.client.getBlob(repository, digest);
    try {
      return (await this.deps.blobs.store.put(digest, blob.stream as Readable, {})).size;
    } catch (err) {
      blob.stream.destroy();
      throw fromBlobError(err, ref, digest);
    }
  }

  close(): void {
    this.client.close();
  }
}

/** An Amazon ECR registry of this server, read as the rule's role (`pullThroughEcr.ts`). */
class InProcessEcrUpstream implements Upstream {
  constructor(private readonly ecr: EcrUpstream) {}

  head(repository: string, reference: string): Promise<string | undefined> {
    return this.ecr.head(repository, reference);
  }

  manifest(repository: string, reference: string): Promise<{ bytes: Buffer; mediaType: string }> {
    return this.ecr.manifest(repository, reference);
  }

  blob(repository: string, digest: Digest, _ref: RepositoryRef, reference: string): Promise<number> {
    return this.ecr.layer(repository, digest, reference);
  }

  close(): void {}
}

/** Imports cached images on the registry's manifest pulls; see the module comment. */
export class PullThroughCache {
  private readonly access: RepositoryAccess;
  /** When each cached tag was last checked upstream (this node's memory; a restart checks again). */
  private readonly checked = new Map<string, number>();
  /** Imports running, so that concurrent first pulls of one image fetch it once. */
  private readonly running = new Map<string, Promise<boolean>>();

  constructor(
    private readonly deps: EcrDeps,
    private readonly images: ImageService,
    private readonly layers: LayerService,
    private readonly refreshMs = PULL_THROUGH_REFRESH_MS,
  ) {
    this.access = new RepositoryAccess(deps);
  }

  /** The rule a repository falls under, if any. */
  async rule(ref: RepositoryRef): Promise<PullThroughCacheRule | undefined> {
    const registry = await this.deps.store.registries.get(ref.accountId, ref.region);
    const rules = registry?.pullThroughCacheRules ?? [];
    return rules.length === 0 ? undefined : ruleFor(rules, ref.name);
  }

  /**
   * Whether a pull of `reference` should go upstream first: a miss (no repository, no such image)
   * under a rule, or a cached tag due for its refresh. Cheap: one registry read when no rule exists.
   */
  async wants(
    ref: RepositoryRef,
    reference: string,
  ): Promise<{ readonly rule: PullThroughCacheRule; readonly cached: boolean } | undefined> {
    const rule = await this.rule(ref);
    if (rule === undefined) return undefined;
    const found = await this.images.find(ref, reference).catch((err: unknown) => {
      if (err instanceof ServiceError && err.code === 'RepositoryNotFoundException') return undefined;
      throw err;
    });
    if (found === undefined) return { rule, cached: false };
    if (reference.includes(':')) return undefined; // a digest never changes
    const key = `${ref.accountId}/${ref.region}/${ref.name}:${reference}`;
    const last = this.checked.get(key) ?? found.pushedAt.getTime();
    return this.deps.clock.now() - last >= this.refreshMs ? { rule, cached: true } : undefined;
  }

  /**
   * The registry's manifest pull: goes upstream first when {@link wants} says so, after the
   * caller's pull permission (ecr:BatchGetImage) was checked, so a caller who may not pull
   * imports nothing. A failed refresh of a cached tag keeps serving the cached image.
   */
  async beforePull(caller: Caller, ref: RepositoryRef, reference: string): Promise<void> {
    const want = await this.wants(ref, reference);
    if (want === undefined) return;
    await this.access.authorize(caller, 'ecr:BatchGetImage', ref, { allowMissing: true });
    try {
      await this.fetch(caller, ref, reference, want.rule);
    } catch (err) {
      if (!want.cached || err instanceof AccessDeniedError) throw err;
    }
  }

  /**
   * Brings `reference` in from upstream, authorizing the caller first; answers whether something
   * changed. A refresh whose upstream is unreachable keeps serving the cached image.
   */
  async fetch(
    caller: Caller,
    ref: RepositoryRef,
    reference: string,
    rule: PullThroughCacheRule,
  ): Promise<boolean> {
    const key = `${ref.accountId}/${ref.region}/${ref.name}:${reference}`;
    const running = this.running.get(key);
    if (running !== undefined) return running;
    const p = this.doFetch(caller, ref, reference, rule, key).finally(() => this.running.delete(key));
    this.running.set(key, p);
    return p;
  }

  /**
   * The upstream a rule reads: an Amazon ECR registry of this server as the rule's role (which
   * must be assumable and may log in, or UnableToGetUpstreamImageException), else the OCI client.
   */
  private async open(rule: PullThroughCacheRule, ref: RepositoryRef): Promise<Upstream> {
    const cache = { accountId: ref.accountId, region: ref.region };
    if (ecrRegistryOf(rule.upstreamRegistryUrl) === undefined) {
      // Read at every import: a rotated or deleted secret takes effect on the next pull. Whatever
      // keeps ECR from the secret, the puller is told it could not be accessed, with the reason.
      const credentials =
        rule.credentialArn === undefined
          ? undefined
          : await upstreamCredentials(this.deps, rule.credentialArn, cache).catch((err: unknown) => {
              if (!(err instanceof ServiceError)) throw err;
              throw new ServiceError('UnableToAccessSecretException', err.message);
            });
      return new HttpUpstream(this.deps, rule.upstreamRegistryUrl, credentials);
    }
    return new InProcessEcrUpstream(await EcrUpstream.open(this.deps, this.images, rule, cache));
  }

  private async doFetch(
    caller: Caller,
    ref: RepositoryRef,
    reference: string,
    rule: PullThroughCacheRule,
    key: string,
  ): Promise<boolean> {
    const repo = await this.access.find(ref);
    if (repo === undefined)
      await this.access.authorize(caller, 'ecr:CreateRepository', ref, { allowMissing: true });
    await this.access.authorize(caller, 'ecr:BatchImportUpstreamImage', ref, { allowMissing: true });
    const upstreamRepo = upstreamName(rule, ref.name)!;
    const cached = repo === undefined ? undefined : await this.images.find(ref, reference);
    const upstream = await this.open(rule, ref);
    try {
      if (cached !== undefined) {
        // A refresh: only a moved tag is fetched again.
        const head = await upstream.head(upstreamRepo, reference);
        this.checked.set(key, this.deps.clock.now());
        if (head === undefined || head === cached.digest) return false;
      }
      await this.importImage(upstream, ref, upstreamRepo, reference, reference, repo === undefined);
      this.checked.set(key, this.deps.clock.now());
      return true;
    } catch (err) {
      throw upstreamFailure(err, upstreamRepo, reference);
    } finally {
      upstream.close();
    }
  }

  private async createRepository(ref: RepositoryRef): Promise<void> {
    const registry = await this.deps.store.registries.get(ref.accountId, ref.region);
    const template = templateFor(registry?.creationTemplates ?? [], ref.name, 'PULL_THROUGH_CACHE');
    try {
      await this.deps.store.repositories.create(
        repositoryFromTemplate(ref, template, new Date(this.deps.clock.now())),
      );
    } catch (err) {
      // Another pull created it a moment ago.
      if (!(err instanceof StoreError && err.code === 'AlreadyExists')) throw err;
    }
  }

  /**
   * One manifest with what it references (children first), then the manifest itself. The top
   * manifest (`pulled`) is read upstream before the repository is created (`create`), so an image
   * the upstream does not have, or will not give, leaves nothing behind.
   */
  private async importImage(
    upstream: Upstream,
    ref: RepositoryRef,
    upstreamRepo: string,
    reference: string,
    pulled: string,
    create: boolean,
  ): Promise<void> {
    const top = reference === pulled;
    const m = await upstream.manifest(upstreamRepo, reference);
    const parsed = parseManifest(m.bytes, { mediaType: m.mediaType });
    if (create) await this.createRepository(ref);
    for (const child of parsed.children) {
      if ((await this.images.find(ref, child)) === undefined)
        await this.importImage(upstream, ref, upstreamRepo, child, pulled, false);
    }
    for (const digest of parsed.blobs) await this.importBlob(upstream, ref, upstreamRepo, digest, pulled);
    const tag = top && !reference.includes(':') ? reference : undefined;
    await this.images.importManifest(ref, m.bytes, m.mediaType, tag);
  }

  private async importBlob(
    upstream: Upstream,
    ref: RepositoryRef,
    upstreamRepo: string,
    digest: string,
    pulled: string,
  ): Promise<void> {
    const d = parseDigest(digest);
    if ((await this.deps.store.blobs.get(ref, d)) !== undefined) return;
    await holdBlob(this.deps, ref, d, async () => {
      const size = await upstream.blob(upstreamRepo, d, ref, pulled);
      await this.layers.link(ref, d, size);
    });
  }
}

/** An upstream that failed, as the registry reports it: the image is not found, with the reason. */
function upstreamFailure(err: unknown, upstreamRepo: string, reference: string): unknown {
  if (!(err instanceof RegistryError)) return err;
  if (err.status === 404 || err.code === 'MANIFEST_UNKNOWN' || err.code === 'NAME_UNKNOWN') {
    return new ServiceError(
      'ImageNotFoundException',
      `The image '${upstreamRepo}:${reference}' was not found in the upstream registry`,
    );
  }
  return new ServiceError(
    'UnableToGetUpstreamImageException',
    `the image '${upstreamRepo}:${reference}' could not be pulled from the upstream registry: ${err.message}`,
  );
}

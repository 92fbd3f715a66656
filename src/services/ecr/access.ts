import { isAnonymous, type Caller, type Requester } from '../../auth/caller.js';
import type { AuthzResult, ContextValue } from '../../iam/index.js';
import type { MetadataTx } from '../../store/meta/MetadataStore.js';
import type { Repository, RepositoryRef } from '../../store/meta/records.js';
import type { ResourcePolicy } from '../authz.js';
import type { ServiceDeps } from '../context.js';
import { ServiceError } from '../errors.js';
import { actionFor, isPublicRegion, PUBLIC_READ_ACTIONS, publicRepositoryArn } from './public/partition.js';

/**
 * `arn:aws:ecr:<region>:<account>:repository/<name>`, or for an ECR Public repository
 * `arn:aws:ecr-public::<account>:repository/<name>`.
 */
export function repositoryArn(ref: RepositoryRef): string {
  if (isPublicRegion(ref.region)) return publicRepositoryArn(ref.accountId, ref.name);
  return `arn:aws:ecr:${ref.region}:${ref.accountId}:repository/${ref.name}`;
}

/** ECR's message for a repository that does not exist. */
export function repositoryNotFound(ref: RepositoryRef): ServiceError {
  return new ServiceError(
    'RepositoryNotFoundException',
    `The repository with name '${ref.name}' does not exist in the registry with id '${ref.accountId}'`,
  );
}

/** What a request with no credentials gets wherever an identity is needed (a 401 challenge). */
export function anonymousRefused(): ServiceError {
  return new ServiceError('Unauthenticated', INVALID_TOKEN_MESSAGE);
}

/** The registry's one sentence for missing, malformed or forged credentials. */
export const INVALID_TOKEN_MESSAGE =
  'The registry authorization token is missing or invalid. Authenticate and try again.';

function tagRecord(tags: readonly { key: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) out[t.key] = t.value;
  return out;
}

/**
 * How every ECR operation and registry request on a repository is authorized, in one place: the
 * request goes through the one `authorize()` door with the repository's ARN, its owning account,
 * its tags (`aws:ResourceTag/*`, `ecr:ResourceTag/*`), and the resource-based policies of the
 * target — the repository policy and the registry policy (V2 scope: both are resource policies of
 * the repository; an allow in either counts, a deny in either wins).
 *
 * Order, as AWS: authorization first, existence second. A caller who may not act on the ARN gets
 * AccessDenied whether or not the repository exists; one who may learns it does not
 * (RepositoryNotFoundException).
 *
 * An ECR Public repository (`public/partition.ts`) is decided the same way with the `ecr-public:`
 * action and ARN, except its pulls, which are nobody's to grant or deny: anyone may make them,
 * with credentials or without ({@link RepositoryAccess.read}).
 */
export class RepositoryAccess {
  constructor(private readonly deps: ServiceDeps) {}

  /** The repository, or undefined. */
  find(ref: RepositoryRef, store: MetadataTx = this.deps.store): Promise<Repository | undefined> {
    return store.repositories.get(ref.accountId, ref.region, ref.name);
  }

  /** The resource policies that take part for a repository (repository policy, registry policy). */
  async resourcePolicies(
    ref: RepositoryRef,
    repo: Repository | undefined,
    store: MetadataTx = this.deps.store,
  ): Promise<ResourcePolicy[]> {
    const out: ResourcePolicy[] = [];
    if (repo?.policyText !== undefined)
      out.push({
        id: `repository-policy:${ref.name}`,
        text: repo.policyText,
        kind: 'repository',
        ...(repo.policyPrincipals !== undefined && { principals: repo.policyPrincipals }),
      });
    const registry = await store.registries.get(ref.accountId, ref.region);
    if (registry?.policyText !== undefined)
      out.push({
        id: 'registry-policy',
        text: registry.policyText,
        kind: 'registry',
        ...(registry.policyPrincipals !== undefined && { principals: registry.policyPrincipals }),
      });
    return out;
  }

  /**
   * Authorizes `action` on the repository and returns it; throws AccessDeniedError, or
   * RepositoryNotFoundException when the caller may act but the repository does not exist (unless
   * `allowMissing`, for CreateRepository).
   */
  async authorize(
    caller: Caller,
    action: string,
    ref: RepositoryRef,
    opts: {
      context?: Readonly<Record<string, ContextValue>>;
      allowMissing?: boolean;
      store?: MetadataTx;
    } = {},
  ): Promise<{ repository: Repository | undefined; result: AuthzResult }> {
    const store = opts.store ?? this.deps.store;
    const repository = await this.find(ref, store);
    const result = await this.deps.authz.authorize(
      {
        caller,
        action: actionFor(ref, action),
        resource: repositoryArn(ref),
        resourceAccount: ref.accountId,
        ...(repository !== undefined &&
          repository.tags.length > 0 && { resourceTags: tagRecord(repository.tags) }),
        resourcePolicies: await this.resourcePolicies(ref, repository, store),
        ...(opts.context !== undefined && { context: opts.context }),
      },
      store,
    );
    if (repository === undefined && !opts.allowMissing) throw repositoryNotFound(ref);
    return { repository, result };
  }

  /**
   * A registry read (`action` one of the pull actions): for a private repository, exactly
   * {@link require} — and an anonymous requester is refused before anything is looked up; for a
   * public repository, only whether it exists, for anyone.
   */
  async read(requester: Requester, action: string, ref: RepositoryRef): Promise<Repository> {
    if (isPublicRegion(ref.region) && PUBLIC_READ_ACTIONS.has(action)) {
      const repository = await this.find(ref);
      if (repository === undefined) throw repositoryNotFound(ref);
      return repository;
    }
    if (isAnonymous(requester)) throw anonymousRefused();
    return this.require(requester, action, ref);
  }

  /** Like {@link authorize} but the repository must exist. */
  async require(
    caller: Caller,
    action: string,
    ref: RepositoryRef,
    opts: { context?: Readonly<Record<string, ContextValue>>; store?: MetadataTx } = {},
  ): Promise<Repository> {
    const { repository } = await this.authorize(caller, action, ref, opts);
    return repository!;
  }
}

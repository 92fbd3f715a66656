/**
 * Repository and registry policies (Set/Get/DeleteRepositoryPolicy, Put/Get/DeleteRegistryPolicy)
 * and DescribeRegistry.
 *
 * A policy is validated by the engine's grammar for its kind through the shared PolicyCache
 * (`repository`: Principal required, no Resource, either Version, Sids with spaces; `registry`:
 * Resource required), then every IAM user and role it names as a principal must exist, as AWS
 * refuses a policy naming an unknown principal. Every refusal is ECR's one generic
 * InvalidParameterException sentence (`… 'Invalid repository policy provided'`). Policies are
 * stored and answered as the caller sent them (AWS's re-serialised form is unconfirmed), with the
 * users and roles they name bound to their unique ids: one deleted since reads back as its id.
 */
import type { Caller } from '../../auth/caller.js';
import { PolicyError, type PolicyDocument, type PrincipalBlock } from '../../iam/index.js';
import { NotFound } from '../../store/meta/errors.js';
import type { PrincipalBindings } from '../../store/meta/records.js';
import { presentBound, uniqueIdOf } from '../bindings.js';
import { ServiceError } from '../errors.js';
import { repositoryNotFound } from './access.js';
import { ECR_LIMITS, ecrErrors as E } from './errors.js';
import { replicationOut, type EcrInputs, type EcrOutputs } from './present.js';
import type { EcrContext } from './service.js';
import { targetRef } from './validate.js';

type EcrPolicyKind = 'repository' | 'registry';

function invalidPolicy(kind: EcrPolicyKind): ServiceError {
  return E.invalidParameter('PolicyText', `Invalid ${kind} policy provided`);
}

/** The model's length limit, checked before authorization like every model constraint. */
function checkLength(text: string): void {
  if (text.length > ECR_LIMITS.policyLength)
    throw E.invalidParameter(
      'PolicyText',
      `Member must have length less than or equal to ${ECR_LIMITS.policyLength}`,
    );
}

/** The `AWS` principals of every Principal/NotPrincipal block of a document. */
function awsPrincipals(doc: PolicyDocument): string[] {
  const out: string[] = [];
  const add = (b: PrincipalBlock | undefined): void => {
    if (b?.kind === 'map') out.push(...(b.AWS ?? []));
  };
  for (const s of doc.statements) {
    add(s.principal);
    add(s.notPrincipal);
  }
  return out;
}

/**
 * Parses, validates and checks the principals of an ECR policy (throws ECR's sentence), and
 * answers the users and roles it names bound to their unique ids (`services/bindings.ts`).
 */
async function validatePolicy(
  ctx: EcrContext,
  text: string,
  kind: EcrPolicyKind,
): Promise<PrincipalBindings | null> {
  let doc: PolicyDocument;
  try {
    doc = ctx.deps.cache.get(text, kind).document;
  } catch (e) {
    if (e instanceof PolicyError) throw new ServiceError(e.code, e.message);
    throw e;
  }
  const { store } = ctx.deps;
  const bound: Record<string, string> = {};
  for (const p of awsPrincipals(doc)) {
    // Unique ids must name an entity that exists; IAM user and role ARNs exactly one (path and
    // case included), which the policy is then bound to. Accounts, `*`, services and STS session
    // ARNs are not looked up.
    if (/^AIDA[A-Z0-9]+$/.test(p)) {
      if ((await store.users.getById(p)) === undefined) throw invalidPolicy(kind);
    } else if (/^AROA[A-Z0-9]+$/.test(p)) {
      if ((await store.roles.getById(p)) === undefined) throw invalidPolicy(kind);
    } else if (/^arn:aws:iam::\d{12}:(user|role)\//.test(p)) {
      const id = await uniqueIdOf(store, p);
      if (id === undefined) throw invalidPolicy(kind);
      bound[p] = id;
    }
  }
  return Object.keys(bound).length === 0 ? null : bound;
}

/**
 * SetRepositoryPolicy: `ecr:SetRepositoryPolicy` on the repository. `force` is accepted; the
 * lockout check it skips on AWS is not modelled (its rule is unconfirmed).
 */
export async function setRepositoryPolicy(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['SetRepositoryPolicy'],
): Promise<EcrOutputs['SetRepositoryPolicy']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  checkLength(input.policyText);
  await ctx.access.require(caller, 'ecr:SetRepositoryPolicy', ref);
  const principals = await validatePolicy(ctx, input.policyText, 'repository');
  try {
    await ctx.deps.store.repositories.update(ref.accountId, ref.region, ref.name, {
      policyText: input.policyText,
      policyPrincipals: principals,
    });
  } catch (e) {
    if (e instanceof NotFound) throw repositoryNotFound(ref);
    throw e;
  }
  return { registryId: ref.accountId, repositoryName: ref.name, policyText: input.policyText };
}

/** GetRepositoryPolicy: `ecr:GetRepositoryPolicy`; RepositoryPolicyNotFoundException when unset. */
export async function getRepositoryPolicy(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['GetRepositoryPolicy'],
): Promise<EcrOutputs['GetRepositoryPolicy']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  const repo = await ctx.access.require(caller, 'ecr:GetRepositoryPolicy', ref);
  if (repo.policyText === undefined) throw E.repositoryPolicyNotFound(ref.name, ref.accountId);
  const policyText = await presentBound(ctx.deps.store, repo.policyText, repo.policyPrincipals);
  return { registryId: ref.accountId, repositoryName: ref.name, policyText };
}

/** DeleteRepositoryPolicy: `ecr:DeleteRepositoryPolicy`; answers the policy it removed. */
export async function deleteRepositoryPolicy(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['DeleteRepositoryPolicy'],
): Promise<EcrOutputs['DeleteRepositoryPolicy']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  const repo = await ctx.access.require(caller, 'ecr:DeleteRepositoryPolicy', ref);
  if (repo.policyText === undefined) throw E.repositoryPolicyNotFound(ref.name, ref.accountId);
  const text = await presentBound(ctx.deps.store, repo.policyText, repo.policyPrincipals);
  try {
    await ctx.deps.store.repositories.update(ref.accountId, ref.region, ref.name, {
      policyText: null,
      policyPrincipals: null,
    });
  } catch (e) {
    if (e instanceof NotFound) throw repositoryNotFound(ref);
    throw e;
  }
  return { registryId: ref.accountId, repositoryName: ref.name, policyText: text };
}

/** PutRegistryPolicy: `ecr:PutRegistryPolicy` on `*`, in the caller's registry of the call's region. */
export async function putRegistryPolicy(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['PutRegistryPolicy'],
): Promise<EcrOutputs['PutRegistryPolicy']> {
  checkLength(input.policyText);
  await ctx.allowRegistryAction(caller, 'ecr:PutRegistryPolicy');
  const principals = await validatePolicy(ctx, input.policyText, 'registry');
  await ctx.deps.store.registries.put(caller.account.id, caller.request.region, {
    policyText: input.policyText,
    policyPrincipals: principals,
    updatedAt: ctx.now(),
  });
  return { registryId: caller.account.id, policyText: input.policyText };
}

/** GetRegistryPolicy: `ecr:GetRegistryPolicy` on `*`; RegistryPolicyNotFoundException when unset. */
export async function getRegistryPolicy(
  ctx: EcrContext,
  caller: Caller,
): Promise<EcrOutputs['GetRegistryPolicy']> {
  await ctx.allowRegistryAction(caller, 'ecr:GetRegistryPolicy');
  const registry = await ctx.deps.store.registries.get(caller.account.id, caller.request.region);
  if (registry?.policyText === undefined) throw E.registryPolicyNotFound(caller.account.id);
  const policyText = await presentBound(ctx.deps.store, registry.policyText, registry.policyPrincipals);
  return { registryId: caller.account.id, policyText };
}

/** DeleteRegistryPolicy: `ecr:DeleteRegistryPolicy` on `*`; answers the policy it removed. */
export async function deleteRegistryPolicy(
  ctx: EcrContext,
  caller: Caller,
): Promise<EcrOutputs['DeleteRegistryPolicy']> {
  await ctx.allowRegistryAction(caller, 'ecr:DeleteRegistryPolicy');
  const { accountId, region } = { accountId: caller.account.id, region: caller.request.region };
  return ctx.deps.store.transaction(async (tx) => {
    const registry = await tx.registries.get(accountId, region);
    if (registry?.policyText === undefined) throw E.registryPolicyNotFound(accountId);
    const text = await presentBound(tx, registry.policyText, registry.policyPrincipals);
    await tx.registries.put(accountId, region, {
      policyText: null,
      policyPrincipals: null,
      updatedAt: ctx.now(),
    });
    return { registryId: accountId, policyText: text };
  });
}

/** DescribeRegistry: `ecr:DescribeRegistry` on `*`; the replication rules (`rules: []` when unset). */
export async function describeRegistry(
  ctx: EcrContext,
  caller: Caller,
): Promise<EcrOutputs['DescribeRegistry']> {
  await ctx.allowRegistryAction(caller, 'ecr:DescribeRegistry');
  const registry = await ctx.deps.store.registries.get(caller.account.id, caller.request.region);
  return { registryId: caller.account.id, replicationConfiguration: replicationOut(registry) };
}

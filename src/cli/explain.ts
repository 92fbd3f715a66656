/**
 * `crossdock explain`: why a principal may or may not perform an ECR action on a repository (or
 * pull a whole image). It reads every policy that takes part through the AWS SDK — the caller's
 * identity policies and permissions boundary with the consumer's credentials, the repository and
 * registry policies and the repository's tags with the owner's, SCPs and RCPs where Organizations
 * lets them be read — asks the policy engine exactly as the server would, and prints the decision,
 * AWS's sentence, the deciding statements and a checked fix (`analysis/access.ts`). Whatever it
 * cannot read is listed as not considered rather than silently assumed.
 */
import { parseArgs } from 'node:util';
import {
  GetRegistryPolicyCommand,
  GetRepositoryPolicyCommand,
  ECRClient,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-ecr';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  GetGroupPolicyCommand,
  IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  type Tag,
} from '@aws-sdk/client-iam';
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListParentsCommand,
  ListPoliciesForTargetCommand,
  OrganizationsClient,
  type PolicyType as OrgPolicyType,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  POLICY_TYPE_NAMES,
  type ContextValue,
  type PolicyType,
  type RequestPrincipal,
} from '../iam/index.js';
import { isKnownAction } from '../iam/data/ecrActions.js';
import {
  explainAccess,
  PULL_ACTIONS,
  UnreadablePolicyError,
  type AccessExplanation,
  type AccessInputs,
  type ActionExplanation,
  type Entity,
  type FetchedPolicy,
  type Fix,
} from './analysis/access.js';
import {
  parsePrincipal,
  parseRepository,
  TargetError,
  type PrincipalTarget,
  type RepositoryTarget,
} from './analysis/targets.js';
import { awsConfig, resolveEndpoint, type AwsTarget } from './aws.js';
import { configuredRegion } from './signedCall.js';

/** The `--help` text. */
export const EXPLAIN_USAGE = `usage: crossdock explain --principal ARN --action ACTION --repository ARN|URI [options]
       crossdock explain --principal ARN --image REF [options]

Explains whether PRINCIPAL may perform ACTION on a repository, as AWS decides it: the decision,
AWS's AccessDenied sentence, which side (identity or resource) allows or denies, the deciding
statements, and a fix (the exact statement to add and where, or the Deny to remove) that the
engine has checked. --image REF (HOST/ACCOUNT/NAME:TAG, ACCOUNT.dkr.ecr.REGION.DOMAIN/NAME@DIGEST)
asks about a whole pull: ecr:GetAuthorizationToken on "*", ecr:BatchGetImage,
ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability.

  --principal ARN            arn:aws:iam::ACCT:user/NAME, arn:aws:iam::ACCT:role/NAME,
                             arn:aws:sts::ACCT:assumed-role/ROLE/SESSION or arn:aws:iam::ACCT:root
  --action ACTION            e.g. ecr:BatchGetImage (repeatable)
  --repository ARN|URI       arn:aws:ecr:REGION:ACCT:repository/NAME or a repositoryUri
  --image REF                an image reference (see above)
  --consumer-profile P       credentials of the principal's account (reads its IAM policies)
  --owner-profile P          credentials of the repository's account (reads the repository policy,
                             registry policy and tags)
  --org-profile P            credentials allowed to read Organizations policies (SCPs, RCPs);
                             defaults to the consumer's and the owner's
  --profile P                the profile for any of the above not given
  --session-name NAME        session name for a role ARN (default crossdock-explain)
  --endpoint URL             a crossdock server (default: CROSSDOCK_ENDPOINT, else AWS)
  --region R                 region of a path-style URI without one (default: AWS_REGION or us-east-1)
  --json                     machine-readable output

exit status: 0 allowed, 1 denied, 2 error`;

/** Each side's name as a heading, in AWS's words. */
const SIDE_NAMES: Readonly<Record<PolicyType, string>> = {
  identity: 'identity-based policies',
  resource: 'resource-based policies',
  boundary: 'permissions boundary',
  session: 'session policies',
  scp: 'service control policies',
  rcp: 'resource control policies',
};

/** A command line `explain` cannot run with. */
export class ExplainUsageError extends Error {}

/** The parsed command line. */
export interface ExplainArgs {
  readonly principal: PrincipalTarget;
  readonly actions: readonly string[];
  readonly repository: RepositoryTarget;
  readonly consumerProfile?: string;
  readonly ownerProfile?: string;
  readonly orgProfile?: string;
  readonly endpoint?: string;
  readonly sessionName: string;
  readonly json: boolean;
}

/** Parses and checks the command line (no calls); `help` when `--help` was asked for. */
export function parseExplainArgs(args: string[]): ExplainArgs | 'help' {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        principal: { type: 'string' },
        action: { type: 'string', multiple: true },
        repository: { type: 'string' },
        image: { type: 'string' },
        'owner-profile': { type: 'string' },
        'consumer-profile': { type: 'string' },
        'org-profile': { type: 'string' },
        profile: { type: 'string' },
        'session-name': { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new ExplainUsageError((e as Error).message);
  }
  if (values.help === true) return 'help';
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const principalArg = str('principal');
  if (principalArg === undefined) throw new ExplainUsageError('--principal is required');
  const repoArg = str('repository');
  const imageArg = str('image');
  if ((repoArg === undefined) === (imageArg === undefined))
    throw new ExplainUsageError('give exactly one of --repository and --image');
  const given = (values.action as string[] | undefined) ?? [];
  if (repoArg !== undefined && given.length === 0)
    throw new ExplainUsageError('--repository needs --action (e.g. --action ecr:BatchGetImage)');
  const actions = given.length > 0 ? given : PULL_ACTIONS;
  for (const a of actions) {
    if (!isKnownAction(a)) throw new ExplainUsageError(`\`${a}\` is not an action AWS defines`);
  }
  const region = str('region') ?? configuredRegion();
  try {
    const principal = parsePrincipal(principalArg);
    const repository =
      imageArg !== undefined
        ? parseRepository(imageArg, region, true)
        : parseRepository(repoArg as string, region);
    const profile = str('profile');
    const consumerProfile = str('consumer-profile') ?? profile;
    const ownerProfile = str('owner-profile') ?? profile;
    const orgProfile = str('org-profile');
    const endpoint = resolveEndpoint(str('endpoint'));
    return {
      principal,
      actions: [...new Set(actions)],
      repository,
      ...(consumerProfile !== undefined && { consumerProfile }),
      ...(ownerProfile !== undefined && { ownerProfile }),
      ...(orgProfile !== undefined && { orgProfile }),
      ...(endpoint !== undefined && { endpoint }),
      sessionName: str('session-name') ?? 'crossdock-explain',
      json: values.json === true,
    };
  } catch (e) {
    if (e instanceof TargetError) throw new ExplainUsageError(e.message);
    throw e;
  }
}

/** A policy, or a group of policies, that could not be read and so did not take part. */
export interface NotConsidered {
  readonly what: string;
  readonly why: string;
}

/** Everything gathered for one question, plus what was left out and why. */
export interface Gathered {
  readonly inputs: AccessInputs;
  readonly notConsidered: readonly NotConsidered[];
}

/** A failure that makes the question unanswerable (exit status 2). */
export class ExplainError extends Error {}

/** `crossdock explain ...`; returns the exit code. */
export async function explainCommand(args: string[]): Promise<number> {
  let parsed: ExplainArgs | 'help';
  try {
    parsed = parseExplainArgs(args);
  } catch (e) {
    if (!(e instanceof ExplainUsageError)) throw e;
    console.error(`crossdock explain: ${e.message}\n${EXPLAIN_USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    console.log(EXPLAIN_USAGE);
    return 0;
  }
  let gathered: Gathered;
  let explanation: AccessExplanation;
  try {
    gathered = await gather(parsed);
    explanation = explainAccess(gathered.inputs, parsed.actions);
  } catch (e) {
    if (e instanceof ExplainError || e instanceof UnreadablePolicyError) {
      console.error(`crossdock explain: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (parsed.json) console.log(JSON.stringify(toJson(parsed, gathered, explanation), null, 2));
  else console.log(render(parsed, gathered, explanation));
  return explanation.decision === 'Allow' ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// Gathering: every read goes through the SDK clients, with the credentials of the side it is about.

/** An SDK error in one line. */
function why(e: unknown): string {
  const err = e as { name?: string; message?: string };
  return `${err.name ?? 'Error'}: ${err.message ?? String(e)}`;
}

function named(e: unknown, ...names: string[]): boolean {
  const n = (e as { name?: string }).name ?? '';
  return names.includes(n);
}

/** IAM returns policy documents URL-encoded (the AWS CLI decodes them; the SDK does not). */
function decodeDocument(doc: string | undefined): string {
  if (doc === undefined) return '';
  try {
    return decodeURIComponent(doc);
  } catch {
    return doc;
  }
}

async function drain<T>(
  page: (marker: string | undefined) => Promise<{ items: T[]; next?: string }>,
): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  for (let i = 0; i < 100; i++) {
    const p = await page(marker);
    out.push(...p.items);
    if (p.next === undefined) break;
    marker = p.next;
  }
  return out;
}

function tagRecord(tags: readonly Tag[] | undefined): Record<string, string> | undefined {
  if (tags === undefined || tags.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const t of tags) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

/**
 * The account whose credentials a target resolves to, or why they could not be used; exported so
 * that `crossdock access` names each profile's account the same way.
 */
export async function accountOf(target: AwsTarget): Promise<string> {
  try {
    const out = await new STSClient(awsConfig(target)).send(new GetCallerIdentityCommand({}));
    return out.Account ?? '';
  } catch (e) {
    throw new ExplainError(
      `cannot use the credentials${target.profile !== undefined ? ` of profile \`${target.profile}\`` : ''}: ${why(e)}`,
    );
  }
}

/** Reads the default version of a managed policy. */
async function managedDocument(iam: IAMClient, arn: string): Promise<string> {
  const p = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
  const version = p.Policy?.DefaultVersionId ?? 'v1';
  const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: version }));
  return decodeDocument(v.PolicyVersion?.Document);
}

/**
 * The identity side: the entity's inline, attached and group policies, its boundary and tags;
 * exported so that `crossdock access` reads every user and role exactly as explain reads one.
 */
export async function gatherIdentity(
  iam: IAMClient,
  principal: PrincipalTarget,
  notConsidered: NotConsidered[],
): Promise<{
  entity?: Entity;
  principalArn: string;
  uniqueId?: string;
  tags?: Record<string, string>;
  identity: FetchedPolicy[];
  boundary?: FetchedPolicy;
  /** A role's trust policy, decoded. */
  trustPolicy?: string;
}> {
  if (principal.kind === 'root') return { principalArn: principal.arn, identity: [] };
  const kind = principal.kind === 'user' ? 'user' : 'role';
  const name = principal.name;
  const entity: Entity = { kind, name, accountId: principal.accountId };
  const identity: FetchedPolicy[] = [];
  let arn: string;
  let uniqueId: string | undefined;
  let boundaryArn: string | undefined;
  let tags: Record<string, string> | undefined;
  let trustPolicy: string | undefined;
  try {
    if (kind === 'user') {
      const u = (await iam.send(new GetUserCommand({ UserName: name }))).User;
      arn = u?.Arn ?? principal.arn;
      uniqueId = u?.UserId;
      boundaryArn = u?.PermissionsBoundary?.PermissionsBoundaryArn;
      tags = tagRecord(u?.Tags);
    } else {
      const r = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
      arn = r?.Arn ?? principal.arn;
      uniqueId = r?.RoleId;
      boundaryArn = r?.PermissionsBoundary?.PermissionsBoundaryArn;
      tags = tagRecord(r?.Tags);
      if (r?.AssumeRolePolicyDocument !== undefined) trustPolicy = decodeDocument(r.AssumeRolePolicyDocument);
    }
  } catch (e) {
    if (named(e, 'NoSuchEntityException', 'NoSuchEntity'))
      throw new ExplainError(`${kind} \`${name}\` does not exist in account ${principal.accountId}`);
    throw new ExplainError(`cannot read ${kind} \`${name}\` with the consumer's credentials: ${why(e)}`);
  }
  try {
    const inline =
      kind === 'user'
        ? await drain(async (Marker) => {
            const o = await iam.send(new ListUserPoliciesCommand({ UserName: name, Marker }));
            return { items: o.PolicyNames ?? [], ...(o.IsTruncated === true && { next: o.Marker }) };
          })
        : await drain(async (Marker) => {
            const o = await iam.send(new ListRolePoliciesCommand({ RoleName: name, Marker }));
            return { items: o.PolicyNames ?? [], ...(o.IsTruncated === true && { next: o.Marker }) };
          });
    for (const policyName of inline) {
      const text =
        kind === 'user'
          ? (await iam.send(new GetUserPolicyCommand({ UserName: name, PolicyName: policyName })))
              .PolicyDocument
          : (await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName })))
              .PolicyDocument;
      identity.push({
        id: `inline:${kind}/${name}/${policyName}`,
        label: `inline policy \`${policyName}\` of ${kind} \`${name}\``,
        text: decodeDocument(text),
        origin: { kind: 'inline', entity: kind, entityName: name, policyName },
      });
    }
    const attached =
      kind === 'user'
        ? await drain(async (Marker) => {
            const o = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: name, Marker }));
            return { items: o.AttachedPolicies ?? [], ...(o.IsTruncated === true && { next: o.Marker }) };
          })
        : await drain(async (Marker) => {
            const o = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name, Marker }));
            return { items: o.AttachedPolicies ?? [], ...(o.IsTruncated === true && { next: o.Marker }) };
          });
    for (const a of attached) {
      if (a.PolicyArn === undefined) continue;
      identity.push({
        id: a.PolicyArn,
        label: `managed policy \`${a.PolicyName ?? a.PolicyArn}\` attached to ${kind} \`${name}\``,
        text: await managedDocument(iam, a.PolicyArn),
        origin: { kind: 'managed', arn: a.PolicyArn, entity: kind, entityName: name },
      });
    }
  } catch (e) {
    throw new ExplainError(`cannot read the policies of ${kind} \`${name}\`: ${why(e)}`);
  }
  if (kind === 'user') identity.push(...(await gatherGroups(iam, name, notConsidered)));
  let boundary: FetchedPolicy | undefined;
  if (boundaryArn !== undefined) {
    try {
      boundary = {
        id: boundaryArn,
        label: `permissions boundary \`${boundaryArn}\``,
        text: await managedDocument(iam, boundaryArn),
        origin: { kind: 'boundary', arn: boundaryArn, entity: kind, entityName: name },
      };
    } catch (e) {
      notConsidered.push({ what: `the permissions boundary ${boundaryArn}`, why: why(e) });
    }
  }
  return {
    entity,
    principalArn: arn,
    ...(uniqueId !== undefined && { uniqueId }),
    ...(tags !== undefined && { tags }),
    identity,
    ...(boundary !== undefined && { boundary }),
    ...(trustPolicy !== undefined && { trustPolicy }),
  };
}

/** Whether a trust policy lets ECS tasks assume the role (`ecs-tasks.amazonaws.com`, sts:AssumeRole). */
export function trustsEcsTasks(trustPolicy: string | undefined): boolean {
  if (trustPolicy === undefined) return false;
  let doc: unknown;
  try {
    doc = JSON.parse(trustPolicy);
  } catch {
    return false;
  }
  const list = (doc as { Statement?: unknown }).Statement;
  const statements = Array.isArray(list) ? list : [list];
  const strings = (v: unknown): string[] =>
    typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return statements.some((st) => {
    if (typeof st !== 'object' || st === null) return false;
    const o = st as Record<string, unknown>;
    const principal = o.Principal as Record<string, unknown> | undefined;
    return (
      o.Effect === 'Allow' &&
      typeof principal === 'object' &&
      principal !== null &&
      strings(principal.Service).includes('ecs-tasks.amazonaws.com') &&
      strings(o.Action).some((a) => ['sts:assumerole', 'sts:*', '*'].includes(a.toLowerCase()))
    );
  });
}

/**
 * The roles of `account` (other than `self`) that Allow statements of a repository policy name and
 * ECS tasks assume, read with the consumer's credentials; a role that cannot be read is left out.
 */
async function grantedEcsRoles(
  iam: IAMClient,
  repositoryPolicy: string | undefined,
  account: string,
  self: string,
): Promise<string[]> {
  if (repositoryPolicy === undefined) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(repositoryPolicy);
  } catch {
    return [];
  }
  const list = (doc as { Statement?: unknown }).Statement;
  const roles = new Set<string>();
  for (const st of Array.isArray(list) ? list : [list]) {
    const o = (typeof st === 'object' && st !== null ? st : {}) as Record<string, unknown>;
    const principal = o.Principal as Record<string, unknown> | undefined;
    if (o.Effect !== 'Allow' || typeof principal !== 'object' || principal === null) continue;
    const aws =
      typeof principal.AWS === 'string' ? [principal.AWS] : Array.isArray(principal.AWS) ? principal.AWS : [];
    for (const arn of aws)
      if (typeof arn === 'string' && arn !== self && arn.startsWith(`arn:aws:iam::${account}:role/`))
        roles.add(arn);
  }
  const out: string[] = [];
  for (const arn of [...roles].slice(0, 10)) {
    try {
      const r = (await iam.send(new GetRoleCommand({ RoleName: arn.slice(arn.lastIndexOf('/') + 1) }))).Role;
      if (r?.Arn === arn && trustsEcsTasks(decodeDocument(r.AssumeRolePolicyDocument))) out.push(arn);
    } catch {
      // a role that is gone or unreadable says nothing about ECS
    }
  }
  return out;
}

/** A user's group policies; an endpoint without IAM groups is noted, not fatal. */
async function gatherGroups(
  iam: IAMClient,
  user: string,
  notConsidered: NotConsidered[],
): Promise<FetchedPolicy[]> {
  const out: FetchedPolicy[] = [];
  let groups: string[];
  try {
    groups = await drain(async (Marker) => {
      const o = await iam.send(new ListGroupsForUserCommand({ UserName: user, Marker }));
      return {
        items: (o.Groups ?? []).flatMap((g) => (g.GroupName !== undefined ? [g.GroupName] : [])),
        ...(o.IsTruncated === true && { next: o.Marker }),
      };
    });
  } catch (e) {
    notConsidered.push({ what: `the policies of the groups of user \`${user}\``, why: why(e) });
    return out;
  }
  try {
    for (const group of groups) {
      const names = await drain(async (Marker) => {
        const o = await iam.send(new ListGroupPoliciesCommand({ GroupName: group, Marker }));
        return { items: o.PolicyNames ?? [], ...(o.IsTruncated === true && { next: o.Marker }) };
      });
      for (const policyName of names) {
        const o = await iam.send(new GetGroupPolicyCommand({ GroupName: group, PolicyName: policyName }));
        out.push({
          id: `inline:group/${group}/${policyName}`,
          label: `inline policy \`${policyName}\` of group \`${group}\``,
          text: decodeDocument(o.PolicyDocument),
          origin: { kind: 'inline', entity: 'group', entityName: group, policyName },
        });
      }
      const attached = await drain(async (Marker) => {
        const o = await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: group, Marker }));
        return { items: o.AttachedPolicies ?? [], ...(o.IsTruncated === true && { next: o.Marker }) };
      });
      for (const a of attached) {
        if (a.PolicyArn === undefined) continue;
        out.push({
          id: `${a.PolicyArn}#group/${group}`,
          label: `managed policy \`${a.PolicyName ?? a.PolicyArn}\` attached to group \`${group}\``,
          text: await managedDocument(iam, a.PolicyArn),
          origin: { kind: 'managed', arn: a.PolicyArn, entity: 'group', entityName: group },
        });
      }
    }
  } catch (e) {
    notConsidered.push({ what: `the policies of the groups of user \`${user}\``, why: why(e) });
    return [];
  }
  return out;
}

/** The organization an account's credentials belong to, or why it is unknown. */
async function organizationOf(
  target: AwsTarget,
): Promise<{ id: string; management: string } | 'none' | { error: string }> {
  try {
    const o = await new OrganizationsClient(awsConfig(target)).send(new DescribeOrganizationCommand({}));
    const org = o.Organization;
    if (org?.Id === undefined) return 'none';
    return { id: org.Id, management: org.MasterAccountId ?? '' };
  } catch (e) {
    if (named(e, 'AWSOrganizationsNotInUseException')) return 'none';
    return { error: why(e) };
  }
}

/** SCPs or RCPs of an account, one list per level from the root down to the account. */
async function orgPolicyLevels(
  target: AwsTarget,
  accountId: string,
  type: OrgPolicyType,
  side: 'scp' | 'rcp',
): Promise<FetchedPolicy[][]> {
  const org = new OrganizationsClient(awsConfig(target));
  const chain = [accountId];
  let child = accountId;
  for (let depth = 0; depth < 10; depth++) {
    const parent = (await org.send(new ListParentsCommand({ ChildId: child }))).Parents?.[0];
    if (parent?.Id === undefined) break;
    chain.push(parent.Id);
    if (parent.Type === 'ROOT') break;
    child = parent.Id;
  }
  chain.reverse();
  const levels: FetchedPolicy[][] = [];
  for (const targetId of chain) {
    const summaries = await drain(async (NextToken) => {
      const o = await org.send(
        new ListPoliciesForTargetCommand({ TargetId: targetId, Filter: type, NextToken }),
      );
      return { items: o.Policies ?? [], ...(o.NextToken !== undefined && { next: o.NextToken }) };
    });
    const level: FetchedPolicy[] = [];
    for (const s of summaries) {
      if (s.Id === undefined) continue;
      const p = await org.send(new DescribePolicyCommand({ PolicyId: s.Id }));
      level.push({
        id: `${side}:${s.Id}@${targetId}`,
        label: `${POLICY_TYPE_NAMES[side]} \`${s.Name ?? s.Id}\` attached to ${targetId}`,
        text: p.Policy?.Content ?? '',
        origin: { kind: side, policyId: s.Id, target: targetId },
      });
    }
    levels.push(level);
  }
  return levels;
}

/**
 * SCPs (for the principal's account) or RCPs (for the repository's): read where Organizations
 * allows, `undefined` (with a note) where it does not, and not applied where AWS does not apply
 * them (no organization, the management account). Exported for `crossdock access`, which needs
 * them for every account it reads.
 */
export async function orgPolicies(
  side: 'scp' | 'rcp',
  accountId: string,
  accountTarget: AwsTarget,
  orgTarget: AwsTarget,
  notConsidered: NotConsidered[],
): Promise<{ levels?: FetchedPolicy[][]; orgId?: string }> {
  const what = `${SIDE_NAMES[side]} of account ${accountId}`;
  const org = await organizationOf(accountTarget);
  if (org === 'none') return {};
  if ('error' in org) {
    notConsidered.push({ what, why: `the organization could not be read (${org.error})` });
    return {};
  }
  if (org.management === accountId) return { orgId: org.id };
  try {
    const type: OrgPolicyType = side === 'scp' ? 'SERVICE_CONTROL_POLICY' : 'RESOURCE_CONTROL_POLICY';
    const levels = await orgPolicyLevels(orgTarget, accountId, type, side);
    // A level without any policy of the type means the type is not enabled (AWS attaches the
    // FullAWSAccess policy to every level when it is): nothing to apply.
    if (levels.every((l) => l.length === 0)) return { orgId: org.id };
    return { levels, orgId: org.id };
  } catch (e) {
    notConsidered.push({ what, why: why(e) });
    return { orgId: org.id };
  }
}

/** Reads everything the question needs; throws {@link ExplainError} when it cannot be answered. */
export async function gather(a: ExplainArgs): Promise<Gathered> {
  const notConsidered: NotConsidered[] = [];
  const repo = a.repository;
  const base = { region: repo.region, ...(a.endpoint !== undefined && { endpoint: a.endpoint }) };
  const consumer: AwsTarget = {
    ...base,
    ...(a.consumerProfile !== undefined && { profile: a.consumerProfile }),
  };
  const owner: AwsTarget = { ...base, ...(a.ownerProfile !== undefined && { profile: a.ownerProfile }) };
  const p = a.principal;

  const consumerAccount = await accountOf(consumer);
  if (consumerAccount !== p.accountId)
    throw new ExplainError(
      `the consumer credentials are of account ${consumerAccount}, but ${p.arn} is in account ${p.accountId}: ` +
        `pass --consumer-profile with credentials of account ${p.accountId}`,
    );
  const ownerAccount =
    repo.accountId === consumerAccount && a.ownerProfile === undefined
      ? consumerAccount
      : await accountOf(owner);

  const iam = new IAMClient(awsConfig(consumer));
  const id = await gatherIdentity(iam, p, notConsidered);

  // The repository side, with the owner's credentials.
  const ecr = new ECRClient(awsConfig(owner));
  let repositoryPolicy: FetchedPolicy | undefined;
  try {
    const out = await ecr.send(
      new GetRepositoryPolicyCommand({ registryId: repo.accountId, repositoryName: repo.name }),
    );
    if (out.policyText !== undefined)
      repositoryPolicy = {
        id: `repository-policy:${repo.name}`,
        label: `the repository policy of \`${repo.name}\` (account ${repo.accountId})`,
        text: out.policyText,
        origin: { kind: 'repository' },
      };
  } catch (e) {
    if (named(e, 'RepositoryNotFoundException'))
      throw new ExplainError(
        `repository \`${repo.name}\` does not exist in registry ${repo.accountId} (${repo.region})`,
      );
    if (!named(e, 'RepositoryPolicyNotFoundException'))
      throw new ExplainError(
        `cannot read the repository policy of \`${repo.name}\`: ${why(e)}; pass --owner-profile with credentials of account ${repo.accountId}`,
      );
  }
  let registryPolicy: FetchedPolicy | undefined;
  if (ownerAccount === repo.accountId) {
    try {
      const out = await ecr.send(new GetRegistryPolicyCommand({}));
      if (out.policyText !== undefined)
        registryPolicy = {
          id: 'registry-policy',
          label: `the registry policy of ${repo.accountId} (${repo.region})`,
          text: out.policyText,
          origin: { kind: 'registry' },
        };
    } catch (e) {
      if (!named(e, 'RegistryPolicyNotFoundException'))
        notConsidered.push({ what: `the registry policy of ${repo.accountId}`, why: why(e) });
    }
  } else {
    notConsidered.push({
      what: `the registry policy of ${repo.accountId}`,
      why: `only the registry's own account can read it (the owner credentials are of ${ownerAccount})`,
    });
  }
  let resourceTags: Record<string, string> | undefined;
  try {
    const out = await ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.arn }));
    resourceTags = tagRecord(out.tags?.map((t) => ({ Key: t.Key, Value: t.Value })));
  } catch (e) {
    notConsidered.push({
      what: `the tags of \`${repo.name}\` (aws:ResourceTag conditions see none)`,
      why: why(e),
    });
  }

  const orgTarget = (fallback: AwsTarget): AwsTarget =>
    a.orgProfile !== undefined ? { ...base, profile: a.orgProfile } : fallback;
  const callerIsEcsRole = trustsEcsTasks(id.trustPolicy);
  const ecsRoles =
    callerIsEcsRole && id.entity?.kind === 'role'
      ? await grantedEcsRoles(iam, repositoryPolicy?.text, p.accountId, id.principalArn)
      : [];
  const scp = await orgPolicies('scp', p.accountId, consumer, orgTarget(consumer), notConsidered);
  const rcp = await orgPolicies('rcp', repo.accountId, owner, orgTarget(owner), notConsidered);

  let principal: RequestPrincipal;
  const org = scp.orgId !== undefined ? { orgId: scp.orgId } : {};
  const tags = id.tags !== undefined ? { tags: id.tags } : {};
  const sessionName = p.kind === 'session' ? p.sessionName : a.sessionName;
  switch (p.kind) {
    case 'root':
      principal = {
        type: 'Account',
        arn: p.arn,
        account: p.accountId,
        principalArn: p.arn,
        userId: p.accountId,
        ...org,
      };
      break;
    case 'user':
      principal = {
        type: 'User',
        arn: id.principalArn,
        account: p.accountId,
        principalArn: id.principalArn,
        ...(id.uniqueId !== undefined && { uniqueId: id.uniqueId, userId: id.uniqueId }),
        userName: p.name,
        ...tags,
        ...org,
      };
      break;
    case 'role':
    case 'session':
      principal = {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${p.accountId}:assumed-role/${p.name}/${sessionName}`,
        account: p.accountId,
        principalArn: id.principalArn,
        ...(id.uniqueId !== undefined && { uniqueId: id.uniqueId, userId: `${id.uniqueId}:${sessionName}` }),
        ...tags,
        ...org,
      };
      if (p.kind === 'session')
        notConsidered.push({
          what: 'session policies and session tags of this session',
          why: 'IAM does not show what was passed to AssumeRole; the session is treated as having none',
        });
      break;
  }
  return {
    inputs: {
      principal,
      ...(id.entity !== undefined && { entity: id.entity }),
      repository: repo,
      ...(resourceTags !== undefined && { resourceTags }),
      context: globalKeys(a, principal),
      identity: id.identity,
      ...(id.boundary !== undefined && { boundary: id.boundary }),
      ...(repositoryPolicy !== undefined && { repositoryPolicy }),
      ...(registryPolicy !== undefined && { registryPolicy }),
      ...(scp.levels !== undefined && { scp: scp.levels }),
      ...(rcp.levels !== undefined && { rcp: rcp.levels }),
      ...(callerIsEcsRole && { ecs: { callerIsEcsRole, grantedEcsRoles: ecsRoles } }),
    },
    notConsidered,
  };
}

/** The request's global keys as a client calling now would send them. */
function globalKeys(a: ExplainArgs, principal: RequestPrincipal): Record<string, ContextValue> {
  const now = new Date();
  const iso = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const keys: Record<string, ContextValue> = {
    'aws:CurrentTime': iso,
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:RequestedRegion': a.repository.region,
    'aws:SecureTransport': a.endpoint?.startsWith('http://') === true ? 'false' : 'true',
    'aws:ViaAWSService': 'false',
  };
  if (principal.type === 'AssumedRole') {
    keys['aws:TokenIssueTime'] = iso;
    keys['aws:MultiFactorAuthPresent'] = 'false';
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Output.

const SIDES: readonly PolicyType[] = ['identity', 'resource', 'boundary', 'session', 'scp', 'rcp'];

function accountOfSide(e: ActionExplanation, side: PolicyType, a: ExplainArgs): string {
  return side === 'resource' || side === 'rcp' ? e.resourceAccount : a.principal.accountId;
}

function sideLine(e: ActionExplanation, side: PolicyType, a: ExplainArgs, g: Gathered): string | undefined {
  const v = e.sides[side];
  const name = SIDE_NAMES[side];
  const where = ` (account ${accountOfSide(e, side, a)})`;
  if (v === 'n/a') {
    if (side === 'resource' && e.resource === '*')
      return `${name}: not involved (${e.action} is authorized on "*" in the caller's own account)`;
    if (side === 'rcp' && e.resource === '*') return undefined;
    if (side === 'scp' || side === 'rcp') {
      const note = g.notConsidered.some((n) => n.what.startsWith(SIDE_NAMES[side]));
      return note ? `${name}${where}: not considered (see below)` : undefined;
    }
    return undefined;
  }
  const text =
    v === 'allow'
      ? 'allow'
      : v === 'deny'
        ? 'explicitly deny'
        : `no statement allows ${e.action} for this caller`;
  return `${name}${where}: ${text}`;
}

function statementName(index: number, sid: string | undefined): string {
  return sid !== undefined ? `statement #${index} "${sid}"` : `statement #${index}`;
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

function verdictText(e: { decision: string }): string {
  return e.decision === 'Allow'
    ? 'ALLOWED'
    : e.decision === 'ExplicitDeny'
      ? 'DENIED (explicit deny)'
      : 'DENIED (implicit deny)';
}

function render(a: ExplainArgs, g: Gathered, x: AccessExplanation): string {
  const out: string[] = [];
  const who = g.inputs.principal.arn;
  out.push(`principal:  ${who}`);
  out.push(
    `repository: ${a.repository.arn}${a.repository.reference !== undefined ? ` (image ${a.repository.reference})` : ''}`,
  );
  out.push(`decision:   ${verdictText(x)}`);
  for (const e of x.actions) {
    out.push('');
    const scope =
      e.resource === '*'
        ? 'authorized on "*" in the caller\'s own account: only identity-based policies can allow it'
        : e.crossAccount
          ? `cross-account (caller in ${a.principal.accountId}, resource in ${e.resourceAccount}): the identity side and the resource side must both allow`
          : 'same account: an allow on either side is enough unless something denies';
    out.push(`${e.action} on ${e.resource}: ${verdictText(e)}`);
    out.push(`  ${scope}`);
    if (e.message !== undefined) out.push(`  AWS: ${e.message}`);
    if (e.missing.length > 0) {
      const list = e.missing.map((t) => `the ${SIDE_NAMES[t]} (account ${accountOfSide(e, t, a)})`);
      out.push(`  missing: an Allow in ${list.join(' and in ')}`);
    }
    for (const side of SIDES) {
      const line = sideLine(e, side, a, g);
      if (line !== undefined) out.push(`  ${line}`);
    }
    if (e.deciding.length > 0) {
      out.push(
        e.decision === 'ExplicitDeny'
          ? '  denied by:'
          : e.decision === 'Allow'
            ? '  allowed by:'
            : '  allowing so far:',
      );
      for (const s of e.deciding)
        out.push(`    ${s.effect} in ${s.policy}, ${statementName(s.index, s.sid)}`);
    }
    if (e.hints.length > 0) {
      out.push(e.decision === 'Allow' ? '  note:' : '  why not:');
      for (const h of e.hints) out.push(`    ${h.policy}, ${statementName(h.index, h.sid)} ${h.text}`);
    }
  }
  if (x.fixes.length > 0) {
    out.push('');
    out.push(
      x.fixesSuffice
        ? 'fix (checked: with these changes the engine allows every action above):'
        : 'fix (partial: these changes are not enough on their own):',
    );
    // Several statements for one policy share its command: show it once, after the last of them.
    const last = new Map<string, number>();
    x.fixes.forEach((f, i) => {
      if (f.kind === 'add-statement' || f.kind === 'remove-statement') last.set(f.policyId, i);
    });
    x.fixes.forEach((f, i) => {
      const shared = f.kind === 'add-statement' || f.kind === 'remove-statement';
      out.push(renderFix(f, i + 1, !shared || last.get(f.policyId) === i));
    });
  } else if (x.decision !== 'Allow') {
    out.push('');
    out.push('fix: none found (see the notes above)');
  }
  out.push('');
  out.push('policies read:');
  const read = [
    ...g.inputs.identity.map((p) => p.label),
    ...(g.inputs.boundary !== undefined ? [g.inputs.boundary.label] : []),
    g.inputs.repositoryPolicy?.label ?? `the repository policy of \`${a.repository.name}\`: none set`,
    ...(g.inputs.registryPolicy !== undefined ? [g.inputs.registryPolicy.label] : []),
    `tags of \`${a.repository.name}\`: ${JSON.stringify(g.inputs.resourceTags ?? {})}`,
    ...(g.inputs.principal.tags !== undefined
      ? [`principal tags: ${JSON.stringify(g.inputs.principal.tags)}`]
      : []),
    ...(g.inputs.scp ?? []).flat().map((p) => p.label),
    ...(g.inputs.rcp ?? []).flat().map((p) => p.label),
  ];
  if (g.inputs.identity.length === 0 && g.inputs.principal.type !== 'Account')
    read.unshift('identity-based policies: none attached');
  for (const r of read) out.push(`  ${r}`);
  if (g.notConsidered.length > 0) {
    out.push('not considered:');
    for (const n of g.notConsidered) out.push(`  ${n.what}: ${n.why}`);
  }
  return out.join('\n');
}

function renderFix(f: Fix, n: number, withCommand: boolean): string {
  const lines: string[] = [];
  switch (f.kind) {
    case 'add-statement':
      lines.push(`  ${n}. add this statement to ${f.target}:`);
      lines.push(indent(JSON.stringify(f.statement, null, 2), '       '));
      if (f.command !== undefined && withCommand)
        lines.push(`     then: ${f.command}   (policy.json: the whole document, --json shows it)`);
      break;
    case 'remove-statement':
      lines.push(
        `  ${n}. remove ${statementName(f.index, f.sid)} from ${f.target} (or take the action out of it):`,
      );
      lines.push(indent(JSON.stringify(f.statement, null, 2), '       '));
      if (f.command !== undefined && withCommand)
        lines.push(
          `     then: ${f.command}${f.document !== undefined ? '   (policy.json: the whole document, --json shows it)' : ''}`,
        );
      break;
    case 'tag-resource':
    case 'tag-principal':
      lines.push(`  ${n}. tag ${f.target} with ${JSON.stringify(f.tags)}:`);
      lines.push(`     ${f.command}`);
      break;
  }
  return lines.join('\n');
}

function toJson(a: ExplainArgs, g: Gathered, x: AccessExplanation): unknown {
  const p = g.inputs.principal;
  return {
    principal: { arn: p.arn, type: p.type, account: p.account, principalArn: p.principalArn },
    repository: a.repository,
    decision: x.decision,
    actions: x.actions,
    fixes: x.fixes,
    fixesSuffice: x.fixesSuffice,
    policies: [
      ...g.inputs.identity.map((q) => ({ side: 'identity', id: q.id, label: q.label })),
      ...(g.inputs.boundary !== undefined
        ? [{ side: 'boundary', id: g.inputs.boundary.id, label: g.inputs.boundary.label }]
        : []),
      ...[g.inputs.repositoryPolicy, g.inputs.registryPolicy].flatMap((q) =>
        q !== undefined ? [{ side: 'resource', id: q.id, label: q.label }] : [],
      ),
      ...(g.inputs.scp ?? []).flat().map((q) => ({ side: 'scp', id: q.id, label: q.label })),
      ...(g.inputs.rcp ?? []).flat().map((q) => ({ side: 'rcp', id: q.id, label: q.label })),
    ],
    resourceTags: g.inputs.resourceTags ?? {},
    ...(g.inputs.ecs !== undefined && { ecs: g.inputs.ecs }),
    notConsidered: g.notConsidered,
  };
}

/**
 * The tree of an organization and its service control policies, as AWS Organizations keeps them:
 * the root, organizational units (five levels at most), accounts placed under the root or an OU,
 * customer managed SCPs, and their attachments. Only the management account calls these
 * (member accounts get AccessDeniedException, accounts outside the organization
 * AWSOrganizationsNotInUseException), each through the one door with its `organizations:` action.
 *
 * AWS's rules kept here: enabling SCPs on the root attaches the AWS managed `p-FullAWSAccess` to the
 * root, every OU and every account, and new OUs and accounts get it too; a target keeps at least one
 * SCP while SCPs are enabled, and at most five; disabling SCPs detaches every SCP. Documents are
 * validated as SCPs (no Principal, 5,120 characters counting whitespace).
 *
 * Answers are in AWS's member names and order, so the api adapter only dispatches.
 */
import type { Caller } from '../../auth/caller.js';
import { parsePolicy, PolicyError } from '../../iam/index.js';
import { AlreadyExists, Conflict, InvalidMarker, NotFound } from '../../store/meta/errors.js';
import type { MetadataTx } from '../../store/meta/MetadataStore.js';
import type { ListOptions, Page } from '../../store/meta/pagination.js';
import type {
  Account,
  Organization,
  OrganizationalUnit,
  OrgPolicy,
  OrgPolicyType,
} from '../../store/meta/records.js';
import { listAll } from '../authz.js';
import type { ServiceDeps } from '../context.js';
import { ServiceError } from '../errors.js';

/** The only policy type crossdock enforces. */
export const SCP: OrgPolicyType = 'SERVICE_CONTROL_POLICY';

/** The AWS managed SCP attached everywhere when SCPs are enabled. */
export const FULL_AWS_ACCESS = {
  id: 'p-FullAWSAccess',
  arn: 'arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess',
  name: 'FullAWSAccess',
  description: 'Allows access to every operation',
  content: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  }),
} as const;

/** Direct SCP attachments a target may have (AWS quota). */
export const MAX_SCPS_PER_TARGET = 5;
/** OU nesting depth under the root (AWS quota). */
export const MAX_OU_DEPTH = 5;
const MAX_SCP_SIZE = 5120;

const POLICY_TYPES = [
  'SERVICE_CONTROL_POLICY',
  'RESOURCE_CONTROL_POLICY',
  'TAG_POLICY',
  'BACKUP_POLICY',
  'AISERVICES_OPT_OUT_POLICY',
  'CHATBOT_POLICY',
  'DECLARATIVE_POLICY_EC2',
];

const err = (code: string, message: string, reason?: string): ServiceError =>
  new ServiceError(code, message, reason === undefined ? undefined : { Reason: reason });

/** Organizations' error sentences (the AWS Organizations API reference wording). */
export const orgErrors = {
  rootNotFound: () =>
    err('RootNotFoundException', "We can't find a root with the RootId that you specified."),
  policyNotFound: () =>
    err('PolicyNotFoundException', "We can't find a policy with the PolicyId that you specified."),
  ouNotFound: () =>
    err(
      'OrganizationalUnitNotFoundException',
      "We can't find an OU with the OrganizationalUnitId that you specified.",
    ),
  parentNotFound: () =>
    err('ParentNotFoundException', "We can't find a root or OU with the ParentId that you specified."),
  childNotFound: () =>
    err(
      'ChildNotFoundException',
      "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
    ),
  targetNotFound: () =>
    err(
      'TargetNotFoundException',
      "We can't find a root, OU, or account with the TargetId that you specified.",
    ),
  accountNotFound: () => err('AccountNotFoundException', "You specified an account that doesn't exist."),
  sourceParentNotFound: () =>
    err(
      'SourceParentNotFoundException',
      "We can't find a source root or OU with the ParentId that you specified.",
    ),
  destinationParentNotFound: () =>
    err(
      'DestinationParentNotFoundException',
      "We can't find a destination root or OU with the ParentId that you specified.",
    ),
  duplicateAccount: () =>
    err('DuplicateAccountException', 'That account is already present in the specified destination.'),
  duplicateOu: () => err('DuplicateOrganizationalUnitException', 'An OU with the same name already exists.'),
  duplicatePolicy: () => err('DuplicatePolicyException', 'A policy with the same name already exists.'),
  duplicateAttachment: () =>
    err(
      'DuplicatePolicyAttachmentException',
      'The selected policy is already attached to the specified target.',
    ),
  notAttached: () =>
    err(
      'PolicyNotAttachedException',
      "The policy isn't attached to the specified target in the specified root.",
    ),
  policyInUse: () =>
    err(
      'PolicyInUseException',
      'The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.',
    ),
  typeEnabled: () =>
    err(
      'PolicyTypeAlreadyEnabledException',
      'The specified policy type is already enabled in the specified root.',
    ),
  typeNotEnabled: () =>
    err(
      'PolicyTypeNotEnabledException',
      "The specified policy type isn't currently enabled in this root. You can't attach policies of the specified type to entities in a root until you enable that type in the root.",
    ),
  typeNotAvailable: () =>
    err(
      'PolicyTypeNotAvailableForOrganizationException',
      "You can't use the specified policy type with the feature set currently enabled for this organization.",
    ),
  ouNotEmpty: () =>
    err(
      'OrganizationalUnitNotEmptyException',
      'The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.',
    ),
  malformed: () =>
    err(
      'MalformedPolicyDocumentException',
      "The provided policy document doesn't meet the requirements of the specified policy type.",
    ),
  awsManaged: () =>
    err('InvalidInputException', "You can't modify or delete an AWS managed policy.", 'INVALID_INPUT'),
  minAttachments: () =>
    err(
      'ConstraintViolationException',
      'You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required.',
      'MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED',
    ),
  maxAttachments: () =>
    err(
      'ConstraintViolationException',
      'You have attached the maximum number of policies to the specified target.',
      'MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED',
    ),
  depth: () =>
    err(
      'ConstraintViolationException',
      'You attempted to create an OU tree that is too many levels deep.',
      'OU_DEPTH_LIMIT_EXCEEDED',
    ),
  contentLimit: () =>
    err(
      'ConstraintViolationException',
      'You attempted to create a policy that is larger than the maximum size allowed.',
      'POLICY_CONTENT_LIMIT_EXCEEDED',
    ),
  invalid: (message: string, reason = 'INVALID_INPUT') => err('InvalidInputException', message, reason),
  notInUse: () =>
    err('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.'),
  notManagement: () => err('AccessDeniedException', "You don't have permissions to access this resource."),
};
const E = orgErrors;

/** AWS's Organizations ARNs of the tree and its policies. */
export const treeArns = {
  root: (o: Organization) => `arn:aws:organizations::${o.managementAccountId}:root/${o.id}/${o.rootId}`,
  ou: (o: Organization, id: string) => `arn:aws:organizations::${o.managementAccountId}:ou/${o.id}/${id}`,
  account: (o: Organization, id: string) =>
    `arn:aws:organizations::${o.managementAccountId}:account/${o.id}/${id}`,
  policy: (o: Organization, id: string) =>
    id === FULL_AWS_ACCESS.id
      ? FULL_AWS_ACCESS.arn
      : `arn:aws:organizations::${o.managementAccountId}:policy/${o.id}/service_control_policy/${id}`,
};

/** `PolicySummary`. */
export interface PolicySummaryOut {
  readonly Id: string;
  readonly Arn: string;
  readonly Name: string;
  readonly Description: string;
  readonly Type: string;
  readonly AwsManaged: boolean;
}

/** `Root`. */
export interface RootOut {
  readonly Id: string;
  readonly Arn: string;
  readonly Name: string;
  readonly PolicyTypes: { readonly Type: string; readonly Status: string }[];
}

/** `OrganizationalUnit`. */
export interface OuOut {
  readonly Id: string;
  readonly Arn: string;
  readonly Name: string;
}

/** NextToken/MaxResults of Organizations list operations. */
export interface OrgPaging {
  readonly NextToken?: string;
  readonly MaxResults?: number;
}

type TargetType = 'ROOT' | 'ORGANIZATIONAL_UNIT' | 'ACCOUNT';

/** A resolved target of the organization's tree. */
interface Target {
  readonly id: string;
  readonly type: TargetType;
  readonly name: string;
  readonly arn: string;
}

function paging(p: OrgPaging): ListOptions {
  if (
    p.MaxResults !== undefined &&
    (!Number.isInteger(p.MaxResults) || p.MaxResults < 1 || p.MaxResults > 20)
  ) {
    throw E.invalid('You provided a value that does not match the required pattern.', 'INVALID_INPUT');
  }
  return { maxItems: p.MaxResults ?? 20, ...(p.NextToken !== undefined && { marker: p.NextToken }) };
}

async function paged<T>(fn: () => Promise<Page<T>>): Promise<Page<T>> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof InvalidMarker)
      throw E.invalid('The NextToken value is not valid.', 'INVALID_NEXT_TOKEN');
    throw e;
  }
}

const next = (p: Page<unknown>) => (p.marker === undefined ? {} : { NextToken: p.marker });

function fullAccessSummary(): PolicySummaryOut {
  return {
    Id: FULL_AWS_ACCESS.id,
    Arn: FULL_AWS_ACCESS.arn,
    Name: FULL_AWS_ACCESS.name,
    Description: FULL_AWS_ACCESS.description,
    Type: SCP,
    AwsManaged: true,
  };
}

/** The organization's tree and its service control policies (see the module comment). */
export class OrganizationTreeService {
  constructor(private readonly deps: ServiceDeps) {}

  // ─── plumbing ────────────────────────────────────────────────────────────────────────────────

  /** The caller's organization, when the caller is its management account. */
  private async management(caller: Caller, action: string, resource = '*'): Promise<Organization> {
    const id = caller.account.organizationId;
    const org = id === undefined ? undefined : await this.deps.store.organizations.get(id);
    if (org === undefined) throw E.notInUse();
    if (org.managementAccountId !== caller.account.id) throw E.notManagement();
    await this.deps.authz.authorize({ caller, action, resource });
    return org;
  }

  private summary(org: Organization, p: OrgPolicy): PolicySummaryOut {
    return {
      Id: p.id,
      Arn: treeArns.policy(org, p.id),
      Name: p.name,
      Description: p.description,
      Type: p.type,
      AwsManaged: false,
    };
  }

  private async rootOut(tx: MetadataTx, org: Organization): Promise<RootOut> {
    const types = await tx.orgPolicies.enabledTypes(org.rootId);
    return {
      Id: org.rootId,
      Arn: treeArns.root(org),
      Name: 'Root',
      PolicyTypes: types.map((t) => ({ Type: t, Status: 'ENABLED' })),
    };
  }

  private ouOut(org: Organization, ou: OrganizationalUnit): OuOut {
    return { Id: ou.id, Arn: treeArns.ou(org, ou.id), Name: ou.name };
  }

  private async scpEnabled(tx: MetadataTx, org: Organization): Promise<boolean> {
    return (await tx.orgPolicies.enabledTypes(org.rootId)).includes(SCP);
  }

  /** A root, OU or account of the organization, or `undefined`. */
  private async target(tx: MetadataTx, org: Organization, id: string): Promise<Target | undefined> {
    if (id === org.rootId) return { id, type: 'ROOT', name: 'Root', arn: treeArns.root(org) };
    if (id.startsWith('ou-')) {
      const ou = await tx.organizationalUnits.get(id);
      return ou?.organizationId === org.id
        ? { id, type: 'ORGANIZATIONAL_UNIT', name: ou.name, arn: treeArns.ou(org, id) }
        : undefined;
    }
    const a = /^\d{12}$/.test(id) ? await tx.accounts.get(id) : undefined;
    return a?.organizationId === org.id
      ? { id, type: 'ACCOUNT', name: a.name, arn: treeArns.account(org, id) }
      : undefined;
  }

  /** The root or an OU of the organization (a parent), or `undefined`. */
  private async parent(tx: MetadataTx, org: Organization, id: string): Promise<Target | undefined> {
    const t = await this.target(tx, org, id);
    return t?.type === 'ACCOUNT' ? undefined : t;
  }

  private async memberAccount(tx: MetadataTx, org: Organization, id: string): Promise<Account> {
    const a = /^\d{12}$/.test(id) ? await tx.accounts.get(id) : undefined;
    if (a?.organizationId !== org.id) throw E.accountNotFound();
    return a;
  }

  /** A policy of the organization by id (`p-FullAWSAccess` included), or PolicyNotFoundException. */
  private async policy(tx: MetadataTx, org: Organization, id: string): Promise<OrgPolicy> {
    if (id === FULL_AWS_ACCESS.id) {
      return {
        id,
        organizationId: org.id,
        type: SCP,
        name: FULL_AWS_ACCESS.name,
        description: FULL_AWS_ACCESS.description,
        content: FULL_AWS_ACCESS.content,
      };
    }
    const p = id.startsWith('p-') ? await tx.orgPolicies.get(id) : undefined;
    if (p?.organizationId !== org.id) throw E.policyNotFound();
    return p;
  }

  private policyOut(org: Organization, p: OrgPolicy) {
    const summary = p.id === FULL_AWS_ACCESS.id ? fullAccessSummary() : this.summary(org, p);
    return { Policy: { PolicySummary: summary, Content: p.content } };
  }

  /** Validates an SCP document as Organizations does. */
  private checkContent(content: string): void {
    if (content.length > MAX_SCP_SIZE) throw E.contentLimit();
    try {
      parsePolicy(content, { kind: 'scp' });
    } catch (e) {
      if (e instanceof PolicyError) {
        if (e.code === 'LimitExceeded') throw E.contentLimit();
        throw E.malformed();
      }
      throw e;
    }
  }

  private checkType(type: string): void {
    if (!POLICY_TYPES.includes(type)) {
      throw E.invalid(`policy type \`${type}\` is not one of ${POLICY_TYPES.join(', ')}`, 'INVALID_ENUM');
    }
    if (type !== SCP) throw E.typeNotAvailable();
  }

  private checkName(name: string | undefined, max: number): void {
    if (name !== undefined && (name.length < 1 || name.length > max)) {
      throw E.invalid(`names are 1 to ${max} characters`, 'INPUT_REQUIRED');
    }
  }

  /** How deep an OU is (1 for an OU under the root). */
  private async depth(tx: MetadataTx, org: Organization, id: string): Promise<number> {
    let n = 0;
    let cur: string = id;
    while (cur !== org.rootId && n <= MAX_OU_DEPTH + 1) {
      const ou = await tx.organizationalUnits.get(cur);
      if (ou === undefined) break;
      n++;
      cur = ou.parentId;
    }
    return n;
  }

  /**
   * Called when an account joins the organization (CreateAccount, first start): with SCPs
   * enabled, the account gets FullAWSAccess as AWS attaches it.
   */
  async onAccountJoined(tx: MetadataTx, org: Organization, accountId: string): Promise<void> {
    if (await this.scpEnabled(tx, org)) await tx.orgPolicies.attach(FULL_AWS_ACCESS.id, accountId);
  }

  // ─── roots and policy types ──────────────────────────────────────────────────────────────────

  /** ListRoots: the one root with its enabled policy types. */
  async listRoots(caller: Caller, p: OrgPaging): Promise<{ Roots: RootOut[] }> {
    const org = await this.management(caller, 'organizations:ListRoots');
    paging(p);
    return { Roots: [await this.rootOut(this.deps.store, org)] };
  }

  /** EnablePolicyType: SCPs only; attaches FullAWSAccess to the root, every OU and every account. */
  async enablePolicyType(
    caller: Caller,
    input: { RootId: string; PolicyType: string },
  ): Promise<{ Root: RootOut }> {
    const org = await this.management(caller, 'organizations:EnablePolicyType');
    if (input.RootId !== org.rootId) throw E.rootNotFound();
    this.checkType(input.PolicyType);
    // Policies need all features; an organization of consolidated billing only has none.
    if (org.featureSet !== 'ALL') throw E.typeNotAvailable();
    return this.deps.store.transaction(async (tx) => {
      if (await this.scpEnabled(tx, org)) throw E.typeEnabled();
      await tx.orgPolicies.setTypeEnabled(org.rootId, SCP, true);
      for (const target of await this.allTargets(tx, org)) {
        const attached = await listAll((m) => tx.orgPolicies.listForTarget(target, { marker: m }));
        if (!attached.includes(FULL_AWS_ACCESS.id)) await tx.orgPolicies.attach(FULL_AWS_ACCESS.id, target);
      }
      return { Root: await this.rootOut(tx, org) };
    });
  }

  /** DisablePolicyType: detaches every SCP from every target. */
  async disablePolicyType(
    caller: Caller,
    input: { RootId: string; PolicyType: string },
  ): Promise<{ Root: RootOut }> {
    const org = await this.management(caller, 'organizations:DisablePolicyType');
    if (input.RootId !== org.rootId) throw E.rootNotFound();
    this.checkType(input.PolicyType);
    return this.deps.store.transaction(async (tx) => {
      if (!(await this.scpEnabled(tx, org))) throw E.typeNotEnabled();
      for (const target of await this.allTargets(tx, org)) {
        for (const id of await listAll((m) => tx.orgPolicies.listForTarget(target, { marker: m }))) {
          await tx.orgPolicies.detach(id, target);
        }
      }
      await tx.orgPolicies.setTypeEnabled(org.rootId, SCP, false);
      return { Root: await this.rootOut(tx, org) };
    });
  }

  /** The root, every OU (top-down) and every account of the organization. */
  private async allTargets(tx: MetadataTx, org: Organization): Promise<string[]> {
    const out = [org.rootId];
    const queue = [org.rootId];
    while (queue.length > 0) {
      const parent = queue.shift()!;
      for (const ou of await listAll((m) => tx.organizationalUnits.list(parent, { marker: m }))) {
        out.push(ou.id);
        queue.push(ou.id);
      }
    }
    const accounts = await listAll((m) => tx.accounts.list({ organizationId: org.id, marker: m }));
    return [...out, ...accounts.map((a) => a.id)];
  }

  // ─── policies ────────────────────────────────────────────────────────────────────────────────

  /** CreatePolicy: a customer managed SCP. */
  async createPolicy(
    caller: Caller,
    input: { Content: string; Description: string; Name: string; Type: string },
  ): Promise<ReturnType<OrganizationTreeService['policyOut']>> {
    const org = await this.management(caller, 'organizations:CreatePolicy');
    this.checkName(input.Name, 128);
    if (input.Description.length > 512) throw E.invalid('descriptions are at most 512 characters');
    this.checkType(input.Type);
    this.checkContent(input.Content);
    const policy: OrgPolicy = {
      id: this.deps.ids.org('p-', 8),
      organizationId: org.id,
      type: SCP,
      name: input.Name,
      description: input.Description,
      content: input.Content,
    };
    try {
      await this.deps.store.orgPolicies.create(policy);
    } catch (e) {
      if (e instanceof AlreadyExists) throw E.duplicatePolicy();
      throw e;
    }
    return this.policyOut(org, policy);
  }

  /** DescribePolicy (FullAWSAccess included). */
  async describePolicy(caller: Caller, input: { PolicyId: string }) {
    const org = await this.management(caller, 'organizations:DescribePolicy');
    return this.policyOut(org, await this.policy(this.deps.store, org, input.PolicyId));
  }

  /** UpdatePolicy: name, description and/or content of a customer managed policy. */
  async updatePolicy(
    caller: Caller,
    input: { PolicyId: string; Name?: string; Description?: string; Content?: string },
  ) {
    const org = await this.management(caller, 'organizations:UpdatePolicy');
    this.checkName(input.Name, 128);
    if (input.Description !== undefined && input.Description.length > 512) {
      throw E.invalid('descriptions are at most 512 characters');
    }
    const p = await this.policy(this.deps.store, org, input.PolicyId);
    if (p.id === FULL_AWS_ACCESS.id) throw E.awsManaged();
    if (input.Content !== undefined) this.checkContent(input.Content);
    try {
      const updated = await this.deps.store.orgPolicies.update(p.id, {
        ...(input.Name !== undefined && { name: input.Name }),
        ...(input.Description !== undefined && { description: input.Description }),
        ...(input.Content !== undefined && { content: input.Content }),
      });
      return this.policyOut(org, updated);
    } catch (e) {
      if (e instanceof AlreadyExists) throw E.duplicatePolicy();
      if (e instanceof NotFound) throw E.policyNotFound();
      throw e;
    }
  }

  /** DeletePolicy: refused while attached anywhere. */
  async deletePolicy(caller: Caller, input: { PolicyId: string }): Promise<void> {
    const org = await this.management(caller, 'organizations:DeletePolicy');
    const p = await this.policy(this.deps.store, org, input.PolicyId);
    if (p.id === FULL_AWS_ACCESS.id) throw E.awsManaged();
    try {
      await this.deps.store.orgPolicies.delete(p.id);
    } catch (e) {
      if (e instanceof Conflict) throw E.policyInUse();
      if (e instanceof NotFound) throw E.policyNotFound();
      throw e;
    }
  }

  /** ListPolicies (Filter: the policy type); FullAWSAccess is listed first among SCPs. */
  async listPolicies(
    caller: Caller,
    input: OrgPaging & { Filter: string },
  ): Promise<{ Policies: PolicySummaryOut[]; NextToken?: string }> {
    const org = await this.management(caller, 'organizations:ListPolicies');
    const opts = paging(input);
    if (!POLICY_TYPES.includes(input.Filter)) {
      throw E.invalid(
        `policy type \`${input.Filter}\` is not one of ${POLICY_TYPES.join(', ')}`,
        'INVALID_ENUM',
      );
    }
    if (input.Filter !== SCP) return { Policies: [] };
    // The first page starts with FullAWSAccess, which has no row of its own.
    const first = input.NextToken === undefined;
    const size = first ? Math.max(1, (opts.maxItems ?? 20) - 1) : opts.maxItems;
    const page = await paged(() =>
      this.deps.store.orgPolicies.list(org.id, {
        ...opts,
        ...(size !== undefined && { maxItems: size }),
        type: SCP,
      }),
    );
    const items = page.items.map((p) => this.summary(org, p));
    return { Policies: first ? [fullAccessSummary(), ...items] : items, ...next(page) };
  }

  /** AttachPolicy: SCPs must be enabled; five per target at most. */
  async attachPolicy(caller: Caller, input: { PolicyId: string; TargetId: string }): Promise<void> {
    const org = await this.management(caller, 'organizations:AttachPolicy');
    await this.deps.store.transaction(async (tx) => {
      const p = await this.policy(tx, org, input.PolicyId);
      if ((await this.target(tx, org, input.TargetId)) === undefined) throw E.targetNotFound();
      if (!(await this.scpEnabled(tx, org))) throw E.typeNotEnabled();
      const attached = await listAll((m) => tx.orgPolicies.listForTarget(input.TargetId, { marker: m }));
      if (attached.includes(p.id)) throw E.duplicateAttachment();
      if (attached.length >= MAX_SCPS_PER_TARGET) throw E.maxAttachments();
      await tx.orgPolicies.attach(p.id, input.TargetId);
    });
  }

  /** DetachPolicy: a target keeps at least one SCP. */
  async detachPolicy(caller: Caller, input: { PolicyId: string; TargetId: string }): Promise<void> {
    const org = await this.management(caller, 'organizations:DetachPolicy');
    await this.deps.store.transaction(async (tx) => {
      const p = await this.policy(tx, org, input.PolicyId);
      if ((await this.target(tx, org, input.TargetId)) === undefined) throw E.targetNotFound();
      const attached = await listAll((m) => tx.orgPolicies.listForTarget(input.TargetId, { marker: m }));
      if (!attached.includes(p.id)) throw E.notAttached();
      if (attached.length <= 1) throw E.minAttachments();
      await tx.orgPolicies.detach(p.id, input.TargetId);
    });
  }

  /** ListPoliciesForTarget. */
  async listPoliciesForTarget(
    caller: Caller,
    input: OrgPaging & { TargetId: string; Filter: string },
  ): Promise<{ Policies: PolicySummaryOut[]; NextToken?: string }> {
    const org = await this.management(caller, 'organizations:ListPoliciesForTarget');
    const opts = paging(input);
    if (!POLICY_TYPES.includes(input.Filter)) {
      throw E.invalid(
        `policy type \`${input.Filter}\` is not one of ${POLICY_TYPES.join(', ')}`,
        'INVALID_ENUM',
      );
    }
    if ((await this.target(this.deps.store, org, input.TargetId)) === undefined) throw E.targetNotFound();
    if (input.Filter !== SCP) return { Policies: [] };
    const page = await paged(() => this.deps.store.orgPolicies.listForTarget(input.TargetId, opts));
    const out: PolicySummaryOut[] = [];
    for (const id of page.items) {
      const p = await this.policy(this.deps.store, org, id).catch(() => undefined);
      if (p !== undefined) out.push(p.id === FULL_AWS_ACCESS.id ? fullAccessSummary() : this.summary(org, p));
    }
    return { Policies: out, ...next(page) };
  }

  /** ListTargetsForPolicy. */
  async listTargetsForPolicy(
    caller: Caller,
    input: OrgPaging & { PolicyId: string },
  ): Promise<{
    Targets: { TargetId: string; Arn: string; Name: string; Type: string }[];
    NextToken?: string;
  }> {
    const org = await this.management(caller, 'organizations:ListTargetsForPolicy');
    const opts = paging(input);
    const p = await this.policy(this.deps.store, org, input.PolicyId);
    const page = await paged(() => this.deps.store.orgPolicies.listTargets(p.id, opts));
    const targets = [];
    for (const id of page.items) {
      const t = await this.target(this.deps.store, org, id);
      if (t !== undefined) targets.push({ TargetId: t.id, Arn: t.arn, Name: t.name, Type: t.type });
    }
    return { Targets: targets, ...next(page) };
  }

  // ─── the tree ────────────────────────────────────────────────────────────────────────────────

  /** ListParents: the one parent of an OU or account. */
  async listParents(caller: Caller, input: OrgPaging & { ChildId: string }) {
    const org = await this.management(caller, 'organizations:ListParents');
    paging(input);
    const store = this.deps.store;
    let parentId: string;
    if (input.ChildId.startsWith('ou-')) {
      const ou = await store.organizationalUnits.get(input.ChildId);
      if (ou?.organizationId !== org.id) throw E.childNotFound();
      parentId = ou.parentId;
    } else {
      const a = /^\d{12}$/.test(input.ChildId) ? await store.accounts.get(input.ChildId) : undefined;
      if (a?.organizationId !== org.id) throw E.childNotFound();
      parentId = await store.organizationalUnits.parentOf(a.id);
    }
    return { Parents: [{ Id: parentId, Type: parentId === org.rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }] };
  }

  /** ListChildren: the OUs or the accounts directly under a parent. */
  async listChildren(caller: Caller, input: OrgPaging & { ParentId: string; ChildType: string }) {
    const org = await this.management(caller, 'organizations:ListChildren');
    const opts = paging(input);
    if (input.ChildType !== 'ACCOUNT' && input.ChildType !== 'ORGANIZATIONAL_UNIT') {
      throw E.invalid(
        `child type \`${input.ChildType}\` is not ACCOUNT or ORGANIZATIONAL_UNIT`,
        'INVALID_ENUM',
      );
    }
    if ((await this.parent(this.deps.store, org, input.ParentId)) === undefined) throw E.parentNotFound();
    if (input.ChildType === 'ACCOUNT') {
      const page = await paged(() =>
        this.deps.store.organizationalUnits.listAccounts(org.id, input.ParentId, opts),
      );
      return { Children: page.items.map((id) => ({ Id: id, Type: 'ACCOUNT' })), ...next(page) };
    }
    const page = await paged(() => this.deps.store.organizationalUnits.list(input.ParentId, opts));
    return { Children: page.items.map((o) => ({ Id: o.id, Type: 'ORGANIZATIONAL_UNIT' })), ...next(page) };
  }

  /** CreateOrganizationalUnit: at most five levels; it gets FullAWSAccess when SCPs are enabled. */
  async createOrganizationalUnit(caller: Caller, input: { ParentId: string; Name: string }) {
    const org = await this.management(caller, 'organizations:CreateOrganizationalUnit');
    this.checkName(input.Name, 128);
    return this.deps.store.transaction(async (tx) => {
      const parent = await this.parent(tx, org, input.ParentId);
      if (parent === undefined) throw E.parentNotFound();
      if (parent.type === 'ORGANIZATIONAL_UNIT' && (await this.depth(tx, org, parent.id)) >= MAX_OU_DEPTH) {
        throw E.depth();
      }
      const ou: OrganizationalUnit = {
        id: `ou-${org.rootId.slice(2)}-${this.deps.ids.org('ou-', 8).slice(3)}`,
        organizationId: org.id,
        parentId: parent.id,
        name: input.Name,
      };
      try {
        await tx.organizationalUnits.create(ou);
      } catch (e) {
        if (e instanceof AlreadyExists) throw E.duplicateOu();
        throw e;
      }
      if (await this.scpEnabled(tx, org)) await tx.orgPolicies.attach(FULL_AWS_ACCESS.id, ou.id);
      return { OrganizationalUnit: this.ouOut(org, ou) };
    });
  }

  private async mustOu(org: Organization, id: string): Promise<OrganizationalUnit> {
    const ou = id.startsWith('ou-') ? await this.deps.store.organizationalUnits.get(id) : undefined;
    if (ou?.organizationId !== org.id) throw E.ouNotFound();
    return ou;
  }

  /** DescribeOrganizationalUnit. */
  async describeOrganizationalUnit(caller: Caller, input: { OrganizationalUnitId: string }) {
    const org = await this.management(caller, 'organizations:DescribeOrganizationalUnit');
    return { OrganizationalUnit: this.ouOut(org, await this.mustOu(org, input.OrganizationalUnitId)) };
  }

  /** UpdateOrganizationalUnit: renames. */
  async updateOrganizationalUnit(caller: Caller, input: { OrganizationalUnitId: string; Name?: string }) {
    const org = await this.management(caller, 'organizations:UpdateOrganizationalUnit');
    this.checkName(input.Name, 128);
    const ou = await this.mustOu(org, input.OrganizationalUnitId);
    try {
      const updated = await this.deps.store.organizationalUnits.update(ou.id, {
        ...(input.Name !== undefined && { name: input.Name }),
      });
      return { OrganizationalUnit: this.ouOut(org, updated) };
    } catch (e) {
      if (e instanceof AlreadyExists) throw E.duplicateOu();
      throw e;
    }
  }

  /** DeleteOrganizationalUnit: only an empty OU; its attachments go with it. */
  async deleteOrganizationalUnit(caller: Caller, input: { OrganizationalUnitId: string }): Promise<void> {
    const org = await this.management(caller, 'organizations:DeleteOrganizationalUnit');
    const ou = await this.mustOu(org, input.OrganizationalUnitId);
    try {
      await this.deps.store.organizationalUnits.delete(ou.id);
    } catch (e) {
      if (e instanceof Conflict) throw E.ouNotEmpty();
      throw e;
    }
  }

  /** ListOrganizationalUnitsForParent. */
  async listOrganizationalUnitsForParent(caller: Caller, input: OrgPaging & { ParentId: string }) {
    const org = await this.management(caller, 'organizations:ListOrganizationalUnitsForParent');
    const opts = paging(input);
    if ((await this.parent(this.deps.store, org, input.ParentId)) === undefined) throw E.parentNotFound();
    const page = await paged(() => this.deps.store.organizationalUnits.list(input.ParentId, opts));
    return { OrganizationalUnits: page.items.map((o) => this.ouOut(org, o)), ...next(page) };
  }

  /** MoveAccount: from its current parent (which must be SourceParentId) to another. */
  async moveAccount(
    caller: Caller,
    input: { AccountId: string; SourceParentId: string; DestinationParentId: string },
  ): Promise<void> {
    const org = await this.management(caller, 'organizations:MoveAccount');
    await this.deps.store.transaction(async (tx) => {
      const account = await this.memberAccount(tx, org, input.AccountId);
      if ((await this.parent(tx, org, input.SourceParentId)) === undefined) throw E.sourceParentNotFound();
      if ((await this.parent(tx, org, input.DestinationParentId)) === undefined)
        throw E.destinationParentNotFound();
      const current = await tx.organizationalUnits.parentOf(account.id);
      if (current !== input.SourceParentId) throw E.accountNotFound();
      if (current === input.DestinationParentId) throw E.duplicateAccount();
      await tx.organizationalUnits.moveAccount(account.id, input.DestinationParentId);
    });
  }

  /** ListAccountsForParent. */
  async listAccountsForParent(
    caller: Caller,
    input: OrgPaging & { ParentId: string },
  ): Promise<{ Accounts: Account[]; NextToken?: string; org: Organization }> {
    const org = await this.management(caller, 'organizations:ListAccountsForParent');
    const opts = paging(input);
    if ((await this.parent(this.deps.store, org, input.ParentId)) === undefined) throw E.parentNotFound();
    const page = await paged(() =>
      this.deps.store.organizationalUnits.listAccounts(org.id, input.ParentId, opts),
    );
    const accounts: Account[] = [];
    for (const id of page.items) {
      const a = await this.deps.store.accounts.get(id);
      if (a !== undefined) accounts.push(a);
    }
    return { Accounts: accounts, ...next(page), org };
  }
}

/** The OUs from the root down to an account's parent (empty under the root). */
async function ouChain(store: MetadataTx, org: Organization, accountId: string): Promise<string[]> {
  const chain: string[] = [];
  let parent = await store.organizationalUnits.parentOf(accountId);
  for (let guard = 0; parent !== org.rootId && guard <= MAX_OU_DEPTH + 1; guard++) {
    chain.unshift(parent);
    const ou = await store.organizationalUnits.get(parent);
    if (ou === undefined) break;
    parent = ou.parentId;
  }
  return chain;
}

/**
 * `aws:PrincipalOrgPaths` of an account's principals, `o-…/r-…/ou-…/…/` down to the account's
 * parent, or `undefined` outside an organization.
 */
export async function orgPathOf(store: MetadataTx, account: Account): Promise<string | undefined> {
  if (account.organizationId === undefined) return undefined;
  const org = await store.organizations.get(account.organizationId);
  if (org === undefined) return undefined;
  const ous = await ouChain(store, org, account.id);
  return `${org.id}/${org.rootId}/${ous.map((id) => `${id}/`).join('')}`;
}

/**
 * The SCP levels that apply to an account, for the door: `undefined` when none apply (not in an
 * organization, the management account, SCPs not enabled); otherwise one list of documents per
 * level from the root down through its OUs to the account itself, each `{ id, content }`.
 */
export async function scpLevels(
  store: MetadataTx,
  account: Account,
): Promise<{ readonly id: string; readonly content: string }[][] | undefined> {
  if (account.organizationId === undefined) return undefined;
  const org = await store.organizations.get(account.organizationId);
  if (org === undefined || org.managementAccountId === account.id) return undefined;
  if (!(await store.orgPolicies.enabledTypes(org.rootId)).includes(SCP)) return undefined;
  const chain = [org.rootId, ...(await ouChain(store, org, account.id)), account.id];
  const levels: { id: string; content: string }[][] = [];
  for (const target of chain) {
    const level: { id: string; content: string }[] = [];
    for (const id of await listAll((m) => store.orgPolicies.listForTarget(target, { marker: m }))) {
      if (id === FULL_AWS_ACCESS.id) {
        level.push({ id, content: FULL_AWS_ACCESS.content });
        continue;
      }
      const p = await store.orgPolicies.get(id);
      if (p?.type === SCP) level.push({ id: p.id, content: p.content });
    }
    levels.push(level);
  }
  return levels;
}

/**
 * How IAM names and shows its entities: ARNs, the resource phrases of its AccessDenied sentences
 * (IAM says `on resource: role NAME` for most operations on an existing role, but the ARN for
 * CreateRole), and the output objects of its answers in the API model's member order.
 */
import { createHash } from 'node:crypto';
import { roleArn, userArn } from '../../auth/caller.js';
import type { ManagedPolicy as AwsManagedPolicy } from '../../iam/data/managedPolicies.js';
import type {
  Group,
  InstanceProfile,
  ManagedPolicy,
  PolicyVersion,
  Role,
  Tag,
  User,
} from '../../store/meta/records.js';
import type {
  GroupOut,
  InstanceProfileOut,
  PermissionsBoundaryOut,
  PolicyOut,
  PolicyVersionOut,
  RoleOut,
  TagInput,
  UserOut,
} from './types.js';

/** `arn:aws:iam::A:instance-profile/path/name`. */
export function instanceProfileArn(p: Pick<InstanceProfile, 'accountId' | 'path' | 'name'>): string {
  return `arn:aws:iam::${p.accountId}:instance-profile${p.path}${p.name}`;
}

/** `arn:aws:iam::A:group/path/name`. */
export function groupArn(g: Pick<Group, 'accountId' | 'path' | 'name'>): string {
  return `arn:aws:iam::${g.accountId}:group${g.path}${g.name}`;
}

/** `Group` (CreateGroup, GetGroup, ListGroups, ListGroupsForUser). */
export function groupOut(g: Group): GroupOut {
  return { Path: g.path, GroupName: g.name, GroupId: g.id, Arn: groupArn(g), CreateDate: g.createdAt };
}

/** `arn:aws:iam::A:policy/path/name`. */
export function policyArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:policy${path}${name}`;
}

/** The parts of a managed policy ARN; `account` is `aws` for AWS managed policies. */
export interface PolicyArnParts {
  readonly account: string;
  readonly path: string;
  readonly name: string;
}

const POLICY_ARN = /^arn:aws:iam::(\d{12}|aws):policy(\/(?:[^/]+\/)*)([\w+=,.@-]{1,128})$/;

/** Parses a managed policy ARN, or `undefined` when it is not one (IAM answers InvalidInput). */
export function parsePolicyArn(arn: string): PolicyArnParts | undefined {
  const m = POLICY_ARN.exec(arn);
  if (m === null) return undefined;
  return { account: m[1]!, path: m[2]!, name: m[3]! };
}

/** The parts of an IAM user or role ARN named as a principal. */
export interface EntityArnParts {
  readonly kind: 'user' | 'role';
  readonly account: string;
  readonly path: string;
  readonly name: string;
}

const ENTITY_ARN = /^arn:aws:iam::(\d{12}):(user|role)(\/(?:[^/]+\/)*)([^/]+)$/;

/** Parses `arn:aws:iam::A:user/path/name` or `…:role/…`; `undefined` for anything else. */
export function parseEntityArn(arn: string): EntityArnParts | undefined {
  const m = ENTITY_ARN.exec(arn);
  if (m === null) return undefined;
  return { kind: m[2] as 'user' | 'role', account: m[1]!, path: m[3]!, name: m[4]! };
}

/**
 * The policy id crossdock shows for an AWS managed policy. AWS's ids are not published with the
 * documents, so a stable `ANPA…` id is derived from the ARN: the same on every server and restart.
 */
export function awsPolicyId(arn: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = createHash('sha256').update(arn).digest();
  let id = 'ANPA';
  for (let i = 0; i < 17; i++) id += alphabet[bytes[i]! & 31];
  return id;
}

/** RFC 3986 percent-encoding of a policy document, as IAM returns documents. */
export function encodeDocument(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Tags in the API's spelling; `undefined` when there are none (IAM leaves the member out). */
export function tagsOut(tags: readonly Tag[]): TagInput[] | undefined {
  return tags.length === 0 ? undefined : tags.map((t) => ({ Key: t.key, Value: t.value }));
}

function boundaryOut(arn: string | undefined): PermissionsBoundaryOut | undefined {
  return arn === undefined
    ? undefined
    : { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: arn };
}

/** Drops members whose value is `undefined`, keeping the order of the rest. */
function members<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** `User`; ListUsers leaves out the boundary and tags as IAM does. */
export function userOut(u: User, detail: 'full' | 'list' = 'full'): UserOut {
  return members({
    Path: u.path,
    UserName: u.name,
    UserId: u.id,
    Arn: userArn(u),
    CreateDate: u.createdAt,
    PermissionsBoundary: detail === 'full' ? boundaryOut(u.permissionsBoundaryArn) : undefined,
    Tags: detail === 'full' ? tagsOut(u.tags) : undefined,
  });
}

/**
 * `Role`. `get` (GetRole) carries everything including RoleLastUsed; `create` (CreateRole) has no
 * RoleLastUsed; `list` (ListRoles, instance profiles) has neither boundary, tags nor last use.
 */
export function roleOut(r: Role, detail: 'get' | 'create' | 'list'): RoleOut {
  const full = detail !== 'list';
  return members({
    Path: r.path,
    RoleName: r.name,
    RoleId: r.id,
    Arn: roleArn(r),
    CreateDate: r.createdAt,
    AssumeRolePolicyDocument: encodeDocument(r.assumeRolePolicyDocument),
    Description: r.description,
    MaxSessionDuration: r.maxSessionDuration,
    PermissionsBoundary: full ? boundaryOut(r.permissionsBoundaryArn) : undefined,
    Tags: full ? tagsOut(r.tags) : undefined,
    RoleLastUsed:
      detail === 'get' ? members({ LastUsedDate: r.lastUsed?.at, Region: r.lastUsed?.region }) : undefined,
  });
}

/** `InstanceProfile` with its roles in list form. */
export function instanceProfileOut(p: InstanceProfile, roles: readonly Role[]): InstanceProfileOut {
  return members({
    Path: p.path,
    InstanceProfileName: p.name,
    InstanceProfileId: p.id,
    Arn: instanceProfileArn(p),
    CreateDate: p.createdAt,
    Roles: roles.map((r) => roleOut(r, 'list')),
    Tags: tagsOut(p.tags),
  });
}

/** How much of a `Policy` an operation shows: GetPolicy all, CreatePolicy no description, lists neither description nor tags. */
export type PolicyDetail = 'get' | 'create' | 'list';

/** `Policy` of a customer managed policy. */
export function customerPolicyOut(p: ManagedPolicy, boundaryUses: number, detail: PolicyDetail): PolicyOut {
  return members({
    PolicyName: p.name,
    PolicyId: p.id,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: p.attachmentCount,
    PermissionsBoundaryUsageCount: boundaryUses,
    IsAttachable: p.isAttachable,
    Description: detail === 'get' ? p.description : undefined,
    CreateDate: p.createdAt,
    UpdateDate: p.updatedAt,
    Tags: detail === 'list' ? undefined : tagsOut(p.tags),
  });
}

/**
 * `Policy` of an AWS managed policy. The data carries the default version's date only, so it
 * stands for both CreateDate and UpdateDate.
 */
export function awsPolicyOut(
  p: AwsManagedPolicy,
  attachments: number,
  boundaryUses: number,
  detail: PolicyDetail,
): PolicyOut {
  const date = new Date(p.updateDate);
  return members({
    PolicyName: p.name,
    PolicyId: awsPolicyId(p.arn),
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: attachments,
    PermissionsBoundaryUsageCount: boundaryUses,
    IsAttachable: true,
    Description: detail === 'get' ? p.description : undefined,
    CreateDate: date,
    UpdateDate: date,
  });
}

/** `PolicyVersion`; the document only where the operation shows it (GetPolicyVersion). */
export function policyVersionOut(v: PolicyVersion, withDocument: boolean): PolicyVersionOut {
  return members({
    Document: withDocument ? encodeDocument(v.document) : undefined,
    VersionId: v.versionId,
    IsDefaultVersion: v.isDefault,
    CreateDate: v.createdAt,
  });
}

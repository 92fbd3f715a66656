/**
 * The one definition of each record's shape as drivers hand it out: known fields only, optional
 * fields absent rather than `undefined`, fresh arrays and `Date`s. Drivers build their answers
 * through these, so records from different drivers are deep-equal (the conformance suite and the
 * model check compare them that way) and callers never share mutable state with a driver.
 */
import type {
  AccessKey,
  Account,
  CreateAccountRequest,
  InlinePolicy,
  InstanceProfile,
  ManagedPolicy,
  Organization,
  PolicyVersion,
  PrincipalRef,
  Role,
  SessionPrincipal,
  StsSession,
  Tag,
  User,
} from './records.js';

/** Drops `undefined`-valued fields so that "unset" has one representation. */
export function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** The fields of a patch that are set, typed as such (for spreading over a record). */
export function definedOnly<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return compact(o) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

const date = (d: Date): Date => new Date(d.getTime());
const optDate = (d: Date | undefined): Date | undefined => (d === undefined ? undefined : date(d));

/** Copies tags field by field. */
export function canonTags(tags: readonly Tag[]): Tag[] {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

/** Canonical organization. */
export function canonOrganization(o: Organization): Organization {
  return {
    id: o.id,
    rootId: o.rootId,
    managementAccountId: o.managementAccountId,
    featureSet: o.featureSet,
    createdAt: date(o.createdAt),
  };
}

/** Canonical account. */
export function canonAccount(a: Account): Account {
  return compact({
    id: a.id,
    name: a.name,
    email: a.email,
    alias: a.alias,
    status: a.status,
    organizationId: a.organizationId,
    joinedMethod: a.joinedMethod,
    joinedAt: date(a.joinedAt),
  });
}

/** Canonical CreateAccount request. */
export function canonCreateAccountRequest(r: CreateAccountRequest): CreateAccountRequest {
  return compact({
    id: r.id,
    organizationId: r.organizationId,
    accountName: r.accountName,
    email: r.email,
    state: r.state,
    requestedAt: date(r.requestedAt),
    completedAt: optDate(r.completedAt),
    accountId: r.accountId,
    failureReason: r.failureReason,
  });
}

/** Canonical user. */
export function canonUser(u: User): User {
  return compact({
    accountId: u.accountId,
    name: u.name,
    path: u.path,
    id: u.id,
    createdAt: date(u.createdAt),
    permissionsBoundaryArn: u.permissionsBoundaryArn,
    tags: canonTags(u.tags),
  });
}

/** Canonical role. */
export function canonRole(r: Role): Role {
  return compact({
    accountId: r.accountId,
    name: r.name,
    path: r.path,
    id: r.id,
    createdAt: date(r.createdAt),
    assumeRolePolicyDocument: r.assumeRolePolicyDocument,
    description: r.description,
    maxSessionDuration: r.maxSessionDuration,
    permissionsBoundaryArn: r.permissionsBoundaryArn,
    tags: canonTags(r.tags),
    lastUsed: r.lastUsed === undefined ? undefined : { at: date(r.lastUsed.at), region: r.lastUsed.region },
  });
}

/** Canonical access key. */
export function canonAccessKey(k: AccessKey): AccessKey {
  return compact({
    id: k.id,
    accountId: k.accountId,
    userName: k.userName,
    status: k.status,
    secret: k.secret,
    createdAt: date(k.createdAt),
    lastUsed:
      k.lastUsed === undefined
        ? undefined
        : { at: date(k.lastUsed.at), service: k.lastUsed.service, region: k.lastUsed.region },
  });
}

/** Canonical inline policy. */
export function canonInlinePolicy(p: InlinePolicy): InlinePolicy {
  return { name: p.name, document: p.document };
}

/** Canonical managed policy. */
export function canonManagedPolicy(p: ManagedPolicy): ManagedPolicy {
  return compact({
    accountId: p.accountId,
    name: p.name,
    path: p.path,
    id: p.id,
    arn: p.arn,
    description: p.description,
    defaultVersionId: p.defaultVersionId,
    isAttachable: p.isAttachable,
    attachmentCount: p.attachmentCount,
    createdAt: date(p.createdAt),
    updatedAt: date(p.updatedAt),
    tags: canonTags(p.tags),
  });
}

/** Canonical policy version. */
export function canonPolicyVersion(v: PolicyVersion): PolicyVersion {
  return {
    versionId: v.versionId,
    document: v.document,
    isDefault: v.isDefault,
    createdAt: date(v.createdAt),
  };
}

/** Canonical principal reference. */
export function canonPrincipalRef(p: PrincipalRef): PrincipalRef {
  return { kind: p.kind, accountId: p.accountId, name: p.name };
}

/** Canonical instance profile. */
export function canonInstanceProfile(p: InstanceProfile): InstanceProfile {
  return {
    accountId: p.accountId,
    name: p.name,
    path: p.path,
    id: p.id,
    createdAt: date(p.createdAt),
    tags: canonTags(p.tags),
    roleNames: [...p.roleNames],
  };
}

/** Canonical session principal. */
export function canonSessionPrincipal(p: SessionPrincipal): SessionPrincipal {
  switch (p.type) {
    case 'AssumedRole':
      return { type: p.type, roleId: p.roleId, roleName: p.roleName, sessionName: p.sessionName };
    case 'User':
      return { type: p.type, userId: p.userId, userName: p.userName };
    case 'Root':
      return { type: p.type };
  }
}

/** Canonical STS session. */
export function canonSession(s: StsSession): StsSession {
  return compact({
    accessKeyId: s.accessKeyId,
    secret: s.secret,
    sessionTokenHash: s.sessionTokenHash,
    accountId: s.accountId,
    principal: canonSessionPrincipal(s.principal),
    issuedAt: date(s.issuedAt),
    expiresAt: date(s.expiresAt),
    sessionPolicy: s.sessionPolicy,
    sessionPolicyArns: [...s.sessionPolicyArns],
    tags: canonTags(s.tags),
    transitiveTagKeys: [...s.transitiveTagKeys],
    sourceIdentity: s.sourceIdentity,
    chained: s.chained,
  });
}

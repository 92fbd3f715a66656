/**
 * The one definition of each record's shape as drivers hand it out: known fields only, optional
 * fields absent rather than `undefined`, fresh arrays and `Date`s. Drivers build their answers
 * through these, so records from different drivers are deep-equal (the conformance suite and the
 * model check compare them that way) and callers never share mutable state with a driver.
 */
import type {
  AccessKey,
  Account,
  BlobLink,
  EncryptionConfiguration,
  Image,
  ImageInfo,
  ImageTag,
  ImageTagMutabilityExclusionFilter,
  PullThroughCacheRule,
  Registry,
  RegistryScanningConfiguration,
  ReplicationConfiguration,
  ReplicationJob,
  Repository,
  RepositoryCreationTemplate,
  RepositoryRef,
  Upload,
  CreateAccountRequest,
  Group,
  InlinePolicy,
  InstanceProfile,
  ManagedPolicy,
  Organization,
  OrganizationalUnit,
  OrgPolicy,
  PolicyVersion,
  PrincipalBindings,
  PrincipalRef,
  Role,
  Secret,
  SecretVersion,
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
    trustPrincipals: canonBindings(r.trustPrincipals),
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

/** Canonical IAM group. */
export function canonGroup(g: Group): Group {
  return { accountId: g.accountId, name: g.name, path: g.path, id: g.id, createdAt: date(g.createdAt) };
}

/** Canonical organizational unit. */
export function canonOrganizationalUnit(o: OrganizationalUnit): OrganizationalUnit {
  return { id: o.id, organizationId: o.organizationId, parentId: o.parentId, name: o.name };
}

/** Canonical Organizations policy. */
export function canonOrgPolicy(p: OrgPolicy): OrgPolicy {
  return {
    id: p.id,
    organizationId: p.organizationId,
    type: p.type,
    name: p.name,
    description: p.description,
    content: p.content,
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

// ---- ECR -----------------------------------------------------------------------------------

/** Canonical repository reference. */
export function canonRepositoryRef(r: RepositoryRef): RepositoryRef {
  return { accountId: r.accountId, region: r.region, name: r.name };
}

/** Canonical encryption settings. */
export function canonEncryption(e: EncryptionConfiguration): EncryptionConfiguration {
  return compact({ encryptionType: e.encryptionType, kmsKey: e.kmsKey });
}

/** Canonical mutability exclusion filters. */
export function canonExclusionFilters(
  f: readonly ImageTagMutabilityExclusionFilter[],
): ImageTagMutabilityExclusionFilter[] {
  return f.map((x) => ({ filterType: x.filterType, filter: x.filter }));
}

/** Canonical repository. */
export function canonRepository(r: Repository): Repository {
  return compact({
    accountId: r.accountId,
    region: r.region,
    name: r.name,
    arn: r.arn,
    createdAt: date(r.createdAt),
    imageTagMutability: r.imageTagMutability,
    imageTagMutabilityExclusionFilters: canonExclusionFilters(r.imageTagMutabilityExclusionFilters),
    scanOnPush: r.scanOnPush,
    encryption: canonEncryption(r.encryption),
    tags: canonTags(r.tags),
    policyText: r.policyText,
    policyPrincipals: canonBindings(r.policyPrincipals),
    lifecyclePolicyText: r.lifecyclePolicyText,
    lifecycleEvaluatedAt: optDate(r.lifecycleEvaluatedAt),
    lifecyclePreviewText: r.lifecyclePreviewText,
    lifecyclePreviewStartedAt: optDate(r.lifecyclePreviewStartedAt),
    catalogDataText: r.catalogDataText,
    version: r.version,
  });
}

/** Canonical principal bindings: ARNs in code-unit order, `undefined` when there are none. */
export function canonBindings(b: PrincipalBindings | undefined): PrincipalBindings | undefined {
  if (b === undefined) return undefined;
  const keys = Object.keys(b).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  if (keys.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = b[k]!;
  return out;
}

/** Canonical string map (annotations, account settings): a fresh plain object. */
export function canonStringMap(m: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  // defineProperty, so that a key such as `__proto__` stays data and never touches the prototype.
  for (const [k, v] of Object.entries(m)) {
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Canonical image without bytes; `tags` are sorted by the caller. */
export function canonImageInfo(i: ImageInfo): ImageInfo {
  return compact({
    digest: i.digest,
    mediaType: i.mediaType,
    artifactType: i.artifactType,
    configDigest: i.configDigest,
    configMediaType: i.configMediaType,
    subjectDigest: i.subjectDigest,
    annotations: i.annotations === undefined ? undefined : canonStringMap(i.annotations),
    manifestSize: i.manifestSize,
    imageSize: i.imageSize,
    pushedAt: date(i.pushedAt),
    lastPulledAt: optDate(i.lastPulledAt),
    tags: [...i.tags],
  });
}

/** Canonical image with its bytes (a fresh `Buffer`). */
export function canonImage(i: Image): Image {
  return { ...canonImageInfo(i), manifest: Buffer.from(i.manifest) };
}

/** Canonical image tag. */
export function canonImageTag(t: ImageTag): ImageTag {
  return { tag: t.tag, digest: t.digest, updatedAt: date(t.updatedAt) };
}

/** Canonical blob link. */
export function canonBlobLink(b: BlobLink): BlobLink {
  return { digest: b.digest, size: b.size, linkedAt: date(b.linkedAt), imageCount: b.imageCount };
}

/** Canonical upload. */
export function canonUpload(u: Upload): Upload {
  return compact({
    id: u.id,
    repository: canonRepositoryRef(u.repository),
    state: u.state,
    size: u.size,
    partCount: u.partCount,
    lastPartSize: u.lastPartSize,
    firstSmallPart: u.firstSmallPart,
    createdAt: date(u.createdAt),
    updatedAt: date(u.updatedAt),
    digest: u.digest,
  });
}

/** Canonical replication job. */
export function canonReplicationJob(j: ReplicationJob): ReplicationJob {
  return compact({
    id: j.id,
    source: {
      accountId: j.source.accountId,
      region: j.source.region,
      repositoryName: j.source.repositoryName,
      digest: j.source.digest,
    },
    destination: { region: j.destination.region, registryId: j.destination.registryId },
    tags: [...j.tags],
    state: j.state,
    attempts: j.attempts,
    nextAttemptAt: date(j.nextAttemptAt),
    createdAt: date(j.createdAt),
    updatedAt: date(j.updatedAt),
    worker: j.worker,
    failureReason: j.failureReason,
  });
}

/** Canonical replication configuration. */
export function canonReplicationConfiguration(c: ReplicationConfiguration): ReplicationConfiguration {
  return {
    rules: c.rules.map((r) => ({
      destinations: r.destinations.map((d) => ({ region: d.region, registryId: d.registryId })),
      repositoryFilters: r.repositoryFilters.map((f) => ({ filter: f.filter, filterType: f.filterType })),
    })),
  };
}

/** Canonical registry scanning configuration. */
export function canonScanningConfiguration(c: RegistryScanningConfiguration): RegistryScanningConfiguration {
  return {
    scanType: c.scanType,
    rules: c.rules.map((r) => ({
      scanFrequency: r.scanFrequency,
      repositoryFilters: r.repositoryFilters.map((f) => ({ filter: f.filter, filterType: f.filterType })),
    })),
  };
}

/** Canonical pull-through cache rule. */
export function canonPullThroughCacheRule(r: PullThroughCacheRule): PullThroughCacheRule {
  return compact({
    prefix: r.prefix,
    upstreamRegistryUrl: r.upstreamRegistryUrl,
    upstreamRegistry: r.upstreamRegistry,
    upstreamRepositoryPrefix: r.upstreamRepositoryPrefix,
    credentialArn: r.credentialArn,
    customRoleArn: r.customRoleArn,
    createdAt: date(r.createdAt),
    updatedAt: optDate(r.updatedAt),
  });
}

/** Canonical repository creation template. */
export function canonCreationTemplate(t: RepositoryCreationTemplate): RepositoryCreationTemplate {
  return compact({
    prefix: t.prefix,
    description: t.description,
    encryption: t.encryption === undefined ? undefined : canonEncryption(t.encryption),
    resourceTags: canonTags(t.resourceTags),
    imageTagMutability: t.imageTagMutability,
    imageTagMutabilityExclusionFilters:
      t.imageTagMutabilityExclusionFilters === undefined
        ? undefined
        : canonExclusionFilters(t.imageTagMutabilityExclusionFilters),
    repositoryPolicy: t.repositoryPolicy,
    lifecyclePolicy: t.lifecyclePolicy,
    appliedFor: [...t.appliedFor],
    customRoleArn: t.customRoleArn,
    createdAt: date(t.createdAt),
    updatedAt: date(t.updatedAt),
  });
}

/** Canonical registry settings. */
export function canonRegistry(r: Registry): Registry {
  return compact({
    accountId: r.accountId,
    region: r.region,
    policyText: r.policyText,
    policyPrincipals: canonBindings(r.policyPrincipals),
    replicationConfiguration:
      r.replicationConfiguration === undefined
        ? undefined
        : canonReplicationConfiguration(r.replicationConfiguration),
    scanningConfiguration:
      r.scanningConfiguration === undefined ? undefined : canonScanningConfiguration(r.scanningConfiguration),
    pullThroughCacheRules: r.pullThroughCacheRules.map(canonPullThroughCacheRule),
    creationTemplates: r.creationTemplates.map(canonCreationTemplate),
    accountSettings: canonStringMap(r.accountSettings),
    catalogDataText: r.catalogDataText,
    version: r.version,
    updatedAt: date(r.updatedAt),
  });
}

/** Canonical secret version. */
export function canonSecretVersion(v: SecretVersion): SecretVersion {
  return { id: v.id, stages: [...v.stages], kind: v.kind, value: v.value, createdAt: date(v.createdAt) };
}

/** Canonical Secrets Manager secret. */
export function canonSecret(s: Secret): Secret {
  return compact({
    accountId: s.accountId,
    region: s.region,
    name: s.name,
    arn: s.arn,
    description: s.description,
    tags: canonTags(s.tags),
    versions: s.versions.map(canonSecretVersion),
    createdAt: date(s.createdAt),
    lastChangedAt: date(s.lastChangedAt),
    deletedAt: optDate(s.deletedAt),
    deletionDate: optDate(s.deletionDate),
  });
}

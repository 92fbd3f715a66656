import { rootArn, roleArn, userArn, type Caller } from '../../auth/caller.js';
import {
  managedPolicy,
  MANAGED_POLICIES,
  type ManagedPolicy as AwsPolicy,
} from '../../iam/data/managedPolicies.js';
import { parsePolicy, policySize, PolicyError, type ContextValue, type PolicyKind } from '../../iam/index.js';
import { AlreadyExists, Conflict, InvalidMarker, NotFound, StoreError } from '../../store/meta/errors.js';
import type { MetadataTx } from '../../store/meta/MetadataStore.js';
import { paginate, type Page } from '../../store/meta/pagination.js';
import type {
  Group,
  InstanceProfile,
  ManagedPolicy,
  PrincipalBindings,
  PrincipalKind,
  PrincipalRef,
  Role,
  Tag,
  User,
} from '../../store/meta/records.js';
import { presentBound, uniqueIdOf } from '../bindings.js';
import { AccessDeniedError, ServiceError } from '../errors.js';
import { listAll } from '../authz.js';
import type { ServiceDeps } from '../context.js';
import { iamErrors as E, QUOTAS } from './errors.js';
import {
  awsPolicyOut,
  customerPolicyOut,
  encodeDocument,
  groupArn,
  groupOut,
  instanceProfileArn,
  instanceProfileOut,
  parseEntityArn,
  parsePolicyArn,
  policyArn,
  policyVersionOut,
  roleOut,
  userOut,
  type PolicyArnParts,
  type PolicyDetail,
} from './present.js';
import type {
  AccessKeyMetadataOut,
  AccessKeyOut,
  AttachedPolicyOut,
  GroupOut,
  IamInputs,
  InstanceProfileOut,
  PageOut,
  Paging,
  PolicyEntitiesOut,
  PolicyOut,
  PolicyVersionOut,
  RoleOut,
  TagInput,
  UserOut,
} from './types.js';
import {
  DESCRIPTION_PATTERN,
  PATH_PATTERN,
  PATH_PREFIX_PATTERN,
  POLICY_PATH_PATTERN,
  ACCESS_KEY_ID_PATTERN,
  ACCOUNT_ALIAS_PATTERN,
  TAG_KEY_PATTERN,
  VERSION_ID_PATTERN,
  validate,
} from './validate.js';

/** What an access decision is about: the ARN the engine matches and the phrase IAM's sentence shows. */
interface Target {
  readonly arn: string;
  /** `role NAME`, `user NAME`, `policy path /`…; the ARN itself when absent. */
  readonly shown?: string;
  readonly tags?: readonly Tag[];
  readonly context?: Readonly<Record<string, ContextValue>>;
}

const MAX_SESSION_DEFAULT = 3600;

function tagRecord(tags: readonly Tag[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) out[t.key] = t.value;
  return out;
}

/** `aws:RequestTag/*` and `aws:TagKeys` of a request that carries tags. */
function requestTagContext(tags: readonly TagInput[] | undefined): Record<string, ContextValue> {
  if (tags === undefined || tags.length === 0) return {};
  const out: Record<string, ContextValue> = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const t of tags) out[`aws:RequestTag/${t.Key}`] = t.Value;
  return out;
}

function pageOut<T>(page: Page<T>): PageOut {
  return page.marker === undefined ? { IsTruncated: false } : { IsTruncated: true, Marker: page.marker };
}

/** The tail member `Marker` goes last in every IAM list answer, after IsTruncated. */
function listAnswer<K extends string, T>(
  member: K,
  items: T[],
  page: Page<unknown>,
): Record<K, T[]> & PageOut {
  return { [member]: items, ...pageOut(page) } as Record<K, T[]> & PageOut;
}

/** Rewrites a denial so it names the resource as IAM does (`role NAME` rather than the ARN). */
function shownDenial(e: AccessDeniedError, target: Target): AccessDeniedError {
  if (target.shown === undefined) return e;
  return new AccessDeniedError(
    e.result,
    e.message.replace(`on resource: ${target.arn}`, `on resource: ${target.shown}`),
  );
}

/** Validates a policy document for one use, with IAM's code and message on failure. */
function checkDocument(text: string, kind: PolicyKind, maxSize?: number) {
  try {
    return parsePolicy(text, { kind, ...(maxSize !== undefined && { maxSize }) });
  } catch (e) {
    if (e instanceof PolicyError) throw new ServiceError(e.code, e.message);
    throw e;
  }
}

/** Merges tags as TagRole does: same key (case-insensitively) replaces, new keys append. */
function mergeTags(existing: readonly Tag[], incoming: readonly TagInput[]): Tag[] {
  const out = existing.map((t) => ({ ...t }));
  for (const t of incoming) {
    const i = out.findIndex((o) => o.key.toLowerCase() === t.Key.toLowerCase());
    if (i >= 0) out[i] = { key: t.Key, value: t.Value };
    else out.push({ key: t.Key, value: t.Value });
  }
  return out;
}

function toTags(tags: readonly TagInput[] | undefined): Tag[] {
  return (tags ?? []).map((t) => ({ key: t.Key, value: t.Value }));
}

/** Rejects duplicate keys (case-insensitive) and AWS's reserved prefix. */
function checkTagKeys(tags: readonly TagInput[] | undefined): void {
  if (tags === undefined) return;
  const seen = new Set<string>();
  for (const t of tags) {
    const k = t.Key.toLowerCase();
    if (seen.has(k)) throw E.duplicateTags();
    seen.add(k);
    if (k.startsWith('aws:')) throw E.reservedTag();
  }
}

/** The name in the last segment of a managed policy ARN. */
function nameOfPolicyArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/**
 * AWS Identity and Access Management for one crossdock server: users, roles, access keys, inline
 * and managed policies with versions, attachments, tags, instance profiles, permissions boundaries
 * and the account alias. Every operation runs in the caller's own account and follows one shape:
 * authenticate (long-term or role credentials; GetSessionToken credentials are refused as IAM
 * refuses them without MFA) → validate (AWS's model constraints) → authorize (the `iam:` action
 * through the one door, with IAM's context keys) → act on the store (a transaction where several
 * rows change) → answer in AWS's member names and order.
 */
export class IamService {
  constructor(private readonly deps: ServiceDeps) {}

  // ─── plumbing ────────────────────────────────────────────────────────────────────────────────

  /** The account the caller administers; IAM refuses GetSessionToken credentials without MFA. */
  private account(caller: Caller): string {
    const kind = caller.identity.kind;
    if (kind === 'user-session' || kind === 'root-session') throw E.temporaryCredentials();
    return caller.account.id;
  }

  private async allow(caller: Caller, action: string, target: Target): Promise<void> {
    try {
      await this.deps.authz.authorize({
        caller,
        action,
        resource: target.arn,
        ...(target.tags !== undefined && { resourceTags: tagRecord(target.tags) }),
        ...(target.context !== undefined && { context: target.context }),
      });
    } catch (e) {
      if (e instanceof AccessDeniedError) throw shownDenial(e, target);
      throw e;
    }
  }

  private now(): Date {
    return new Date(this.deps.clock.now());
  }

  /** Runs a store call, turning a foreign pagination marker into IAM's InvalidInput. */
  private async paged<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof InvalidMarker) throw E.invalidMarker();
      throw e;
    }
  }

  private userTarget(
    account: string,
    name: string,
    user: User | undefined,
    context?: Record<string, ContextValue>,
  ): Target {
    return {
      arn: userArn(user ?? { accountId: account, path: '/', name }),
      shown: `user ${name}`,
      ...(user !== undefined && { tags: user.tags }),
      ...(context !== undefined && { context }),
    };
  }

  private roleTarget(
    account: string,
    name: string,
    role: Role | undefined,
    context?: Record<string, ContextValue>,
  ): Target {
    return {
      arn: roleArn(role ?? { accountId: account, path: '/', name }),
      shown: `role ${name}`,
      ...(role !== undefined && { tags: role.tags }),
      ...(context !== undefined && { context }),
    };
  }

  private async mustUser(tx: MetadataTx, account: string, name: string): Promise<User> {
    const u = await tx.users.get(account, name);
    if (u === undefined) throw E.noSuchUser(name);
    return u;
  }

  private async mustRole(tx: MetadataTx, account: string, name: string): Promise<Role> {
    const r = await tx.roles.get(account, name);
    if (r === undefined) throw E.noSuchRole(name);
    return r;
  }

  /** Authorizes an operation on an existing user, then requires the user to exist. */
  private async onUser(
    caller: Caller,
    action: string,
    name: string,
    context?: (u: User | undefined) => Record<string, ContextValue>,
  ): Promise<{ account: string; user: User }> {
    const account = this.account(caller);
    const user = await this.deps.store.users.get(account, name);
    await this.allow(caller, action, this.userTarget(account, name, user, context?.(user)));
    if (user === undefined) throw E.noSuchUser(name);
    return { account, user };
  }

  /** Authorizes an operation on an existing role, then requires the role to exist. */
  private async onRole(
    caller: Caller,
    action: string,
    name: string,
    context?: (r: Role | undefined) => Record<string, ContextValue>,
  ): Promise<{ account: string; role: Role }> {
    const account = this.account(caller);
    const role = await this.deps.store.roles.get(account, name);
    await this.allow(caller, action, this.roleTarget(account, name, role, context?.(role)));
    if (role === undefined) throw E.noSuchRole(name);
    return { account, role };
  }

  /** The user a key operation is about: `UserName`, else the calling user (root: the root's own keys). */
  private keyOwner(caller: Caller, userName: string | undefined): { userName?: string } {
    if (userName !== undefined) return { userName };
    const id = caller.identity;
    if (id.kind === 'user') return { userName: id.user.name };
    if (id.kind === 'root') return {};
    throw E.nonUserCaller();
  }

  /**
   * Rejects a trust policy naming an IAM user or role that does not exist (in any account of this
   * server), as IAM does: `Invalid principal in policy: "AWS":"<arn>"`. Accounts, services,
   * federated providers and session ARNs are accepted as written. Answers the users and roles it
   * names bound to their unique ids (`services/bindings.ts`), `null` when it names none.
   */
  private async checkTrustPrincipals(text: string): Promise<PrincipalBindings | null> {
    const doc = checkDocument(text, 'trust');
    const bound: Record<string, string> = {};
    for (const s of doc.statements) {
      const p = s.principal;
      if (p === undefined || p.kind !== 'map') continue;
      for (const value of p.AWS ?? []) {
        if (parseEntityArn(value) === undefined) continue;
        const id = await uniqueIdOf(this.deps.store, value);
        if (id === undefined) {
          throw new ServiceError('MalformedPolicyDocument', `Invalid principal in policy: "AWS":"${value}"`);
        }
        bound[value] = id;
      }
    }
    return Object.keys(bound).length === 0 ? null : bound;
  }

  /** The role as IAM shows it: a trust policy principal deleted since it was set reads as its id. */
  private async presented(role: Role): Promise<Role> {
    const text = await presentBound(this.deps.store, role.assumeRolePolicyDocument, role.trustPrincipals);
    return text === role.assumeRolePolicyDocument ? role : { ...role, assumeRolePolicyDocument: text };
  }

  /** A managed policy named by ARN, as attach/boundary operations accept it, or NoSuchEntity. */
  private async attachablePolicy(tx: MetadataTx, account: string, arn: string): Promise<PolicyArnParts> {
    const parts = parsePolicyArn(arn);
    if (parts === undefined) throw E.invalidArn(arn);
    if (parts.account === 'aws') {
      if (managedPolicy(arn) === undefined) throw E.notAttachable(arn);
    } else {
      const p = parts.account === account ? await tx.managedPolicies.getByArn(arn) : undefined;
      if (p === undefined || !p.isAttachable) throw E.notAttachable(arn);
    }
    return parts;
  }

  private checkBoundaryArn(arn: string | undefined): void {
    if (arn !== undefined && parsePolicyArn(arn) === undefined) throw E.invalidArn(arn);
  }

  /** Customer managed policy of the caller's account named by ARN, or `Policy ARN was not found.` */
  private async customerPolicy(tx: MetadataTx, account: string, arn: string): Promise<ManagedPolicy> {
    const parts = parsePolicyArn(arn);
    if (parts === undefined) throw E.invalidArn(arn);
    const p = parts.account === account ? await tx.managedPolicies.getByArn(arn) : undefined;
    if (p === undefined) throw E.noSuchPolicy(arn);
    return p;
  }

  /** How many users and roles of an account use each policy as their permissions boundary. */
  private async boundaryUses(account: string): Promise<Map<string, number>> {
    const uses = new Map<string, number>();
    const count = (arn: string | undefined) => {
      if (arn !== undefined) uses.set(arn, (uses.get(arn) ?? 0) + 1);
    };
    for (const u of await listAll((m) =>
      this.deps.store.users.list(account, { marker: m, maxItems: 1000 }),
    )) {
      count(u.permissionsBoundaryArn);
    }
    for (const r of await listAll((m) =>
      this.deps.store.roles.list(account, { marker: m, maxItems: 1000 }),
    )) {
      count(r.permissionsBoundaryArn);
    }
    return uses;
  }

  /** How many users and roles of an account have an AWS managed policy attached. */
  private async awsAttachments(account: string, arn: string): Promise<number> {
    const refs = await listAll((m) =>
      this.deps.store.attachments.listForPolicy(arn, { marker: m, maxItems: 1000 }),
    );
    return refs.filter((r) => r.accountId === account).length;
  }

  private async awsPolicyOut(account: string, p: AwsPolicy, uses: Map<string, number>, detail: PolicyDetail) {
    return awsPolicyOut(p, await this.awsAttachments(account, p.arn), uses.get(p.arn) ?? 0, detail);
  }

  // ─── users ───────────────────────────────────────────────────────────────────────────────────

  /** CreateUser. */
  async createUser(caller: Caller, input: IamInputs['CreateUser']): Promise<{ User: UserOut }> {
    const account = this.account(caller);
    const path = input.Path ?? '/';
    validate()
      .string(input.Path, 'path', { min: 1, max: 512, pattern: PATH_PATTERN })
      .name(input.UserName, 'userName', 64)
      .arn(input.PermissionsBoundary, 'permissionsBoundary')
      .tags(input.Tags)
      .done();
    checkTagKeys(input.Tags);
    const arn = userArn({ accountId: account, path, name: input.UserName });
    await this.allow(caller, 'iam:CreateUser', {
      arn,
      context: {
        ...requestTagContext(input.Tags),
        ...(input.PermissionsBoundary !== undefined && {
          'iam:PermissionsBoundary': input.PermissionsBoundary,
        }),
      },
    });
    this.checkBoundaryArn(input.PermissionsBoundary);
    const user = await this.deps.store.transaction(async (tx) => {
      if (input.PermissionsBoundary !== undefined)
        await this.attachablePolicy(tx, account, input.PermissionsBoundary);
      if ((await tx.users.get(account, input.UserName)) !== undefined) throw E.userExists(input.UserName);
      return tx.users.create({
        accountId: account,
        name: input.UserName,
        path,
        id: this.deps.ids.iam('AIDA'),
        createdAt: this.now(),
        ...(input.PermissionsBoundary !== undefined && { permissionsBoundaryArn: input.PermissionsBoundary }),
        tags: toTags(input.Tags),
      });
    });
    return { User: userOut(user) };
  }

  /** GetUser; without UserName, the calling user (the root user for root credentials). */
  async getUser(caller: Caller, input: IamInputs['GetUser']): Promise<{ User: UserOut }> {
    const account = this.account(caller);
    validate().string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' }).done();
    const id = caller.identity;
    if (input.UserName === undefined) {
      if (id.kind === 'root') {
        return { User: { UserId: account, Arn: rootArn(account), CreateDate: caller.account.joinedAt } };
      }
      if (id.kind !== 'user') throw E.nonUserCaller();
    }
    const name = input.UserName ?? (id.kind === 'user' ? id.user.name : '');
    const { user } = await this.onUser(caller, 'iam:GetUser', name);
    return { User: userOut(user) };
  }

  /** ListUsers. */
  async listUsers(caller: Caller, input: IamInputs['ListUsers']): Promise<{ Users: UserOut[] } & PageOut> {
    const account = this.account(caller);
    validate()
      .string(input.PathPrefix, 'pathPrefix', { min: 1, max: 512, pattern: PATH_PREFIX_PATTERN })
      .paging(input)
      .done();
    await this.allow(caller, 'iam:ListUsers', {
      arn: `arn:aws:iam::${account}:user${input.PathPrefix ?? '/'}`,
    });
    const page = await this.paged(() =>
      this.deps.store.users.list(account, {
        ...(input.PathPrefix !== undefined && { pathPrefix: input.PathPrefix }),
        ...pagingOpts(input),
      }),
    );
    return listAnswer(
      'Users',
      page.items.map((u) => userOut(u, 'list')),
      page,
    );
  }

  /** DeleteUser: refused while access keys, inline or attached policies remain. */
  async deleteUser(caller: Caller, input: IamInputs['DeleteUser']): Promise<void> {
    validate().string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' }).done();
    const { account, user } = await this.onUser(caller, 'iam:DeleteUser', input.UserName);
    await this.deps.store.transaction(async (tx) => {
      try {
        await tx.users.delete(account, user.name);
      } catch (e) {
        throw this.storeError(e, { user: input.UserName });
      }
    });
  }

  // ─── roles ───────────────────────────────────────────────────────────────────────────────────

  /** CreateRole: validates the trust policy, including that the IAM principals it names exist. */
  async createRole(caller: Caller, input: IamInputs['CreateRole']): Promise<{ Role: RoleOut }> {
    const account = this.account(caller);
    const path = input.Path ?? '/';
    validate()
      .string(input.Path, 'path', { min: 1, max: 512, pattern: PATH_PATTERN })
      .name(input.RoleName, 'roleName', 64)
      .document(input.AssumeRolePolicyDocument, 'assumeRolePolicyDocument')
      .string(input.Description, 'description', { max: 1000, pattern: DESCRIPTION_PATTERN })
      .integer(input.MaxSessionDuration, 'maxSessionDuration', 3600, 43200)
      .arn(input.PermissionsBoundary, 'permissionsBoundary')
      .tags(input.Tags)
      .done();
    checkTagKeys(input.Tags);
    const arn = roleArn({ accountId: account, path, name: input.RoleName });
    await this.allow(caller, 'iam:CreateRole', {
      arn,
      context: {
        ...requestTagContext(input.Tags),
        ...(input.PermissionsBoundary !== undefined && {
          'iam:PermissionsBoundary': input.PermissionsBoundary,
        }),
      },
    });
    this.checkBoundaryArn(input.PermissionsBoundary);
    const trustPrincipals = await this.checkTrustPrincipals(input.AssumeRolePolicyDocument);
    const role = await this.deps.store.transaction(async (tx) => {
      if (input.PermissionsBoundary !== undefined)
        await this.attachablePolicy(tx, account, input.PermissionsBoundary);
      if ((await tx.roles.get(account, input.RoleName)) !== undefined) throw E.roleExists(input.RoleName);
      return tx.roles.create({
        accountId: account,
        name: input.RoleName,
        path,
        id: this.deps.ids.iam('AROA'),
        createdAt: this.now(),
        assumeRolePolicyDocument: input.AssumeRolePolicyDocument,
        ...(trustPrincipals !== null && { trustPrincipals }),
        ...(input.Description !== undefined &&
          input.Description !== '' && { description: input.Description }),
        maxSessionDuration: input.MaxSessionDuration ?? MAX_SESSION_DEFAULT,
        ...(input.PermissionsBoundary !== undefined && { permissionsBoundaryArn: input.PermissionsBoundary }),
        tags: toTags(input.Tags),
      });
    });
    return { Role: roleOut(role, 'create') };
  }

  /** GetRole; the trust policy comes back URL-encoded, as IAM sends it. */
  async getRole(caller: Caller, input: IamInputs['GetRole']): Promise<{ Role: RoleOut }> {
    validate().name(input.RoleName, 'roleName', 64).done();
    const { role } = await this.onRole(caller, 'iam:GetRole', input.RoleName);
    return { Role: roleOut(await this.presented(role), 'get') };
  }

  /** ListRoles. */
  async listRoles(caller: Caller, input: IamInputs['ListRoles']): Promise<{ Roles: RoleOut[] } & PageOut> {
    const account = this.account(caller);
    validate()
      .string(input.PathPrefix, 'pathPrefix', { min: 1, max: 512, pattern: PATH_PREFIX_PATTERN })
      .paging(input)
      .done();
    await this.allow(caller, 'iam:ListRoles', {
      arn: `arn:aws:iam::${account}:role${input.PathPrefix ?? '/'}`,
    });
    const page = await this.paged(() =>
      this.deps.store.roles.list(account, {
        ...(input.PathPrefix !== undefined && { pathPrefix: input.PathPrefix }),
        ...pagingOpts(input),
      }),
    );
    const roles: RoleOut[] = [];
    for (const r of page.items) roles.push(roleOut(await this.presented(r), 'list'));
    return listAnswer('Roles', roles, page);
  }

  /** DeleteRole: refused while the role is in an instance profile or has policies. */
  async deleteRole(caller: Caller, input: IamInputs['DeleteRole']): Promise<void> {
    validate().name(input.RoleName, 'roleName', 64).done();
    const { account, role } = await this.onRole(caller, 'iam:DeleteRole', input.RoleName);
    await this.deps.store.transaction(async (tx) => {
      try {
        await tx.roles.delete(account, role.name);
      } catch (e) {
        throw this.storeError(e, { role: input.RoleName });
      }
    });
  }

  /** UpdateAssumeRolePolicy. */
  async updateAssumeRolePolicy(caller: Caller, input: IamInputs['UpdateAssumeRolePolicy']): Promise<void> {
    validate().name(input.RoleName, 'roleName', 64).document(input.PolicyDocument, 'policyDocument').done();
    const { account, role } = await this.onRole(caller, 'iam:UpdateAssumeRolePolicy', input.RoleName);
    const trustPrincipals = await this.checkTrustPrincipals(input.PolicyDocument);
    await this.updateRoleRecord(account, role.name, {
      assumeRolePolicyDocument: input.PolicyDocument,
      trustPrincipals,
    });
  }

  /** UpdateRole: Description (empty clears it) and MaxSessionDuration (3600–43200 s). */
  async updateRole(caller: Caller, input: IamInputs['UpdateRole']): Promise<Record<string, never>> {
    validate()
      .name(input.RoleName, 'roleName', 64)
      .string(input.Description, 'description', { max: 1000, pattern: DESCRIPTION_PATTERN })
      .integer(input.MaxSessionDuration, 'maxSessionDuration', 3600, 43200)
      .done();
    const { account, role } = await this.onRole(caller, 'iam:UpdateRole', input.RoleName);
    await this.updateRoleRecord(account, role.name, {
      ...(input.Description !== undefined && {
        description: input.Description === '' ? null : input.Description,
      }),
      ...(input.MaxSessionDuration !== undefined && { maxSessionDuration: input.MaxSessionDuration }),
    });
    return {};
  }

  private async updateRoleRecord(
    account: string,
    name: string,
    patch: Parameters<MetadataTx['roles']['update']>[2],
  ): Promise<Role> {
    try {
      return await this.deps.store.roles.update(account, name, patch);
    } catch (e) {
      throw this.storeError(e, { role: name });
    }
  }

  // ─── access keys ─────────────────────────────────────────────────────────────────────────────

  /** CreateAccessKey: at most two per user (and per root); the secret is shown only here. */
  async createAccessKey(
    caller: Caller,
    input: IamInputs['CreateAccessKey'],
  ): Promise<{ AccessKey: AccessKeyOut }> {
    const account = this.account(caller);
    validate().string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' }).done();
    const owner = this.keyOwner(caller, input.UserName);
    if (owner.userName === undefined) {
      await this.allow(caller, 'iam:CreateAccessKey', { arn: rootArn(account) });
    } else {
      await this.onUser(caller, 'iam:CreateAccessKey', owner.userName);
    }
    const secret = this.deps.ids.secretAccessKey();
    const key = await this.deps.store.transaction(async (tx) => {
      const ref = { accountId: account, ...owner };
      const user =
        owner.userName === undefined ? undefined : await this.mustUser(tx, account, owner.userName);
      const existing = await listAll((m) => tx.accessKeys.list(ref, { marker: m }));
      if (existing.length >= QUOTAS.accessKeysPerUser)
        throw E.quota('AccessKeysPerUser', QUOTAS.accessKeysPerUser);
      const id = this.deps.ids.iam('AKIA');
      return tx.accessKeys.create({
        id,
        accountId: account,
        ...(user !== undefined && { userName: user.name }),
        status: 'Active',
        secret: this.deps.box.seal(secret, id),
        createdAt: this.now(),
      });
    });
    return {
      AccessKey: {
        ...(key.userName !== undefined && { UserName: key.userName }),
        AccessKeyId: key.id,
        Status: key.status,
        SecretAccessKey: secret,
        CreateDate: key.createdAt,
      },
    };
  }

  /** ListAccessKeys (metadata only, never secrets). */
  async listAccessKeys(
    caller: Caller,
    input: IamInputs['ListAccessKeys'],
  ): Promise<{ AccessKeyMetadata: AccessKeyMetadataOut[] } & PageOut> {
    const account = this.account(caller);
    validate()
      .string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' })
      .paging(input)
      .done();
    const owner = this.keyOwner(caller, input.UserName);
    if (owner.userName === undefined)
      await this.allow(caller, 'iam:ListAccessKeys', { arn: rootArn(account) });
    else await this.onUser(caller, 'iam:ListAccessKeys', owner.userName);
    const page = await this.paged(() =>
      this.deps.store.accessKeys.list({ accountId: account, ...owner }, pagingOpts(input)),
    );
    return listAnswer(
      'AccessKeyMetadata',
      page.items.map((k) => ({
        ...(k.userName !== undefined && { UserName: k.userName }),
        AccessKeyId: k.id,
        Status: k.status,
        CreateDate: k.createdAt,
      })),
      page,
    );
  }

  /** The key of an owner, or NoSuchEntity when it belongs to someone else or does not exist. */
  private async ownedKey(caller: Caller, action: string, userName: string | undefined, keyId: string) {
    const account = this.account(caller);
    const owner = this.keyOwner(caller, userName);
    if (owner.userName === undefined) await this.allow(caller, action, { arn: rootArn(account) });
    else await this.onUser(caller, action, owner.userName);
    const key = await this.deps.store.accessKeys.get(keyId);
    const sameOwner =
      key !== undefined &&
      key.accountId === account &&
      (owner.userName === undefined
        ? key.userName === undefined
        : key.userName?.toLowerCase() === owner.userName.toLowerCase());
    if (!sameOwner) throw E.noSuchAccessKey(keyId);
    return key;
  }

  /** UpdateAccessKey: Active or Inactive (inactive keys fail authentication). */
  async updateAccessKey(caller: Caller, input: IamInputs['UpdateAccessKey']): Promise<void> {
    validate()
      .string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' })
      .string(input.AccessKeyId, 'accessKeyId', { min: 16, max: 128, pattern: ACCESS_KEY_ID_PATTERN })
      .string(input.Status, 'status', { enum: ['Active', 'Inactive', 'Expired'] })
      .done();
    const key = await this.ownedKey(caller, 'iam:UpdateAccessKey', input.UserName, input.AccessKeyId);
    if (input.Status !== 'Active' && input.Status !== 'Inactive') throw E.expiredStatus();
    await this.deps.store.accessKeys.update(key.id, { status: input.Status });
  }

  /** DeleteAccessKey. */
  async deleteAccessKey(caller: Caller, input: IamInputs['DeleteAccessKey']): Promise<void> {
    validate()
      .string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' })
      .string(input.AccessKeyId, 'accessKeyId', { min: 16, max: 128, pattern: ACCESS_KEY_ID_PATTERN })
      .done();
    const key = await this.ownedKey(caller, 'iam:DeleteAccessKey', input.UserName, input.AccessKeyId);
    try {
      await this.deps.store.accessKeys.delete(key.id);
    } catch (e) {
      if (e instanceof NotFound) throw E.noSuchAccessKey(input.AccessKeyId);
      throw e;
    }
  }

  // ─── inline policies ─────────────────────────────────────────────────────────────────────────

  /**
   * Put{User,Role}Policy: validates the document as an identity policy and enforces IAM's
   * aggregate size quota per principal (whitespace not counted), replacing a same-named policy.
   */
  private async putInline(
    owner: PrincipalRef,
    policyName: string,
    document: string,
    limit: number,
  ): Promise<void> {
    if (policySize(document) > limit) throw E.inlineSize(owner.kind, owner.name, limit);
    checkDocument(document, 'identity', limit);
    await this.deps.store.transaction(async (tx) => {
      const others = await listAll((m) => tx.inlinePolicies.list(owner, { marker: m }));
      const total = others
        .filter((p) => p.name.toLowerCase() !== policyName.toLowerCase())
        .reduce((n, p) => n + policySize(p.document), policySize(document));
      if (total > limit) throw E.inlineSize(owner.kind, owner.name, limit);
      await tx.inlinePolicies.put(owner, { name: policyName, document });
    });
  }

  private inlineInput(
    kind: PrincipalKind,
    input: { PolicyName: string; PolicyDocument?: string },
    name: string,
  ) {
    const v = validate();
    if (kind === 'user') v.string(name, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' });
    else if (kind === 'group') v.name(name, 'groupName', 128);
    else v.name(name, 'roleName', 64);
    v.name(input.PolicyName, 'policyName', 128);
    if (input.PolicyDocument !== undefined) v.document(input.PolicyDocument, 'policyDocument');
    v.done();
  }

  /** PutUserPolicy (aggregate 2,048 characters per user). */
  async putUserPolicy(caller: Caller, input: IamInputs['PutUserPolicy']): Promise<void> {
    this.inlineInput('user', input, input.UserName);
    const { account, user } = await this.onUser(caller, 'iam:PutUserPolicy', input.UserName, boundaryContext);
    await this.putInline(
      { kind: 'user', accountId: account, name: user.name },
      input.PolicyName,
      input.PolicyDocument,
      QUOTAS.userPolicySize,
    );
  }

  /** PutRolePolicy (aggregate 10,240 characters per role). */
  async putRolePolicy(caller: Caller, input: IamInputs['PutRolePolicy']): Promise<void> {
    this.inlineInput('role', input, input.RoleName);
    const { account, role } = await this.onRole(caller, 'iam:PutRolePolicy', input.RoleName, boundaryContext);
    await this.putInline(
      { kind: 'role', accountId: account, name: role.name },
      input.PolicyName,
      input.PolicyDocument,
      QUOTAS.rolePolicySize,
    );
  }

  /** GetUserPolicy; the document URL-encoded. */
  async getUserPolicy(
    caller: Caller,
    input: IamInputs['GetUserPolicy'],
  ): Promise<{ UserName: string; PolicyName: string; PolicyDocument: string }> {
    this.inlineInput('user', input, input.UserName);
    const { account, user } = await this.onUser(caller, 'iam:GetUserPolicy', input.UserName);
    const p = await this.deps.store.inlinePolicies.get(
      { kind: 'user', accountId: account, name: user.name },
      input.PolicyName,
    );
    if (p === undefined) throw E.noSuchUserPolicy(input.PolicyName);
    return { UserName: user.name, PolicyName: p.name, PolicyDocument: encodeDocument(p.document) };
  }

  /** GetRolePolicy; the document URL-encoded. */
  async getRolePolicy(
    caller: Caller,
    input: IamInputs['GetRolePolicy'],
  ): Promise<{ RoleName: string; PolicyName: string; PolicyDocument: string }> {
    this.inlineInput('role', input, input.RoleName);
    const { account, role } = await this.onRole(caller, 'iam:GetRolePolicy', input.RoleName);
    const p = await this.deps.store.inlinePolicies.get(
      { kind: 'role', accountId: account, name: role.name },
      input.PolicyName,
    );
    if (p === undefined) throw E.noSuchRolePolicy(input.PolicyName);
    return { RoleName: role.name, PolicyName: p.name, PolicyDocument: encodeDocument(p.document) };
  }

  /** DeleteUserPolicy. */
  async deleteUserPolicy(caller: Caller, input: IamInputs['DeleteUserPolicy']): Promise<void> {
    this.inlineInput('user', input, input.UserName);
    const { account, user } = await this.onUser(
      caller,
      'iam:DeleteUserPolicy',
      input.UserName,
      boundaryContext,
    );
    try {
      await this.deps.store.inlinePolicies.delete(
        { kind: 'user', accountId: account, name: user.name },
        input.PolicyName,
      );
    } catch (e) {
      if (e instanceof NotFound && e.entity === 'inlinePolicy') throw E.noSuchUserPolicy(input.PolicyName);
      throw this.storeError(e, { user: input.UserName });
    }
  }

  /** DeleteRolePolicy. */
  async deleteRolePolicy(caller: Caller, input: IamInputs['DeleteRolePolicy']): Promise<void> {
    this.inlineInput('role', input, input.RoleName);
    const { account, role } = await this.onRole(
      caller,
      'iam:DeleteRolePolicy',
      input.RoleName,
      boundaryContext,
    );
    try {
      await this.deps.store.inlinePolicies.delete(
        { kind: 'role', accountId: account, name: role.name },
        input.PolicyName,
      );
    } catch (e) {
      if (e instanceof NotFound && e.entity === 'inlinePolicy') throw E.noSuchRolePolicy(input.PolicyName);
      throw this.storeError(e, { role: input.RoleName });
    }
  }

  /** ListUserPolicies. */
  async listUserPolicies(
    caller: Caller,
    input: IamInputs['ListUserPolicies'],
  ): Promise<{ PolicyNames: string[] } & PageOut> {
    validate()
      .string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' })
      .paging(input)
      .done();
    const { account, user } = await this.onUser(caller, 'iam:ListUserPolicies', input.UserName);
    const page = await this.paged(() =>
      this.deps.store.inlinePolicies.list(
        { kind: 'user', accountId: account, name: user.name },
        pagingOpts(input),
      ),
    );
    return listAnswer(
      'PolicyNames',
      page.items.map((p) => p.name),
      page,
    );
  }

  /** ListRolePolicies. */
  async listRolePolicies(
    caller: Caller,
    input: IamInputs['ListRolePolicies'],
  ): Promise<{ PolicyNames: string[] } & PageOut> {
    validate().name(input.RoleName, 'roleName', 64).paging(input).done();
    const { account, role } = await this.onRole(caller, 'iam:ListRolePolicies', input.RoleName);
    const page = await this.paged(() =>
      this.deps.store.inlinePolicies.list(
        { kind: 'role', accountId: account, name: role.name },
        pagingOpts(input),
      ),
    );
    return listAnswer(
      'PolicyNames',
      page.items.map((p) => p.name),
      page,
    );
  }

  // ─── managed policies ────────────────────────────────────────────────────────────────────────

  /** CreatePolicy: the document becomes the default version `v1`. */
  async createPolicy(caller: Caller, input: IamInputs['CreatePolicy']): Promise<{ Policy: PolicyOut }> {
    const account = this.account(caller);
    const path = input.Path ?? '/';
    validate()
      .name(input.PolicyName, 'policyName', 128)
      .string(input.Path, 'path', { min: 1, max: 512, pattern: POLICY_PATH_PATTERN })
      .document(input.PolicyDocument, 'policyDocument')
      .string(input.Description, 'description', { max: 1000 })
      .tags(input.Tags)
      .done();
    checkTagKeys(input.Tags);
    const arn = policyArn(account, path, input.PolicyName);
    await this.allow(caller, 'iam:CreatePolicy', {
      arn,
      shown: `policy ${input.PolicyName}`,
      context: requestTagContext(input.Tags),
    });
    checkDocument(input.PolicyDocument, 'identity');
    const policy = await this.deps.store.transaction(async (tx) => {
      if ((await tx.managedPolicies.get(account, input.PolicyName)) !== undefined)
        throw E.policyExists(input.PolicyName);
      return tx.managedPolicies.create({
        accountId: account,
        name: input.PolicyName,
        path,
        id: this.deps.ids.iam('ANPA'),
        arn,
        ...(input.Description !== undefined &&
          input.Description !== '' && { description: input.Description }),
        createdAt: this.now(),
        tags: toTags(input.Tags),
        document: input.PolicyDocument,
      });
    });
    return { Policy: customerPolicyOut(policy, 0, 'create') };
  }

  private policyTarget(arn: string, tags?: readonly Tag[]): Target {
    return { arn, shown: `policy ${arn}`, ...(tags !== undefined && { tags }) };
  }

  /** GetPolicy: customer managed policies of the account and the AWS managed ones crossdock serves. */
  async getPolicy(caller: Caller, input: IamInputs['GetPolicy']): Promise<{ Policy: PolicyOut }> {
    const account = this.account(caller);
    validate().arn(input.PolicyArn, 'policyArn').done();
    const aws = managedPolicy(input.PolicyArn);
    if (input.PolicyArn.startsWith('arn:aws:iam::aws:policy/')) {
      await this.allow(caller, 'iam:GetPolicy', this.policyTarget(input.PolicyArn));
      if (aws === undefined) throw E.noSuchPolicy(input.PolicyArn);
      return { Policy: await this.awsPolicyOut(account, aws, await this.boundaryUses(account), 'get') };
    }
    const found = await this.lookupCustomer(account, input.PolicyArn);
    await this.allow(caller, 'iam:GetPolicy', this.policyTarget(input.PolicyArn, found?.tags));
    const p = await this.customerPolicy(this.deps.store, account, input.PolicyArn);
    return { Policy: customerPolicyOut(p, (await this.boundaryUses(account)).get(p.arn) ?? 0, 'get') };
  }

  private async lookupCustomer(account: string, arn: string): Promise<ManagedPolicy | undefined> {
    const parts = parsePolicyArn(arn);
    return parts?.account === account ? this.deps.store.managedPolicies.getByArn(arn) : undefined;
  }

  /** Authorizes an operation on a customer managed policy, then requires it to exist. */
  private async onPolicy(
    caller: Caller,
    action: string,
    arn: string,
  ): Promise<{ account: string; policy: ManagedPolicy }> {
    const account = this.account(caller);
    validate().arn(arn, 'policyArn').done();
    const found = await this.lookupCustomer(account, arn);
    await this.allow(caller, action, this.policyTarget(arn, found?.tags));
    if (arn.startsWith('arn:aws:iam::aws:policy/') && managedPolicy(arn) !== undefined) {
      throw new ServiceError('InvalidInput', `Policy ${arn} is an AWS managed policy and cannot be changed.`);
    }
    return { account, policy: await this.customerPolicy(this.deps.store, account, arn) };
  }

  /** DeletePolicy: refused while attached or while it has versions besides the default. */
  async deletePolicy(caller: Caller, input: IamInputs['DeletePolicy']): Promise<void> {
    const { account, policy } = await this.onPolicy(caller, 'iam:DeletePolicy', input.PolicyArn);
    await this.deps.store.transaction(async (tx) => {
      const p = await this.customerPolicy(tx, account, policy.arn);
      if (p.attachmentCount > 0) throw E.policyAttached();
      if ((await tx.managedPolicies.listVersions(account, p.name)).length > 1) throw E.policyHasVersions();
      try {
        await tx.managedPolicies.delete(account, p.name);
      } catch (e) {
        throw this.storeError(e, { policy: p.arn });
      }
    });
  }

  /** ListPolicies: Scope All (default), AWS or Local; OnlyAttached; PathPrefix. */
  async listPolicies(
    caller: Caller,
    input: IamInputs['ListPolicies'],
  ): Promise<{ Policies: PolicyOut[] } & PageOut> {
    const account = this.account(caller);
    validate()
      .string(input.Scope, 'scope', { enum: ['All', 'AWS', 'Local'] })
      .string(input.PathPrefix, 'pathPrefix', { min: 1, max: 512, pattern: POLICY_PATH_PATTERN })
      .string(input.PolicyUsageFilter, 'policyUsageFilter', {
        enum: ['PermissionsPolicy', 'PermissionsBoundary'],
      })
      .paging(input)
      .done();
    const prefix = input.PathPrefix ?? '/';
    await this.allow(caller, 'iam:ListPolicies', {
      arn: `arn:aws:iam::${account}:policy${prefix}`,
      shown: `policy path ${prefix}`,
    });
    const scope = input.Scope ?? 'All';
    const uses = await this.boundaryUses(account);
    const all: PolicyOut[] = [];
    if (scope !== 'Local') {
      for (const p of MANAGED_POLICIES) {
        if (p.path.startsWith(prefix)) all.push(await this.awsPolicyOut(account, p, uses, 'list'));
      }
    }
    if (scope !== 'AWS') {
      const local = await listAll((m) =>
        this.deps.store.managedPolicies.list(account, { pathPrefix: prefix, marker: m, maxItems: 1000 }),
      );
      for (const p of local) all.push(customerPolicyOut(p, uses.get(p.arn) ?? 0, 'list'));
    }
    const filtered = all.filter(
      (p) =>
        (input.OnlyAttached !== true || p.AttachmentCount > 0) &&
        (input.PolicyUsageFilter !== 'PermissionsBoundary' || p.PermissionsBoundaryUsageCount > 0) &&
        (input.PolicyUsageFilter !== 'PermissionsPolicy' || p.AttachmentCount > 0),
    );
    const page = await this.paged(async () =>
      paginate(filtered, (p) => [p.PolicyName.toLowerCase(), p.Arn], pagingOpts(input), 'managedPolicy', 2),
    );
    return listAnswer('Policies', page.items, page);
  }

  /** CreatePolicyVersion: at most five versions; SetAsDefault makes it the one in force. */
  async createPolicyVersion(
    caller: Caller,
    input: IamInputs['CreatePolicyVersion'],
  ): Promise<{ PolicyVersion: PolicyVersionOut }> {
    validate().document(input.PolicyDocument, 'policyDocument').done();
    const { account, policy } = await this.onPolicy(caller, 'iam:CreatePolicyVersion', input.PolicyArn);
    checkDocument(input.PolicyDocument, 'identity');
    try {
      const v = await this.deps.store.managedPolicies.createVersion(account, policy.name, {
        document: input.PolicyDocument,
        createdAt: this.now(),
        setAsDefault: input.SetAsDefault === true,
      });
      return { PolicyVersion: policyVersionOut(v, false) };
    } catch (e) {
      if (e instanceof Conflict && e.reason === 'VersionLimitReached') throw E.versionLimit();
      throw this.storeError(e, { policy: policy.arn });
    }
  }

  /** GetPolicyVersion; the document URL-encoded. */
  async getPolicyVersion(
    caller: Caller,
    input: IamInputs['GetPolicyVersion'],
  ): Promise<{ PolicyVersion: PolicyVersionOut }> {
    validate()
      .arn(input.PolicyArn, 'policyArn')
      .string(input.VersionId, 'versionId', { pattern: VERSION_ID_PATTERN })
      .done();
    const aws = managedPolicy(input.PolicyArn);
    if (input.PolicyArn.startsWith('arn:aws:iam::aws:policy/')) {
      await this.allow(caller, 'iam:GetPolicyVersion', this.policyTarget(input.PolicyArn));
      if (aws === undefined) throw E.noSuchPolicy(input.PolicyArn);
      if (input.VersionId !== aws.defaultVersionId)
        throw E.noSuchPolicyVersion(input.PolicyArn, input.VersionId);
      const version = {
        versionId: aws.defaultVersionId,
        document: aws.document,
        isDefault: true,
        createdAt: new Date(aws.updateDate),
      };
      return { PolicyVersion: policyVersionOut(version, true) };
    }
    const { account, policy } = await this.onPolicy(caller, 'iam:GetPolicyVersion', input.PolicyArn);
    const v = await this.deps.store.managedPolicies.getVersion(account, policy.name, input.VersionId);
    if (v === undefined) throw E.noSuchPolicyVersion(input.PolicyArn, input.VersionId);
    return { PolicyVersion: policyVersionOut(v, true) };
  }

  /** ListPolicyVersions, newest first (documents left out, as IAM does). */
  async listPolicyVersions(
    caller: Caller,
    input: IamInputs['ListPolicyVersions'],
  ): Promise<{ Versions: PolicyVersionOut[] } & PageOut> {
    validate().paging(input).done();
    if (input.PolicyArn.startsWith('arn:aws:iam::aws:policy/')) {
      await this.allow(caller, 'iam:ListPolicyVersions', this.policyTarget(input.PolicyArn));
      const aws = managedPolicy(input.PolicyArn);
      if (aws === undefined) throw E.noSuchPolicy(input.PolicyArn);
      const v = {
        versionId: aws.defaultVersionId,
        document: aws.document,
        isDefault: true,
        createdAt: new Date(aws.updateDate),
      };
      return { Versions: [policyVersionOut(v, false)], IsTruncated: false };
    }
    const { account, policy } = await this.onPolicy(caller, 'iam:ListPolicyVersions', input.PolicyArn);
    const versions = (await this.deps.store.managedPolicies.listVersions(account, policy.name)).reverse();
    const page = await this.paged(async () =>
      paginate(
        versions.map((v) => ({ v, key: String(1e9 - Number(v.versionId.slice(1))).padStart(10, '0') })),
        (x) => [x.key],
        pagingOpts(input),
        'policyVersion',
        1,
      ),
    );
    return listAnswer(
      'Versions',
      page.items.map((x) => policyVersionOut(x.v, false)),
      page,
    );
  }

  /** DeletePolicyVersion: never the default version. */
  async deletePolicyVersion(caller: Caller, input: IamInputs['DeletePolicyVersion']): Promise<void> {
    validate().string(input.VersionId, 'versionId', { pattern: VERSION_ID_PATTERN }).done();
    const { account, policy } = await this.onPolicy(caller, 'iam:DeletePolicyVersion', input.PolicyArn);
    try {
      await this.deps.store.managedPolicies.deleteVersion(account, policy.name, input.VersionId);
    } catch (e) {
      if (e instanceof Conflict && e.reason === 'IsDefaultVersion') throw E.defaultVersion();
      if (e instanceof NotFound && e.entity === 'policyVersion')
        throw E.noSuchPolicyVersion(input.PolicyArn, input.VersionId);
      throw this.storeError(e, { policy: policy.arn });
    }
  }

  /** SetDefaultPolicyVersion. */
  async setDefaultPolicyVersion(caller: Caller, input: IamInputs['SetDefaultPolicyVersion']): Promise<void> {
    validate().string(input.VersionId, 'versionId', { pattern: VERSION_ID_PATTERN }).done();
    const { account, policy } = await this.onPolicy(caller, 'iam:SetDefaultPolicyVersion', input.PolicyArn);
    try {
      await this.deps.store.managedPolicies.setDefaultVersion(
        account,
        policy.name,
        input.VersionId,
        this.now(),
      );
    } catch (e) {
      if (e instanceof NotFound && e.entity === 'policyVersion')
        throw E.noSuchPolicyVersion(input.PolicyArn, input.VersionId);
      throw this.storeError(e, { policy: policy.arn });
    }
  }

  // ─── attachments ─────────────────────────────────────────────────────────────────────────────

  private async attach(
    owner: PrincipalRef,
    arn: string,
    quota: { name: string; max: number },
  ): Promise<void> {
    await this.deps.store.transaction(async (tx) => {
      await this.attachablePolicy(tx, owner.accountId, arn);
      const attached = await listAll((m) => tx.attachments.listForPrincipal(owner, { marker: m }));
      if (attached.includes(arn)) return;
      if (attached.length >= quota.max) throw E.quota(quota.name, quota.max);
      await tx.attachments.attach(owner, arn);
    });
  }

  private async detach(owner: PrincipalRef, arn: string): Promise<void> {
    if (parsePolicyArn(arn) === undefined) throw E.invalidArn(arn);
    try {
      await this.deps.store.attachments.detach(owner, arn);
    } catch (e) {
      if (e instanceof NotFound && e.entity === 'policyAttachment') throw E.noSuchPolicy(arn);
      throw this.storeError(e, { [owner.kind]: owner.name });
    }
  }

  private attachInput(kind: PrincipalKind, name: string, arn: string): void {
    const v = validate();
    if (kind === 'user') v.string(name, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' });
    else if (kind === 'group') v.name(name, 'groupName', 128);
    else v.name(name, 'roleName', 64);
    v.arn(arn, 'policyArn').done();
  }

  /** AttachUserPolicy (at most 10 managed policies per user). */
  async attachUserPolicy(caller: Caller, input: IamInputs['AttachUserPolicy']): Promise<void> {
    this.attachInput('user', input.UserName, input.PolicyArn);
    const { account, user } = await this.onUser(caller, 'iam:AttachUserPolicy', input.UserName, (u) =>
      policyContext(input.PolicyArn, u),
    );
    await this.attach({ kind: 'user', accountId: account, name: user.name }, input.PolicyArn, {
      name: 'PoliciesPerUser',
      max: QUOTAS.policiesPerUser,
    });
  }

  /** AttachRolePolicy (at most 10 managed policies per role). */
  async attachRolePolicy(caller: Caller, input: IamInputs['AttachRolePolicy']): Promise<void> {
    this.attachInput('role', input.RoleName, input.PolicyArn);
    const { account, role } = await this.onRole(caller, 'iam:AttachRolePolicy', input.RoleName, (r) =>
      policyContext(input.PolicyArn, r),
    );
    await this.attach({ kind: 'role', accountId: account, name: role.name }, input.PolicyArn, {
      name: 'PoliciesPerRole',
      max: QUOTAS.policiesPerRole,
    });
  }

  /** DetachUserPolicy. */
  async detachUserPolicy(caller: Caller, input: IamInputs['DetachUserPolicy']): Promise<void> {
    this.attachInput('user', input.UserName, input.PolicyArn);
    const { account, user } = await this.onUser(caller, 'iam:DetachUserPolicy', input.UserName, (u) =>
      policyContext(input.PolicyArn, u),
    );
    await this.detach({ kind: 'user', accountId: account, name: user.name }, input.PolicyArn);
  }

  /** DetachRolePolicy. */
  async detachRolePolicy(caller: Caller, input: IamInputs['DetachRolePolicy']): Promise<void> {
    this.attachInput('role', input.RoleName, input.PolicyArn);
    const { account, role } = await this.onRole(caller, 'iam:DetachRolePolicy', input.RoleName, (r) =>
      policyContext(input.PolicyArn, r),
    );
    await this.detach({ kind: 'role', accountId: account, name: role.name }, input.PolicyArn);
  }

  private async listAttached(owner: PrincipalRef, input: Paging & { PathPrefix?: string }) {
    const page = await this.paged(() =>
      this.deps.store.attachments.listForPrincipal(owner, {
        ...(input.PathPrefix !== undefined && { pathPrefix: input.PathPrefix }),
        ...pagingOpts(input),
      }),
    );
    return listAnswer<'AttachedPolicies', AttachedPolicyOut>(
      'AttachedPolicies',
      page.items.map((arn) => ({ PolicyName: nameOfPolicyArn(arn), PolicyArn: arn })),
      page,
    );
  }

  /** ListAttachedUserPolicies. */
  async listAttachedUserPolicies(
    caller: Caller,
    input: IamInputs['ListAttachedUserPolicies'],
  ): Promise<{ AttachedPolicies: AttachedPolicyOut[] } & PageOut> {
    validate()
      .string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' })
      .string(input.PathPrefix, 'pathPrefix', { min: 1, max: 512, pattern: POLICY_PATH_PATTERN })
      .paging(input)
      .done();
    const { account, user } = await this.onUser(caller, 'iam:ListAttachedUserPolicies', input.UserName);
    return this.listAttached({ kind: 'user', accountId: account, name: user.name }, input);
  }

  /** ListAttachedRolePolicies. */
  async listAttachedRolePolicies(
    caller: Caller,
    input: IamInputs['ListAttachedRolePolicies'],
  ): Promise<{ AttachedPolicies: AttachedPolicyOut[] } & PageOut> {
    validate()
      .name(input.RoleName, 'roleName', 64)
      .string(input.PathPrefix, 'pathPrefix', { min: 1, max: 512, pattern: POLICY_PATH_PATTERN })
      .paging(input)
      .done();
    const { account, role } = await this.onRole(caller, 'iam:ListAttachedRolePolicies', input.RoleName);
    return this.listAttached({ kind: 'role', accountId: account, name: role.name }, input);
  }

  // ─── groups ──────────────────────────────────────────────────────────────────────────────────

  private groupTarget(account: string, name: string, group: Group | undefined): Target {
    return { arn: groupArn(group ?? { accountId: account, path: '/', name }), shown: `group ${name}` };
  }

  /** Authorizes an operation on an existing group, then requires the group to exist. */
  private async onGroup(
    caller: Caller,
    action: string,
    name: string,
  ): Promise<{ account: string; group: Group }> {
    const account = this.account(caller);
    const group = await this.deps.store.groups.get(account, name);
    await this.allow(caller, action, this.groupTarget(account, name, group));
    if (group === undefined) throw E.noSuchGroup(name);
    return { account, group };
  }

  private groupRef(account: string, group: Group): PrincipalRef {
    return { kind: 'group', accountId: account, name: group.name };
  }

  /** CreateGroup (at most 300 groups per account). */
  async createGroup(caller: Caller, input: IamInputs['CreateGroup']): Promise<{ Group: GroupOut }> {
    const account = this.account(caller);
    const path = input.Path ?? '/';
    validate()
      .string(input.Path, 'path', { min: 1, max: 512, pattern: PATH_PATTERN })
      .name(input.GroupName, 'groupName', 128)
      .done();
    await this.allow(caller, 'iam:CreateGroup', {
      arn: groupArn({ accountId: account, path, name: input.GroupName }),
    });
    const group = await this.deps.store.transaction(async (tx) => {
      if ((await tx.groups.get(account, input.GroupName)) !== undefined) throw E.groupExists(input.GroupName);
      const existing = await tx.groups.list(account, { maxItems: QUOTAS.groupsPerAccount });
      if (existing.marker !== undefined || existing.items.length >= QUOTAS.groupsPerAccount) {
        throw E.quota('GroupsPerAccount', QUOTAS.groupsPerAccount);
      }
      return tx.groups.create({
        accountId: account,
        name: input.GroupName,
        path,
        id: this.deps.ids.iam('AGPA'),
        createdAt: this.now(),
      });
    });
    return { Group: groupOut(group) };
  }

  /** GetGroup: the group and a page of its users. */
  async getGroup(
    caller: Caller,
    input: IamInputs['GetGroup'],
  ): Promise<{ Group: GroupOut; Users: UserOut[] } & PageOut> {
    validate().name(input.GroupName, 'groupName', 128).paging(input).done();
    const { account, group } = await this.onGroup(caller, 'iam:GetGroup', input.GroupName);
    const page = await this.paged(() =>
      this.deps.store.groups.listUsers(account, group.name, pagingOpts(input)),
    );
    return { Group: groupOut(group), Users: page.items.map((u) => userOut(u, 'list')), ...pageOut(page) };
  }

  /** ListGroups. */
  async listGroups(
    caller: Caller,
    input: IamInputs['ListGroups'],
  ): Promise<{ Groups: GroupOut[] } & PageOut> {
    const account = this.account(caller);
    validate()
      .string(input.PathPrefix, 'pathPrefix', { min: 1, max: 512, pattern: PATH_PREFIX_PATTERN })
      .paging(input)
      .done();
    await this.allow(caller, 'iam:ListGroups', {
      arn: `arn:aws:iam::${account}:group${input.PathPrefix ?? '/'}`,
    });
    const page = await this.paged(() =>
      this.deps.store.groups.list(account, {
        ...(input.PathPrefix !== undefined && { pathPrefix: input.PathPrefix }),
        ...pagingOpts(input),
      }),
    );
    return listAnswer('Groups', page.items.map(groupOut), page);
  }

  /** UpdateGroup: a new name and/or path; the caller needs iam:UpdateGroup on the old and the new ARN. */
  async updateGroup(caller: Caller, input: IamInputs['UpdateGroup']): Promise<void> {
    validate()
      .name(input.GroupName, 'groupName', 128)
      .string(input.NewPath, 'newPath', { min: 1, max: 512, pattern: PATH_PATTERN })
      .name(input.NewGroupName, 'newGroupName', 128)
      .done();
    const { account, group } = await this.onGroup(caller, 'iam:UpdateGroup', input.GroupName);
    const next = {
      accountId: account,
      path: input.NewPath ?? group.path,
      name: input.NewGroupName ?? group.name,
    };
    await this.allow(caller, 'iam:UpdateGroup', { arn: groupArn(next), shown: `group ${next.name}` });
    await this.deps.store.transaction(async (tx) => {
      if (input.NewGroupName !== undefined) {
        const other = await tx.groups.get(account, input.NewGroupName);
        if (other !== undefined && other.id !== group.id) throw E.groupExists(input.NewGroupName);
      }
      try {
        await tx.groups.update(account, group.name, {
          ...(input.NewGroupName !== undefined && { name: input.NewGroupName }),
          ...(input.NewPath !== undefined && { path: input.NewPath }),
        });
      } catch (e) {
        throw this.storeError(e, { group: input.GroupName });
      }
    });
  }

  /** DeleteGroup: refused while it has members, inline or attached policies. */
  async deleteGroup(caller: Caller, input: IamInputs['DeleteGroup']): Promise<void> {
    validate().name(input.GroupName, 'groupName', 128).done();
    const { account, group } = await this.onGroup(caller, 'iam:DeleteGroup', input.GroupName);
    try {
      await this.deps.store.groups.delete(account, group.name);
    } catch (e) {
      throw this.storeError(e, { group: input.GroupName });
    }
  }

  /** AddUserToGroup (a user is in at most 10 groups); adding a member again changes nothing. */
  async addUserToGroup(caller: Caller, input: IamInputs['AddUserToGroup']): Promise<void> {
    validate()
      .name(input.GroupName, 'groupName', 128)
      .string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' })
      .done();
    const { account, group } = await this.onGroup(caller, 'iam:AddUserToGroup', input.GroupName);
    await this.deps.store.transaction(async (tx) => {
      const user = await this.mustUser(tx, account, input.UserName);
      const groups = await listAll((m) => tx.groups.listForUser(account, user.name, { marker: m }));
      if (groups.some((g) => g.id === group.id)) return;
      if (groups.length >= QUOTAS.groupsPerUser) throw E.quota('GroupsPerUser', QUOTAS.groupsPerUser);
      try {
        await tx.groups.addUser(account, group.name, user.name);
      } catch (e) {
        throw this.storeError(e, { group: input.GroupName, user: input.UserName });
      }
    });
  }

  /**
   * RemoveUserFromGroup: the group and the user must exist; removing a user that is not a member
   * succeeds without change, as IAM answers (observed with the CLI, cloud-custodian#4730).
   */
  async removeUserFromGroup(caller: Caller, input: IamInputs['RemoveUserFromGroup']): Promise<void> {
    validate()
      .name(input.GroupName, 'groupName', 128)
      .string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' })
      .done();
    const { account, group } = await this.onGroup(caller, 'iam:RemoveUserFromGroup', input.GroupName);
    try {
      await this.deps.store.groups.removeUser(account, group.name, input.UserName);
    } catch (e) {
      if (e instanceof NotFound && e.entity === 'groupMember') return;
      throw this.storeError(e, { group: input.GroupName, user: input.UserName });
    }
  }

  /** ListGroupsForUser (authorized on the user). */
  async listGroupsForUser(
    caller: Caller,
    input: IamInputs['ListGroupsForUser'],
  ): Promise<{ Groups: GroupOut[] } & PageOut> {
    validate()
      .string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' })
      .paging(input)
      .done();
    const { account, user } = await this.onUser(caller, 'iam:ListGroupsForUser', input.UserName);
    const page = await this.paged(() =>
      this.deps.store.groups.listForUser(account, user.name, pagingOpts(input)),
    );
    return listAnswer('Groups', page.items.map(groupOut), page);
  }

  /** PutGroupPolicy (aggregate 5,120 characters per group). */
  async putGroupPolicy(caller: Caller, input: IamInputs['PutGroupPolicy']): Promise<void> {
    this.inlineInput('group', input, input.GroupName);
    const { account, group } = await this.onGroup(caller, 'iam:PutGroupPolicy', input.GroupName);
    await this.putInline(
      this.groupRef(account, group),
      input.PolicyName,
      input.PolicyDocument,
      QUOTAS.groupPolicySize,
    );
  }

  /** GetGroupPolicy; the document URL-encoded. */
  async getGroupPolicy(
    caller: Caller,
    input: IamInputs['GetGroupPolicy'],
  ): Promise<{ GroupName: string; PolicyName: string; PolicyDocument: string }> {
    this.inlineInput('group', input, input.GroupName);
    const { account, group } = await this.onGroup(caller, 'iam:GetGroupPolicy', input.GroupName);
    const p = await this.deps.store.inlinePolicies.get(this.groupRef(account, group), input.PolicyName);
    if (p === undefined) throw E.noSuchGroupPolicy(input.PolicyName);
    return { GroupName: group.name, PolicyName: p.name, PolicyDocument: encodeDocument(p.document) };
  }

  /** DeleteGroupPolicy. */
  async deleteGroupPolicy(caller: Caller, input: IamInputs['DeleteGroupPolicy']): Promise<void> {
    this.inlineInput('group', input, input.GroupName);
    const { account, group } = await this.onGroup(caller, 'iam:DeleteGroupPolicy', input.GroupName);
    try {
      await this.deps.store.inlinePolicies.delete(this.groupRef(account, group), input.PolicyName);
    } catch (e) {
      if (e instanceof NotFound && e.entity === 'inlinePolicy') throw E.noSuchGroupPolicy(input.PolicyName);
      throw this.storeError(e, { group: input.GroupName });
    }
  }

  /** ListGroupPolicies. */
  async listGroupPolicies(
    caller: Caller,
    input: IamInputs['ListGroupPolicies'],
  ): Promise<{ PolicyNames: string[] } & PageOut> {
    validate().name(input.GroupName, 'groupName', 128).paging(input).done();
    const { account, group } = await this.onGroup(caller, 'iam:ListGroupPolicies', input.GroupName);
    const page = await this.paged(() =>
      this.deps.store.inlinePolicies.list(this.groupRef(account, group), pagingOpts(input)),
    );
    return listAnswer(
      'PolicyNames',
      page.items.map((p) => p.name),
      page,
    );
  }

  /** AttachGroupPolicy (at most 10 managed policies per group). */
  async attachGroupPolicy(caller: Caller, input: IamInputs['AttachGroupPolicy']): Promise<void> {
    this.attachInput('group', input.GroupName, input.PolicyArn);
    const account = this.account(caller);
    const found = await this.deps.store.groups.get(account, input.GroupName);
    await this.allow(caller, 'iam:AttachGroupPolicy', {
      ...this.groupTarget(account, input.GroupName, found),
      context: { 'iam:PolicyARN': input.PolicyArn },
    });
    if (found === undefined) throw E.noSuchGroup(input.GroupName);
    await this.attach(this.groupRef(account, found), input.PolicyArn, {
      name: 'PoliciesPerGroup',
      max: QUOTAS.policiesPerGroup,
    });
  }

  /** DetachGroupPolicy. */
  async detachGroupPolicy(caller: Caller, input: IamInputs['DetachGroupPolicy']): Promise<void> {
    this.attachInput('group', input.GroupName, input.PolicyArn);
    const account = this.account(caller);
    const found = await this.deps.store.groups.get(account, input.GroupName);
    await this.allow(caller, 'iam:DetachGroupPolicy', {
      ...this.groupTarget(account, input.GroupName, found),
      context: { 'iam:PolicyARN': input.PolicyArn },
    });
    if (found === undefined) throw E.noSuchGroup(input.GroupName);
    await this.detach(this.groupRef(account, found), input.PolicyArn);
  }

  /** ListAttachedGroupPolicies. */
  async listAttachedGroupPolicies(
    caller: Caller,
    input: IamInputs['ListAttachedGroupPolicies'],
  ): Promise<{ AttachedPolicies: AttachedPolicyOut[] } & PageOut> {
    validate()
      .name(input.GroupName, 'groupName', 128)
      .string(input.PathPrefix, 'pathPrefix', { min: 1, max: 512, pattern: POLICY_PATH_PATTERN })
      .paging(input)
      .done();
    const { account, group } = await this.onGroup(caller, 'iam:ListAttachedGroupPolicies', input.GroupName);
    return this.listAttached(this.groupRef(account, group), input);
  }

  /**
   * ListEntitiesForPolicy: the groups, users and roles of the caller's account a managed policy is
   * attached to (EntityFilter User, Role, Group; PathPrefix on the entities' paths).
   */
  async listEntitiesForPolicy(
    caller: Caller,
    input: IamInputs['ListEntitiesForPolicy'],
  ): Promise<PolicyEntitiesOut & PageOut> {
    const account = this.account(caller);
    validate()
      .arn(input.PolicyArn, 'policyArn')
      .string(input.EntityFilter, 'entityFilter', {
        enum: ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'],
      })
      .string(input.PathPrefix, 'pathPrefix', { min: 1, max: 512, pattern: PATH_PREFIX_PATTERN })
      .string(input.PolicyUsageFilter, 'policyUsageFilter', {
        enum: ['PermissionsPolicy', 'PermissionsBoundary'],
      })
      .paging(input)
      .done();
    const aws = input.PolicyArn.startsWith('arn:aws:iam::aws:policy/');
    const found = aws ? undefined : await this.lookupCustomer(account, input.PolicyArn);
    await this.allow(caller, 'iam:ListEntitiesForPolicy', this.policyTarget(input.PolicyArn, found?.tags));
    if (aws ? managedPolicy(input.PolicyArn) === undefined : found === undefined) {
      throw E.noSuchPolicy(input.PolicyArn);
    }
    const kinds: Record<string, PrincipalKind> = { User: 'user', Role: 'role', Group: 'group' };
    const kind = input.EntityFilter === undefined ? undefined : kinds[input.EntityFilter];
    const refs =
      input.PolicyUsageFilter === 'PermissionsBoundary' ||
      (input.EntityFilter !== undefined && kind === undefined)
        ? []
        : await listAll((m) =>
            this.deps.store.attachments.listForPolicy(input.PolicyArn, {
              marker: m,
              maxItems: 1000,
              ...(kind !== undefined && { kind }),
            }),
          );
    const entities: { kind: PrincipalKind; name: string; id: string }[] = [];
    for (const r of refs) {
      if (r.accountId !== account) continue;
      const e =
        r.kind === 'user'
          ? await this.deps.store.users.get(account, r.name)
          : r.kind === 'role'
            ? await this.deps.store.roles.get(account, r.name)
            : await this.deps.store.groups.get(account, r.name);
      if (e === undefined || (input.PathPrefix !== undefined && !e.path.startsWith(input.PathPrefix)))
        continue;
      entities.push({ kind: r.kind, name: e.name, id: e.id });
    }
    const page = await this.paged(async () =>
      paginate(entities, (x) => [x.kind, x.name.toLowerCase()], pagingOpts(input), 'policyAttachment', 2),
    );
    const of = (k: PrincipalKind) => page.items.filter((x) => x.kind === k);
    return {
      PolicyGroups: of('group').map((x) => ({ GroupName: x.name, GroupId: x.id })),
      PolicyUsers: of('user').map((x) => ({ UserName: x.name, UserId: x.id })),
      PolicyRoles: of('role').map((x) => ({ RoleName: x.name, RoleId: x.id })),
      ...pageOut(page),
    };
  }

  // ─── tags ────────────────────────────────────────────────────────────────────────────────────

  private tagInput(
    kind: 'user' | 'role',
    name: string,
    tags?: readonly TagInput[],
    keys?: readonly string[],
  ): void {
    const v = validate();
    if (kind === 'user') v.string(name, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' });
    else v.name(name, 'roleName', 64);
    v.tags(tags);
    if (keys !== undefined) {
      v.listLength(keys, 'tagKeys', 50);
      keys.forEach((k, i) =>
        v.string(k, `tagKeys.${i + 1}.member`, { min: 1, max: 128, pattern: TAG_KEY_PATTERN }),
      );
    }
    v.done();
    checkTagKeys(tags);
  }

  private mergedTags(existing: readonly Tag[], incoming: readonly TagInput[]): Tag[] {
    const merged = mergeTags(existing, incoming);
    if (merged.length > QUOTAS.tagsPerEntity) throw E.tagLimit();
    return merged;
  }

  /** TagUser: adds or replaces tags (50 at most per user). */
  async tagUser(caller: Caller, input: IamInputs['TagUser']): Promise<void> {
    this.tagInput('user', input.UserName, input.Tags);
    const { account, user } = await this.onUser(caller, 'iam:TagUser', input.UserName, () =>
      requestTagContext(input.Tags),
    );
    await this.deps.store.transaction(async (tx) => {
      const current = await this.mustUser(tx, account, user.name);
      await tx.users.update(account, user.name, { tags: this.mergedTags(current.tags, input.Tags) });
    });
  }

  /** TagRole: adds or replaces tags (50 at most per role). */
  async tagRole(caller: Caller, input: IamInputs['TagRole']): Promise<void> {
    this.tagInput('role', input.RoleName, input.Tags);
    const { account, role } = await this.onRole(caller, 'iam:TagRole', input.RoleName, () =>
      requestTagContext(input.Tags),
    );
    await this.deps.store.transaction(async (tx) => {
      const current = await this.mustRole(tx, account, role.name);
      await tx.roles.update(account, role.name, { tags: this.mergedTags(current.tags, input.Tags) });
    });
  }

  /** UntagUser: keys match case-insensitively; unknown keys are ignored. */
  async untagUser(caller: Caller, input: IamInputs['UntagUser']): Promise<void> {
    this.tagInput('user', input.UserName, undefined, input.TagKeys);
    const { account, user } = await this.onUser(caller, 'iam:UntagUser', input.UserName, () => ({
      'aws:TagKeys': input.TagKeys,
    }));
    const drop = new Set(input.TagKeys.map((k) => k.toLowerCase()));
    await this.deps.store.transaction(async (tx) => {
      const current = await this.mustUser(tx, account, user.name);
      await tx.users.update(account, user.name, {
        tags: current.tags.filter((t) => !drop.has(t.key.toLowerCase())),
      });
    });
  }

  /** UntagRole: keys match case-insensitively; unknown keys are ignored. */
  async untagRole(caller: Caller, input: IamInputs['UntagRole']): Promise<void> {
    this.tagInput('role', input.RoleName, undefined, input.TagKeys);
    const { account, role } = await this.onRole(caller, 'iam:UntagRole', input.RoleName, () => ({
      'aws:TagKeys': input.TagKeys,
    }));
    const drop = new Set(input.TagKeys.map((k) => k.toLowerCase()));
    await this.deps.store.transaction(async (tx) => {
      const current = await this.mustRole(tx, account, role.name);
      await tx.roles.update(account, role.name, {
        tags: current.tags.filter((t) => !drop.has(t.key.toLowerCase())),
      });
    });
  }

  private async tagPage(tags: readonly Tag[], input: Paging): Promise<{ Tags: TagInput[] } & PageOut> {
    const indexed = tags.map((t, i) => ({ t, key: String(i).padStart(4, '0') }));
    const page = await this.paged(async () =>
      paginate(indexed, (x) => [x.key], pagingOpts(input), 'user', 1),
    );
    return listAnswer(
      'Tags',
      page.items.map((x) => ({ Key: x.t.key, Value: x.t.value })),
      page,
    );
  }

  /** ListUserTags. */
  async listUserTags(
    caller: Caller,
    input: IamInputs['ListUserTags'],
  ): Promise<{ Tags: TagInput[] } & PageOut> {
    validate()
      .string(input.UserName, 'userName', { min: 1, max: 128, pattern: '[\\w+=,.@-]+' })
      .paging(input)
      .done();
    const { user } = await this.onUser(caller, 'iam:ListUserTags', input.UserName);
    return this.tagPage(user.tags, input);
  }

  /** ListRoleTags. */
  async listRoleTags(
    caller: Caller,
    input: IamInputs['ListRoleTags'],
  ): Promise<{ Tags: TagInput[] } & PageOut> {
    validate().name(input.RoleName, 'roleName', 64).paging(input).done();
    const { role } = await this.onRole(caller, 'iam:ListRoleTags', input.RoleName);
    return this.tagPage(role.tags, input);
  }

  // ─── instance profiles ───────────────────────────────────────────────────────────────────────

  private async profileOut(tx: MetadataTx, p: InstanceProfile): Promise<InstanceProfileOut> {
    const roles: Role[] = [];
    for (const name of p.roleNames) {
      const r = await tx.roles.get(p.accountId, name);
      if (r !== undefined) roles.push(r);
    }
    return instanceProfileOut(p, roles);
  }

  /** Authorizes an operation on an existing instance profile, then requires it to exist. */
  private async onProfile(
    caller: Caller,
    action: string,
    name: string,
  ): Promise<{ account: string; profile: InstanceProfile }> {
    const account = this.account(caller);
    validate().name(name, 'instanceProfileName', 128).done();
    const profile = await this.deps.store.instanceProfiles.get(account, name);
    await this.allow(caller, action, {
      arn: instanceProfileArn(profile ?? { accountId: account, path: '/', name }),
      shown: `instance profile ${name}`,
      ...(profile !== undefined && { tags: profile.tags }),
    });
    if (profile === undefined) throw E.noSuchInstanceProfile(name);
    return { account, profile };
  }

  /** CreateInstanceProfile. */
  async createInstanceProfile(
    caller: Caller,
    input: IamInputs['CreateInstanceProfile'],
  ): Promise<{ InstanceProfile: InstanceProfileOut }> {
    const account = this.account(caller);
    const path = input.Path ?? '/';
    validate()
      .name(input.InstanceProfileName, 'instanceProfileName', 128)
      .string(input.Path, 'path', { min: 1, max: 512, pattern: PATH_PATTERN })
      .tags(input.Tags)
      .done();
    checkTagKeys(input.Tags);
    await this.allow(caller, 'iam:CreateInstanceProfile', {
      arn: instanceProfileArn({ accountId: account, path, name: input.InstanceProfileName }),
      context: requestTagContext(input.Tags),
    });
    const profile = await this.deps.store.transaction(async (tx) => {
      if ((await tx.instanceProfiles.get(account, input.InstanceProfileName)) !== undefined) {
        throw E.instanceProfileExists(input.InstanceProfileName);
      }
      return tx.instanceProfiles.create({
        accountId: account,
        name: input.InstanceProfileName,
        path,
        id: this.deps.ids.iam('AIPA'),
        createdAt: this.now(),
        tags: toTags(input.Tags),
      });
    });
    return { InstanceProfile: instanceProfileOut(profile, []) };
  }

  /** GetInstanceProfile. */
  async getInstanceProfile(
    caller: Caller,
    input: IamInputs['GetInstanceProfile'],
  ): Promise<{ InstanceProfile: InstanceProfileOut }> {
    const { profile } = await this.onProfile(caller, 'iam:GetInstanceProfile', input.InstanceProfileName);
    return { InstanceProfile: await this.profileOut(this.deps.store, profile) };
  }

  /** AddRoleToInstanceProfile: one role per profile. */
  async addRoleToInstanceProfile(
    caller: Caller,
    input: IamInputs['AddRoleToInstanceProfile'],
  ): Promise<void> {
    validate().name(input.RoleName, 'roleName', 64).done();
    const { account, profile } = await this.onProfile(
      caller,
      'iam:AddRoleToInstanceProfile',
      input.InstanceProfileName,
    );
    await this.deps.store.transaction(async (tx) => {
      const role = await this.mustRole(tx, account, input.RoleName);
      const current = await tx.instanceProfiles.get(account, profile.name);
      if (current === undefined) throw E.noSuchInstanceProfile(input.InstanceProfileName);
      if (current.roleNames.length >= QUOTAS.rolesPerInstanceProfile) {
        throw E.quota('InstanceSessionsPerInstanceProfile', QUOTAS.rolesPerInstanceProfile);
      }
      await tx.instanceProfiles.addRole(account, current.name, role.name);
    });
  }

  /** RemoveRoleFromInstanceProfile. */
  async removeRoleFromInstanceProfile(
    caller: Caller,
    input: IamInputs['RemoveRoleFromInstanceProfile'],
  ): Promise<void> {
    validate().name(input.RoleName, 'roleName', 64).done();
    const { account, profile } = await this.onProfile(
      caller,
      'iam:RemoveRoleFromInstanceProfile',
      input.InstanceProfileName,
    );
    await this.deps.store.transaction(async (tx) => {
      const role = await this.mustRole(tx, account, input.RoleName);
      try {
        await tx.instanceProfiles.removeRole(account, profile.name, role.name);
      } catch (e) {
        if (e instanceof NotFound) throw E.noSuchRole(input.RoleName);
        throw e;
      }
    });
  }

  /** ListInstanceProfiles. */
  async listInstanceProfiles(
    caller: Caller,
    input: IamInputs['ListInstanceProfiles'],
  ): Promise<{ InstanceProfiles: InstanceProfileOut[] } & PageOut> {
    const account = this.account(caller);
    validate()
      .string(input.PathPrefix, 'pathPrefix', { min: 1, max: 512, pattern: PATH_PREFIX_PATTERN })
      .paging(input)
      .done();
    await this.allow(caller, 'iam:ListInstanceProfiles', {
      arn: `arn:aws:iam::${account}:instance-profile${input.PathPrefix ?? '/'}`,
    });
    const page = await this.paged(() =>
      this.deps.store.instanceProfiles.list(account, {
        ...(input.PathPrefix !== undefined && { pathPrefix: input.PathPrefix }),
        ...pagingOpts(input),
      }),
    );
    const items: InstanceProfileOut[] = [];
    for (const p of page.items) items.push(await this.profileOut(this.deps.store, p));
    return listAnswer('InstanceProfiles', items, page);
  }

  /** ListInstanceProfilesForRole. */
  async listInstanceProfilesForRole(
    caller: Caller,
    input: IamInputs['ListInstanceProfilesForRole'],
  ): Promise<{ InstanceProfiles: InstanceProfileOut[] } & PageOut> {
    validate().name(input.RoleName, 'roleName', 64).paging(input).done();
    const { account, role } = await this.onRole(caller, 'iam:ListInstanceProfilesForRole', input.RoleName);
    const page = await this.paged(() =>
      this.deps.store.instanceProfiles.listForRole(account, role.name, pagingOpts(input)),
    );
    const items: InstanceProfileOut[] = [];
    for (const p of page.items) items.push(await this.profileOut(this.deps.store, p));
    return listAnswer('InstanceProfiles', items, page);
  }

  /** DeleteInstanceProfile: refused while a role is in it. */
  async deleteInstanceProfile(caller: Caller, input: IamInputs['DeleteInstanceProfile']): Promise<void> {
    const { account, profile } = await this.onProfile(
      caller,
      'iam:DeleteInstanceProfile',
      input.InstanceProfileName,
    );
    try {
      await this.deps.store.instanceProfiles.delete(account, profile.name);
    } catch (e) {
      throw this.storeError(e, { instanceProfile: input.InstanceProfileName });
    }
  }

  // ─── permissions boundaries ──────────────────────────────────────────────────────────────────

  /** PutUserPermissionsBoundary. */
  async putUserPermissionsBoundary(
    caller: Caller,
    input: IamInputs['PutUserPermissionsBoundary'],
  ): Promise<void> {
    validate()
      .name(input.UserName, 'userName', 64)
      .arn(input.PermissionsBoundary, 'permissionsBoundary')
      .done();
    const { account, user } = await this.onUser(
      caller,
      'iam:PutUserPermissionsBoundary',
      input.UserName,
      () => ({
        'iam:PermissionsBoundary': input.PermissionsBoundary,
      }),
    );
    await this.deps.store.transaction(async (tx) => {
      await this.attachablePolicy(tx, account, input.PermissionsBoundary);
      await tx.users.update(account, user.name, { permissionsBoundaryArn: input.PermissionsBoundary });
    });
  }

  /** PutRolePermissionsBoundary. */
  async putRolePermissionsBoundary(
    caller: Caller,
    input: IamInputs['PutRolePermissionsBoundary'],
  ): Promise<void> {
    validate()
      .name(input.RoleName, 'roleName', 64)
      .arn(input.PermissionsBoundary, 'permissionsBoundary')
      .done();
    const { account, role } = await this.onRole(
      caller,
      'iam:PutRolePermissionsBoundary',
      input.RoleName,
      () => ({
        'iam:PermissionsBoundary': input.PermissionsBoundary,
      }),
    );
    await this.deps.store.transaction(async (tx) => {
      await this.attachablePolicy(tx, account, input.PermissionsBoundary);
      await tx.roles.update(account, role.name, { permissionsBoundaryArn: input.PermissionsBoundary });
    });
  }

  /** DeleteUserPermissionsBoundary. */
  async deleteUserPermissionsBoundary(
    caller: Caller,
    input: IamInputs['DeleteUserPermissionsBoundary'],
  ): Promise<void> {
    validate().name(input.UserName, 'userName', 64).done();
    const { account, user } = await this.onUser(
      caller,
      'iam:DeleteUserPermissionsBoundary',
      input.UserName,
      boundaryContext,
    );
    await this.deps.store.users.update(account, user.name, { permissionsBoundaryArn: null });
  }

  /** DeleteRolePermissionsBoundary. */
  async deleteRolePermissionsBoundary(
    caller: Caller,
    input: IamInputs['DeleteRolePermissionsBoundary'],
  ): Promise<void> {
    validate().name(input.RoleName, 'roleName', 64).done();
    const { account, role } = await this.onRole(
      caller,
      'iam:DeleteRolePermissionsBoundary',
      input.RoleName,
      boundaryContext,
    );
    await this.updateRoleRecord(account, role.name, { permissionsBoundaryArn: null });
  }

  // ─── account alias ───────────────────────────────────────────────────────────────────────────

  /** CreateAccountAlias: an account has one alias; a new one replaces it. Aliases are unique. */
  async createAccountAlias(caller: Caller, input: IamInputs['CreateAccountAlias']): Promise<void> {
    const account = this.account(caller);
    validate()
      .string(input.AccountAlias, 'accountAlias', { min: 3, max: 63, pattern: ACCOUNT_ALIAS_PATTERN })
      .done();
    await this.allow(caller, 'iam:CreateAccountAlias', { arn: '*' });
    try {
      await this.deps.store.accounts.update(account, { alias: input.AccountAlias });
    } catch (e) {
      if (e instanceof AlreadyExists) throw E.aliasExists(input.AccountAlias);
      throw e;
    }
  }

  /** ListAccountAliases: zero or one alias. */
  async listAccountAliases(
    caller: Caller,
    input: IamInputs['ListAccountAliases'],
  ): Promise<{ AccountAliases: string[] } & PageOut> {
    const account = this.account(caller);
    validate().paging(input).done();
    await this.allow(caller, 'iam:ListAccountAliases', { arn: '*' });
    const a = await this.deps.store.accounts.get(account);
    return { AccountAliases: a?.alias !== undefined ? [a.alias] : [], IsTruncated: false };
  }

  /** DeleteAccountAlias. */
  async deleteAccountAlias(caller: Caller, input: IamInputs['DeleteAccountAlias']): Promise<void> {
    const account = this.account(caller);
    validate()
      .string(input.AccountAlias, 'accountAlias', { min: 3, max: 63, pattern: ACCOUNT_ALIAS_PATTERN })
      .done();
    await this.allow(caller, 'iam:DeleteAccountAlias', { arn: '*' });
    const a = await this.deps.store.accounts.get(account);
    if (a?.alias !== input.AccountAlias) {
      throw new ServiceError('NoSuchEntity', `The account alias ${input.AccountAlias} cannot be found.`);
    }
    await this.deps.store.accounts.update(account, { alias: null });
  }

  // ─── store errors ────────────────────────────────────────────────────────────────────────────

  /** Maps a store error to IAM's, given what the operation was addressing. */
  private storeError(
    e: unknown,
    about: { user?: string; role?: string; group?: string; policy?: string; instanceProfile?: string },
  ): unknown {
    if (!(e instanceof StoreError)) return e;
    if (e instanceof Conflict) {
      switch (e.reason) {
        case 'HasAccessKeys':
          return E.mustDeleteAccessKeys();
        case 'HasInlinePolicies':
          return E.mustDeletePolicies();
        case 'HasAttachedPolicies':
          return E.mustDetachPolicies();
        case 'InGroups':
        case 'HasMembers':
          return E.mustRemoveUsers();
        case 'InInstanceProfiles':
        case 'HasRoles':
          return E.mustRemoveRoles();
        case 'HasAttachments':
          return E.policyAttached();
        case 'IsDefaultVersion':
          return E.defaultVersion();
        case 'VersionLimitReached':
          return E.versionLimit();
        default:
          return e;
      }
    }
    if (e instanceof NotFound) {
      if (e.entity === 'user' && about.user !== undefined) return E.noSuchUser(about.user);
      if (e.entity === 'role' && about.role !== undefined) return E.noSuchRole(about.role);
      if (e.entity === 'group' && about.group !== undefined) return E.noSuchGroup(about.group);
      if (e.entity === 'managedPolicy' && about.policy !== undefined) return E.noSuchPolicy(about.policy);
      if (e.entity === 'instanceProfile' && about.instanceProfile !== undefined) {
        return E.noSuchInstanceProfile(about.instanceProfile);
      }
    }
    if (e instanceof InvalidMarker) return E.invalidMarker();
    return e;
  }
}

/** `iam:PermissionsBoundary` of an entity that has one (IAM supplies it for boundary-related changes). */
function boundaryContext(e: { permissionsBoundaryArn?: string } | undefined): Record<string, ContextValue> {
  return e?.permissionsBoundaryArn !== undefined
    ? { 'iam:PermissionsBoundary': e.permissionsBoundaryArn }
    : {};
}

/** `iam:PolicyARN` of Attach/Detach, plus the entity's boundary. */
function policyContext(
  arn: string,
  e: { permissionsBoundaryArn?: string } | undefined,
): Record<string, ContextValue> {
  return { 'iam:PolicyARN': arn, ...boundaryContext(e) };
}

function pagingOpts(input: Paging): { marker?: string; maxItems?: number } {
  return {
    ...(input.Marker !== undefined && { marker: input.Marker }),
    ...(input.MaxItems !== undefined && { maxItems: input.MaxItems }),
  };
}

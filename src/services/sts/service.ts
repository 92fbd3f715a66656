import type { Caller } from '../../auth/caller.js';
import { roleArn, rootArn, userArn } from '../../auth/caller.js';
import { hashSessionToken } from '../../auth/credentials.js';
import { PolicyError, type ContextValue } from '../../iam/index.js';
import { managedPolicy } from '../../iam/data/managedPolicies.js';
import type {
  Account,
  InstanceProfile,
  Role,
  SessionPrincipal,
  StsSession,
  Tag,
} from '../../store/meta/records.js';
import type { AccessRequest, ResourcePolicy } from '../authz.js';
import type { ServiceDeps } from '../context.js';
import { AccessDeniedError, ServiceError } from '../errors.js';
import { packedSize } from './packed.js';
import {
  EXTERNAL_ID_PATTERN,
  POLICY_PATTERN,
  SERIAL_NUMBER_PATTERN,
  SESSION_NAME_PATTERN,
  TAG_KEY_PATTERN,
  TAG_VALUE_PATTERN,
  TOKEN_CODE_PATTERN,
  Violations,
} from './validation.js';

/** AssumeRole's input, in AWS's member names (the adapter passes the decoded request through). */
export interface AssumeRoleInput {
  readonly RoleArn: string;
  readonly RoleSessionName: string;
  readonly DurationSeconds?: number;
  readonly Policy?: string;
  readonly PolicyArns?: readonly { readonly arn?: string }[];
  readonly Tags?: readonly { readonly Key: string; readonly Value: string }[];
  readonly TransitiveTagKeys?: readonly string[];
  readonly ExternalId?: string;
  readonly SerialNumber?: string;
  readonly TokenCode?: string;
  readonly SourceIdentity?: string;
}

/** GetSessionToken's input. */
export interface GetSessionTokenInput {
  readonly DurationSeconds?: number;
  readonly SerialNumber?: string;
  readonly TokenCode?: string;
}

/** A set of temporary credentials as STS hands it out once; the secret and token are never readable again. */
export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** Who the caller is, as GetCallerIdentity answers. */
export interface CallerIdentityResult {
  readonly userId: string;
  readonly account: string;
  readonly arn: string;
}

/** The outcome of AssumeRole: the credentials and the session they stand for. */
export interface AssumedRole {
  readonly credentials: TemporaryCredentials;
  /** `AROA…:<session name>`. */
  readonly assumedRoleId: string;
  /** `arn:aws:sts::A:assumed-role/<role>/<session>`. */
  readonly arn: string;
  /** Percent of the packed-policy limit used; present when policies or tags were passed. */
  readonly packedPolicySize?: number;
  readonly sourceIdentity?: string;
}

/** The AWS services whose credential endpoints crossdock emulates. */
export type CredentialService = 'ec2.amazonaws.com' | 'ecs-tasks.amazonaws.com';

/** The services {@link StsService.issueServiceRoleCredentials} accepts, for adapters that validate. */
export const CREDENTIAL_SERVICES: readonly CredentialService[] = [
  'ec2.amazonaws.com',
  'ecs-tasks.amazonaws.com',
];

/** Input of crossdock's IssueServiceRoleCredentials extension. */
export interface ServiceRoleCredentialsInput {
  /** The role; optional when `instanceProfileName` names it. */
  readonly roleArn?: string;
  /** An instance profile in the caller's account whose role is used (EC2's way of naming it). */
  readonly instanceProfileName?: string;
  readonly service: CredentialService;
  /** The instance id (`i-…`) or task id; generated when absent. */
  readonly sessionName?: string;
}

/** What an emulated EC2 instance or ECS task needs to serve its role's credentials. */
export interface ServiceRoleCredentials extends AssumedRole {
  readonly roleArn: string;
  readonly roleName: string;
  readonly accountId: string;
  /** The instance id or task id the session is named after. */
  readonly sessionName: string;
  /** The region the caller signed for: the "instance's" region. */
  readonly region: string;
  readonly instanceProfile?: { readonly arn: string; readonly id: string };
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/|\/[\u0021-\u007E]*\/)([\w+=,.@-]{1,64})$/;
const IAM_ARN_ACCOUNT = /^arn:aws:iam::(\d{12}):/;
const EC2_INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const ECS_TASK_ID = /^[0-9a-f]{32}$/;

/** AssumeRole's default session length. */
const DEFAULT_ROLE_SECONDS = 3600;
/** Role chaining (and GetSessionToken credentials) caps AssumeRole at one hour. */
const CHAINED_MAX_SECONDS = 3600;
/** GetSessionToken's default for IAM users. */
const DEFAULT_SESSION_TOKEN_SECONDS = 43_200;
/** The account root's GetSessionToken is silently capped at one hour. */
const ROOT_SESSION_TOKEN_MAX_SECONDS = 3600;
/** EC2 instance-role and ECS task-role credentials last about six hours. */
const SERVICE_ROLE_SECONDS = 6 * 3600;
const MAX_POLICY_ARNS = 10;
const MAX_TAGS = 50;

const MESSAGES = {
  rootAssume: 'Roles may not be assumed by root accounts.',
  maxSession: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
  chained:
    'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
  sessionCredentials: 'Cannot call GetSessionToken with session credentials',
  mfa: 'MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.',
  duplicateTags: 'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
} as const;

function sameKey(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function parseRoleArn(arn: string): { accountId: string; path: string; name: string } | undefined {
  const m = ROLE_ARN.exec(arn);
  return m === null ? undefined : { accountId: m[1]!, path: m[2]!, name: m[3]! };
}

function tagRecord(tags: readonly Tag[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) out[t.key] = t.value;
  return out;
}

function instanceProfileArn(p: InstanceProfile): string {
  return `arn:aws:iam::${p.accountId}:instance-profile${p.path}${p.name}`;
}

/** The parent session a caller's temporary credentials belong to, if any. */
function callerSession(caller: Caller): StsSession | undefined {
  const id = caller.identity;
  return id.kind === 'role-session' || id.kind === 'user-session' || id.kind === 'root-session'
    ? id.session
    : undefined;
}

/**
 * AWS STS: who am I (GetCallerIdentity), temporary credentials for users and roots
 * (GetSessionToken), role sessions (AssumeRole, with trust policies, session policies, session
 * tags, source identity and role chaining), and crossdock's IssueServiceRoleCredentials, which
 * issues a role's credentials as EC2 or ECS would so that `crossdock instance-profile` can serve
 * them. Every access decision goes through the door (`deps.authz`); sessions are stored with the
 * secret sealed and only a hash of the token, and expire by the injected clock.
 */
export class StsService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * GetCallerIdentity. Never denied, not even by an explicit Deny on `sts:GetCallerIdentity`, as
   * in AWS: it only tells callers what their own credentials are.
   */
  getCallerIdentity(caller: Caller): CallerIdentityResult {
    const id = caller.identity;
    const account = caller.account.id;
    switch (id.kind) {
      case 'root':
      case 'root-session':
        return { userId: account, account, arn: rootArn(account) };
      case 'user':
      case 'user-session':
        return { userId: id.user.id, account, arn: userArn(id.user) };
      case 'role-session':
        return { userId: caller.principal.userId ?? id.role.id, account, arn: caller.principal.arn };
    }
  }

  /**
   * GetSessionToken for IAM users and account roots using long-term keys: credentials that act as
   * the caller. Not authorizable by policy; session credentials are refused as AWS refuses them.
   */
  async getSessionToken(caller: Caller, input: GetSessionTokenInput = {}): Promise<TemporaryCredentials> {
    const v = new Violations();
    v.integer(input.DurationSeconds, 'durationSeconds', 900, 129_600);
    this.checkMfaShape(v, input);
    v.throwIfAny();
    const id = caller.identity;
    if (id.kind !== 'root' && id.kind !== 'user')
      throw new ServiceError('AccessDenied', MESSAGES.sessionCredentials);
    this.refuseMfa(input);
    let seconds = input.DurationSeconds ?? DEFAULT_SESSION_TOKEN_SECONDS;
    let principal: SessionPrincipal;
    if (id.kind === 'root') {
      seconds = Math.min(seconds, ROOT_SESSION_TOKEN_MAX_SECONDS);
      principal = { type: 'Root' };
    } else {
      principal = { type: 'User', userId: id.user.id, userName: id.user.name };
    }
    const { credentials } = await this.issue({
      accountId: caller.account.id,
      principal,
      seconds,
      sessionPolicyArns: [],
      tags: [],
      transitiveTagKeys: [],
      chained: false,
    });
    return credentials;
  }

  /**
   * AssumeRole. The role's trust policy must allow the caller (even within one account) and, across
   * accounts or when the trust names only the account, the caller's own policies too; passing
   * tags needs `sts:TagSession`, a source identity `sts:SetSourceIdentity`. A role that does not
   * exist is denied with the same sentence as one whose trust policy says no, so nothing leaks.
   */
  async assumeRole(caller: Caller, input: AssumeRoleInput): Promise<AssumedRole> {
    this.validateAssumeRole(input);
    const id = caller.identity;
    if (id.kind === 'root' || id.kind === 'root-session')
      throw new ServiceError('AccessDenied', MESSAGES.rootAssume);
    this.refuseMfa(input);

    const parent = callerSession(caller);
    const temporaryCaller = parent !== undefined;
    const { tags, transitiveTagKeys } = sessionTags(input, parent);
    const sourceIdentity = this.sourceIdentity(caller, input, parent);
    if (input.Policy !== undefined) this.parseSessionPolicy(input.Policy);

    // An IAM ARN that names no role (a user, a typo) is denied like a missing role; only text that
    // is not an IAM ARN at all is a validation error.
    const ref = parseRoleArn(input.RoleArn);
    const resourceAccount = ref?.accountId ?? IAM_ARN_ACCOUNT.exec(input.RoleArn)?.[1];
    if (resourceAccount === undefined) {
      throw new ServiceError('ValidationError', `\`${input.RoleArn}\` is not a role ARN`);
    }
    const role = ref === undefined ? undefined : await this.findRole(ref);
    const requestTags = (input.Tags ?? []).map((t) => ({ key: t.Key, value: t.Value }));
    const context: Record<string, ContextValue> = { 'sts:RoleSessionName': input.RoleSessionName };
    if (input.ExternalId !== undefined) context['sts:ExternalId'] = input.ExternalId;
    if (sourceIdentity !== undefined) context['sts:SourceIdentity'] = sourceIdentity;
    if (requestTags.length > 0) {
      context['aws:TagKeys'] = requestTags.map((t) => t.key);
      for (const t of requestTags) context[`aws:RequestTag/${t.key}`] = t.value;
    }
    if ((input.TransitiveTagKeys ?? []).length > 0)
      context['sts:TransitiveTagKeys'] = [...input.TransitiveTagKeys!];

    const base: Omit<AccessRequest, 'action'> = {
      caller,
      resource: input.RoleArn,
      resourceAccount,
      resourcePolicyRequired: true,
      context,
      ...(role !== undefined && { resourceTags: tagRecord(role.tags) }),
      resourcePolicies: role === undefined ? [] : [trustPolicy(role)],
    };
    await this.deps.authz.authorize({ ...base, action: 'sts:AssumeRole' });
    if (role === undefined) {
      // The door denies a role without a trust policy; this only guards against a door that did not.
      throw new ServiceError(
        'AccessDenied',
        `User: ${caller.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`,
      );
    }
    if (requestTags.length > 0 || (input.TransitiveTagKeys ?? []).length > 0) {
      await this.deps.authz.authorize({ ...base, action: 'sts:TagSession' });
    }
    if (sourceIdentity !== undefined) {
      await this.deps.authz.authorize({ ...base, action: 'sts:SetSourceIdentity' });
    }

    const sessionPolicyArns = await this.sessionPolicyArns(input, role);
    const seconds = input.DurationSeconds ?? DEFAULT_ROLE_SECONDS;
    if (temporaryCaller && seconds > CHAINED_MAX_SECONDS)
      throw new ServiceError('ValidationError', MESSAGES.chained);
    if (seconds > role.maxSessionDuration) throw new ServiceError('ValidationError', MESSAGES.maxSession);

    const passedAny = input.Policy !== undefined || sessionPolicyArns.length > 0 || tags.length > 0;
    const packed = packedSize(input.Policy, sessionPolicyArns, tags);
    if (packed.tagsPercent > 100) {
      throw new ServiceError(
        'PackedPolicyTooLarge',
        `Packed size of session tags consumes ${packed.tagsPercent}% of allotted space.`,
      );
    }
    if (packed.percent > 100) {
      throw new ServiceError(
        'PackedPolicyTooLarge',
        `Packed policy consumes ${packed.percent}% of allotted space, please use smaller policy.`,
      );
    }

    const sessionName = input.RoleSessionName;
    const { credentials } = await this.issue({
      accountId: role.accountId,
      principal: { type: 'AssumedRole', roleId: role.id, roleName: role.name, sessionName },
      seconds,
      ...(input.Policy !== undefined && { sessionPolicy: input.Policy }),
      sessionPolicyArns,
      tags,
      transitiveTagKeys,
      ...(sourceIdentity !== undefined && { sourceIdentity }),
      chained: temporaryCaller,
      role,
      region: caller.request.region,
    });
    return {
      credentials,
      assumedRoleId: `${role.id}:${sessionName}`,
      arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${sessionName}`,
      ...(passedAny && { packedPolicySize: packed.percent }),
      ...(sourceIdentity !== undefined && { sourceIdentity }),
    };
  }

  /**
   * crossdock extension behind `crossdock instance-profile`: what launching an EC2 instance (or an
   * ECS task) with a role does in AWS. The caller needs `iam:PassRole` on the role in the role's
   * own account (cross-account PassRole does not exist in AWS, and the door denies it for lack of
   * a resource policy); the role's trust policy must then allow the service principal to call
   * `sts:AssumeRole`; the session is named after the instance or task and lasts six hours.
   */
  async issueServiceRoleCredentials(
    caller: Caller,
    input: ServiceRoleCredentialsInput,
  ): Promise<ServiceRoleCredentials> {
    const v = new Violations();
    if (!CREDENTIAL_SERVICES.includes(input.service)) {
      v.add(
        String(input.service),
        'service',
        `Member must satisfy enum value set: [${CREDENTIAL_SERVICES.join(', ')}]`,
      );
    }
    v.string(input.roleArn, 'roleArn', { min: 20, max: 2048 });
    v.string(input.instanceProfileName, 'instanceProfileName', {
      min: 1,
      max: 128,
      pattern: /^[\w+=,.@-]+$/,
      patternText: '[\\w+=,.@-]+',
    });
    const idPattern = input.service === 'ecs-tasks.amazonaws.com' ? ECS_TASK_ID : EC2_INSTANCE_ID;
    v.string(input.sessionName, 'sessionName', {
      pattern: idPattern,
      patternText: input.service === 'ecs-tasks.amazonaws.com' ? '[0-9a-f]{32}' : 'i-[0-9a-f]{8,17}',
    });
    v.throwIfAny();
    if (input.roleArn === undefined && input.instanceProfileName === undefined) {
      throw new ServiceError('ValidationError', 'either `roleArn` or `instanceProfileName` is required');
    }

    const { store } = this.deps;
    let profile: InstanceProfile | undefined;
    let arn = input.roleArn;
    if (input.instanceProfileName !== undefined) {
      profile = await store.instanceProfiles.get(caller.account.id, input.instanceProfileName);
      if (profile === undefined) {
        throw new ServiceError(
          'InvalidParameterValue',
          `Value (${input.instanceProfileName}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
        );
      }
      const roleName = profile.roleNames[0];
      const profileRole =
        roleName === undefined ? undefined : await store.roles.get(profile.accountId, roleName);
      if (profileRole === undefined) {
        throw new ServiceError('InvalidParameterValue', `instance profile \`${profile.name}\` has no role`);
      }
      if (arn !== undefined && arn !== roleArn(profileRole)) {
        throw new ServiceError(
          'InvalidParameterValue',
          `role \`${arn}\` is not the role of instance profile \`${profile.name}\``,
        );
      }
      arn = roleArn(profileRole);
    }
    const ref = arn === undefined ? undefined : parseRoleArn(arn);
    if (arn === undefined || ref === undefined) {
      throw new ServiceError('ValidationError', `\`${arn ?? ''}\` is not a role ARN`);
    }
    const role = await this.findRole(ref);

    await this.deps.authz.authorize({
      caller,
      action: 'iam:PassRole',
      resource: arn,
      resourceAccount: ref.accountId,
      ...(role !== undefined && { resourceTags: tagRecord(role.tags) }),
      context: { 'iam:PassedToService': input.service },
    });
    if (role === undefined)
      throw new ServiceError('NoSuchEntity', `The role with name ${ref.name} cannot be found.`);

    const sessionName = input.sessionName ?? this.newSessionName(input.service);
    const roleAccount = (await store.accounts.get(role.accountId)) ?? caller.account;
    const trust = await this.deps.authz.check({
      caller: serviceCaller(input.service, roleAccount, caller),
      action: 'sts:AssumeRole',
      resource: arn,
      resourceAccount: role.accountId,
      resourceTags: tagRecord(role.tags),
      resourcePolicies: [trustPolicy(role)],
      resourcePolicyRequired: true,
      context: { 'sts:RoleSessionName': sessionName },
    });
    if (trust.decision !== 'Allow') {
      const message =
        input.service === 'ec2.amazonaws.com'
          ? `EC2 cannot assume the role ${role.name}: its trust policy does not allow ec2.amazonaws.com to perform sts:AssumeRole`
          : `ECS was unable to assume the role '${arn}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`;
      throw new AccessDeniedError(trust, message);
    }

    profile ??= (await store.instanceProfiles.listForRole(role.accountId, role.name, { maxItems: 1 }))
      .items[0];
    const { credentials } = await this.issue({
      accountId: role.accountId,
      principal: { type: 'AssumedRole', roleId: role.id, roleName: role.name, sessionName },
      seconds: SERVICE_ROLE_SECONDS,
      sessionPolicyArns: [],
      tags: [],
      transitiveTagKeys: [],
      chained: false,
      role,
      region: caller.request.region,
    });
    return {
      credentials,
      assumedRoleId: `${role.id}:${sessionName}`,
      arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${sessionName}`,
      roleArn: arn,
      roleName: role.name,
      accountId: role.accountId,
      sessionName,
      region: caller.request.region,
      ...(profile !== undefined && { instanceProfile: { arn: instanceProfileArn(profile), id: profile.id } }),
    };
  }

  private validateAssumeRole(input: AssumeRoleInput): void {
    const v = new Violations();
    v.string(input.RoleArn, 'roleArn', { min: 20, max: 2048 });
    v.string(input.RoleSessionName, 'roleSessionName', {
      min: 2,
      max: 64,
      pattern: SESSION_NAME_PATTERN,
      patternText: '[\\w+=,.@-]*',
    });
    v.integer(input.DurationSeconds, 'durationSeconds', 900, 43_200);
    v.string(input.Policy, 'policy', {
      min: 1,
      max: 2048,
      pattern: POLICY_PATTERN,
      patternText: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+',
    });
    v.listLength(input.PolicyArns, 'policyArns', MAX_POLICY_ARNS);
    (input.PolicyArns ?? []).forEach((p, i) =>
      v.string(p.arn, `policyArns.${i + 1}.member.arn`, { min: 20, max: 2048 }),
    );
    v.listLength(input.Tags, 'tags', MAX_TAGS);
    (input.Tags ?? []).forEach((t, i) => {
      v.string(t.Key, `tags.${i + 1}.member.key`, {
        min: 1,
        max: 128,
        pattern: TAG_KEY_PATTERN,
        patternText: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+',
      });
      v.string(t.Value, `tags.${i + 1}.member.value`, {
        max: 256,
        pattern: TAG_VALUE_PATTERN,
        patternText: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*',
      });
    });
    v.listLength(input.TransitiveTagKeys, 'transitiveTagKeys', MAX_TAGS);
    (input.TransitiveTagKeys ?? []).forEach((k, i) =>
      v.string(k, `transitiveTagKeys.${i + 1}.member`, {
        min: 1,
        max: 128,
        pattern: TAG_KEY_PATTERN,
        patternText: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+',
      }),
    );
    v.string(input.ExternalId, 'externalId', {
      min: 2,
      max: 1224,
      pattern: EXTERNAL_ID_PATTERN,
      patternText: '[\\w+=,.@:\\/-]*',
    });
    v.string(input.SourceIdentity, 'sourceIdentity', {
      min: 2,
      max: 64,
      pattern: SESSION_NAME_PATTERN,
      patternText: '[\\w+=,.@-]*',
    });
    this.checkMfaShape(v, input);
    v.throwIfAny();
  }

  private checkMfaShape(v: Violations, input: { SerialNumber?: string; TokenCode?: string }): void {
    v.string(input.SerialNumber, 'serialNumber', {
      min: 9,
      max: 256,
      pattern: SERIAL_NUMBER_PATTERN,
      patternText: '[\\w+=/:,.@-]*',
    });
    v.string(input.TokenCode, 'tokenCode', {
      min: 6,
      max: 6,
      pattern: TOKEN_CODE_PATTERN,
      patternText: '[\\d]*',
    });
  }

  /** crossdock has no MFA devices yet, so no serial number can be associated with the caller. */
  private refuseMfa(input: { SerialNumber?: string; TokenCode?: string }): void {
    if (input.SerialNumber !== undefined || input.TokenCode !== undefined) {
      throw new ServiceError('AccessDenied', MESSAGES.mfa);
    }
  }

  /** The source identity of the new session: inherited through a chain and then unchangeable. */
  private sourceIdentity(
    caller: Caller,
    input: AssumeRoleInput,
    parent: StsSession | undefined,
  ): string | undefined {
    const inherited = parent?.sourceIdentity;
    if (inherited !== undefined && input.SourceIdentity !== undefined && input.SourceIdentity !== inherited) {
      throw new ServiceError(
        'AccessDenied',
        `User: ${caller.principal.arn} is not authorized to perform: sts:SetSourceIdentity on resource: ${input.RoleArn} because the source identity of a role session cannot be changed`,
      );
    }
    return inherited ?? input.SourceIdentity;
  }

  private parseSessionPolicy(text: string): void {
    try {
      this.deps.cache.get(text, 'session');
    } catch (e) {
      if (e instanceof PolicyError) throw new ServiceError('MalformedPolicyDocument', e.message);
      throw e;
    }
  }

  /** Managed session policies: AWS managed, or customer managed in the role's account. */
  private async sessionPolicyArns(input: AssumeRoleInput, role: Role): Promise<string[]> {
    const out: string[] = [];
    for (const { arn } of input.PolicyArns ?? []) {
      if (arn === undefined) continue;
      let exists: boolean;
      if (arn.startsWith('arn:aws:iam::aws:policy/')) exists = managedPolicy(arn) !== undefined;
      else {
        const p = await this.deps.store.managedPolicies.getByArn(arn);
        exists = p !== undefined && p.accountId === role.accountId;
      }
      if (!exists) {
        throw new ServiceError('InvalidParameterValue', `Policy ${arn} does not exist or is not attachable.`);
      }
      out.push(arn);
    }
    return out;
  }

  /** The role an ARN names. As in AWS, the name (and path) must match exactly, case included. */
  private async findRole(ref: { accountId: string; path: string; name: string }): Promise<Role | undefined> {
    const role = await this.deps.store.roles.get(ref.accountId, ref.name);
    return role !== undefined && role.name === ref.name && role.path === ref.path ? role : undefined;
  }

  /** An instance id (`i-` + 17 hex digits) or an ECS task id (32 hex digits). */
  private newSessionName(service: CredentialService): string {
    const hex = this.deps.ids.requestId().replace(/-/g, '');
    return service === 'ecs-tasks.amazonaws.com' ? hex : `i-${hex.slice(0, 17)}`;
  }

  /** Creates and stores a session: secret sealed under its key id, only the token's hash kept. */
  private async issue(s: {
    accountId: string;
    principal: SessionPrincipal;
    seconds: number;
    sessionPolicy?: string;
    sessionPolicyArns: readonly string[];
    tags: readonly Tag[];
    transitiveTagKeys: readonly string[];
    sourceIdentity?: string;
    chained: boolean;
    /** Marks the role as used (GetRole's RoleLastUsed). */
    role?: Role;
    region?: string;
  }): Promise<{ session: StsSession; credentials: TemporaryCredentials }> {
    const { ids, box, clock, store } = this.deps;
    // AWS's timestamps have whole seconds.
    const now = Math.floor(clock.now() / 1000) * 1000;
    const issuedAt = new Date(now);
    const expiresAt = new Date(now + s.seconds * 1000);
    const accessKeyId = ids.iam('ASIA');
    const secretAccessKey = ids.secretAccessKey();
    const sessionToken = ids.sessionToken();
    const session: StsSession = {
      accessKeyId,
      secret: box.seal(secretAccessKey, accessKeyId),
      sessionTokenHash: hashSessionToken(sessionToken),
      accountId: s.accountId,
      principal: s.principal,
      issuedAt,
      expiresAt,
      ...(s.sessionPolicy !== undefined && { sessionPolicy: s.sessionPolicy }),
      sessionPolicyArns: [...s.sessionPolicyArns],
      tags: [...s.tags],
      transitiveTagKeys: [...s.transitiveTagKeys],
      ...(s.sourceIdentity !== undefined && { sourceIdentity: s.sourceIdentity }),
      chained: s.chained,
    };
    const role = s.role;
    await store.transaction(async (tx) => {
      await tx.sessions.create(session);
      if (role !== undefined) {
        await tx.roles.update(role.accountId, role.name, {
          lastUsed: { at: issuedAt, region: s.region ?? this.deps.region },
        });
      }
    });
    return { session, credentials: { accessKeyId, secretAccessKey, sessionToken, expiration: expiresAt } };
  }
}

/** A role's trust policy as the resource policy of an AssumeRole decision. */
function trustPolicy(role: Role): ResourcePolicy {
  return {
    id: 'trust-policy',
    text: role.assumeRolePolicyDocument,
    kind: 'trust',
    ...(role.trustPrincipals !== undefined && { principals: role.trustPrincipals }),
  };
}

/**
 * A caller standing for an AWS service principal, so that the door evaluates a trust policy for
 * `ec2.amazonaws.com` as AWS does when the service assumes the role. A service has no identity
 * policies; the `root` identity makes the door gather none.
 */
function serviceCaller(service: CredentialService, account: Account, on: Caller): Caller {
  return {
    principal: { type: 'Service', arn: service },
    account,
    accessKeyId: on.accessKeyId,
    identity: { kind: 'root' },
    request: on.request,
  };
}

/**
 * The tags of a new session: transitive tags inherited from the caller's session, then the tags
 * of the request (keys are case-insensitive, no duplicates, and an inherited key cannot be
 * passed again). Transitive keys stay transitive; the request may add more.
 */
function sessionTags(
  input: AssumeRoleInput,
  parent: StsSession | undefined,
): { tags: Tag[]; transitiveTagKeys: string[] } {
  const inheritedKeys = parent?.transitiveTagKeys ?? [];
  const inherited = (parent?.tags ?? []).filter((t) => inheritedKeys.some((k) => sameKey(k, t.key)));
  const requested: Tag[] = [];
  for (const t of input.Tags ?? []) {
    if (t.Key.toLowerCase().startsWith('aws:')) {
      throw new ServiceError('ValidationError', `tag key \`${t.Key}\` uses the reserved prefix \`aws:\``);
    }
    if (requested.some((r) => sameKey(r.key, t.Key)))
      throw new ServiceError('ValidationError', MESSAGES.duplicateTags);
    if (inherited.some((r) => sameKey(r.key, t.Key))) {
      throw new ServiceError(
        'ValidationError',
        `tag key \`${t.Key}\` is already set by a transitive tag of the calling session and cannot be passed again`,
      );
    }
    requested.push({ key: t.Key, value: t.Value });
  }
  const tags = [...inherited, ...requested];
  if (tags.length > MAX_TAGS) {
    throw new ServiceError(
      'ValidationError',
      `a session can carry at most ${MAX_TAGS} tags, this one would carry ${tags.length}`,
    );
  }
  const transitiveTagKeys = inherited.map((t) => t.key);
  for (const k of input.TransitiveTagKeys ?? []) {
    const tag = requested.find((t) => sameKey(t.key, k));
    if (tag !== undefined && !transitiveTagKeys.some((x) => sameKey(x, tag.key)))
      transitiveTagKeys.push(tag.key);
  }
  return { tags, transitiveTagKeys };
}

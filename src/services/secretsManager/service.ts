/**
 * AWS Secrets Manager, the part crossdock needs: secrets with versions and staging labels
 * (CreateSecret, PutSecretValue, UpdateSecret, GetSecretValue), their metadata (DescribeSecret,
 * ListSecrets, TagResource, UntagResource), and deletion with a recovery window (DeleteSecret,
 * RestoreSecret). Pull-through cache rules keep their upstream credentials here
 * (`ecr-pullthroughcache/…`, read by {@link readSecretAsService}).
 *
 * Every operation goes through the one door with the action `secretsmanager:<Operation>` on the
 * secret's ARN (`arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>`),
 * the owning account and the secret's tags (`aws:ResourceTag/*`, `secretsmanager:ResourceTag/*`);
 * ListSecrets is authorized on `*`. Secrets have no resource policies in crossdock, so a secret is
 * only ever reachable from its own account. A secret the caller names that does not exist is
 * decided on `…:secret:<name>` (the name as given), so a caller without permission learns nothing.
 *
 * Values are sealed with the server's SecretBox (context: the secret's ARN and the version id)
 * before they reach the store and are unsealed only to answer GetSecretValue. No value ever
 * appears in a message or a log line.
 *
 * Deletion: DeleteSecret schedules the secret (`DeletedDate`), which then refuses its value and
 * every change with InvalidRequestException until RestoreSecret, or until the recovery window
 * (7 to 30 days, 30 by default) ends and it is gone for good (purged when next touched);
 * ForceDeleteWithoutRecovery deletes at once.
 */
import type { Caller } from '../../auth/caller.js';
import type { ContextValue } from '../../iam/index.js';
import type { SecretPatch } from '../../store/meta/MetadataStore.js';
import { StoreError } from '../../store/meta/errors.js';
import type { Secret, SecretValueKind, SecretVersion, Tag } from '../../store/meta/records.js';
import type { ServiceDeps } from '../context.js';
import { ServiceError } from '../errors.js';

const DAY_MS = 86_400_000;
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const ARN = /^arn:aws:secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)$/;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const MAX_TAGS = 50;
const MAX_VALUE_BYTES = 65_536;

/** The inputs of the operations, member names as in the Secrets Manager API. */
export interface SecretsManagerInputs {
  CreateSecret: {
    Name: string;
    ClientRequestToken?: string;
    Description?: string;
    KmsKeyId?: string;
    SecretString?: string;
    SecretBinary?: Uint8Array;
    Tags?: { Key?: string; Value?: string }[];
  };
  GetSecretValue: { SecretId: string; VersionId?: string; VersionStage?: string };
  PutSecretValue: {
    SecretId: string;
    ClientRequestToken?: string;
    SecretString?: string;
    SecretBinary?: Uint8Array;
    VersionStages?: string[];
  };
  UpdateSecret: {
    SecretId: string;
    ClientRequestToken?: string;
    Description?: string;
    KmsKeyId?: string;
    SecretString?: string;
    SecretBinary?: Uint8Array;
  };
  DescribeSecret: { SecretId: string };
  ListSecrets: {
    IncludePlannedDeletion?: boolean;
    MaxResults?: number;
    NextToken?: string;
    Filters?: { Key?: string; Values?: string[] }[];
    SortOrder?: string;
  };
  DeleteSecret: { SecretId: string; RecoveryWindowInDays?: number; ForceDeleteWithoutRecovery?: boolean };
  RestoreSecret: { SecretId: string };
  TagResource: { SecretId: string; Tags: { Key?: string; Value?: string }[] };
  UntagResource: { SecretId: string; TagKeys: string[] };
}

/** A secret's value as the service holds it for a moment: text, or bytes. */
export type SecretValue =
  { readonly kind: 'string'; readonly text: string } | { readonly kind: 'binary'; readonly bytes: Buffer };

const invalidParameter = (message: string) => new ServiceError('InvalidParameterException', message);
const invalidRequest = (message: string) => new ServiceError('InvalidRequestException', message);
const notFound = (message = "Secrets Manager can't find the specified secret.") =>
  new ServiceError('ResourceNotFoundException', message);
const validation = (violations: string[]) =>
  new ServiceError(
    'ValidationException',
    `${violations.length} validation error${violations.length === 1 ? '' : 's'} detected: ${violations.join('; ')}`,
  );
const MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";

function tagRecord(tags: readonly Tag[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) out[t.key] = t.value;
  return out;
}

/** The account, region and name (or partial name) an ARN names, or `undefined`. */
export function parseSecretArn(arn: string): { region: string; accountId: string; rest: string } | undefined {
  const m = ARN.exec(arn);
  return m === null ? undefined : { region: m[1]!, accountId: m[2]!, rest: m[3]! };
}

/** The context a version's value is sealed under: moving a ciphertext to another secret or version fails. */
const sealContext = (arn: string, versionId: string) => `secretsmanager:${arn}:${versionId}`;

/**
 * The value of a version, unsealed. Throws `DecryptionFailure` when it cannot be unsealed (another
 * key file, tampering), without a word of the value.
 */
function unsealVersion(deps: ServiceDeps, secret: Secret, v: SecretVersion): SecretValue {
  let text: string;
  try {
    text = deps.box.unseal(v.value, sealContext(secret.arn, v.id));
  } catch {
    throw new ServiceError(
      'DecryptionFailure',
      "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
    );
  }
  return v.kind === 'string'
    ? { kind: 'string', text }
    : { kind: 'binary', bytes: Buffer.from(text, 'base64') };
}

function checkValue(input: { SecretString?: string; SecretBinary?: Uint8Array }): SecretValue | undefined {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined)
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  if (input.SecretString !== undefined) {
    if (input.SecretString.length > MAX_VALUE_BYTES)
      throw validation([
        "Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536",
      ]);
    return { kind: 'string', text: input.SecretString };
  }
  if (input.SecretBinary !== undefined) {
    if (input.SecretBinary.length > MAX_VALUE_BYTES)
      throw validation([
        "Value at 'secretBinary' failed to satisfy constraint: Member must have length less than or equal to 65536",
      ]);
    return { kind: 'binary', bytes: Buffer.from(input.SecretBinary) };
  }
  return undefined;
}

function checkToken(token: string | undefined): void {
  if (token !== undefined && (token.length < 32 || token.length > 64))
    throw validation([
      "Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 64",
    ]);
}

function checkDescription(d: string | undefined): void {
  if (d !== undefined && d.length > 2048)
    throw validation([
      "Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 2048",
    ]);
}

function checkTags(tags: readonly { Key?: string; Value?: string }[]): Tag[] {
  const out: Tag[] = [];
  for (const t of tags) {
    if (t.Key === undefined || t.Key.length < 1 || t.Key.length > 128)
      throw invalidParameter('A tag key must be between 1 and 128 characters long.');
    if ((t.Value ?? '').length > 256)
      throw invalidParameter('A tag value must be at most 256 characters long.');
    if (t.Key.toLowerCase().startsWith('aws:'))
      throw invalidParameter('Tag keys that begin with aws: are reserved for AWS use.');
    out.push({ key: t.Key, value: t.Value ?? '' });
  }
  return out;
}

/** Tags merged as TagResource merges them: a key given again takes the new value. */
function mergeTags(old: readonly Tag[], added: readonly Tag[]): Tag[] {
  const out = old.filter((t) => !added.some((a) => a.key === t.key));
  for (const a of added) {
    const i = out.findIndex((t) => t.key === a.key);
    if (i === -1) out.push(a);
    else out[i] = a;
  }
  return out;
}

/** Request-tag context keys (`aws:RequestTag/*`, `aws:TagKeys`). */
function requestTagContext(tags: readonly Tag[]): Record<string, ContextValue> {
  const ctx: Record<string, ContextValue> = { 'aws:TagKeys': tags.map((t) => t.key) };
  for (const t of tags) ctx[`aws:RequestTag/${t.key}`] = t.value;
  return ctx;
}

/** Secrets Manager; see the module comment. */
export class SecretsManagerService {
  constructor(private readonly deps: ServiceDeps) {}

  private now(): Date {
    return new Date(this.deps.clock.now());
  }

  private arnFor(caller: Caller, name: string): string {
    const random = this.deps.ids.secretAccessKey();
    let suffix = '';
    for (let i = 0; suffix.length < 6; i++)
      suffix += SUFFIX_ALPHABET[random.charCodeAt(i % random.length) % 62];
    return `arn:aws:secretsmanager:${caller.request.region}:${caller.account.id}:secret:${name}-${suffix}`;
  }

  private versionId(token: string | undefined): string {
    return token ?? this.deps.ids.requestId();
  }

  /** A secret whose recovery window has ended is deleted for good, and is gone. */
  private async purged(secret: Secret | undefined): Promise<Secret | undefined> {
    if (secret?.deletionDate === undefined || secret.deletionDate.getTime() > this.deps.clock.now())
      return secret;
    await this.deps.store.secrets
      .delete(secret.accountId, secret.region, secret.name)
      .catch((err: unknown) => {
        if (!(err instanceof StoreError && err.code === 'NotFound')) throw err;
      });
    return undefined;
  }

  /**
   * The secret a `SecretId` names (a name, a full ARN, or an ARN without the random suffix) in the
   * caller's region, with the ARN a decision is made on: the secret's, or for one that does not
   * exist the ARN the caller wrote (`…:secret:<name>` for a bare name).
   */
  private async resolve(
    caller: Caller,
    secretId: string,
  ): Promise<{ secret?: Secret; arn: string; account: string }> {
    const region = caller.request.region;
    const parsed = parseSecretArn(secretId);
    if (parsed === undefined) {
      const secret = await this.purged(
        await this.deps.store.secrets.get(caller.account.id, region, secretId),
      );
      const arn = secret?.arn ?? `arn:aws:secretsmanager:${region}:${caller.account.id}:secret:${secretId}`;
      return { ...(secret !== undefined && { secret }), arn, account: caller.account.id };
    }
    let secret = await this.purged(await this.deps.store.secrets.getByArn(secretId));
    if (secret === undefined && parsed.region === region) {
      // A partial ARN: the name without the random suffix.
      secret = await this.purged(await this.deps.store.secrets.get(parsed.accountId, region, parsed.rest));
    }
    return {
      ...(secret !== undefined && { secret }),
      arn: secret?.arn ?? secretId,
      account: parsed.accountId,
    };
  }

  /** Authorizes `action` on a secret (or the ARN a missing one would have) through the door. */
  private async authorize(
    caller: Caller,
    action: string,
    target: { secret?: Secret; arn: string; account: string },
    context: Record<string, ContextValue> = {},
  ): Promise<void> {
    const s = target.secret;
    await this.deps.authz.authorize({
      caller,
      action: `secretsmanager:${action}`,
      resource: target.arn,
      resourceAccount: s?.accountId ?? target.account,
      ...(s !== undefined && s.tags.length > 0 && { resourceTags: tagRecord(s.tags) }),
      context: { 'secretsmanager:SecretId': target.arn, ...context },
    });
  }

  /** Resolves, authorizes and requires the secret to exist. */
  private async secretFor(
    caller: Caller,
    action: string,
    secretId: string,
    context?: Record<string, ContextValue>,
  ): Promise<Secret> {
    const target = await this.resolve(caller, secretId);
    await this.authorize(caller, action, target, context);
    if (target.secret === undefined) throw notFound();
    return target.secret;
  }

  private seal(
    arn: string,
    id: string,
    value: SecretValue,
  ): { kind: SecretValueKind; value: SecretVersion['value'] } {
    const plain = value.kind === 'string' ? value.text : value.bytes.toString('base64');
    return { kind: value.kind, value: this.deps.box.seal(plain, sealContext(arn, id)) };
  }

  /**
   * The versions after adding `id` with `stages`: each label moves to the new version; when
   * AWSCURRENT moves, the version that had it becomes AWSPREVIOUS. Versions left without labels
   * are deprecated and dropped.
   */
  private withVersion(
    secret: Secret,
    id: string,
    value: SecretValue,
    stages: readonly string[],
    at: Date,
  ): SecretVersion[] {
    const oldCurrent = secret.versions.find((v) => v.stages.includes(CURRENT));
    const movesCurrent = stages.includes(CURRENT) && oldCurrent !== undefined && oldCurrent.id !== id;
    const rest = secret.versions
      .filter((v) => v.id !== id)
      .map((v) => {
        let labels = v.stages.filter((l) => !stages.includes(l));
        if (movesCurrent) {
          labels = labels.filter((l) => l !== PREVIOUS);
          if (v.id === oldCurrent.id) labels = [...labels, PREVIOUS];
        }
        return { ...v, stages: labels };
      })
      .filter((v) => v.stages.length > 0);
    return [{ id, stages: [...stages], ...this.seal(secret.arn, id, value), createdAt: at }, ...rest];
  }

  /**
   * Whether an existing version `id` already holds exactly `value` (a retried request: nothing to
   * do); a version of that id with another value cannot be changed (ResourceExistsException).
   */
  private sameVersion(secret: Secret, id: string, value: SecretValue): boolean {
    const v = secret.versions.find((x) => x.id === id);
    if (v === undefined) return false;
    const old = unsealVersion(this.deps, secret, v);
    const same =
      old.kind === value.kind &&
      (old.kind === 'string'
        ? old.text === (value as { text: string }).text
        : old.bytes.equals((value as { bytes: Buffer }).bytes));
    if (!same)
      throw new ServiceError(
        'ResourceExistsException',
        "You can't modify an existing version, you can only create new versions.",
      );
    return true;
  }

  // ---- operations ----------------------------------------------------------------------------

  /** CreateSecret: `secretsmanager:CreateSecret` on the new ARN (and TagResource when tagged). */
  async createSecret(caller: Caller, input: SecretsManagerInputs['CreateSecret']) {
    if (!NAME.test(input.Name))
      throw new ServiceError(
        'ValidationException',
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    checkToken(input.ClientRequestToken);
    checkDescription(input.Description);
    const value = checkValue(input);
    const tags = checkTags(input.Tags ?? []);
    if (tags.length > MAX_TAGS) throw invalidParameter(`A secret can have at most ${MAX_TAGS} tags.`);
    const arn = this.arnFor(caller, input.Name);
    const target = { arn, account: caller.account.id };
    await this.authorize(caller, 'CreateSecret', target, requestTagContext(tags));
    if (tags.length > 0) await this.authorize(caller, 'TagResource', target, requestTagContext(tags));
    const region = caller.request.region;
    const existing = await this.purged(
      await this.deps.store.secrets.get(caller.account.id, region, input.Name),
    );
    if (existing !== undefined) {
      if (existing.deletedAt !== undefined)
        throw invalidRequest(
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      throw new ServiceError(
        'ResourceExistsException',
        `The operation failed because the secret ${input.Name} already exists.`,
      );
    }
    const now = this.now();
    const id = this.versionId(input.ClientRequestToken);
    const secret: Secret = {
      accountId: caller.account.id,
      region,
      name: input.Name,
      arn,
      ...(input.Description !== undefined && { description: input.Description }),
      tags,
      versions:
        value === undefined ? [] : [{ id, stages: [CURRENT], ...this.seal(arn, id, value), createdAt: now }],
      createdAt: now,
      lastChangedAt: now,
    };
    try {
      await this.deps.store.secrets.create(secret);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'AlreadyExists')
        throw new ServiceError(
          'ResourceExistsException',
          `The operation failed because the secret ${input.Name} already exists.`,
        );
      throw err;
    }
    return { ARN: arn, Name: input.Name, ...(value !== undefined && { VersionId: id }) };
  }

  /** GetSecretValue: `secretsmanager:GetSecretValue`; AWSCURRENT unless a version or label is named. */
  async getSecretValue(caller: Caller, input: SecretsManagerInputs['GetSecretValue']) {
    const context: Record<string, ContextValue> = {
      'secretsmanager:VersionStage': input.VersionStage ?? CURRENT,
      ...(input.VersionId !== undefined && { 'secretsmanager:VersionId': input.VersionId }),
    };
    const secret = await this.secretFor(caller, 'GetSecretValue', input.SecretId, context);
    const { version, value } = this.valueOf(secret, input.VersionId, input.VersionStage);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      SecretString: value.kind === 'string' ? value.text : undefined,
      SecretBinary: value.kind === 'binary' ? value.bytes : undefined,
      VersionStages: [...version.stages],
      CreatedDate: version.createdAt,
    };
  }

  /** The version asked for and its value; refuses a secret scheduled for deletion. */
  private valueOf(
    secret: Secret,
    versionId: string | undefined,
    stage: string | undefined,
  ): { version: SecretVersion; value: SecretValue } {
    if (secret.deletedAt !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
    const label = stage ?? (versionId === undefined ? CURRENT : undefined);
    const version = secret.versions.find(
      (v) =>
        (versionId === undefined || v.id === versionId) && (label === undefined || v.stages.includes(label)),
    );
    if (version === undefined)
      throw notFound(
        versionId !== undefined
          ? `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
          : `Secrets Manager can't find the specified secret value for staging label: ${label}`,
      );
    return { version, value: unsealVersion(this.deps, secret, version) };
  }

  /** PutSecretValue: `secretsmanager:PutSecretValue`; a new version, AWSCURRENT unless told otherwise. */
  async putSecretValue(caller: Caller, input: SecretsManagerInputs['PutSecretValue']) {
    checkToken(input.ClientRequestToken);
    const value = checkValue(input);
    if (value === undefined) throw invalidParameter('You must provide either SecretString or SecretBinary.');
    const secret = await this.secretFor(caller, 'PutSecretValue', input.SecretId);
    if (secret.deletedAt !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
    const id = this.versionId(input.ClientRequestToken);
    const stages = input.VersionStages ?? [CURRENT];
    if (!this.sameVersion(secret, id, value)) {
      const now = this.now();
      await this.deps.store.secrets.update(secret.accountId, secret.region, secret.name, {
        versions: this.withVersion(secret, id, value, stages, now),
        lastChangedAt: now,
      });
    }
    return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: [...stages] };
  }

  /** UpdateSecret: `secretsmanager:UpdateSecret`; the description, and a new current version when a value is given. */
  async updateSecret(caller: Caller, input: SecretsManagerInputs['UpdateSecret']) {
    checkToken(input.ClientRequestToken);
    checkDescription(input.Description);
    const value = checkValue(input);
    const secret = await this.secretFor(caller, 'UpdateSecret', input.SecretId, {
      ...(input.Description !== undefined && { 'secretsmanager:Description': input.Description }),
    });
    if (secret.deletedAt !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
    const now = this.now();
    const id = this.versionId(input.ClientRequestToken);
    if (value !== undefined && secret.versions.some((v) => v.id === id))
      throw new ServiceError(
        'ResourceExistsException',
        "You can't modify an existing version, you can only create new versions.",
      );
    const patch: SecretPatch = {
      ...(input.Description !== undefined && { description: input.Description }),
      ...(value !== undefined && { versions: this.withVersion(secret, id, value, [CURRENT], now) }),
      lastChangedAt: now,
    };
    await this.deps.store.secrets.update(secret.accountId, secret.region, secret.name, patch);
    return { ARN: secret.arn, Name: secret.name, ...(value !== undefined && { VersionId: id }) };
  }

  /** DescribeSecret: `secretsmanager:DescribeSecret`; answers for a secret scheduled for deletion too. */
  async describeSecret(caller: Caller, input: SecretsManagerInputs['DescribeSecret']) {
    const secret = await this.secretFor(caller, 'DescribeSecret', input.SecretId);
    return describe(secret);
  }

  /** ListSecrets: `secretsmanager:ListSecrets` on `*`; filters, creation order, paginated. */
  async listSecrets(caller: Caller, input: SecretsManagerInputs['ListSecrets']) {
    const max = input.MaxResults ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100)
      throw validation([
        "Value at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100",
      ]);
    if (input.SortOrder !== undefined && input.SortOrder !== 'asc' && input.SortOrder !== 'desc')
      throw validation([
        `Value '${input.SortOrder}' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]`,
      ]);
    const filters = (input.Filters ?? []).map((f) => {
      const key = f.Key ?? '';
      if (
        !['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'].includes(
          key,
        )
      )
        throw invalidParameter(`Invalid filter key: \`${key}\``);
      return { key, values: f.Values ?? [] };
    });
    await this.deps.authz.authorize({ caller, action: 'secretsmanager:ListSecrets', resource: '*' });
    const all: Secret[] = [];
    let marker: string | undefined;
    do {
      const page = await this.deps.store.secrets.list(caller.account.id, caller.request.region, {
        maxItems: 1000,
        ...(marker !== undefined && { marker }),
      });
      for (const s of page.items) {
        const kept = await this.purged(s);
        if (kept !== undefined) all.push(kept);
      }
      marker = page.marker;
    } while (marker !== undefined);
    const desc = input.SortOrder === 'desc';
    const key = (s: Secret) => `${String(s.createdAt.getTime()).padStart(15, '0')}\u0000${s.name}`;
    const listed = all
      .filter((s) => input.IncludePlannedDeletion === true || s.deletedAt === undefined)
      .filter((s) => filters.every((f) => matchesFilter(s, f.key, f.values)))
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (desc ? -1 : 1));
    let start = 0;
    if (input.NextToken !== undefined) {
      const after = decodeNextToken(input.NextToken);
      start = listed.findIndex((s) => (desc ? key(s) < after : key(s) > after));
      if (start === -1) start = listed.length;
    }
    const page = listed.slice(start, start + max);
    return {
      SecretList: page.map(listEntry),
      ...(start + max < listed.length && { NextToken: encodeNextToken(key(page.at(-1)!)) }),
    };
  }

  /** DeleteSecret: `secretsmanager:DeleteSecret`; schedules the deletion, or deletes at once. */
  async deleteSecret(caller: Caller, input: SecretsManagerInputs['DeleteSecret']) {
    const force = input.ForceDeleteWithoutRecovery === true;
    if (force && input.RecoveryWindowInDays !== undefined)
      throw invalidParameter(
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    const days = input.RecoveryWindowInDays ?? 30;
    if (!force && (!Number.isInteger(days) || days < 7 || days > 30))
      throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    const context: Record<string, ContextValue> = {
      'secretsmanager:ForceDeleteWithoutRecovery': force ? 'true' : 'false',
      ...(!force && { 'secretsmanager:RecoveryWindowInDays': String(days) }),
    };
    const secret = await this.secretFor(caller, 'DeleteSecret', input.SecretId, context);
    const now = this.now();
    if (force) {
      await this.deps.store.secrets.delete(secret.accountId, secret.region, secret.name);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: now };
    }
    if (secret.deletedAt !== undefined)
      throw invalidRequest("You can't delete secret because it was already scheduled for deletion.");
    const deletionDate = new Date(now.getTime() + days * DAY_MS);
    await this.deps.store.secrets.update(secret.accountId, secret.region, secret.name, {
      deletedAt: now,
      deletionDate,
    });
    return { ARN: secret.arn, Name: secret.name, DeletionDate: deletionDate };
  }

  /** RestoreSecret: `secretsmanager:RestoreSecret`; cancels a scheduled deletion. */
  async restoreSecret(caller: Caller, input: SecretsManagerInputs['RestoreSecret']) {
    const secret = await this.secretFor(caller, 'RestoreSecret', input.SecretId);
    if (secret.deletedAt !== undefined)
      await this.deps.store.secrets.update(secret.accountId, secret.region, secret.name, {
        deletedAt: null,
        deletionDate: null,
      });
    return { ARN: secret.arn, Name: secret.name };
  }

  /** TagResource: `secretsmanager:TagResource` with the request's tags as context; merges. */
  async tagResource(caller: Caller, input: SecretsManagerInputs['TagResource']) {
    const tags = checkTags(input.Tags);
    const secret = await this.secretFor(caller, 'TagResource', input.SecretId, requestTagContext(tags));
    if (secret.deletedAt !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
    const merged = mergeTags(secret.tags, tags);
    if (merged.length > MAX_TAGS) throw invalidParameter(`A secret can have at most ${MAX_TAGS} tags.`);
    await this.deps.store.secrets.update(secret.accountId, secret.region, secret.name, { tags: merged });
    return {};
  }

  /** UntagResource: `secretsmanager:UntagResource` with `aws:TagKeys`; keys not present are ignored. */
  async untagResource(caller: Caller, input: SecretsManagerInputs['UntagResource']) {
    const secret = await this.secretFor(caller, 'UntagResource', input.SecretId, {
      'aws:TagKeys': input.TagKeys,
    });
    if (secret.deletedAt !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
    await this.deps.store.secrets.update(secret.accountId, secret.region, secret.name, {
      tags: secret.tags.filter((t) => !input.TagKeys.includes(t.key)),
    });
    return {};
  }
}

/** DescribeSecret's answer (ListSecrets' entries are the same fields, versions named differently). */
function describe(s: Secret) {
  return {
    ARN: s.arn,
    Name: s.name,
    ...(s.description !== undefined && { Description: s.description }),
    LastChangedDate: s.lastChangedAt,
    ...(s.deletedAt !== undefined && { DeletedDate: s.deletedAt }),
    ...(s.tags.length > 0 && { Tags: s.tags.map((t) => ({ Key: t.key, Value: t.value })) }),
    VersionIdsToStages: Object.fromEntries(s.versions.map((v) => [v.id, [...v.stages]])),
    CreatedDate: s.createdAt,
  };
}

function listEntry(s: Secret) {
  const { VersionIdsToStages, ...rest } = describe(s);
  return { ...rest, SecretVersionsToStages: VersionIdsToStages };
}

/** ListSecrets' filters: prefix matches, case-sensitive; a value starting with `!` negates. */
function matchesFilter(s: Secret, key: string, values: readonly string[]): boolean {
  const fields = (): string[] => {
    switch (key) {
      case 'name':
        return [s.name];
      case 'description':
        return s.description === undefined ? [] : [s.description];
      case 'tag-key':
        return s.tags.map((t) => t.key);
      case 'tag-value':
        return s.tags.map((t) => t.value);
      case 'primary-region':
        return [s.region];
      case 'owning-service':
        return [];
      default:
        return [s.name, s.description ?? '', ...s.tags.flatMap((t) => [t.key, t.value])];
    }
  };
  const candidates = fields();
  return values.some((raw) => {
    const negate = raw.startsWith('!');
    const v = negate ? raw.slice(1) : raw;
    const hit = candidates.some((c) => c.startsWith(v));
    return negate ? !hit : hit;
  });
}

function encodeNextToken(key: string): string {
  return Buffer.from(JSON.stringify({ after: key }), 'utf8').toString('base64url');
}

function decodeNextToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string' && encodeNextToken(parsed.after) === token) return parsed.after;
  } catch {
    // fall through
  }
  throw new ServiceError('InvalidNextTokenException', 'The NextToken value is invalid.');
}

/** Why a service could not read a secret (the ECR pull-through cache answers each differently). */
export type ServiceReadFailure = 'NotFound' | 'AccessDenied' | 'MarkedForDeletion' | 'Undecryptable';

/** A secret read on behalf of a service, or why it could not be. */
export type ServiceRead =
  | { readonly ok: true; readonly secret: Secret; readonly value: SecretValue }
  | { readonly ok: false; readonly failure: ServiceReadFailure; readonly message: string };

/**
 * Reads the AWSCURRENT value of the secret with this exact ARN as another AWS service does for a
 * resource of its own (ECR's pull-through cache): the read is `secretsmanager:GetSecretValue`
 * decided by the one door for `reader` (the principal the service acts as). Never throws for
 * the secret's state; answers why instead, in words that never contain the value.
 */
export async function readSecretAsService(
  deps: ServiceDeps,
  reader: Caller,
  arn: string,
): Promise<ServiceRead> {
  const parsed = parseSecretArn(arn);
  let secret = await deps.store.secrets.getByArn(arn);
  if (secret?.deletionDate !== undefined && secret.deletionDate.getTime() <= deps.clock.now())
    secret = undefined;
  const decision = await deps.authz.check({
    caller: reader,
    action: 'secretsmanager:GetSecretValue',
    resource: arn,
    resourceAccount: secret?.accountId ?? parsed?.accountId ?? reader.account.id,
    ...(secret !== undefined && secret.tags.length > 0 && { resourceTags: tagRecord(secret.tags) }),
    context: { 'secretsmanager:SecretId': arn, 'secretsmanager:VersionStage': CURRENT },
  });
  if (decision.decision !== 'Allow')
    return { ok: false, failure: 'AccessDenied', message: decision.message ?? 'access denied' };
  if (secret === undefined)
    return { ok: false, failure: 'NotFound', message: "Secrets Manager can't find the specified secret." };
  if (secret.deletedAt !== undefined)
    return { ok: false, failure: 'MarkedForDeletion', message: MARKED_FOR_DELETION };
  const version = secret.versions.find((v) => v.stages.includes(CURRENT));
  if (version === undefined)
    return {
      ok: false,
      failure: 'NotFound',
      message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    };
  try {
    return { ok: true, secret, value: unsealVersion(deps, secret, version) };
  } catch (err) {
    if (err instanceof ServiceError) return { ok: false, failure: 'Undecryptable', message: err.message };
    throw err;
  }
}

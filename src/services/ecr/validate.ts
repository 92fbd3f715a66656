/**
 * ECR's model constraints (botocore `ecr/2015-09-21`: lengths, patterns, ranges, enums), checked
 * before an operation is authorized, as AWS validates a request's shape first. ECR answers each
 * violation as one `InvalidParameterException` in its own `Invalid parameter at 'member' failed
 * to satisfy constraint: '…'` form (shared/reference/ecr-api.md §2), tag problems as
 * `InvalidTagParameterException`, and too many tags as `TooManyTagsException`.
 */
import type {
  EncryptionConfiguration,
  EncryptionType,
  ImageTagMutability,
  ImageTagMutabilityExclusionFilter,
  Tag,
} from '../../store/meta/records.js';
import type { Caller } from '../../auth/caller.js';
import type { ContextValue } from '../../iam/index.js';
import type { RepositoryRef } from '../../store/meta/records.js';
import { ECR_LIMITS, ecrErrors as E } from './errors.js';
import type { ExclusionFilterIn, ImageIdIn, PagingIn, TagIn } from './present.js';

/** botocore's repository name pattern (the same as the OCI `<name>` grammar). */
export const RE_REPO = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
/** The pattern ECR's message shows for a bad repository name (observed; equivalent in spirit). */
const REPO_PATTERN_SHOWN = '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*';
/** A registry id: an account id. */
const REGISTRY_ID = /^[0-9]{12}$/;
/** An image digest as ECR's model writes it. */
export const IMAGE_DIGEST = /^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$/;
/** A tag mutability exclusion filter (`[0-9a-zA-Z._*-]{1,128}`). */
const EXCLUSION_FILTER = /^[0-9a-zA-Z._*-]{1,128}$/;

const MUTABILITIES: readonly ImageTagMutability[] = [
  'MUTABLE',
  'IMMUTABLE',
  'IMMUTABLE_WITH_EXCLUSION',
  'MUTABLE_WITH_EXCLUSION',
];
const ENCRYPTION_TYPES: readonly EncryptionType[] = ['AES256', 'KMS', 'KMS_DSSE'];

/** The name rules of every operation that names a repository: 2–256 characters, `RE_REPO`. */
export function checkRepositoryName(name: string): void {
  if (name.length < ECR_LIMITS.repositoryNameMin)
    throw E.invalidParameter(
      'repositoryName',
      `must have length greater than or equal to ${ECR_LIMITS.repositoryNameMin}`,
    );
  if (name.length > ECR_LIMITS.repositoryNameMax)
    throw E.invalidParameter(
      'repositoryName',
      `must have length less than or equal to ${ECR_LIMITS.repositoryNameMax}`,
    );
  if (!RE_REPO.test(name))
    throw E.invalidParameter('repositoryName', `must satisfy regular expression '${REPO_PATTERN_SHOWN}'`);
}

/** A `registryId` (or one of `registryIds`): twelve digits. */
export function checkRegistryId(id: string, member = 'registryId'): void {
  if (!REGISTRY_ID.test(id)) throw E.invalidParameter(member, "must satisfy regular expression '[0-9]{12}'");
}

/**
 * The repository a request names: its registry (`registryId`, default the caller's account), the
 * region of the call (the SigV4 scope's), and the validated name.
 */
export function targetRef(
  caller: Caller,
  repositoryName: string,
  registryId: string | undefined,
): RepositoryRef {
  if (registryId !== undefined) checkRegistryId(registryId);
  checkRepositoryName(repositoryName);
  return { accountId: registryId ?? caller.account.id, region: caller.request.region, name: repositoryName };
}

/**
 * The tags of a request: every key 1–128 characters, every value at most 256, keys distinct
 * (ECR tag keys are case-sensitive); returned in the store's form.
 */
export function checkTags(tags: readonly TagIn[]): Tag[] {
  const seen = new Set<string>();
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > ECR_LIMITS.tagKeyLength) throw E.invalidTag();
    if (t.Value.length > ECR_LIMITS.tagValueLength) throw E.invalidTag();
    if (seen.has(t.Key)) throw E.invalidTag();
    seen.add(t.Key);
  }
  return tags.map((t) => ({ key: t.Key, value: t.Value }));
}

/** Tag keys of UntagResource: 1–128 characters each. */
export function checkTagKeys(keys: readonly string[]): void {
  for (const k of keys) if (k.length < 1 || k.length > ECR_LIMITS.tagKeyLength) throw E.invalidTag();
}

/** `aws:RequestTag/*` and `aws:TagKeys` of a request that carries tags. */
export function requestTagContext(tags: readonly Tag[]): Record<string, ContextValue> {
  if (tags.length === 0) return {};
  const out: Record<string, ContextValue> = { 'aws:TagKeys': tags.map((t) => t.key) };
  for (const t of tags) out[`aws:RequestTag/${t.key}`] = t.value;
  return out;
}

/**
 * `maxResults` 1–1000 (default 100) and `nextToken`; neither may accompany an explicit id list
 * (`repositoryNames`, `imageIds`). Returns the page size.
 */
export function checkPaging(
  paging: PagingIn,
  explicit?: { readonly member: 'repositoryNames' | 'imageIds'; readonly given: boolean },
): number {
  if (explicit?.given) {
    if (paging.maxResults !== undefined) throw E.pagingWithIds('maxResults', explicit.member);
    if (paging.nextToken !== undefined) throw E.pagingWithIds('nextToken', explicit.member);
  }
  const n = paging.maxResults;
  if (n === undefined) return ECR_LIMITS.defaultPageSize;
  if (n < ECR_LIMITS.maxResultsMin)
    throw E.invalidParameter(
      'maxResults',
      `must have value greater than or equal to ${ECR_LIMITS.maxResultsMin}`,
    );
  if (n > ECR_LIMITS.maxResultsMax)
    throw E.invalidParameter(
      'maxResults',
      `must have value less than or equal to ${ECR_LIMITS.maxResultsMax}`,
    );
  return n;
}

/** An explicit id list's length: 1–`max` members. */
export function checkListLength(member: string, length: number, max: number): void {
  if (length < 1) throw E.invalidParameter(member, 'must have length greater than or equal to 1');
  if (length > max) throw E.invalidParameter(member, `must have length less than or equal to ${max}`);
}

/** Tag mutability and its exclusion filters, as CreateRepository and PutImageTagMutability take them. */
export function checkMutability(
  mutability: string | undefined,
  filters: readonly ExclusionFilterIn[] | undefined,
): { mutability: ImageTagMutability; filters: ImageTagMutabilityExclusionFilter[] } {
  const m = mutability ?? 'MUTABLE';
  if (!(MUTABILITIES as readonly string[]).includes(m)) {
    throw E.invalidParameter(
      'imageTagMutability',
      'Member must satisfy enum value set: [IMMUTABLE, MUTABLE, MUTABLE_WITH_EXCLUSION, IMMUTABLE_WITH_EXCLUSION]',
    );
  }
  const value = m as ImageTagMutability;
  const withExclusion = value === 'MUTABLE_WITH_EXCLUSION' || value === 'IMMUTABLE_WITH_EXCLUSION';
  const list = filters ?? [];
  if (withExclusion && list.length === 0) {
    throw E.invalidParameter(
      'imageTagMutabilityExclusionFilters',
      `ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as ${value}`,
    );
  }
  if (!withExclusion && list.length > 0) {
    throw E.invalidParameter(
      'imageTagMutabilityExclusionFilters',
      `ImageTagMutabilityExclusionFilters can only be set when imageTagMutability is set as MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION`,
    );
  }
  if (list.length > ECR_LIMITS.exclusionFiltersMax) {
    throw E.invalidParameter(
      'imageTagMutabilityExclusionFilters',
      `Member must have length less than or equal to ${ECR_LIMITS.exclusionFiltersMax}`,
    );
  }
  for (const f of list) {
    if (f.filterType !== 'WILDCARD') {
      throw E.invalidParameter(
        'imageTagMutabilityExclusionFilters',
        `Invalid value for 'filterType' in mutability exclusion filter: ${f.filterType}`,
      );
    }
    if (!EXCLUSION_FILTER.test(f.filter)) {
      throw E.invalidParameter(
        'imageTagMutabilityExclusionFilters',
        "Member must satisfy regular expression pattern: '^[0-9a-zA-Z._*-]{1,128}'",
      );
    }
  }
  return { mutability: value, filters: list.map((f) => ({ filterType: 'WILDCARD', filter: f.filter })) };
}

/** The encryption settings of CreateRepository (AES256 by default; a KMS key only with KMS types). */
export function checkEncryption(
  enc: { readonly encryptionType: string; readonly kmsKey?: string } | undefined,
): EncryptionConfiguration {
  if (enc === undefined) return { encryptionType: 'AES256' };
  if (!(ENCRYPTION_TYPES as readonly string[]).includes(enc.encryptionType)) {
    throw E.invalidParameter(
      'encryptionConfiguration.encryptionType',
      'Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]',
    );
  }
  const type = enc.encryptionType as EncryptionType;
  if (enc.kmsKey !== undefined && type === 'AES256') {
    throw E.invalidParameter(
      'encryptionConfiguration.kmsKey',
      'kmsKey can only be specified when encryptionType is KMS or KMS_DSSE',
    );
  }
  if (enc.kmsKey !== undefined && (enc.kmsKey.length < 1 || enc.kmsKey.length > 2048)) {
    throw E.invalidParameter(
      'encryptionConfiguration.kmsKey',
      'Member must have length less than or equal to 2048',
    );
  }
  return { encryptionType: type, ...(enc.kmsKey !== undefined && { kmsKey: enc.kmsKey }) };
}

/** ListImages' and DescribeImages' `tagStatus` (default ANY) as the store's filter. */
export function checkTagStatus(tagStatus: string | undefined): 'tagged' | 'untagged' | 'any' {
  switch (tagStatus ?? 'ANY') {
    case 'TAGGED':
      return 'tagged';
    case 'UNTAGGED':
      return 'untagged';
    case 'ANY':
      return 'any';
    default:
      throw E.invalidParameter(
        'filter.tagStatus',
        'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]',
      );
  }
}

/** `imageStatus` of the image filters: crossdock's images are all ACTIVE (no archive tier). */
export function checkImageStatus(imageStatus: string | undefined): boolean {
  const s = imageStatus ?? 'ACTIVE';
  if (!['ACTIVE', 'ARCHIVED', 'ACTIVATING', 'ANY'].includes(s)) {
    throw E.invalidParameter(
      'filter.imageStatus',
      'Member must satisfy enum value set: [ACTIVE, ARCHIVED, ACTIVATING, ANY]',
    );
  }
  return s === 'ACTIVE' || s === 'ANY';
}

/** Whether an image id names a well-formed digest and/or a tag of ECR's length. */
export function imageIdProblem(id: ImageIdIn): 'missing' | 'digest' | 'tag' | undefined {
  if (id.imageDigest === undefined && id.imageTag === undefined) return 'missing';
  if (id.imageDigest !== undefined && !IMAGE_DIGEST.test(id.imageDigest)) return 'digest';
  if (id.imageTag !== undefined && (id.imageTag.length < 1 || id.imageTag.length > ECR_LIMITS.imageTagLength))
    return 'tag';
  return undefined;
}

/**
 * Pagination tokens: opaque to callers, `base64url(JSON [kind, ...key])` where `key` is the sort
 * key of the last item of the page. The next page starts strictly after it, so a token stays
 * valid while items are added or removed, and a token of one operation is refused by another.
 */
export function encodeToken(kind: string, key: readonly string[]): string {
  return Buffer.from(JSON.stringify([kind, ...key]), 'utf8').toString('base64url');
}

/**
 * The longest token {@link encodeToken} writes is well under this (a kind and at most two keys of
 * a few hundred characters); anything longer is refused unread rather than parsed.
 */
const MAX_TOKEN_LENGTH = 4096;

/** Decodes a token of `kind` with a key of `arity` parts; InvalidParameterException otherwise. */
export function decodeToken(token: string, kind: string, arity: number): string[] {
  if (token.length > MAX_TOKEN_LENGTH) throw E.invalidNextToken();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw E.invalidNextToken();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== arity + 1 ||
    parsed[0] !== kind ||
    !parsed.every((p): p is string => typeof p === 'string') ||
    encodeToken(kind, parsed.slice(1)) !== token
  ) {
    throw E.invalidNextToken();
  }
  return parsed.slice(1);
}

/** Compares sort keys part by part in UTF-8 byte order (the store's order). */
export function compareKey(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8'));
  }
  return a.length - b.length;
}

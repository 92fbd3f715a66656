/**
 * IAM's model constraints (botocore `iam/2010-05-08`: lengths, patterns, ranges, enums), checked
 * as AWS checks them before an operation runs: every violation of one request is collected and
 * answered as one `ValidationError` in AWS's `N validation errors detected: …` form, naming each
 * member by its lowerCamel path (`roleName`, `tags.1.member.key`).
 */
import { ServiceError } from '../errors.js';

/** IAM names of users, roles, policies, instance profiles (`userNameType`, `roleNameType`, …). */
export const NAME_PATTERN = '[\\w+=,.@-]+';
/** Paths of users, roles and instance profiles (`pathType`). */
export const PATH_PATTERN = '(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)';
/** Paths of managed policies (`policyPathType`). */
export const POLICY_PATH_PATTERN = '((/[A-Za-z0-9\\.,\\+@=_-]+)*)/';
/** Path prefixes of ListUsers, ListRoles, ListInstanceProfiles (`pathPrefixType`). */
export const PATH_PREFIX_PATTERN = '\\u002F[\\u0021-\\u007F]*';
/** Policy documents (`policyDocumentType`). */
export const DOCUMENT_PATTERN = '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+';
/** Role descriptions (`roleDescriptionType`). */
export const DESCRIPTION_PATTERN = '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*';
/** Tag keys (`tagKeyType`). */
export const TAG_KEY_PATTERN = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+';
/** Tag values (`tagValueType`). */
export const TAG_VALUE_PATTERN = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*';
/** Policy version ids (`policyVersionIdType`). */
export const VERSION_ID_PATTERN = 'v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?';
/** Access key ids (`accessKeyIdType`). */
export const ACCESS_KEY_ID_PATTERN = '[\\w]+';
/** Account aliases (`accountAliasType`). */
export const ACCOUNT_ALIAS_PATTERN = '^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$';
/** Pagination markers (`markerType`). */
export const MARKER_PATTERN = '[\\u0020-\\u00FF]+';

const compiled = new Map<string, RegExp>();

/** Java's `String.matches`: the whole value must match. `\uXXXX` escapes are Java's, so the `u` flag. */
function wholeMatch(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^(?:${pattern})$`, 'u');
    compiled.set(pattern, re);
  }
  return re.test(value);
}

function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => show(v)).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${show(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** String constraints of one member. */
export interface StringRule {
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
}

/**
 * Collects violations for one request; `done()` throws the `ValidationError` if there are any.
 * Absent (undefined) members are skipped: required members are the codec's business.
 */
export class Violations {
  private readonly list: string[] = [];

  private add(value: unknown, path: string, constraint: string): void {
    this.list.push(`Value '${show(value)}' at '${path}' failed to satisfy constraint: Member ${constraint}`);
  }

  /** Checks a string member. */
  string(value: string | undefined, path: string, rule: StringRule): this {
    if (value === undefined) return this;
    if (rule.max !== undefined && value.length > rule.max) {
      this.add(value, path, `must have length less than or equal to ${rule.max}`);
    }
    if (rule.min !== undefined && value.length < rule.min) {
      this.add(value, path, `must have length greater than or equal to ${rule.min}`);
    }
    if (rule.pattern !== undefined && !wholeMatch(rule.pattern, value)) {
      this.add(value, path, `must satisfy regular expression pattern: ${rule.pattern}`);
    }
    if (rule.enum !== undefined && !rule.enum.includes(value)) {
      this.add(value, path, `must satisfy enum value set: [${rule.enum.join(', ')}]`);
    }
    return this;
  }

  /** Checks an integer member's range. */
  integer(value: number | undefined, path: string, min: number, max: number): this {
    if (value === undefined) return this;
    if (value > max) this.add(value, path, `must have value less than or equal to ${max}`);
    if (value < min) this.add(value, path, `must have value greater than or equal to ${min}`);
    return this;
  }

  /** Checks a list member's length. */
  listLength(value: readonly unknown[] | undefined, path: string, max: number): this {
    if (value !== undefined && value.length > max) {
      this.add(value, path, `must have length less than or equal to ${max}`);
    }
    return this;
  }

  /** Checks an IAM name member (user, role, policy, instance profile). */
  name(value: string | undefined, path: string, max: number): this {
    return this.string(value, path, { min: 1, max, pattern: NAME_PATTERN });
  }

  /** Checks `Marker` and `MaxItems` of a list operation. */
  paging(input: { readonly Marker?: string; readonly MaxItems?: number }): this {
    return this.string(input.Marker, 'marker', { min: 1, max: 320, pattern: MARKER_PATTERN }).integer(
      input.MaxItems,
      'maxItems',
      1,
      1000,
    );
  }

  /** Checks a `Tags` list: at most 50, each key and value within AWS's limits. */
  tags(tags: readonly { readonly Key: string; readonly Value: string }[] | undefined, path = 'tags'): this {
    if (tags === undefined) return this;
    this.listLength(tags, path, 50);
    tags.forEach((t, i) => {
      this.string(t.Key, `${path}.${i + 1}.member.key`, { min: 1, max: 128, pattern: TAG_KEY_PATTERN });
      this.string(t.Value, `${path}.${i + 1}.member.value`, { min: 0, max: 256, pattern: TAG_VALUE_PATTERN });
    });
    return this;
  }

  /** Checks a policy ARN member (`arnType`: 20 to 2048 characters). */
  arn(value: string | undefined, path: string): this {
    return this.string(value, path, { min: 20, max: 2048 });
  }

  /** Checks a policy document member. */
  document(value: string | undefined, path: string): this {
    return this.string(value, path, { min: 1, max: 131072, pattern: DOCUMENT_PATTERN });
  }

  /** Throws the collected violations as one `ValidationError`. */
  done(): void {
    const n = this.list.length;
    if (n === 0) return;
    throw new ServiceError(
      'ValidationError',
      `${n} validation error${n === 1 ? '' : 's'} detected: ${this.list.join('; ')}`,
    );
  }
}

/** Starts a validation of one request. */
export function validate(): Violations {
  return new Violations();
}

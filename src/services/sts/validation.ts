/**
 * The model constraints of STS inputs (botocore `sts/2011-06-15`: lengths, patterns, ranges),
 * checked the way AWS's front end checks them: every violation of one request is collected and
 * reported in one `ValidationError` as `N validation error(s) detected: …; …`, naming each member
 * by its lowerCamel path (`roleSessionName`, `tags.1.member.key`).
 */
import { ServiceError } from '../errors.js';

/** Anything that tells whether a string matches (a `RegExp`, or a hand-written check). */
export interface TextPattern {
  test(text: string): boolean;
}

/** `[\w+=,.@-]*`: role session names and source identities. */
export const SESSION_NAME_PATTERN = /^[\w+=,.@-]*$/;
/** `[\w+=,.@:\/-]*`: external ids. */
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]*$/;
/** Tag keys: `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`. */
export const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
/** Tag values: `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`. */
export const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** MFA serial numbers: `[\w+=/:,.@-]*`. */
export const SERIAL_NUMBER_PATTERN = /^[\w+=/:,.@-]*$/;
/** MFA codes: `[\d]*` of exactly six digits. */
export const TOKEN_CODE_PATTERN = /^\d*$/;
/** Policy documents: TAB, LF, CR and U+0020–U+00FF. */
export const POLICY_PATTERN: TextPattern = {
  test(text: string): boolean {
    if (text.length === 0) return false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 9 && c !== 10 && c !== 13 && (c < 0x20 || c > 0xff)) return false;
    }
    return true;
  },
};

function quote(value: string): string {
  return value.length > 100 ? `'${value.slice(0, 100)}…'` : `'${value}'`;
}

/**
 * Collects constraint violations for one request and throws them together, because AWS reports
 * all of them at once and clients show the whole list.
 */
export class Violations {
  private readonly list: string[] = [];

  /** Records a violation in AWS's words for `value` at `path`. */
  add(value: string, path: string, constraint: string): void {
    this.list.push(`Value ${quote(value)} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  /** Checks a string's length and pattern (when given); absent values pass. */
  string(
    value: string | undefined,
    path: string,
    limits: { min?: number; max?: number; pattern?: TextPattern; patternText?: string },
  ): void {
    if (value === undefined) return;
    if (limits.min !== undefined && value.length < limits.min) {
      this.add(value, path, `Member must have length greater than or equal to ${limits.min}`);
    }
    if (limits.max !== undefined && value.length > limits.max) {
      this.add(value, path, `Member must have length less than or equal to ${limits.max}`);
    }
    if (limits.pattern !== undefined && !limits.pattern.test(value)) {
      this.add(value, path, `Member must satisfy regular expression pattern: ${limits.patternText ?? ''}`);
    }
  }

  /** Checks an integer range; absent values pass. */
  integer(value: number | undefined, path: string, min: number, max: number): void {
    if (value === undefined) return;
    if (value < min) this.add(String(value), path, `Member must have value greater than or equal to ${min}`);
    if (value > max) this.add(String(value), path, `Member must have value less than or equal to ${max}`);
  }

  /** Checks a list's length; absent lists pass. */
  listLength(value: readonly unknown[] | undefined, path: string, max: number): void {
    if (value !== undefined && value.length > max) {
      this.add(`[${value.length} items]`, path, `Member must have length less than or equal to ${max}`);
    }
  }

  /** Throws one `ValidationError` listing every violation, if there are any. */
  throwIfAny(): void {
    const n = this.list.length;
    if (n === 0) return;
    throw new ServiceError(
      'ValidationError',
      `${n} validation error${n === 1 ? '' : 's'} detected: ${this.list.join('; ')}`,
    );
  }
}

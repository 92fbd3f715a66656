/**
 * The condition operators, one entry per base operator (no `IfExists`, no set qualifier). Each
 * compiles one policy value into a test of one request value, once, at policy compile time.
 *
 * A test answers `match`, `nomatch` or `invalid`. `invalid` means the two values could not be
 * compared (a request value that is not a number for NumericEquals, a policy value that is not a
 * CIDR...). A positive operator holds when some policy value gives `match`; a negated operator
 * (its `negated` flag set, its test being the positive one) holds only when every policy value
 * gives `nomatch`: so a comparison that cannot be made fails both, as in iam-simulate.
 */
import type { KeyLookup } from '../context.js';
import { PolicyError } from '../errors.js';
import { compileArnConditionPattern, compilePattern, type ArnOutcome, type MatchMode } from '../variables.js';
import { decodeBase64 } from './base64.js';
import { parseDate } from './date.js';
import { compareDecimal, parseDecimal } from './decimal.js';
import { inRange, parseCidr, parseIp } from './ip.js';

/** The result of comparing one request value with one policy value. */
export type Comparison = ArnOutcome;

/** A compiled policy value: compares one request value with it. */
export type ValueTest = (requestValue: string, ctx: KeyLookup) => Comparison;

/** What compiling a policy value needs from the statement. */
export interface ValueOptions {
  readonly variables: boolean;
  readonly statement?: number;
}

/** A base operator: how to compile its policy values, and whether it is a negated one. */
export interface OperatorSpec {
  readonly negated: boolean;
  compile(policyValue: string, opts: ValueOptions): ValueTest;
  /**
   * For operators whose comparisons are never `invalid` (the String* family): a policy value
   * without variables as a plain predicate on the request value; undefined when it has variables.
   */
  predicate?(policyValue: string, opts: ValueOptions): ((requestValue: string) => boolean) | undefined;
}

/** IAM's answer for a Date* value it cannot read when the policy is saved (observed, moto). */
export const LEGACY_PARSING = 'The policy failed legacy parsing';

const outcome = (b: boolean): Comparison => (b ? 'match' : 'nomatch');

function stringOperator(mode: MatchMode, negated: boolean): OperatorSpec {
  return {
    negated,
    compile(value, opts) {
      const template = compilePattern(value, { variables: opts.variables, mode });
      const fixed = template.fixed;
      if (fixed !== undefined) return (requestValue) => (fixed(requestValue) ? 'match' : 'nomatch');
      return (requestValue, ctx) => outcome(template.matches(requestValue, ctx));
    },
    predicate(value, opts) {
      return compilePattern(value, { variables: opts.variables, mode }).fixed;
    },
  };
}

type Relation = (cmp: number) => boolean;
const EQ: Relation = (c) => c === 0;
const LT: Relation = (c) => c < 0;
const LE: Relation = (c) => c <= 0;
const GT: Relation = (c) => c > 0;
const GE: Relation = (c) => c >= 0;

/** `relation` receives the order of the request value relative to the policy value. */
function numericOperator(relation: Relation, negated: boolean): OperatorSpec {
  return {
    negated,
    compile(value) {
      const policy = parseDecimal(value);
      if (policy === undefined) return () => 'invalid';
      return (requestValue) => {
        const request = parseDecimal(requestValue);
        return request === undefined ? 'invalid' : outcome(relation(compareDecimal(request, policy)));
      };
    },
  };
}

function dateOperator(relation: Relation, negated: boolean): OperatorSpec {
  return {
    negated,
    compile(value, opts) {
      const policy = parseDate(value);
      if (policy === undefined)
        throw new PolicyError('MalformedPolicyDocument', LEGACY_PARSING, opts.statement);
      return (requestValue) => {
        const request = parseDate(requestValue);
        return request === undefined ? 'invalid' : outcome(relation(Math.sign(request - policy)));
      };
    },
  };
}

function readBool(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

const bool: OperatorSpec = {
  negated: false,
  compile(value, opts) {
    const template = compilePattern(value, { variables: opts.variables, mode: 'exact' });
    return (requestValue, ctx) => {
      const resolved = template.resolve(ctx);
      if (resolved === undefined) return 'nomatch';
      const policy = readBool(resolved);
      const request = readBool(requestValue);
      return policy === undefined || request === undefined ? 'invalid' : outcome(policy === request);
    };
  },
};

const binaryEquals: OperatorSpec = {
  negated: false,
  compile(value) {
    const policy = decodeBase64(value);
    if (policy === undefined) return () => 'invalid';
    return (requestValue) => {
      const request = decodeBase64(requestValue);
      return request === undefined ? 'invalid' : outcome(request === policy);
    };
  },
};

function ipOperator(negated: boolean): OperatorSpec {
  return {
    negated,
    compile(value) {
      const range = parseCidr(value);
      if (range === undefined) return () => 'invalid';
      return (requestValue) => {
        const address = parseIp(requestValue);
        return address === undefined ? 'invalid' : outcome(inRange(address, range));
      };
    },
  };
}

function arnOperator(negated: boolean): OperatorSpec {
  return {
    negated,
    compile(value, opts) {
      const pattern = compileArnConditionPattern(value, { variables: opts.variables });
      const fixed = pattern.fixedTest;
      if (fixed !== undefined) return fixed;
      return (requestValue, ctx) => pattern.test(requestValue, ctx);
    },
  };
}

/**
 * Every base operator IAM accepts except `Null`, which tests presence rather than values and is
 * handled by the block compiler. Names are case-sensitive: IAM refuses `stringEquals` with
 * "Invalid Condition type : stringEquals" (ministryofjustice/modernisation-platform-environments#8893).
 */
export const OPERATORS: ReadonlyMap<string, OperatorSpec> = new Map<string, OperatorSpec>([
  ['StringEquals', stringOperator('exact', false)],
  ['StringNotEquals', stringOperator('exact', true)],
  ['StringEqualsIgnoreCase', stringOperator('exactIgnoreCase', false)],
  ['StringNotEqualsIgnoreCase', stringOperator('exactIgnoreCase', true)],
  ['StringLike', stringOperator('glob', false)],
  ['StringNotLike', stringOperator('glob', true)],
  ['NumericEquals', numericOperator(EQ, false)],
  ['NumericNotEquals', numericOperator(EQ, true)],
  ['NumericLessThan', numericOperator(LT, false)],
  ['NumericLessThanEquals', numericOperator(LE, false)],
  ['NumericGreaterThan', numericOperator(GT, false)],
  ['NumericGreaterThanEquals', numericOperator(GE, false)],
  ['DateEquals', dateOperator(EQ, false)],
  ['DateNotEquals', dateOperator(EQ, true)],
  ['DateLessThan', dateOperator(LT, false)],
  ['DateLessThanEquals', dateOperator(LE, false)],
  ['DateGreaterThan', dateOperator(GT, false)],
  ['DateGreaterThanEquals', dateOperator(GE, false)],
  ['Bool', bool],
  ['BinaryEquals', binaryEquals],
  ['IpAddress', ipOperator(false)],
  ['NotIpAddress', ipOperator(true)],
  ['ArnEquals', arnOperator(false)],
  ['ArnLike', arnOperator(false)],
  ['ArnNotEquals', arnOperator(true)],
  ['ArnNotLike', arnOperator(true)],
]);

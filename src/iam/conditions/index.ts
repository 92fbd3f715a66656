/**
 * Compiles a statement's `Condition` block into one closure. Everything that depends only on the
 * policy (operator lookup, numbers, dates, CIDRs, patterns) is done here, once; the closure only
 * looks keys up and compares.
 *
 * Semantics (AWS IAM User Guide, "Condition" and "Condition operators"; iam-simulate where AWS is
 * silent):
 * - operators AND, keys under an operator AND, values of a key OR (NOR for negated operators);
 * - key names are case-insensitive (looked up lower-cased), values compare as the operator says;
 * - absent key: positive operators false, negated operators true, `...IfExists` true;
 * - a multi-valued key without a set qualifier: false, whatever the operator (iam-simulate,
 *   "confirmed at re:Inforce 2025 IAM431");
 * - `ForAllValues:` true when the key is absent or empty, else every request value must pass;
 *   `ForAnyValue:` false when absent or empty, else some request value must pass; `IfExists`
 *   changes neither (for ForAnyValue iam-simulate documents that it is ignored);
 * - `Null`: `true` holds when the key is absent, `false` when it is present.
 */
import { contextKey, type KeyLookup } from '../context.js';
import { PolicyError } from '../errors.js';
import { OPERATORS, type OperatorSpec, type ValueTest } from './operators.js';

/** A compiled Condition block: true when every operator/key clause holds. */
export type CompiledCondition = (ctx: KeyLookup) => boolean;

/** One clause for explanations: which operator/key/values failed. */
export interface ConditionClauseInfo {
  operator: string;
  key: string;
  values: readonly string[];
}

/** A compiled block with its clauses, so a denial can name the clause that failed. */
export interface CompiledConditionBlock {
  test: CompiledCondition;
  clauses: ConditionClauseInfo[];
  failing(ctx: KeyLookup): ConditionClauseInfo[];
}

/** IAM's message for a Condition whose JSON shape is wrong (observed; getmoto/moto test corpus). */
export const SYNTAX_ERRORS = 'Syntax errors in policy.';

/** IAM's message for an operator it does not know, e.g. `Invalid Condition type : stringEquals`. */
export function invalidConditionType(operator: string): string {
  return `Invalid Condition type : ${operator}`;
}

/**
 * Compiles `raw`, the parsed JSON of a statement's `Condition`. Returns undefined when there is
 * nothing to test (absent, `{}`, or operators with no keys). Throws `MalformedPolicyDocument` for
 * what IAM refuses: a non-object block or operator body, a value that is not a string, number,
 * boolean or array of them (`Syntax errors in policy.`), an unknown operator, a set qualifier
 * other than `ForAllValues`/`ForAnyValue`, `NullIfExists` (`Invalid Condition type : X`), and a
 * Date* value IAM cannot read (`The policy failed legacy parsing`).
 *
 * Deliberately accepted, as IAM accepts them (getmoto/moto `valid_policy_documents`, recorded
 * against IAM): an unknown operator whose body is `{}`, and a key whose value is `[]` (it then
 * matches nothing: positive operators are false, negated ones true).
 */
export function compileConditionBlock(
  raw: unknown,
  opts: { variables: boolean; statement?: number },
): CompiledConditionBlock | undefined {
  if (raw === undefined) return undefined;
  const syntax = () => new PolicyError('MalformedPolicyDocument', SYNTAX_ERRORS, opts.statement);
  if (!isObject(raw)) throw syntax();

  const parsed: { operator: string; body: Record<string, string[]> }[] = [];
  for (const [operator, body] of Object.entries(raw)) {
    if (!isObject(body)) throw syntax();
    const keys: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(body)) {
      const values = readValues(value);
      if (values === undefined) throw syntax();
      keys[key] = values;
    }
    parsed.push({ operator, body: keys });
  }

  const compiled: { info: ConditionClauseInfo; test: CompiledCondition }[] = [];
  for (const { operator, body } of parsed) {
    const keys = Object.entries(body);
    if (keys.length === 0) continue;
    const op = parseOperator(operator);
    if (op === undefined) {
      throw new PolicyError('MalformedPolicyDocument', invalidConditionType(operator), opts.statement);
    }
    for (const [key, values] of keys) {
      compiled.push({
        info: { operator, key, values },
        test: compileClause(op, contextKey(key), values, opts),
      });
    }
  }
  if (compiled.length === 0) return undefined;

  const tests = compiled.map((c) => c.test);
  const clauses = compiled.map((c) => c.info);
  return {
    test: tests.length === 1 ? (tests[0] as CompiledCondition) : allOf(tests),
    clauses,
    failing: failingOf(tests, clauses),
  };
}

// Closures are made by small functions so that each keeps only what it reads (a closure holds
// every variable that any closure of its scope captures): compiled policies stay small.
const allOf =
  (tests: readonly CompiledCondition[]): CompiledCondition =>
  (ctx) => {
    for (const t of tests) if (!t(ctx)) return false;
    return true;
  };

const failingOf =
  (tests: readonly CompiledCondition[], clauses: readonly ConditionClauseInfo[]) =>
  (ctx: KeyLookup): ConditionClauseInfo[] =>
    clauses.filter((_, i) => !(tests[i] as CompiledCondition)(ctx));

type Qualifier = 'ForAllValues' | 'ForAnyValue' | undefined;

interface ParsedOperator {
  readonly qualifier: Qualifier;
  readonly ifExists: boolean;
  /** undefined for `Null` */
  readonly spec: OperatorSpec | undefined;
}

/** `[ForAllValues:|ForAnyValue:]<Base>[IfExists]`, case-sensitive; undefined if IAM would refuse it. */
function parseOperator(name: string): ParsedOperator | undefined {
  let qualifier: Qualifier;
  let base = name;
  const colon = name.indexOf(':');
  if (colon !== -1) {
    const prefix = name.slice(0, colon);
    if (prefix !== 'ForAllValues' && prefix !== 'ForAnyValue') return undefined;
    qualifier = prefix;
    base = name.slice(colon + 1);
  }
  let ifExists = false;
  if (base.endsWith('IfExists')) {
    ifExists = true;
    base = base.slice(0, -'IfExists'.length);
  }
  if (base === 'Null') return ifExists ? undefined : { qualifier, ifExists, spec: undefined };
  const spec = OPERATORS.get(base);
  return spec === undefined ? undefined : { qualifier, ifExists, spec };
}

function compileClause(
  op: ParsedOperator,
  lowerKey: string,
  values: readonly string[],
  opts: { variables: boolean; statement?: number },
): CompiledCondition {
  const spec = op.spec;
  if (spec === undefined) return compileNull(lowerKey, values);
  const whenAbsent = op.ifExists || spec.negated;

  // String* values without variables compare as plain predicates, never `invalid`: a negated
  // operator then holds when no value matches.
  const predicates = values.map((v) => spec.predicate?.(v, opts));
  if (spec.predicate !== undefined && predicates.every((p) => p !== undefined)) {
    const ps = predicates as Predicate[];
    if (op.qualifier === undefined && ps.length === 1) {
      // The common clause: one closure around the predicate.
      return spec.negated
        ? singleNegated(lowerKey, whenAbsent, ps[0] as Predicate)
        : singlePositive(lowerKey, whenAbsent, ps[0] as Predicate);
    }
    return qualified(op.qualifier, whenAbsent, lowerKey, spec.negated ? noneOf(ps) : anyOf(ps));
  }
  const tests: ValueTest[] = values.map((v) => spec.compile(v, opts));
  return qualified(op.qualifier, whenAbsent, lowerKey, spec.negated ? allNoMatch(tests) : someMatch(tests));
}

type Predicate = (requestValue: string) => boolean;
type Holds = (requestValue: string, ctx: KeyLookup) => boolean;

const singlePositive =
  (lowerKey: string, whenAbsent: boolean, p: Predicate): CompiledCondition =>
  (ctx) => {
    const v = ctx.get(lowerKey);
    if (v === undefined) return whenAbsent;
    return typeof v === 'string' && p(v);
  };

const singleNegated =
  (lowerKey: string, whenAbsent: boolean, p: Predicate): CompiledCondition =>
  (ctx) => {
    const v = ctx.get(lowerKey);
    if (v === undefined) return whenAbsent;
    return typeof v === 'string' && !p(v);
  };

const anyOf =
  (ps: readonly Predicate[]): Holds =>
  (rv) => {
    for (const p of ps) if (p(rv)) return true;
    return false;
  };

const noneOf =
  (ps: readonly Predicate[]): Holds =>
  (rv) => {
    for (const p of ps) if (p(rv)) return false;
    return true;
  };

/** Positive operators: some policy value matches. */
const someMatch =
  (tests: readonly ValueTest[]): Holds =>
  (rv, ctx) => {
    for (const t of tests) if (t(rv, ctx) === 'match') return true;
    return false;
  };

/** Negated operators: every policy value gives `nomatch` (an `invalid` comparison fails them too). */
const allNoMatch =
  (tests: readonly ValueTest[]): Holds =>
  (rv, ctx) => {
    for (const t of tests) if (t(rv, ctx) !== 'nomatch') return false;
    return true;
  };

/** The clause for a key: set qualifiers, `IfExists`, missing and multi-valued keys. */
function qualified(
  qualifier: Qualifier,
  whenAbsent: boolean,
  lowerKey: string,
  holds: Holds,
): CompiledCondition {
  switch (qualifier) {
    case 'ForAllValues':
      return forAllValues(lowerKey, holds);
    case 'ForAnyValue':
      return forAnyValue(lowerKey, holds);
    case undefined:
      return singleValued(lowerKey, whenAbsent, holds);
  }
}

const forAllValues =
  (lowerKey: string, holds: Holds): CompiledCondition =>
  (ctx) => {
    const v = ctx.get(lowerKey);
    if (v === undefined) return true;
    if (typeof v === 'string') return holds(v, ctx);
    for (const one of v) if (!holds(one, ctx)) return false;
    return true;
  };

const forAnyValue =
  (lowerKey: string, holds: Holds): CompiledCondition =>
  (ctx) => {
    const v = ctx.get(lowerKey);
    if (v === undefined) return false;
    if (typeof v === 'string') return holds(v, ctx);
    for (const one of v) if (holds(one, ctx)) return true;
    return false;
  };

const singleValued =
  (lowerKey: string, whenAbsent: boolean, holds: Holds): CompiledCondition =>
  (ctx) => {
    const v = ctx.get(lowerKey);
    if (v === undefined) return whenAbsent;
    return typeof v === 'string' && holds(v, ctx);
  };

/** `Null`: each value `true` (case-insensitive) wants the key absent, `false` present; values OR. */
function compileNull(lowerKey: string, values: readonly string[]): CompiledCondition {
  const lower = values.map((v) => v.toLowerCase());
  const wantsAbsent = lower.includes('true');
  const wantsPresent = lower.includes('false');
  return (ctx) => (ctx.get(lowerKey) === undefined ? wantsAbsent : wantsPresent);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** A key's values as strings: a scalar or an array of scalars; undefined when IAM refuses the shape. */
function readValues(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) {
    const s = scalar(v);
    return s === undefined ? undefined : [s];
  }
  const out: string[] = [];
  for (const item of v) {
    const s = scalar(item);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

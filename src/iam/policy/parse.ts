import { PolicyError, type PolicyErrorCode } from '../errors.js';
import type {
  Effect,
  PolicyDocument,
  PolicyKind,
  PolicyVersion,
  PrincipalBlock,
  Statement,
} from './types.js';

/** Options for {@link parsePolicy}. */
export interface ParseOptions {
  kind: PolicyKind;
  /** Overrides the kind's default size limit (characters; IAM does not count whitespace). */
  maxSize?: number;
}

/**
 * Default size limits per kind, as the owning service enforces them on a single document.
 * IAM counts characters without whitespace; ECR counts the whole text.
 */
const SIZE_LIMITS: Record<PolicyKind, { max: number; whitespace: boolean } | undefined> = {
  identity: { max: 6144, whitespace: false },
  boundary: { max: 6144, whitespace: false },
  trust: { max: 2048, whitespace: false },
  session: { max: 2048, whitespace: true },
  scp: { max: 5120, whitespace: true },
  rcp: { max: 5120, whitespace: true },
  repository: { max: 10240, whitespace: true },
  registry: { max: 10240, whitespace: true },
  resource: { max: 20480, whitespace: true },
};

const TOP_LEVEL = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const ACCOUNT_ID = /^\d{12}$/;
const UNIQUE_ID = /^A(IDA|ROA|GPA|NPA|NPV|SIA|KIA)[A-Z0-9]{12,}$/;
const IAM_PRINCIPAL_ARN = /^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::\d{12}:(root|user\/.+|role\/.+)$/;
const STS_PRINCIPAL_ARN =
  /^arn:aws(-cn|-us-gov|-iso|-iso-b)?:sts::\d{12}:(assumed-role\/[^/]+\/.+|federated-user\/.+)$/;
const ALNUM = /^[A-Za-z0-9]*$/;

/** Which services own which kinds: decides the error code and whether Sid is relaxed. */
function isEcrKind(kind: PolicyKind): boolean {
  return kind === 'repository' || kind === 'registry';
}

/** Characters IAM accepts in a policy document: TAB, LF, CR and U+0020–U+00FF. */
function hasOnlyAllowedChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13) continue;
    if (c < 0x20 || c > 0xff) return false;
  }
  return true;
}

/** The size IAM counts: every character except whitespace. */
export function policySize(text: string, countWhitespace = false): number {
  if (countWhitespace) return text.length;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) n++;
  }
  return n;
}

/**
 * Parses and validates a policy document for one use (`kind`), rejecting what AWS rejects with
 * AWS's error code and message. ECR answers every grammar problem with one generic message; the
 * precise reason is kept in `PolicyError.detail`.
 */
export function parsePolicy(text: string, opts: ParseOptions): PolicyDocument {
  const { kind } = opts;
  const fail: Fail = failer(kind);

  const limit = SIZE_LIMITS[kind];
  const max = opts.maxSize ?? limit?.max;
  if (max !== undefined && policySize(text, limit?.whitespace ?? true) > max) {
    if (isEcrKind(kind)) {
      throw new PolicyError(
        'InvalidParameterException',
        `Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Member must have length less than or equal to ${max}'`,
      );
    }
    const quota = kind === 'trust' ? 'ACLSizePerRole' : 'PolicySize';
    throw new PolicyError('LimitExceeded', `Cannot exceed quota for ${quota}: ${max}`);
  }
  if (!hasOnlyAllowedChars(text))
    fail('Syntax errors in policy.', undefined, 'a character outside U+0020–U+00FF');

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail('Syntax errors in policy.', undefined, 'the document is not valid JSON');
  }
  if (!isObject(raw)) fail('Syntax errors in policy.', undefined, 'the document is not a JSON object');
  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL.has(key))
      fail('Syntax errors in policy.', undefined, `unknown top-level field \`${key}\``);
  }

  let version: PolicyVersion = '2008-10-17';
  const versionGiven = raw.Version !== undefined;
  if (versionGiven) {
    if (raw.Version !== '2012-10-17' && raw.Version !== '2008-10-17') {
      fail('Syntax errors in policy.', undefined, `unsupported Version \`${String(raw.Version)}\``);
    }
    version = raw.Version;
  }
  let id: string | undefined;
  if (raw.Id !== undefined) {
    if (typeof raw.Id !== 'string') fail('Syntax errors in policy.', undefined, 'Id must be a string');
    id = raw.Id;
  }

  const rawStatements = raw.Statement;
  if (rawStatements === undefined) fail('Syntax errors in policy.', undefined, 'missing Statement');
  const singleStatement = !Array.isArray(rawStatements);
  const list: unknown[] = Array.isArray(rawStatements) ? rawStatements : [rawStatements];
  if (list.length === 0) fail('Syntax errors in policy.', undefined, 'Statement is an empty array');

  const sids = new Set<string>();
  const statements = list.map((s, index) => parseStatement(s, index, kind, fail));
  for (const s of statements) {
    if (s.sid === undefined || s.sid === '') continue;
    if (sids.has(s.sid)) {
      fail('Statement IDs (SID) in a single policy must be unique.', s.index, `duplicate Sid \`${s.sid}\``);
    }
    sids.add(s.sid);
  }
  const doc: PolicyDocument = { version, versionGiven, singleStatement, statements };
  return id === undefined ? doc : { ...doc, id };
}

type Fail = (message: string, statement?: number, detail?: string) => never;

/** Builds the thrower for a kind: IAM/STS codes keep the message; ECR uses its one generic message. */
function failer(kind: PolicyKind): Fail {
  return (message, statement, detail) => {
    if (isEcrKind(kind)) {
      const what = kind === 'repository' ? 'repository' : 'registry';
      throw new PolicyError(
        'InvalidParameterException',
        `Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid ${what} policy provided'`,
        statement,
        detail ?? message,
      );
    }
    const code: PolicyErrorCode = 'MalformedPolicyDocument';
    throw new PolicyError(code, message, statement, detail);
  };
}

function parseStatement(raw: unknown, index: number, kind: PolicyKind, fail: Fail): Statement {
  if (!isObject(raw)) fail('Syntax errors in policy.', index, 'a statement is not a JSON object');
  for (const key of Object.keys(raw)) {
    if (!STATEMENT_FIELDS.has(key)) fail('Syntax errors in policy.', index, `unknown field \`${key}\``);
  }

  let sid: string | undefined;
  if (raw.Sid !== undefined) {
    if (typeof raw.Sid !== 'string') fail('Syntax errors in policy.', index, 'Sid must be a string');
    sid = raw.Sid;
    // IAM-managed documents allow only [0-9A-Za-z]; resource policies of other services (ECR) relax it.
    if (iamGrammar(kind) && !ALNUM.test(sid)) {
      fail(
        'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*',
        index,
      );
    }
  }

  if (raw.Effect === undefined) fail('Missing required field Effect', index);
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') {
    fail(`Invalid effect: ${String(raw.Effect)}`, index);
  }
  const effect: Effect = raw.Effect;

  // Principal rules per kind.
  const hasPrincipal = raw.Principal !== undefined;
  const hasNotPrincipal = raw.NotPrincipal !== undefined;
  if (hasPrincipal && hasNotPrincipal)
    fail('Syntax errors in policy.', index, 'both Principal and NotPrincipal');
  const principalAllowed =
    kind === 'trust' || kind === 'repository' || kind === 'registry' || kind === 'resource';
  if (!principalAllowed && kind !== 'rcp' && (hasPrincipal || hasNotPrincipal)) {
    if (kind === 'identity' || kind === 'boundary' || kind === 'session') {
      fail('Policy document should not specify a principal.', index);
    }
    fail('Syntax errors in policy.', index, 'Principal is not allowed here');
  }
  if (principalAllowed && !hasPrincipal && !hasNotPrincipal) {
    fail('Missing required field Principal', index);
  }
  if (hasNotPrincipal && kind === 'trust') fail('Has prohibited field NotPrincipal', index);
  let principal: PrincipalBlock | undefined;
  let notPrincipal: PrincipalBlock | undefined;
  if (hasPrincipal) principal = parsePrincipal(raw.Principal, index, kind, fail);
  if (hasNotPrincipal) notPrincipal = parsePrincipal(raw.NotPrincipal, index, kind, fail);

  // Action / NotAction: exactly one.
  if (raw.Action !== undefined && raw.NotAction !== undefined) {
    fail('Syntax errors in policy.', index, 'both Action and NotAction');
  }
  if (raw.Action === undefined && raw.NotAction === undefined)
    fail('Policy statement must contain actions.', index);
  const actionField = raw.Action !== undefined ? 'Action' : 'NotAction';
  const actions = stringList(raw[actionField], actionField, index, fail);
  for (const a of actions) validateAction(a, index, fail);

  // Resource / NotResource.
  if (raw.Resource !== undefined && raw.NotResource !== undefined) {
    fail('Syntax errors in policy.', index, 'both Resource and NotResource');
  }
  const hasResource = raw.Resource !== undefined || raw.NotResource !== undefined;
  if (hasResource && (kind === 'trust' || kind === 'repository')) {
    fail(`Has prohibited field ${raw.Resource !== undefined ? 'Resource' : 'NotResource'}`, index);
  }
  if (
    !hasResource &&
    (kind === 'identity' || kind === 'boundary' || kind === 'session' || kind === 'registry')
  ) {
    fail('Policy statement must contain resources.', index);
  }
  let resource: string[] | undefined;
  let notResource: string[] | undefined;
  if (raw.Resource !== undefined) resource = stringList(raw.Resource, 'Resource', index, fail);
  if (raw.NotResource !== undefined) notResource = stringList(raw.NotResource, 'NotResource', index, fail);
  for (const r of resource ?? notResource ?? []) validateResource(r, index, fail);

  let condition: Record<string, unknown> | undefined;
  if (raw.Condition !== undefined) {
    if (!isObject(raw.Condition)) fail('Syntax errors in policy.', index, 'Condition must be an object');
    if (Object.keys(raw.Condition).length > 0) condition = raw.Condition;
  }

  return {
    index,
    ...(sid !== undefined && { sid }),
    effect,
    ...(principal && { principal }),
    ...(notPrincipal && { notPrincipal }),
    ...(actionField === 'Action' ? { action: actions } : { notAction: actions }),
    ...(resource && { resource }),
    ...(notResource && { notResource }),
    ...(condition && { condition }),
  };
}

/** Documents IAM itself stores, whose Sids must be alphanumeric. */
function iamGrammar(kind: PolicyKind): boolean {
  return kind === 'identity' || kind === 'boundary' || kind === 'trust' || kind === 'session';
}

function parsePrincipal(raw: unknown, index: number, kind: PolicyKind, fail: Fail): PrincipalBlock {
  if (raw === '*') {
    // Role trust policies want the object form {"AWS":"*"} (aws-cdk#5746).
    if (kind === 'trust') fail('Invalid principal in policy: "*"', index);
    return { kind: 'wildcard' };
  }
  if (!isObject(raw)) fail('Syntax errors in policy.', index, 'Principal must be "*" or an object');
  const keys = Object.keys(raw);
  if (keys.length === 0) fail('Syntax errors in policy.', index, 'Principal is empty');
  const out: { -readonly [K in 'AWS' | 'Service' | 'Federated' | 'CanonicalUser']?: string[] } = {};
  for (const key of keys) {
    if (!PRINCIPAL_TYPES.has(key)) fail(`Invalid principal in policy: "${key}"`, index);
    const values = stringList(raw[key], 'Principal', index, fail);
    for (const v of values) validatePrincipalValue(key, v, index, fail);
    out[key as 'AWS'] = values;
  }
  return { kind: 'map', ...out };
}

function validatePrincipalValue(type: string, value: string, index: number, fail: Fail): void {
  const invalid = (): never => fail(`Invalid principal in policy: "${type}":"${value}"`, index);
  if (value === '*') return;
  if (value.includes('*') || value.includes('?')) invalid();
  if (type === 'AWS') {
    if (ACCOUNT_ID.test(value) || UNIQUE_ID.test(value)) return;
    if (IAM_PRINCIPAL_ARN.test(value) || STS_PRINCIPAL_ARN.test(value)) return;
    invalid();
  }
  if (value.trim() === '') invalid();
}

function validateAction(action: string, index: number, fail: Fail): void {
  if (action === '*') return;
  const colon = action.indexOf(':');
  if (colon <= 0) fail('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.', index);
  if (action.indexOf(':', colon + 1) !== -1) fail('Actions/Condition can contain only one colon.', index);
  const vendor = action.slice(0, colon);
  if (vendor.includes('*') || vendor.includes('?')) {
    fail('Action vendors (e.g., aws, ec2, etc.) must not contain wildcards', index);
  }
  if (!/^[A-Za-z0-9-]+$/.test(vendor))
    fail('Syntax errors in policy.', index, `bad action vendor in \`${action}\``);
}

function validateResource(resource: string, index: number, fail: Fail): void {
  if (resource === '*') return;
  // arn:partition:service:region:account:resource — at least five colons.
  let colons = 0;
  for (let i = 0; i < resource.length && colons < 5; i++) if (resource.charCodeAt(i) === 58) colons++;
  if (!resource.startsWith('arn:') || colons < 5)
    fail(`Resource ${resource} must be in ARN format or "*".`, index);
}

/** A string or a non-empty array of strings, normalised to an array. */
function stringList(raw: unknown, field: string, index: number, fail: Fail): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw) && raw.length > 0 && raw.every((v) => typeof v === 'string')) return raw as string[];
  return fail('Syntax errors in policy.', index, `${field} must be a string or a non-empty array of strings`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

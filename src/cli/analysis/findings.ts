/**
 * `crossdock lint` without the command line: validate a policy document exactly as AWS would (the
 * engine's parser, AWS's error code and message) and then look for the mistakes that make
 * cross-account ECR sharing either fail or grant too much. Pure: a document in, findings out, so
 * every finding is a table row in the unit tests.
 */
import {
  compileDocument,
  parsePolicy,
  policyHash,
  PolicyError,
  type CompiledPolicy,
  type CompiledStatement,
  type KeyLookup,
  type PolicyDocument,
  type PolicyKind,
  type Statement,
} from '../../iam/index.js';
import {
  actionDefinition,
  actionsMatching,
  isKnownAction,
  isKnownService,
  resourceTypeOf,
  SERVICE_CATALOGS,
} from '../../iam/data/ecrActions.js';

/** The document kinds `lint` understands (`--type`). */
export type LintType = 'repository' | 'identity' | 'trust' | 'registry';

/** The values `--type` accepts, for usage checks. */
export const LINT_TYPES: readonly LintType[] = ['repository', 'identity', 'trust', 'registry'];

/** How bad a finding is: `error` never does what was meant or opens access widely; `warning` deserves a look. */
export type Severity = 'error' | 'warning';

/** The closed set of findings; each id is stable so scripts can filter on it. */
export type FindingId =
  | 'root-principal'
  | 'public-principal'
  | 'not-principal-allow'
  | 'service-principal-without-source'
  | 'missing-get-authorization-token'
  | 'get-authorization-token-scoped'
  | 'unknown-action'
  | 'resource-in-repository-policy'
  | 'principal-not-found';

/** Which statement a message is about: its zero-based position and its Sid when it has one. */
export interface StatementRef {
  readonly index: number;
  readonly sid?: string;
}

/** One security or correctness finding. */
export interface Finding {
  readonly id: FindingId;
  readonly severity: Severity;
  /** Absent when the finding is about the document as a whole. */
  readonly statement?: StatementRef;
  /** One line: what is wrong here. */
  readonly message: string;
  /** The AWS rule the finding is about. */
  readonly rule: string;
}

/** AWS's refusal of the document, as the service that stores it would answer. */
export interface ValidationError {
  readonly code: string;
  readonly message: string;
  readonly statement?: StatementRef;
  /** The precise reason when AWS's message is generic (ECR's "Invalid repository policy provided"). */
  readonly detail?: string;
}

/** Everything `lint` says about one document. */
export interface LintResult {
  readonly type: LintType;
  /** True when `type` was guessed from the document rather than given. */
  readonly typeGuessed: boolean;
  readonly valid: boolean;
  readonly error?: ValidationError;
  readonly findings: readonly Finding[];
}

/** The rule texts, one per finding, so the output and the tests agree. */
export const RULES: Readonly<Record<FindingId, string>> = {
  'root-principal':
    'an account principal (arn:aws:iam::ACCOUNT:root or the bare account id) delegates to that ' +
    'account: every user and role whose own IAM policies allow the action gets it, not one role',
  'public-principal':
    'Principal "*" matches every principal of every AWS account (and anonymous callers where the ' +
    'service allows them); only a condition such as aws:PrincipalOrgID or aws:PrincipalAccount narrows it',
  'not-principal-allow':
    'NotPrincipal with Allow grants everyone except the listed principals; AWS supports NotPrincipal ' +
    'only to carve exceptions out of a Deny',
  'service-principal-without-source':
    'a service principal acts on behalf of any AWS account (the confused deputy problem); ' +
    'aws:SourceArn or aws:SourceAccount restricts it to your own resources',
  'missing-get-authorization-token':
    'registry clients log in with ecr:GetAuthorizationToken, which only an identity-based policy can ' +
    'grant and only on Resource "*"; pulling and pushing need it besides the repository actions',
  'get-authorization-token-scoped':
    'actions without a resource type (ecr:GetAuthorizationToken, ecr:DescribeRegistry, ...) are ' +
    'authorized on "*": only an identity-based statement whose Resource matches "*" grants them',
  'unknown-action':
    'IAM accepts action names it does not know when a policy is saved, and they then grant nothing',
  'resource-in-repository-policy':
    'a repository policy applies to its own repository and must not carry Resource or NotResource; ' +
    'ECR rejects it with InvalidParameterException (registry policies, which do carry Resource, are --type registry)',
  'principal-not-found':
    'AWS resolves every IAM user and role a resource or trust policy names to its unique id when the ' +
    "policy is saved: one that does not exist makes ECR refuse the whole policy ('Invalid repository " +
    "policy provided') and IAM refuse a trust policy ('Invalid principal in policy')",
};

const SEVERITY: Readonly<Record<FindingId, Severity>> = {
  'root-principal': 'warning',
  'public-principal': 'error',
  'not-principal-allow': 'error',
  'service-principal-without-source': 'warning',
  'missing-get-authorization-token': 'warning',
  'get-authorization-token-scoped': 'error',
  'unknown-action': 'warning',
  'resource-in-repository-policy': 'error',
  'principal-not-found': 'error',
};

/** What each lint type is parsed as by the engine. */
const KIND: Readonly<Record<LintType, PolicyKind>> = {
  repository: 'repository',
  identity: 'identity',
  trust: 'trust',
  registry: 'registry',
};

/** Registry-level actions: a Principal + Resource document naming them is a registry policy. */
const REGISTRY_ACTIONS = new Set([
  'ecr:replicateimage',
  'ecr:createrepository',
  'ecr:batchimportupstreamimage',
]);

/** The actions a registry client needs a login token for. */
const REGISTRY_CLIENT_ACTIONS = [
  'ecr:batchgetimage',
  'ecr:getdownloadurlforlayer',
  'ecr:putimage',
  'ecr:initiatelayerupload',
];

/** Condition keys that tie a service principal to the resource it acts for. */
const SOURCE_KEYS = new Set(['aws:sourcearn', 'aws:sourceaccount', 'aws:sourceorgid', 'aws:sourceorgpaths']);

const ACCOUNT_ID = /^\d{12}$/;
const ROOT_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;

/** A lookup with no keys: static checks must not depend on a request. */
const NO_KEYS: KeyLookup = { get: () => undefined };

/**
 * The kind a document most likely is when `--type` is absent: without any Principal it is an
 * identity policy; with one, a trust policy when every action is `sts:`, a registry policy when it
 * carries Resource and names a registry-level action, a repository policy otherwise.
 */
export function guessType(text: string): LintType {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'identity';
  }
  const list = isObject(raw) ? raw.Statement : undefined;
  const statements = (Array.isArray(list) ? list : [list]).filter(isObject);
  if (!statements.some((s) => s.Principal !== undefined || s.NotPrincipal !== undefined)) return 'identity';
  const actions = statements.flatMap((s) => strings(s.Action ?? s.NotAction)).map((a) => a.toLowerCase());
  if (actions.length > 0 && actions.every((a) => a.startsWith('sts:'))) return 'trust';
  const hasResource = statements.some((s) => s.Resource !== undefined || s.NotResource !== undefined);
  if (hasResource && actions.some((a) => REGISTRY_ACTIONS.has(a))) return 'registry';
  return 'repository';
}

/**
 * Validates `text` as a `type` document (guessed when absent) and reports the findings. A document
 * AWS would refuse is `valid: false` with AWS's error; a repository policy refused only because it
 * carries Resource is still analysed, so one run shows everything to fix.
 */
export function lintPolicy(text: string, type?: LintType): LintResult {
  const chosen = type ?? guessType(text);
  const typeGuessed = type === undefined;
  const raw = rawStatements(text);
  let doc: PolicyDocument;
  let error: ValidationError | undefined;
  const findings: Finding[] = [];
  try {
    doc = parsePolicy(text, { kind: KIND[chosen] });
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    error = validationError(e, raw);
    const withResource = chosen === 'repository' ? raw.filter((s) => s.hasResource) : [];
    if (withResource.length === 0) return { type: chosen, typeGuessed, valid: false, error, findings };
    for (const s of withResource) {
      findings.push(
        finding(
          'resource-in-repository-policy',
          s.ref,
          `statement ${show(s.ref)} has ${s.resourceField}: ECR refuses a repository policy that names resources`,
        ),
      );
    }
    // Analyse the rest as a resource policy, which allows Resource, so that one run reports everything.
    try {
      doc = parsePolicy(text, { kind: 'resource' });
    } catch {
      return { type: chosen, typeGuessed, valid: false, error, findings };
    }
  }
  let compiled: CompiledPolicy;
  try {
    compiled = compileDocument(doc, KIND[chosen], policyHash(text));
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    return { type: chosen, typeGuessed, valid: false, error: error ?? validationError(e, raw), findings };
  }
  findings.push(...analyse(chosen, doc, compiled));
  return error === undefined
    ? { type: chosen, typeGuessed, valid: true, findings }
    : { type: chosen, typeGuessed, valid: false, error, findings };
}

/** The security and correctness findings of a valid document. */
function analyse(type: LintType, doc: PolicyDocument, compiled: CompiledPolicy): Finding[] {
  const out: Finding[] = [];
  const resourcePolicy = type !== 'identity';
  for (const s of doc.statements) {
    const ref = refOf(s);
    out.push(...unknownActions(s, ref));
    if (!resourcePolicy || s.effect !== 'Allow') continue;
    if (s.notPrincipal !== undefined) {
      out.push(
        finding(
          'not-principal-allow',
          ref,
          `statement ${show(ref)} allows ${actionsText(s)} to everyone except ${principalsText(s.notPrincipal)}`,
        ),
      );
    }
    const p = s.principal;
    if (p === undefined) continue;
    const everyone = p.kind === 'wildcard' || (p.AWS ?? []).includes('*') || (p.Service ?? []).includes('*');
    if (everyone && s.condition === undefined) {
      out.push(
        finding(
          'public-principal',
          ref,
          `statement ${show(ref)} allows ${actionsText(s)} to any principal of any AWS account, with no condition`,
        ),
      );
    }
    if (p.kind !== 'map') continue;
    for (const v of p.AWS ?? []) {
      const account = ACCOUNT_ID.test(v) ? v : ROOT_ARN.exec(v)?.[1];
      if (account === undefined) continue;
      out.push(
        finding(
          'root-principal',
          ref,
          `statement ${show(ref)} names \`${v}\`: every user and role of account ${account} that its IAM ` +
            `policies allow gets ${actionsText(s)}; name the role (arn:aws:iam::${account}:role/NAME) that needs it`,
        ),
      );
    }
    // Role trust policies for EC2, Lambda, ECS... are how services assume roles; the confused
    // deputy concern is a service acting on a resource for someone else's account.
    if (type !== 'trust' && (p.Service ?? []).length > 0 && !hasSourceCondition(s)) {
      const services = (p.Service ?? []).filter((v) => v !== '*');
      if (services.length > 0) {
        out.push(
          finding(
            'service-principal-without-source',
            ref,
            `statement ${show(ref)} allows ${services.join(', ')} without an aws:SourceArn or aws:SourceAccount ` +
              'condition: the service may use it on behalf of any AWS account',
          ),
        );
      }
    }
  }
  out.push(...resourcelessActions(type, doc));
  if (type === 'identity') out.push(...missingLogin(doc, compiled, out));
  return out;
}

/** Actions of a catalogued service that do not exist, or patterns that match none. */
function unknownActions(s: Statement, ref: StatementRef): Finding[] {
  const out: Finding[] = [];
  for (const a of s.action ?? s.notAction ?? []) {
    if (a === '*') continue;
    const prefix = a.slice(0, a.indexOf(':'));
    if (!isKnownService(prefix)) continue;
    const wildcard = a.includes('*') || a.includes('?');
    if (wildcard ? actionsMatching(a).length > 0 : isKnownAction(a)) continue;
    const near = wildcard ? undefined : closestAction(a);
    out.push(
      finding(
        'unknown-action',
        ref,
        wildcard
          ? `statement ${show(ref)}: \`${a}\` matches no ${prefix} action`
          : `statement ${show(ref)}: \`${a}\` is not an action of ${serviceName(prefix)}` +
              (near !== undefined ? ` (did you mean \`${near}\`?)` : ''),
      ),
    );
  }
  return out;
}

/**
 * Statements that name an ECR action without a resource type (GetAuthorizationToken above all)
 * where it can never be granted: on a resource other than `*` in an identity policy, or at all in
 * a repository or registry policy (their resource is a repository).
 */
function resourcelessActions(type: LintType, doc: PolicyDocument): Finding[] {
  if (type === 'trust') return [];
  const out: Finding[] = [];
  for (const s of doc.statements) {
    if (s.effect !== 'Allow' || s.action === undefined) continue;
    const named = s.action.filter(
      (a) =>
        !a.includes('*') &&
        !a.includes('?') &&
        actionDefinition(a)?.service === 'ecr' &&
        resourceTypeOf(a) === '*',
    );
    if (named.length === 0) continue;
    const ref = refOf(s);
    const list = named.map((a) => spelled(a)).join(', ');
    if (type === 'identity') {
      if (s.resource?.includes('*') || (s.notResource !== undefined && !s.notResource.includes('*')))
        continue;
      const scope = (s.resource ?? s.notResource ?? []).join(', ');
      out.push(
        finding(
          'get-authorization-token-scoped',
          ref,
          `statement ${show(ref)} allows ${list} on ${scope}: it has no resource type, so this never grants it; ` +
            'use "Resource": "*" in a statement of its own',
        ),
      );
    } else {
      out.push(
        finding(
          'get-authorization-token-scoped',
          ref,
          `statement ${show(ref)} lists ${list}, which a ${type} policy cannot grant (it is authorized on "*"): ` +
            'the consumer\'s identity-based policy must allow it on "*"',
          // Harmless where it is, but a sign the consumer side was forgotten.
          'warning',
        ),
      );
    }
  }
  return out;
}

/** An identity policy that pulls or pushes but never lets its holder log in to the registry. */
function missingLogin(doc: PolicyDocument, compiled: CompiledPolicy, already: readonly Finding[]): Finding[] {
  if (already.some((f) => f.id === 'get-authorization-token-scoped')) return [];
  const allows = (s: CompiledStatement, lowerAction: string): boolean =>
    s.effect === 'Allow' && s.matchesAction(lowerAction);
  const client = compiled.statements.find((s) => REGISTRY_CLIENT_ACTIONS.some((a) => allows(s, a)));
  if (client === undefined) return [];
  const login = compiled.statements.some(
    (s) =>
      allows(s, 'ecr:getauthorizationtoken') &&
      (s.matchesResource === undefined || s.matchesResource('*', NO_KEYS)),
  );
  if (login) return [];
  const st = doc.statements[client.index] as Statement;
  const ref = refOf(st);
  return [
    finding(
      'missing-get-authorization-token',
      ref,
      `statement ${show(ref)} allows registry actions but no statement allows ecr:GetAuthorizationToken on "*": ` +
        'docker/skopeo login fails unless another policy of the same principal grants it',
    ),
  ];
}

function hasSourceCondition(s: Statement): boolean {
  for (const body of Object.values(s.condition ?? {})) {
    if (!isObject(body)) continue;
    for (const key of Object.keys(body)) if (SOURCE_KEYS.has(key.toLowerCase())) return true;
  }
  return false;
}

function finding(
  id: FindingId,
  statement: StatementRef | undefined,
  message: string,
  severity: Severity = SEVERITY[id],
): Finding {
  return statement === undefined
    ? { id, severity, message, rule: RULES[id] }
    : { id, severity, statement, message, rule: RULES[id] };
}

function refOf(s: Statement): StatementRef {
  return s.sid !== undefined && s.sid !== '' ? { index: s.index, sid: s.sid } : { index: s.index };
}

/** `#0 "AllowPull"`, or `#0` without a Sid: how every message points at a statement. */
export function show(ref: StatementRef): string {
  return ref.sid !== undefined ? `#${ref.index} "${ref.sid}"` : `#${ref.index}`;
}

function actionsText(s: Statement): string {
  if (s.notAction !== undefined) return `every action except ${s.notAction.join(', ')}`;
  const a = s.action ?? [];
  return a.length <= 3 ? a.join(', ') : `${a.slice(0, 3).join(', ')} and ${a.length - 3} more`;
}

function principalsText(p: Statement['notPrincipal']): string {
  if (p === undefined || p.kind === 'wildcard') return '"*"';
  return [...(p.AWS ?? []), ...(p.Service ?? []), ...(p.Federated ?? [])].join(', ');
}

/** AWS's spelling of a catalogued action. */
function spelled(action: string): string {
  return actionDefinition(action)?.action ?? action;
}

function serviceName(prefix: string): string {
  return SERVICE_CATALOGS.find((c) => c.prefix === prefix.toLowerCase())?.name ?? prefix;
}

/** The candidate nearest to `name` (case-insensitive), at most 3 edits away; undefined when none is that near. */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** The catalogued action of the same service nearest to a misspelled one (at most 3 edits away). */
function closestAction(action: string): string | undefined {
  const colon = action.indexOf(':');
  const prefix = action.slice(0, colon).toLowerCase();
  const name = action.slice(colon + 1).toLowerCase();
  let best: string | undefined;
  let bestDistance = 4;
  for (const def of SERVICE_CATALOGS.find((c) => c.prefix === prefix)?.actions ?? []) {
    const d = editDistance(name, def.name.toLowerCase());
    if (d < bestDistance) {
      best = def.action;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/** The raw statements, for Sids and fields of a document the engine refused. */
interface RawStatement {
  readonly ref: StatementRef;
  readonly hasResource: boolean;
  readonly resourceField: 'Resource' | 'NotResource';
}

function rawStatements(text: string): RawStatement[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  if (!isObject(raw) || raw.Statement === undefined) return [];
  const list: unknown[] = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  return list.map((s, index) => {
    const o = isObject(s) ? s : {};
    const sid = typeof o.Sid === 'string' && o.Sid !== '' ? o.Sid : undefined;
    return {
      ref: sid !== undefined ? { index, sid } : { index },
      hasResource: o.Resource !== undefined || o.NotResource !== undefined,
      resourceField: o.Resource !== undefined ? 'Resource' : 'NotResource',
    };
  });
}

function validationError(e: PolicyError, raw: readonly RawStatement[]): ValidationError {
  const statement = e.statement !== undefined ? (raw[e.statement]?.ref ?? { index: e.statement }) : undefined;
  return {
    code: e.code,
    message: e.message,
    ...(statement !== undefined && { statement }),
    ...(e.detail !== undefined && e.detail !== e.message && { detail: e.detail }),
  };
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An IAM user or role that a document names as a principal (Principal or NotPrincipal, `AWS`). */
export interface NamedPrincipal {
  readonly statement: StatementRef;
  readonly arn: string;
  readonly accountId: string;
  readonly kind: 'user' | 'role';
  /** The name, without the path. */
  readonly name: string;
}

const IAM_ENTITY_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):(user|role)\/(?:[^/]*\/)*([^/]+)$/;

/**
 * The IAM users and roles a document names by ARN, in document order, each once per statement;
 * what `lint --profile` looks up. Accounts, services, `*` and session ARNs name no IAM entity.
 */
export function namedPrincipals(text: string): NamedPrincipal[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  if (!isObject(raw) || raw.Statement === undefined) return [];
  const list: unknown[] = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  const out: NamedPrincipal[] = [];
  list.forEach((s, index) => {
    if (!isObject(s)) return;
    const sid = typeof s.Sid === 'string' && s.Sid !== '' ? s.Sid : undefined;
    const statement: StatementRef = sid !== undefined ? { index, sid } : { index };
    const seen = new Set<string>();
    for (const field of ['Principal', 'NotPrincipal']) {
      const p = s[field];
      if (!isObject(p)) continue;
      for (const arn of strings(p.AWS)) {
        const m = IAM_ENTITY_ARN.exec(arn);
        if (m === null || seen.has(arn)) continue;
        seen.add(arn);
        out.push({
          statement,
          arn,
          accountId: m[1] as string,
          kind: m[2] as 'user' | 'role',
          name: m[3] as string,
        });
      }
    }
  });
  return out;
}

/** A named principal that a lookup did not find, with the nearest ARN that exists when one is close. */
export interface MissingPrincipal {
  readonly principal: NamedPrincipal;
  readonly near?: string;
}

/**
 * The lint result once the named principals were looked up: each missing one is a
 * `principal-not-found` finding, and the document becomes invalid with the error the service that
 * stores it answers (ECR's generic sentence, with the real reason in `detail`; IAM's
 * `Invalid principal in policy`), as the server and AWS refuse it.
 */
export function withMissingPrincipals(result: LintResult, missing: readonly MissingPrincipal[]): LintResult {
  if (missing.length === 0) return result;
  const findings = [
    ...result.findings,
    ...missing.map(({ principal: p, near }) =>
      finding(
        'principal-not-found',
        p.statement,
        `statement ${show(p.statement)} names \`${p.arn}\`, but account ${p.accountId} has no such ${p.kind}` +
          (near !== undefined ? ` (did you mean \`${near}\`?)` : ''),
      ),
    ),
  ];
  if (result.error !== undefined || result.type === 'identity') return { ...result, findings };
  const first = missing[0] as MissingPrincipal;
  const detail = `${first.principal.kind} \`${first.principal.arn}\` does not exist`;
  const error: ValidationError =
    result.type === 'trust'
      ? {
          code: 'MalformedPolicyDocument',
          message: `Invalid principal in policy: "AWS":"${first.principal.arn}"`,
          statement: first.principal.statement,
        }
      : {
          code: 'InvalidParameterException',
          message: `Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid ${result.type} policy provided'`,
          statement: first.principal.statement,
          detail,
        };
  return { ...result, valid: false, error, findings };
}

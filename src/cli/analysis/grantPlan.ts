/**
 * `crossdock grant` without the network: from "let this principal pull (or push) this repository"
 * work out the least-privilege statements each side needs (the repository policy in the owner's
 * account, the consumer's identity policy, or with `viaRole` a role in the owner's account that the
 * consumer assumes, as seed 000 sets up by hand), merge them by Sid into the documents that exist
 * without touching anyone else's statements, and check every resulting document with the engine.
 * Pure: documents in, documents out, so the merge rules are table rows in the unit tests.
 */
import { lintPolicy, type Finding, type ValidationError } from './findings.js';
import type { PrincipalTarget, RepositoryTarget } from './targets.js';

/** What the grantee may do: pull only, or pull and push. */
export type GrantAccess = 'pull' | 'push';

/** The repository actions a pull needs (what `docker pull` calls on the repository). */
export const PULL_REPOSITORY_ACTIONS: readonly string[] = [
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchCheckLayerAvailability',
];

/** The repository actions a push adds to a pull (what `docker push` calls besides). */
export const PUSH_REPOSITORY_ACTIONS: readonly string[] = [
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
];

/** The name of the inline policy grant writes on users and roles, so a rerun finds its own. */
export const GRANT_POLICY_NAME = 'crossdock-ecr';

/** Everything one `grant` asks for, already parsed. */
export interface GrantSpec {
  readonly repository: RepositoryTarget;
  /** The grantee; absent only with `orgId` (every principal of the organization). */
  readonly to?: PrincipalTarget;
  readonly access: GrantAccess;
  /** A role of the repository's account that the grantee assumes (seed 000), instead of a repository policy. */
  readonly viaRole?: string;
  /** Principal tags the grantee must carry (`aws:PrincipalTag/K` StringEquals V). */
  readonly conditionTags?: Readonly<Record<string, string>>;
  /** Any principal of this organization (`aws:PrincipalOrgID`, Principal "*"). */
  readonly orgId?: string;
  /** An AWS service pulling on behalf of a resource (Lambda's container images). */
  readonly service?: { readonly name: string; readonly sourceArn: string };
}

/** A grant the command line cannot express; the message says what to change. */
export class GrantSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GrantSpecError';
  }
}

/** The documents grant writes, and where each lives. */
export type DocumentPlace =
  | { readonly type: 'repository-policy'; readonly registryId: string; readonly repositoryName: string }
  | {
      readonly type: 'inline-policy';
      readonly entity: 'user' | 'role';
      readonly entityName: string;
      readonly policyName: string;
    }
  | { readonly type: 'trust-policy'; readonly roleName: string };

/** A JSON statement as written in a policy document. */
export type StatementJson = Readonly<Record<string, unknown>>;

/** One document to bring to the desired statements: whose, where, and the statements (each with a Sid). */
export interface PlannedDocument {
  readonly id: string;
  /** Who holds it: the repository's account or the grantee's. */
  readonly side: 'owner' | 'consumer';
  readonly account: string;
  readonly kind: 'repository' | 'identity' | 'trust';
  readonly place: DocumentPlace;
  /** In words, for the report. */
  readonly label: string;
  readonly statements: readonly StatementJson[];
}

/** The plan before it meets what exists: the documents and what the user should know. */
export interface GrantPlan {
  readonly documents: readonly PlannedDocument[];
  readonly notes: readonly string[];
}

/** The actions of an access level, pull actions first. */
export function actionsFor(access: GrantAccess): string[] {
  return access === 'push'
    ? [...PULL_REPOSITORY_ACTIONS, ...PUSH_REPOSITORY_ACTIONS]
    : [...PULL_REPOSITORY_ACTIONS];
}

/** An IAM Sid from words: IAM accepts only `[0-9A-Za-z]`, so separators become capitals. */
export function iamSid(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split(/[^0-9A-Za-z]+/))
    .filter((w) => w !== '')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** The part of a repository-policy Sid that names the grantee, so two grantees never share one. */
function granteeSlug(spec: GrantSpec): string {
  if (spec.orgId !== undefined) return `org-${spec.orgId}`;
  const to = spec.to as PrincipalTarget;
  return to.kind === 'root' ? to.accountId : `${to.accountId}-${to.kind}-${to.name}`;
}

function principalTagCondition(tags: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) out[`aws:PrincipalTag/${k}`] = v;
  return out;
}

/** The Condition block for the grantee: its organization and its tags, or none. */
function granteeCondition(spec: GrantSpec): Record<string, Record<string, string>> | undefined {
  const equals: Record<string, string> = {
    ...(spec.orgId !== undefined && { 'aws:PrincipalOrgID': spec.orgId }),
    ...principalTagCondition(spec.conditionTags),
  };
  return Object.keys(equals).length > 0 ? { StringEquals: equals } : undefined;
}

const SERVICE_NAME = /^[a-z][a-z0-9-]*$/;
const SOURCE_ARN = /^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12}):.+$/;

/** Checks the combinations of flags that make no sense before anything is computed. */
function check(spec: GrantSpec): void {
  const to = spec.to;
  if (to === undefined && spec.orgId === undefined) throw new GrantSpecError('--to is required (or --org)');
  if (to?.kind === 'session')
    throw new GrantSpecError(
      `\`${to.arn}\` is a role session: grant to its role, arn:aws:iam::${to.accountId}:role/${to.name} (with its path, if any)`,
    );
  if (spec.orgId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(spec.orgId))
    throw new GrantSpecError(`\`${spec.orgId}\` is not an organization id (o-xxxxxxxxxx)`);
  if (spec.viaRole !== undefined) {
    if (!/^[\w+=,.@-]{1,64}$/.test(spec.viaRole))
      throw new GrantSpecError(`\`${spec.viaRole}\` is not a role name`);
    if (spec.service !== undefined)
      throw new GrantSpecError(
        '--service grants a service through the repository policy; it does not go with --via-role',
      );
  }
  if (spec.service !== undefined) {
    if (!SERVICE_NAME.test(spec.service.name))
      throw new GrantSpecError(`\`${spec.service.name}\` is not a service name (e.g. lambda)`);
    if (!SOURCE_ARN.test(spec.service.sourceArn))
      throw new GrantSpecError(
        `\`${spec.service.sourceArn}\` is not an ARN with an account (arn:aws:lambda:REGION:ACCOUNT:function:NAME)`,
      );
  }
  for (const [k, v] of Object.entries(spec.conditionTags ?? {}))
    if (k === '' || v === '') throw new GrantSpecError(`--condition-tag takes KEY=VALUE, got \`${k}=${v}\``);
}

/**
 * The documents a grant needs, each with only the statements grant owns:
 *
 * - direct: a repository-policy statement naming the grantee (or Principal "*" with
 *   `aws:PrincipalOrgID`), and for a user or role the identity side too (log in on "*", the
 *   repository actions on the repository's ARN), because cross-account access needs both sides;
 * - `viaRole`: a role in the owner's account trusting the grantee, with the same identity
 *   statements; the grantee gets only `sts:AssumeRole` on that role. Inside one account the role's
 *   own policy is enough, so the repository policy is left alone;
 * - `service`: a statement for the service principal restricted by `aws:SourceArn` and
 *   `aws:SourceAccount` (the confused-deputy guard).
 */
export function planGrant(spec: GrantSpec): GrantPlan {
  check(spec);
  const repo = spec.repository;
  const actions = actionsFor(spec.access);
  const to = spec.to;
  const notes: string[] = [];
  const documents: PlannedDocument[] = [];
  const condition = granteeCondition(spec);
  const identityStatements: StatementJson[] = [
    { Sid: 'CrossdockLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    {
      Sid: iamSid('Crossdock', spec.access, repo.accountId, repo.name),
      Effect: 'Allow',
      Action: actions,
      Resource: repo.arn,
    },
  ];
  const repositoryPlace: DocumentPlace = {
    type: 'repository-policy',
    registryId: repo.accountId,
    repositoryName: repo.name,
  };
  const repositoryLabel = `repository policy of \`${repo.name}\` (account ${repo.accountId})`;

  if (spec.viaRole !== undefined) {
    const role = spec.viaRole;
    const roleArn = `arn:aws:iam::${repo.accountId}:role/${role}`;
    const principal = spec.orgId !== undefined ? { AWS: '*' } : { AWS: (to as PrincipalTarget).arn };
    documents.push({
      id: 'role-trust',
      side: 'owner',
      account: repo.accountId,
      kind: 'trust',
      place: { type: 'trust-policy', roleName: role },
      label: `trust policy of role \`${role}\` (account ${repo.accountId})`,
      statements: [
        {
          Sid: iamSid('CrossdockTrust', granteeSlug(spec)),
          Effect: 'Allow',
          Principal: principal,
          Action: 'sts:AssumeRole',
          ...(condition !== undefined && { Condition: condition }),
        },
      ],
    });
    documents.push({
      id: 'role-policy',
      side: 'owner',
      account: repo.accountId,
      kind: 'identity',
      place: { type: 'inline-policy', entity: 'role', entityName: role, policyName: GRANT_POLICY_NAME },
      label: `inline policy \`${GRANT_POLICY_NAME}\` of role \`${role}\` (account ${repo.accountId})`,
      statements: identityStatements,
    });
    if (to !== undefined && (to.kind === 'user' || to.kind === 'role')) {
      documents.push({
        id: 'consumer-policy',
        side: 'consumer',
        account: to.accountId,
        kind: 'identity',
        place: { type: 'inline-policy', entity: to.kind, entityName: to.name, policyName: GRANT_POLICY_NAME },
        label: `inline policy \`${GRANT_POLICY_NAME}\` of ${to.kind} \`${to.name}\` (account ${to.accountId})`,
        statements: [
          {
            Sid: iamSid('CrossdockAssume', repo.accountId, role),
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Resource: roleArn,
          },
        ],
      });
    } else if (to?.kind === 'root') {
      notes.push(
        `account ${to.accountId} must still allow its users or roles sts:AssumeRole on ${roleArn} in their own IAM policies`,
      );
    }
    return { documents, notes };
  }

  const resourceStatements: StatementJson[] = [
    {
      Sid: `crossdock-${spec.access}-${granteeSlug(spec)}`,
      Effect: 'Allow',
      Principal: spec.orgId !== undefined ? '*' : { AWS: (to as PrincipalTarget).arn },
      Action: actions,
      ...(condition !== undefined && { Condition: condition }),
    },
  ];
  if (spec.service !== undefined) {
    const sourceAccount = (SOURCE_ARN.exec(spec.service.sourceArn) as RegExpExecArray)[3] as string;
    resourceStatements.push({
      Sid: `crossdock-${spec.service.name}-pull-${sourceAccount}`,
      Effect: 'Allow',
      Principal: { Service: `${spec.service.name}.amazonaws.com` },
      Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Condition: {
        ArnLike: { 'aws:SourceArn': spec.service.sourceArn },
        StringEquals: { 'aws:SourceAccount': sourceAccount },
      },
    });
  }
  documents.push({
    id: 'repository-policy',
    side: 'owner',
    account: repo.accountId,
    kind: 'repository',
    place: repositoryPlace,
    label: repositoryLabel,
    statements: resourceStatements,
  });
  if (to !== undefined && (to.kind === 'user' || to.kind === 'role')) {
    documents.push({
      id: 'consumer-policy',
      side: 'consumer',
      account: to.accountId,
      kind: 'identity',
      place: { type: 'inline-policy', entity: to.kind, entityName: to.name, policyName: GRANT_POLICY_NAME },
      label: `inline policy \`${GRANT_POLICY_NAME}\` of ${to.kind} \`${to.name}\` (account ${to.accountId})`,
      statements: identityStatements,
    });
  } else {
    const who = to !== undefined ? `account ${to.accountId}` : `each account of ${spec.orgId}`;
    notes.push(
      `${who} must still allow its users or roles ecr:GetAuthorizationToken on "*" and ${actions.join(', ')} on ${repo.arn} in their own IAM policies`,
    );
  }
  return { documents, notes };
}

/** How a document changes: created, some statements added or replaced, or left as it is. */
export type ChangeKind = 'create' | 'update' | 'none';

/** A planned document met with what exists. */
export interface MergedDocument {
  readonly change: ChangeKind;
  /** The whole document to write (the existing text when nothing changes). */
  readonly text: string;
  readonly added: readonly string[];
  /** Sids whose statement exists but differs; `before` holds the old ones. */
  readonly replaced: readonly string[];
  readonly before: Readonly<Record<string, unknown>>;
}

/** Thrown when an existing document is not JSON grant can merge into. */
export class UnmergeableDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnmergeableDocumentError';
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Fields whose string value is never a list. */
const SCALAR_KEYS: ReadonlySet<string> = new Set(['Sid', 'Effect', 'Version']);

/**
 * A statement in a form where equal meaning gives equal JSON: keys sorted, a lone string and a
 * one-element list alike, lists of strings sorted and without repeats. Services give documents back
 * reformatted, so comparing the text would report a change on every run.
 */
export function canonicalStatement(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonicalStatement);
    if (items.every((i) => typeof i === 'string')) return [...new Set(items as string[])].sort();
    return items;
  }
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = value[k];
      // A list-valued field written as one string reads the same as a one-element list.
      const listValued = typeof v === 'string' && !SCALAR_KEYS.has(k) && !(k === 'Principal' && v === '*');
      out[k] = listValued ? [v] : canonicalStatement(v);
    }
    return out;
  }
  return value;
}

/** Whether two statements mean the same, formatting aside. */
export function sameStatement(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonicalStatement(a)) === JSON.stringify(canonicalStatement(b));
}

/**
 * Merges `desired` into the `existing` document by Sid: a statement with the same Sid is replaced
 * in place when it differs, a new one is appended, and every other statement stays as it was, in
 * its place. Running it again on its own output changes nothing.
 */
export function mergeStatements(
  existing: string | undefined,
  desired: readonly StatementJson[],
): MergedDocument {
  if (existing === undefined || existing.trim() === '') {
    const doc = { Version: '2012-10-17', Statement: desired };
    return {
      change: 'create',
      text: JSON.stringify(doc, null, 2),
      added: desired.map((s) => String(s.Sid)),
      replaced: [],
      before: {},
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(existing);
  } catch (e) {
    throw new UnmergeableDocumentError(`the existing document is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new UnmergeableDocumentError('the existing document is not a JSON object');
  const list =
    raw.Statement === undefined ? [] : Array.isArray(raw.Statement) ? [...raw.Statement] : [raw.Statement];
  const added: string[] = [];
  const replaced: string[] = [];
  const before: Record<string, unknown> = {};
  for (const s of desired) {
    const sid = String(s.Sid);
    const at = list.findIndex((x) => isObject(x) && x.Sid === sid);
    if (at === -1) {
      list.push(s);
      added.push(sid);
    } else if (!sameStatement(list[at], s)) {
      before[sid] = list[at];
      list[at] = s;
      replaced.push(sid);
    }
  }
  if (added.length === 0 && replaced.length === 0)
    return { change: 'none', text: existing, added, replaced, before };
  const doc = { ...raw, Version: raw.Version ?? '2012-10-17', Statement: list };
  return { change: 'update', text: JSON.stringify(doc, null, 2), added, replaced, before };
}

/** The engine's verdict on a document grant is about to write. */
export interface DocumentCheck {
  readonly valid: boolean;
  readonly error?: ValidationError;
  /** Findings about grant's own statements (another author's statements are not grant's business). */
  readonly findings: readonly Finding[];
}

/**
 * Validates a merged document as the service that stores it would (the engine's parser, AWS's
 * error) and keeps the lint findings about the statements grant wrote, so nothing AWS would refuse
 * or that opens more than was asked is applied silently.
 */
export function checkDocument(
  text: string,
  kind: PlannedDocument['kind'],
  sids: readonly string[],
): DocumentCheck {
  const r = lintPolicy(text, kind);
  const ours = new Set(sids);
  const findings = r.findings.filter((f) => f.statement?.sid !== undefined && ours.has(f.statement.sid));
  return { valid: r.valid, ...(r.error !== undefined && { error: r.error }), findings };
}

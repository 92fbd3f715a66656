/**
 * `crossdock access` without the network: given what was read from each account whose
 * credentials were given (repositories with their policies and tags, the registry policy, IAM
 * users and roles with their policies), decide for every principal and repository whether the
 * principal can pull and push, with the engine, as AWS would (same-account union, cross-account
 * intersection). Principals that repository policies name in accounts nobody gave credentials for
 * are decided on the resource side alone (their identity side is unknown), and `Principal: "*"`
 * grants are decided for an outsider: that is the public finding, as IAM Access Analyzer reports
 * external access. Pure: snapshots in, rows out, so every rule is a table row in the unit tests.
 */
import {
  PolicyCache,
  type ContextValue,
  type PrincipalMatch,
  type RequestPrincipal,
} from '../../iam/index.js';
import { decideAccess, type AccessInputs, type FetchedPolicy } from './access.js';
import type { RepositoryTarget } from './targets.js';

/** What a pull needs: the login token (on `*`, identity side only) and the two image reads. */
export const PULL_MATRIX_ACTIONS: readonly string[] = [
  'ecr:GetAuthorizationToken',
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
];

/** What a push needs: the login token, the layer upload steps and the manifest write. */
export const PUSH_MATRIX_ACTIONS: readonly string[] = [
  'ecr:GetAuthorizationToken',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
  'ecr:BatchCheckLayerAvailability',
];

/** An IAM user or role as read from its account: who it is and every policy on its identity side. */
export interface KnownPrincipal {
  readonly kind: 'user' | 'role';
  /** The IAM ARN, with its path. */
  readonly arn: string;
  readonly accountId: string;
  readonly name: string;
  readonly uniqueId?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly identity: readonly FetchedPolicy[];
  readonly boundary?: FetchedPolicy;
}

/** A repository as read from its account. */
export interface RepositorySnapshot {
  readonly target: RepositoryTarget;
  readonly policy?: FetchedPolicy;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Everything read with one account's credentials. */
export interface AccountSnapshot {
  readonly accountId: string;
  /** The account's organization (`aws:PrincipalOrgID` of its principals), when it is in one. */
  readonly orgId?: string;
  readonly principals: readonly KnownPrincipal[];
  readonly repositories: readonly RepositorySnapshot[];
  readonly registryPolicy?: FetchedPolicy;
  /** SCP levels that apply to the account's principals, when they could be read and apply. */
  readonly scp?: readonly (readonly FetchedPolicy[])[];
  /** RCP levels that apply to the account's repositories. */
  readonly rcp?: readonly (readonly FetchedPolicy[])[];
}

/**
 * Why a row deserves a look: `external` (the principal is of another account), `public` (anyone
 * outside the organization), `organization` (anyone in the owner's organization), `identity-unknown`
 * (no credentials for the principal's account: only the resource side was decided), `via-wildcard`
 * (a known principal of another account gets in only through a `Principal: "*"` grant).
 */
export type AccessFlag = 'external' | 'public' | 'organization' | 'identity-unknown' | 'via-wildcard';

/** What a row's principal is. */
export type RowPrincipalKind = 'user' | 'role' | 'session' | 'account' | 'public' | 'organization';

/** One principal that can pull or push one repository. */
export interface MatrixRow {
  readonly repository: string;
  readonly repositoryName: string;
  readonly repositoryAccount: string;
  /** The principal as a policy names it: an IAM ARN, `arn:aws:iam::X:root`, or `*`. */
  readonly principal: string;
  /** Absent for `*`. */
  readonly principalAccount?: string;
  readonly kind: RowPrincipalKind;
  readonly pull: boolean;
  readonly push: boolean;
  readonly flags: readonly AccessFlag[];
  /** A caveat in words (set for `identity-unknown`, `public` and `organization` rows). */
  readonly note?: string;
}

/** Something that could not take part in the matrix, and why. */
export interface MatrixProblem {
  readonly what: string;
  readonly why: string;
}

/** The matrix: rows sorted by repository, then principal. */
export interface AccessMatrix {
  readonly rows: readonly MatrixRow[];
  readonly problems: readonly MatrixProblem[];
}

/** Options of {@link buildMatrix}. */
export interface MatrixOptions {
  /** Only the repositories of these accounts (`--account`); every account's when absent. */
  readonly repositoryAccounts?: readonly string[];
  /** Global keys of the requests (aws:CurrentTime, aws:RequestedRegion, ...). */
  readonly context?: Readonly<Record<string, ContextValue>>;
}

/** The session name a role is decided with (a role is any of its sessions). */
export const MATRIX_SESSION = 'crossdock-access';

/** An account id that no real account has: the outsider a `*` grant is decided for. */
const OUTSIDER = '000000000000';

/** The identity side assumed for a principal whose account was not read: everything allowed. */
const ASSUMED_IDENTITY: FetchedPolicy = {
  id: 'assumed-identity',
  label: 'the identity side of a principal of an account that was not read (assumed to allow)',
  text: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
  origin: { kind: 'new' },
};

const ACCOUNT_ID = /^\d{12}$/;
const IAM_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):(root|user\/.+|role\/.+)$/;
const SESSION_ARN = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;

/** The request principal of a known user, or of a session of a known role. */
export function requestPrincipalOf(p: KnownPrincipal, orgId?: string): RequestPrincipal {
  const org = orgId !== undefined ? { orgId } : {};
  const tags = p.tags !== undefined ? { tags: p.tags } : {};
  if (p.kind === 'user')
    return {
      type: 'User',
      arn: p.arn,
      account: p.accountId,
      principalArn: p.arn,
      ...(p.uniqueId !== undefined && { uniqueId: p.uniqueId, userId: p.uniqueId }),
      userName: p.name,
      ...tags,
      ...org,
    };
  return {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${p.accountId}:assumed-role/${p.name}/${MATRIX_SESSION}`,
    account: p.accountId,
    principalArn: p.arn,
    ...(p.uniqueId !== undefined && { uniqueId: p.uniqueId, userId: `${p.uniqueId}:${MATRIX_SESSION}` }),
    ...tags,
    ...org,
  };
}

/** A principal that a resource policy names, as read from the policy text. */
export interface NamedPrincipal {
  readonly kind: 'user' | 'role' | 'session' | 'account' | 'wildcard' | 'unique-id' | 'other';
  /** As written, except that a bare account id becomes its root ARN. */
  readonly value: string;
  readonly accountId?: string;
}

/** Every `AWS` principal the Allow statements of a resource policy name (`Principal: "*"` included). */
export function namedPrincipals(text: string): NamedPrincipal[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const raw = (doc as { Statement?: unknown }).Statement;
  const statements = Array.isArray(raw) ? raw : raw !== undefined ? [raw] : [];
  const out: NamedPrincipal[] = [];
  for (const s of statements as Record<string, unknown>[]) {
    if (typeof s !== 'object' || s === null || s.Effect !== 'Allow') continue;
    // An Allow with NotPrincipal allows everyone but the listed: as open as "*".
    if (s.NotPrincipal !== undefined) {
      out.push({ kind: 'wildcard', value: '*' });
      continue;
    }
    const p = s.Principal;
    const values: string[] =
      p === '*'
        ? ['*']
        : typeof p === 'object' && p !== null
          ? [(p as Record<string, unknown>).AWS].flat().filter((v): v is string => typeof v === 'string')
          : [];
    for (const v of values) out.push(classify(v));
  }
  return out;
}

function classify(v: string): NamedPrincipal {
  if (v === '*') return { kind: 'wildcard', value: '*' };
  if (ACCOUNT_ID.test(v)) return { kind: 'account', value: `arn:aws:iam::${v}:root`, accountId: v };
  const iam = IAM_ARN.exec(v);
  if (iam !== null) {
    const accountId = iam[1] as string;
    const rest = iam[2] as string;
    const kind = rest === 'root' ? 'account' : rest.startsWith('user/') ? 'user' : 'role';
    return { kind, value: v, accountId };
  }
  const session = SESSION_ARN.exec(v);
  if (session !== null) return { kind: 'session', value: v, accountId: session[1] as string };
  if (/^(AIDA|AROA)[A-Z0-9]+$/.test(v)) return { kind: 'unique-id', value: v };
  return { kind: 'other', value: v };
}

/** The request principal standing for a named principal of an account that was not read. */
function stranger(n: NamedPrincipal, orgId?: string): RequestPrincipal | undefined {
  const account = n.accountId ?? OUTSIDER;
  const org = orgId !== undefined ? { orgId } : {};
  switch (n.kind) {
    case 'user': {
      const name = n.value.slice(n.value.lastIndexOf('/') + 1);
      return { type: 'User', arn: n.value, account, principalArn: n.value, userName: name, ...org };
    }
    case 'role': {
      const name = n.value.slice(n.value.lastIndexOf('/') + 1);
      return {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${account}:assumed-role/${name}/${MATRIX_SESSION}`,
        account,
        principalArn: n.value,
        ...org,
      };
    }
    case 'session': {
      const m = SESSION_ARN.exec(n.value) as RegExpExecArray;
      return {
        type: 'AssumedRole',
        arn: n.value,
        account,
        principalArn: `arn:aws:iam::${account}:role/${m[2] as string}`,
        ...org,
      };
    }
    case 'account':
    case 'wildcard':
      // Any role of the account: an account principal is a delegation to the account's IAM.
      return {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${account}:assumed-role/any/${MATRIX_SESSION}`,
        account,
        principalArn: `arn:aws:iam::${account}:role/any`,
        ...org,
      };
    default:
      return undefined;
  }
}

interface Decided {
  readonly pull: boolean;
  readonly push: boolean;
  /** How the resource side named the caller for a cross-account allow. */
  readonly grant?: PrincipalMatch;
}

const ALL_ACTIONS = [...new Set([...PULL_MATRIX_ACTIONS, ...PUSH_MATRIX_ACTIONS])];

function decidePair(inputs: AccessInputs, cache: PolicyCache): Decided {
  const results = decideAccess(inputs, ALL_ACTIONS, cache);
  const allowed = new Map(ALL_ACTIONS.map((a, i) => [a, results[i]?.decision === 'Allow']));
  const pull = PULL_MATRIX_ACTIONS.every((a) => allowed.get(a) === true);
  const push = PUSH_MATRIX_ACTIONS.every((a) => allowed.get(a) === true);
  const grant = results
    .filter((r) => r.decision === 'Allow' && r.crossAccount)
    .map((r) => r.resourceGrant)
    .find((g) => g !== undefined);
  return { pull, push, ...(grant !== undefined && { grant }) };
}

const KIND_ORDER: Readonly<Record<RowPrincipalKind, number>> = {
  user: 0,
  role: 0,
  session: 0,
  account: 1,
  organization: 2,
  public: 3,
};

/**
 * Decides pull and push for every known principal (of every account read) on every repository
 * (of the selected accounts), then for every principal the resource policies name in accounts
 * that were not read (resource side only), then for `*` (an outsider, and an outsider in the
 * owner's organization). Only pairs that can pull or push become rows.
 */
export function buildMatrix(accounts: readonly AccountSnapshot[], opts: MatrixOptions = {}): AccessMatrix {
  const cache = new PolicyCache();
  const rows: MatrixRow[] = [];
  const problems: MatrixProblem[] = [];
  const known = new Map(accounts.map((a) => [a.accountId, a]));
  const context = opts.context !== undefined ? { context: opts.context } : {};
  const owners = accounts.filter(
    (a) => opts.repositoryAccounts === undefined || opts.repositoryAccounts.includes(a.accountId),
  );
  for (const owner of owners) {
    for (const repo of owner.repositories) {
      const base = (principal: RequestPrincipal): AccessInputs => ({
        principal,
        repository: repo.target,
        ...(repo.tags !== undefined && { resourceTags: repo.tags }),
        ...context,
        identity: [],
        ...(repo.policy !== undefined && { repositoryPolicy: repo.policy }),
        ...(owner.registryPolicy !== undefined && { registryPolicy: owner.registryPolicy }),
        ...(owner.rcp !== undefined && { rcp: owner.rcp }),
      });
      const row = (r: Omit<MatrixRow, 'repository' | 'repositoryName' | 'repositoryAccount'>): void => {
        if (r.pull || r.push)
          rows.push({
            repository: repo.target.arn,
            repositoryName: repo.target.name,
            repositoryAccount: owner.accountId,
            ...r,
          });
      };
      const safely = (what: string, f: () => void): void => {
        try {
          f();
        } catch (e) {
          problems.push({ what, why: (e as Error).message });
        }
      };

      // Principals whose both sides were read.
      for (const account of accounts) {
        for (const p of account.principals) {
          safely(`${p.arn} on \`${repo.target.name}\``, () => {
            const d = decidePair(
              {
                ...base(requestPrincipalOf(p, account.orgId)),
                entity: { kind: p.kind, name: p.name, accountId: p.accountId },
                identity: p.identity,
                ...(p.boundary !== undefined && { boundary: p.boundary }),
                ...(account.scp !== undefined && { scp: account.scp }),
              },
              cache,
            );
            const external = p.accountId !== owner.accountId;
            const flags: AccessFlag[] = external ? ['external'] : [];
            if (external && d.grant === 'wildcard') flags.push('via-wildcard');
            row({
              principal: p.arn,
              principalAccount: p.accountId,
              kind: p.kind,
              pull: d.pull,
              push: d.push,
              flags,
            });
          });
        }
      }

      // Principals named by the resource side in accounts that were not read.
      const named = [repo.policy, owner.registryPolicy].flatMap((q) =>
        q !== undefined ? namedPrincipals(q.text) : [],
      );
      const seen = new Set<string>();
      for (const n of named) {
        if (n.kind === 'wildcard' || seen.has(n.value)) continue;
        seen.add(n.value);
        if (n.accountId !== undefined && known.has(n.accountId)) {
          if (n.kind === 'user' || n.kind === 'role') {
            const exists = known.get(n.accountId)?.principals.some((p) => p.arn === n.value) === true;
            if (!exists)
              problems.push({
                what: `${n.value}, named by the policies of \`${repo.target.name}\``,
                why: `no such ${n.kind} in account ${n.accountId}`,
              });
          }
          if (n.kind === 'session')
            problems.push({
              what: `${n.value}, named by the policies of \`${repo.target.name}\``,
              why: 'a grant to one role session: roles are decided for any session, ask `crossdock explain` about this one',
            });
          continue; // decided above with both sides
        }
        const principal = stranger(n);
        if (principal === undefined) {
          problems.push({
            what: `principal \`${n.value}\`, named by the policies of \`${repo.target.name}\``,
            why:
              n.kind === 'unique-id'
                ? 'a unique id left by a deleted user or role: it matches nobody'
                : 'not a principal form the matrix decides',
          });
          continue;
        }
        safely(`${n.value} on \`${repo.target.name}\``, () => {
          const d = decidePair({ ...base(principal), identity: [ASSUMED_IDENTITY] }, cache);
          row({
            principal: n.value,
            ...(n.accountId !== undefined && { principalAccount: n.accountId }),
            kind: n.kind === 'account' ? 'account' : (n.kind as RowPrincipalKind),
            pull: d.pull,
            push: d.push,
            flags: ['external', 'identity-unknown'],
            note:
              n.kind === 'account'
                ? `any user or role of ${n.accountId ?? ''} whose own policies allow it (account not read)`
                : `the resource side allows; the identity side in ${n.accountId ?? ''} was not read`,
          });
        });
      }

      // "*": an outsider, then an outsider inside the owner's organization.
      if (named.some((n) => n.kind === 'wildcard')) {
        safely(`"*" on \`${repo.target.name}\``, () => {
          const anyone = stranger({ kind: 'wildcard', value: '*' }) as RequestPrincipal;
          const d = decidePair({ ...base(anyone), identity: [ASSUMED_IDENTITY] }, cache);
          if (d.pull || d.push) {
            row({
              principal: '*',
              kind: 'public',
              pull: d.pull,
              push: d.push,
              flags: ['external', 'public', 'identity-unknown'],
              note: 'any principal of any account whose own policies allow it',
            });
            return;
          }
          if (owner.orgId === undefined) return;
          const member = stranger({ kind: 'wildcard', value: '*' }, owner.orgId) as RequestPrincipal;
          const m = decidePair({ ...base(member), identity: [ASSUMED_IDENTITY] }, cache);
          row({
            principal: '*',
            kind: 'organization',
            pull: m.pull,
            push: m.push,
            flags: ['external', 'organization', 'identity-unknown'],
            note: `any principal of organization ${owner.orgId} whose own policies allow it`,
          });
        });
      }
    }
  }
  rows.sort(
    (a, b) =>
      a.repository.localeCompare(b.repository) ||
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      a.principal.localeCompare(b.principal),
  );
  return { rows, problems };
}

// ---------------------------------------------------------------------------------------------
// Rendering: pure text, so the formats are unit-tested too.

/** The `--format` values. */
export type MatrixFormat = 'table' | 'json' | 'csv';

/** The values `--format` accepts, for usage checks. */
export const MATRIX_FORMATS: readonly MatrixFormat[] = ['table', 'json', 'csv'];

function flagText(r: MatrixRow): string {
  const out: string[] = [];
  if (r.flags.includes('public')) out.push('PUBLIC');
  else if (r.flags.includes('organization')) out.push('ORG');
  if (r.flags.includes('external')) out.push('EXTERNAL');
  if (r.flags.includes('via-wildcard')) out.push('via *');
  if (r.flags.includes('identity-unknown')) out.push('identity side unknown');
  return out.join(' ');
}

/** The matrix as an aligned table: one line per repository and principal, flags last. */
export function renderTable(m: AccessMatrix): string {
  const head = ['REPOSITORY', 'PRINCIPAL', 'PULL', 'PUSH', 'FLAGS'];
  const body = m.rows.map((r) => [
    `${r.repositoryAccount}/${r.repositoryName}`,
    r.kind === 'organization' ? `* (organization)` : r.principal,
    r.pull ? 'yes' : '-',
    r.push ? 'yes' : '-',
    flagText(r),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(head), ...body.map(line)];
  if (m.rows.length === 0) out.push('(no principal can pull or push any repository)');
  const notes = m.rows.filter((r) => r.note !== undefined);
  if (notes.length > 0) {
    out.push('', 'notes:');
    for (const r of notes) out.push(`  ${r.repositoryName} ${r.principal}: ${r.note ?? ''}`);
  }
  if (m.problems.length > 0) {
    out.push('', 'not considered:');
    for (const p of m.problems) out.push(`  ${p.what}: ${p.why}`);
  }
  return out.join('\n');
}

function csvCell(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The matrix as CSV (RFC 4180 quoting), one row per repository and principal. */
export function renderCsv(m: AccessMatrix): string {
  const head = [
    'repository',
    'repository_account',
    'principal',
    'principal_account',
    'principal_kind',
    'pull',
    'push',
    'flags',
    'note',
  ];
  const lines = [head.join(',')];
  for (const r of m.rows)
    lines.push(
      [
        r.repository,
        r.repositoryAccount,
        r.principal,
        r.principalAccount ?? '',
        r.kind,
        String(r.pull),
        String(r.push),
        r.flags.join(' '),
        r.note ?? '',
      ]
        .map(csvCell)
        .join(','),
    );
  return lines.join('\n');
}

/** The matrix as JSON: the rows, and what could not be considered. */
export function renderJson(m: AccessMatrix, accounts: readonly string[]): string {
  return JSON.stringify({ accounts, rows: m.rows, notConsidered: m.problems }, null, 2);
}

/**
 * A seeded generator of realistic IAM authorization cases for crossdock's engine: one to three
 * accounts, callers of every kind (root, IAM users with and without a path, role sessions, service
 * principals, anonymous), identity policies, an ECR repository policy, a permissions boundary, a
 * session policy and SCPs, over ECR actions on repository ARNs (and `*` for
 * `ecr:GetAuthorizationToken`), with resource tags and request context keys.
 *
 * A case is plain data (JSON-serialisable, policies as documents), so a disagreement can be printed
 * and replayed as is. The same seed always yields the same case: the generator draws only from the
 * {@link Rng} it is given. Draws are biased towards requests that policies actually name (the
 * request's action, its repository, the caller's own ARN or account) so that decisions are not
 * almost always an implicit deny.
 */
import type { RequestPrincipal } from '../../src/iam/index.js';

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same sequence on every platform. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of items) total += w;
    let r = this.next() * total;
    for (const [w, v] of items) {
      r -= w;
      if (r < 0) return v;
    }
    return items[items.length - 1]![1];
  }

  /** One to `max` distinct items. */
  some<T>(items: readonly T[], max: number): T[] {
    const n = this.int(1, Math.min(max, items.length));
    const pool = [...items];
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(pool.splice(Math.floor(this.next() * pool.length), 1)[0] as T);
    return out;
  }
}

/** A policy document as JSON (what a user would write). */
export interface PolicyJson {
  Version?: string;
  Statement: StatementJson[];
}

/** One statement as JSON; single values are written as strings, as users often do. */
export interface StatementJson {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Record<string, string | string[]>;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** The policies that take part in one case, by type (SCPs: one list per organization level). */
export interface CasePolicies {
  identity: PolicyJson[];
  resource?: PolicyJson;
  boundary?: PolicyJson;
  session?: PolicyJson;
  scp?: PolicyJson[][];
}

/** One generated request with everything both engines need. */
export interface GeneratedCase {
  /** The seed that produced the case: `generateCase(seed)` rebuilds it. */
  seed: number;
  principal: RequestPrincipal;
  action: string;
  /** A repository ARN, or `*` for actions without a resource type. */
  resource: string;
  resourceAccount: string;
  resourceTags?: Record<string, string>;
  /** Request keys that do not come from the principal or the resource (time, IP, TLS, request tags). */
  context: Record<string, string | string[]>;
  policies: CasePolicies;
}

export const ACCOUNTS = ['111111111111', '222222222222', '333333333333'] as const;
const REGION = 'us-east-1';
const SERVICES = ['ecs-tasks.amazonaws.com', 'codebuild.amazonaws.com'] as const;

/** The IAM users every account has: name and path (the path shows in the ARN, not in aws:username). */
const USERS = [
  { name: 'alice', path: '/' },
  { name: 'bob', path: '/dev/' },
] as const;
/** The IAM roles every account has, and the session names callers use. */
const ROLES = [
  { name: 'deployer', path: '/' },
  { name: 'builder', path: '/ci/' },
] as const;
const SESSIONS = ['s1', 'ci-run'] as const;

/** Repositories in every account; `alice` lets `${aws:username}` resource patterns match. */
const REPOSITORIES = ['app', 'team/web', 'alice', 'red-images'] as const;

/** ECR actions on a repository, and how often they are drawn. */
const REPOSITORY_ACTIONS: readonly (readonly [number, string])[] = [
  [5, 'ecr:BatchGetImage'],
  [4, 'ecr:GetDownloadUrlForLayer'],
  [3, 'ecr:BatchCheckLayerAvailability'],
  [3, 'ecr:PutImage'],
  [2, 'ecr:InitiateLayerUpload'],
  [2, 'ecr:DescribeImages'],
  [2, 'ecr:ListImages'],
  [1, 'ecr:DeleteRepository'],
  [1, 'ecr:SetRepositoryPolicy'],
  [2, 'ecr:TagResource'],
  [1, 'ecr:UntagResource'],
];
/** Actions that carry request tag keys (`aws:TagKeys`). */
const TAGGING_ACTIONS = new Set(['ecr:TagResource', 'ecr:UntagResource']);
const OTHER_ACTIONS = [
  'ecr:CompleteLayerUpload',
  'ecr:DescribeRepositories',
  's3:GetObject',
  'sts:AssumeRole',
];

const TEAMS = ['red', 'blue', 'Red'] as const;
const TAG_KEYS = ['Team', 'Env', 'Owner'] as const;
const SOURCE_IPS = ['10.1.2.3', '192.168.1.7', '203.0.113.5', '198.51.100.1'] as const;
/** Request times: aws:CurrentTime with the matching aws:EpochTime. */
const TIMES = [
  ['2023-11-14T22:13:20Z', '1700000000'],
  ['2024-06-01T12:00:00Z', '1717243200'],
  ['2025-03-15T08:30:00Z', '1742027400'],
] as const;

function uniqueIdFor(prefix: 'AIDA' | 'AROA', account: string, name: string): string {
  return (
    prefix +
    account.slice(0, 4) +
    name.toUpperCase().replace(/[^A-Z0-9]/g, '') +
    'XXXXXXXXXXXXXXXX'
  ).slice(0, 21);
}

function userArn(account: string, u: (typeof USERS)[number]): string {
  return `arn:aws:iam::${account}:user${u.path}${u.name}`;
}
function roleArn(account: string, r: (typeof ROLES)[number]): string {
  return `arn:aws:iam::${account}:role${r.path}${r.name}`;
}
function sessionArn(account: string, r: (typeof ROLES)[number], session: string): string {
  return `arn:aws:sts::${account}:assumed-role/${r.name}/${session}`;
}
function rootArn(account: string): string {
  return `arn:aws:iam::${account}:root`;
}
export function repositoryArn(account: string, name: string, region = REGION): string {
  return `arn:aws:ecr:${region}:${account}:repository/${name}`;
}

/** Everything the generator knows about one case while building it. */
interface Scene {
  rng: Rng;
  accounts: readonly string[];
  principal: RequestPrincipal;
  action: string;
  resource: string;
  resourceAccount: string;
}

function drawTags(rng: Rng): Record<string, string> | undefined {
  if (!rng.chance(0.65)) return undefined;
  const tags: Record<string, string> = {};
  tags[rng.chance(0.15) ? 'team' : 'Team'] = rng.pick(TEAMS);
  if (rng.chance(0.3)) tags.Env = rng.pick(['prod', 'dev']);
  return tags;
}

function drawPrincipal(rng: Rng, accounts: readonly string[]): RequestPrincipal {
  const kind = rng.weighted<RequestPrincipal['type']>([
    [30, 'User'],
    [40, 'AssumedRole'],
    [10, 'Account'],
    [10, 'Service'],
    [10, 'Anonymous'],
  ]);
  const account = rng.pick(accounts);
  switch (kind) {
    case 'User': {
      const u = rng.pick(USERS);
      const id = uniqueIdFor('AIDA', account, u.name);
      const tags = drawTags(rng);
      return {
        type: 'User',
        arn: userArn(account, u),
        account,
        principalArn: userArn(account, u),
        uniqueId: id,
        userId: id,
        userName: u.name,
        ...(tags && { tags }),
      };
    }
    case 'AssumedRole': {
      const r = rng.pick(ROLES);
      const s = rng.pick(SESSIONS);
      const id = uniqueIdFor('AROA', account, r.name);
      const tags = drawTags(rng);
      return {
        type: 'AssumedRole',
        arn: sessionArn(account, r, s),
        account,
        principalArn: roleArn(account, r),
        uniqueId: id,
        userId: `${id}:${s}`,
        ...(tags && { tags }),
      };
    }
    case 'Account':
      return {
        type: 'Account',
        arn: rootArn(account),
        account,
        principalArn: rootArn(account),
        userId: account,
      };
    case 'Service':
      return { type: 'Service', arn: rng.pick(SERVICES) };
    default:
      return { type: 'Anonymous', arn: 'anonymous' };
  }
}

/** Action patterns for a statement, often naming the request's action. */
function drawActions(sc: Scene): string[] {
  const { rng, action } = sc;
  const name = action.slice(action.indexOf(':') + 1);
  const one = (): string =>
    rng.weighted<() => string>([
      [6, () => action],
      [3, () => 'ecr:*'],
      [1, () => '*'],
      [2, () => 'ecr:Batch*'],
      [2, () => 'ecr:Get*'],
      [2, () => 'ecr:*Image*'],
      [2, () => `ecr:${name.slice(0, 1)}?${name.slice(2)}`],
      [1, () => action.toLowerCase()],
      [1, () => `ECR:${name.toUpperCase()}`],
      [3, () => rng.pick(REPOSITORY_ACTIONS)[1]],
      [1, () => rng.pick(OTHER_ACTIONS)],
    ])();
  const n = rng.chance(0.75) ? 1 : 2;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(one());
  return out;
}

/** Resource patterns for an identity-like statement, often matching the request's resource. */
function drawResources(sc: Scene, variables: boolean): string[] {
  const { rng, resourceAccount, accounts } = sc;
  const name =
    sc.resource === '*'
      ? 'app'
      : sc.resource.slice(sc.resource.indexOf('repository/') + 'repository/'.length);
  const one = (): string =>
    rng.weighted<() => string>([
      [5, () => '*'],
      [5, () => repositoryArn(resourceAccount, name)],
      [3, () => `arn:aws:ecr:*:${resourceAccount}:repository/*`],
      [2, () => `arn:aws:ecr:${REGION}:*:repository/team/*`],
      [2, () => `arn:aws:ecr:${REGION}:${resourceAccount}:repository/${name.slice(0, -1)}?`],
      [2, () => `arn:aws:ecr:${REGION}:${resourceAccount}:repository/${name.slice(0, 2)}*`],
      [1, () => repositoryArn(resourceAccount, name.toUpperCase())],
      [2, () => repositoryArn(rng.pick(accounts), rng.pick(REPOSITORIES))],
      [variables ? 2 : 1, () => `arn:aws:ecr:${REGION}:${resourceAccount}:repository/\${aws:username}`],
      [1, () => `arn:aws:ecr:${REGION}:${resourceAccount}:repository/\${aws:PrincipalTag/Team}-images`],
      [1, () => `arn:aws:ecr:${REGION}:${resourceAccount}:*`],
    ])();
  const n = rng.chance(0.8) ? 1 : 2;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(one());
  return out;
}

type Clause = [operator: string, key: string, values: string | string[]];

/** One condition clause from the pool the brief names; keys and values chosen to hit both ways. */
function drawClause(sc: Scene): Clause {
  const { rng, accounts } = sc;
  const team = (): string => rng.pick(TEAMS);
  const acct = (): string => rng.pick(accounts);
  const key = (k: string): string => (rng.chance(0.1) ? k.toLowerCase() : k);
  return rng.weighted<() => Clause>([
    [4, () => ['StringEquals', key('aws:ResourceTag/Team'), rng.chance(0.3) ? ['red', 'blue'] : team()]],
    [2, () => ['StringLike', 'aws:ResourceTag/Team', rng.pick(['r*', 'bl?e', '*', 'R*'])]],
    [2, () => ['StringNotEquals', 'aws:ResourceTag/Team', team()]],
    [1, () => ['StringEqualsIgnoreCase', 'aws:ResourceTag/Team', 'RED']],
    [3, () => ['StringEquals', key('aws:PrincipalTag/Team'), team()]],
    [
      2,
      () => [
        rng.pick(['StringEquals', 'StringNotEquals']),
        'aws:ResourceTag/Team',
        '${aws:PrincipalTag/Team}',
      ],
    ],
    [1, () => ['StringLike', 'aws:ResourceTag/Team', '${aws:username}*']],
    [2, () => ['StringEquals', 'aws:username', rng.pick(['alice', 'bob'])]],
    [1, () => ['StringLike', 'aws:username', 'b*']],
    [2, () => ['StringEqualsIfExists', 'aws:ResourceTag/Team', team()]],
    [
      2,
      () => [
        'StringNotEqualsIfExists',
        rng.pick(['aws:ResourceTag/Team', 'aws:username']),
        rng.pick(['red', 'alice']),
      ],
    ],
    [2, () => ['ForAnyValue:StringEquals', 'aws:TagKeys', rng.some(TAG_KEYS, 2)]],
    [2, () => ['ForAllValues:StringEquals', 'aws:TagKeys', rng.some(TAG_KEYS, 2)]],
    [
      2,
      () => [
        rng.pick(['IpAddress', 'NotIpAddress']),
        key('aws:SourceIp'),
        rng.pick(['10.0.0.0/8', '192.168.1.0/24', '203.0.113.5']),
      ],
    ],
    [2, () => ['Bool', 'aws:SecureTransport', rng.pick(['true', 'false'])]],
    [
      2,
      () => [
        'Null',
        rng.pick(['aws:ResourceTag/Team', 'aws:SourceIp', 'aws:username']),
        rng.pick(['true', 'false']),
      ],
    ],
    [
      3,
      () => [
        rng.pick(['ArnLike', 'ArnNotLike', 'ArnEquals']),
        'aws:PrincipalArn',
        rng.pick([
          `arn:aws:iam::${acct()}:role/*`,
          `arn:aws:iam::*:user/*`,
          `arn:aws:iam::${acct()}:role/ci/*`,
          `arn:aws:iam::${acct()}:user/alice`,
          `arn:aws:iam::${acct()}:root`,
        ]),
      ],
    ],
    [2, () => ['NumericLessThan', 'aws:EpochTime', rng.pick(['1710000000', '1717243200', '1800000000'])]],
    [
      2,
      () => [
        rng.pick(['DateGreaterThan', 'DateLessThan']),
        'aws:CurrentTime',
        rng.pick(['2024-01-01T00:00:00Z', '2024-06-01T12:00:00Z', '2025-01-01']),
      ],
    ],
    [1, () => [rng.pick(['StringEquals', 'StringNotEquals']), 'aws:PrincipalAccount', acct()]],
    [1, () => ['StringEquals', 'aws:ResourceAccount', acct()]],
    [1, () => ['StringLike', 'aws:userid', rng.pick(['AROA*:ci-*', 'AIDA*', `${acct()}`])]],
    [1, () => ['StringEquals', 'aws:PrincipalType', rng.pick(['User', 'AssumedRole', 'Account'])]],
    [1, () => ['StringLikeIfExists', 'aws:PrincipalTag/Team', rng.pick(['r*', 'blue'])]],
    [1, () => ['ForAllValues:StringLike', 'aws:TagKeys', rng.pick(['T*', 'E?v'])]],
    [1, () => ['ForAnyValue:StringNotEquals', 'aws:TagKeys', 'Team']],
    [1, () => ['StringEquals', 'aws:RequestTag/Team', team()]],
    [1, () => ['StringEquals', 'aws:ResourceTag/Team', "${aws:PrincipalTag/Team, 'red'}"]],
    [
      1,
      () => [
        rng.pick(['DateGreaterThan', 'DateLessThanEquals']),
        'aws:EpochTime',
        rng.pick(['1700000000', '1717243200']),
      ],
    ],
    [
      1,
      () => [
        'ArnLike',
        'aws:PrincipalArn',
        rng.pick(['arn:aws:iam::*:role/ci/*', 'arn:aws:iam::*:*', 'arn:aws:sts::*:assumed-role/*']),
      ],
    ],
    [1, () => ['StringEquals', 'ecr:ResourceTag/Team', team()]],
    [1, () => ['BoolIfExists', 'aws:SecureTransport', 'false']],
    [1, () => ['NotIpAddressIfExists', 'aws:SourceIp', '10.0.0.0/8']],
  ])();
}

function drawCondition(sc: Scene): StatementJson['Condition'] {
  const out: Record<string, Record<string, string | string[]>> = {};
  const n = sc.rng.chance(0.75) ? 1 : 2;
  for (let i = 0; i < n; i++) {
    const [op, key, values] = drawClause(sc);
    (out[op] ??= {})[key] = values;
  }
  return out;
}

/** A statement for identity-like policies (identity, boundary, session, SCP). */
function drawIdentityStatement(
  sc: Scene,
  variables: boolean,
  denyRate: number,
  conditionRate: number,
): StatementJson {
  const { rng } = sc;
  const s: StatementJson = { Effect: rng.chance(denyRate) ? 'Deny' : 'Allow' };
  if (rng.chance(0.15)) s.NotAction = one(drawActions(sc));
  else s.Action = one(drawActions(sc));
  if (rng.chance(0.12)) s.NotResource = one(drawResources(sc, variables));
  else s.Resource = one(drawResources(sc, variables));
  if (rng.chance(conditionRate)) s.Condition = drawCondition(sc);
  return s;
}

function one(values: string[]): string | string[] {
  return values.length === 1 ? values[0]! : values;
}

function drawVersion(rng: Rng, legacyRate: number): string | undefined {
  if (rng.chance(legacyRate)) return rng.chance(0.8) ? '2008-10-17' : undefined;
  return '2012-10-17';
}

function policy(version: string | undefined, statements: StatementJson[]): PolicyJson {
  return version === undefined ? { Statement: statements } : { Version: version, Statement: statements };
}

function drawIdentityPolicy(sc: Scene, denyRate = 0.2, conditionRate = 0.35): PolicyJson {
  const version = drawVersion(sc.rng, 0.08);
  const n = sc.rng.int(1, 3);
  const statements: StatementJson[] = [];
  for (let i = 0; i < n; i++)
    statements.push(drawIdentityStatement(sc, version === '2012-10-17', denyRate, conditionRate));
  return policy(version, statements);
}

/** A Principal element for a repository policy, often naming the caller, its role or its account. */
function drawPrincipalElement(sc: Scene): StatementJson['Principal'] {
  const { rng, principal: p, accounts } = sc;
  const callerAccount = p.account ?? rng.pick(accounts);
  const anyAccount = (): string => (rng.chance(0.6) ? callerAccount : rng.pick(accounts));
  const value = (): [string, string] =>
    rng.weighted<() => [string, string]>([
      [2, () => ['AWS', '*']],
      [3, () => ['AWS', anyAccount()]],
      [3, () => ['AWS', rootArn(anyAccount())]],
      [
        p.type === 'User' ? 6 : 2,
        () => ['AWS', p.type === 'User' ? p.arn : userArn(anyAccount(), rng.pick(USERS))],
      ],
      [
        p.type === 'AssumedRole' ? 6 : 2,
        () => [
          'AWS',
          p.type === 'AssumedRole' && p.principalArn
            ? p.principalArn
            : roleArn(anyAccount(), rng.pick(ROLES)),
        ],
      ],
      [
        p.type === 'AssumedRole' ? 5 : 1,
        () => [
          'AWS',
          p.type === 'AssumedRole' ? p.arn : sessionArn(anyAccount(), rng.pick(ROLES), rng.pick(SESSIONS)),
        ],
      ],
      [p.type === 'Service' ? 6 : 1, () => ['Service', p.type === 'Service' ? p.arn : rng.pick(SERVICES)]],
    ])();
  if (rng.chance(0.12)) return '*';
  const n = rng.chance(0.75) ? 1 : 2;
  const out: Record<string, string[]> = {};
  for (let i = 0; i < n; i++) {
    const [k, v] = value();
    const list = (out[k] ??= []);
    if (!list.includes(v)) list.push(v);
  }
  const written: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(out)) written[k] = one(v);
  return written;
}

function drawRepositoryPolicy(sc: Scene): PolicyJson {
  const { rng } = sc;
  const version = drawVersion(rng, 0.25);
  const n = rng.int(1, 3);
  const statements: StatementJson[] = [];
  for (let i = 0; i < n; i++) {
    const s: StatementJson = {
      ...(rng.chance(0.3) && { Sid: rng.pick(['AllowPull', 'new statement', 'Deny others', `S${i}`]) }),
      Effect: rng.chance(0.2) ? 'Deny' : 'Allow',
      Principal: drawPrincipalElement(sc),
    };
    if (rng.chance(0.1)) s.NotAction = one(drawActions(sc));
    else s.Action = one(drawActions(sc));
    if (rng.chance(0.3)) s.Condition = drawCondition(sc);
    statements.push(s);
  }
  // Sids must be unique within a document.
  const seen = new Set<string>();
  for (const s of statements) {
    if (s.Sid === undefined) continue;
    if (seen.has(s.Sid)) delete s.Sid;
    else seen.add(s.Sid);
  }
  return policy(version, statements);
}

const FULL_ACCESS: StatementJson = { Effect: 'Allow', Action: '*', Resource: '*' };

function drawScpLevels(sc: Scene): PolicyJson[][] {
  const { rng } = sc;
  const levels: PolicyJson[][] = [];
  const n = rng.int(1, 2);
  for (let l = 0; l < n; l++) {
    const level: PolicyJson[] = [];
    if (rng.chance(0.7))
      level.push({ Version: '2012-10-17', Statement: [{ Sid: 'FullAWSAccess', ...FULL_ACCESS }] });
    if (level.length === 0 || rng.chance(0.4)) level.push(drawIdentityPolicy(sc, 0.3, 0.25));
    levels.push(level);
  }
  return levels;
}

/** The case the seed stands for. */
export function generateCase(seed: number): GeneratedCase {
  const rng = new Rng(seed);
  const accounts = rng.some(ACCOUNTS, 3);
  const principal = drawPrincipal(rng, accounts);
  const iamCaller = principal.type !== 'Service' && principal.type !== 'Anonymous';

  const tokenRequest = iamCaller && rng.chance(0.06);
  const action = tokenRequest ? 'ecr:GetAuthorizationToken' : rng.weighted(REPOSITORY_ACTIONS);
  const resourceAccount = tokenRequest ? principal.account! : rng.pick(accounts);
  const resource = tokenRequest ? '*' : repositoryArn(resourceAccount, rng.pick(REPOSITORIES));
  const sc: Scene = { rng, accounts, principal, action, resource, resourceAccount };

  const context: Record<string, string | string[]> = {};
  const [time, epoch] = rng.pick(TIMES);
  context['aws:CurrentTime'] = time;
  context['aws:EpochTime'] = epoch;
  context['aws:SecureTransport'] = rng.chance(0.8) ? 'true' : 'false';
  if (rng.chance(0.8)) context['aws:SourceIp'] = rng.pick(SOURCE_IPS);
  if (TAGGING_ACTIONS.has(action)) {
    const keys = rng.some(TAG_KEYS, 2);
    context['aws:TagKeys'] = keys;
    if (action === 'ecr:TagResource') for (const k of keys) context[`aws:RequestTag/${k}`] = rng.pick(TEAMS);
  }

  const policies: CasePolicies = { identity: [] };
  const withIdentity = principal.type === 'User' || principal.type === 'AssumedRole';
  if (withIdentity) {
    const n = rng.weighted([
      [1, 0],
      [4, 1],
      [3, 2],
      [2, 3],
    ]);
    for (let i = 0; i < n; i++) policies.identity.push(drawIdentityPolicy(sc));
    if (rng.chance(0.25)) policies.boundary = drawIdentityPolicy(sc, 0.1, 0.25);
    if (principal.type === 'AssumedRole' && rng.chance(0.25))
      policies.session = drawIdentityPolicy(sc, 0.1, 0.25);
  }
  if (resource !== '*' && rng.chance(0.65)) policies.resource = drawRepositoryPolicy(sc);
  if (iamCaller && rng.chance(0.25)) policies.scp = drawScpLevels(sc);

  const resourceTags = resource === '*' ? undefined : drawTags(rng);
  return {
    seed,
    principal,
    action,
    resource,
    resourceAccount,
    ...(resourceTags && { resourceTags }),
    context,
    policies,
  };
}

/** `count` cases from consecutive seeds derived from `seed`: the fixed corpus tests and benches share. */
export function generateCases(seed: number, count: number): GeneratedCase[] {
  const cases: GeneratedCase[] = [];
  const seeds = new Rng(seed);
  for (let i = 0; i < count; i++) cases.push(generateCase(Math.floor(seeds.next() * 2 ** 32)));
  return cases;
}

/**
 * A fresh statement for a case's request, for property tests: identity-like (Action, Resource,
 * maybe a Condition) or, for a repository policy, with a Principal and no Resource.
 */
export function generateStatement(
  seed: number,
  c: GeneratedCase,
  opts: { effect: 'Allow' | 'Deny'; forRepository?: boolean },
): StatementJson {
  const rng = new Rng(seed);
  const sc: Scene = {
    rng,
    accounts: [...new Set([c.resourceAccount, ...(c.principal.account ? [c.principal.account] : [])])],
    principal: c.principal,
    action: c.action,
    resource: c.resource,
    resourceAccount: c.resourceAccount,
  };
  const s = drawIdentityStatement(sc, true, 0, 0.35);
  if (!opts.forRepository) return { ...s, Effect: opts.effect };
  const { Resource: _r, NotResource: _n, ...rest } = s;
  return { ...rest, Effect: opts.effect, Principal: drawPrincipalElement(sc) };
}

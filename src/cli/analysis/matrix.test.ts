import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FetchedPolicy } from './access.js';
import {
  buildMatrix,
  namedPrincipals,
  renderCsv,
  renderTable,
  type AccountSnapshot,
  type KnownPrincipal,
  type MatrixOptions,
  type RepositorySnapshot,
} from './matrix.js';
import { parseRepository } from './targets.js';

const A = '111111111111'; // owns the repositories
const B = '222222222222'; // consumers named in A's policies
const C = '333333333333'; // consumers not named
const X = '444444444444'; // an account nobody has credentials for
const ORG = 'o-exampleorg1';
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const arnOf = (account: string, name: string) => `arn:aws:ecr:us-east-1:${account}:repository/${name}`;
const PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
const PUSH = [
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
  'ecr:BatchCheckLayerAvailability',
];
const token = { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' };

function policy(id: string, text: string): FetchedPolicy {
  return { id, label: id, text, origin: { kind: 'new' } };
}

function principal(
  account: string,
  kind: 'user' | 'role',
  name: string,
  identity: string[],
  boundary?: string,
): KnownPrincipal {
  return {
    kind,
    arn: `arn:aws:iam::${account}:${kind}/${name}`,
    accountId: account,
    name,
    uniqueId: `${kind === 'user' ? 'AIDA' : 'AROA'}${name.toUpperCase()}${account}`,
    identity: identity.map((t, i) => policy(`inline:${kind}/${name}/${i}`, t)),
    ...(boundary !== undefined && { boundary: policy(`boundary:${name}`, boundary) }),
  };
}

function repo(account: string, name: string, repositoryPolicy?: string): RepositorySnapshot {
  return {
    target: parseRepository(arnOf(account, name), 'us-east-1'),
    ...(repositoryPolicy !== undefined && { policy: policy(`repository-policy:${name}`, repositoryPolicy) }),
  };
}

const admin = (account: string) =>
  principal(account, 'role', 'admin', [doc({ Effect: 'Allow', Action: '*', Resource: '*' })]);
const bRole = principal(B, 'role', 'puller', [
  doc(token, { Effect: 'Allow', Action: PULL, Resource: arnOf(A, 'app') }),
]);
const bUser = principal(B, 'user', 'pusher', [
  doc(token, { Effect: 'Allow', Action: [...PULL, ...PUSH], Resource: arnOf(A, 'app') }),
]);
const cRole = principal(C, 'role', 'reader', [
  doc(token, { Effect: 'Allow', Action: PULL, Resource: 'arn:aws:ecr:*:*:repository/*' }),
]);
const cUser = principal(C, 'user', 'nobody', [
  doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
]);

const appPolicy = doc(
  { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:role/puller` }, Action: PULL },
  { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:user/pusher` }, Action: [...PULL, ...PUSH] },
);
const publicPolicy = doc({ Effect: 'Allow', Principal: '*', Action: PULL });
const orgPolicy = doc({
  Effect: 'Allow',
  Principal: '*',
  Action: PULL,
  Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
});

function account(
  id: string,
  principals: KnownPrincipal[],
  repositories: RepositorySnapshot[] = [],
): AccountSnapshot {
  return { accountId: id, orgId: ORG, principals, repositories };
}

/** The three-account fixture of the issue, with policies to vary. */
function world(appText = appPolicy, baseText = publicPolicy): AccountSnapshot[] {
  return [
    account(A, [admin(A)], [repo(A, 'app', appText), repo(A, 'base', baseText)]),
    account(B, [bRole, bUser]),
    account(C, [cRole, cUser]),
  ];
}

/** One line per row: `repository principal pull|- push|- flags`. */
function lines(accounts: AccountSnapshot[], opts?: MatrixOptions): string[] {
  return buildMatrix(accounts, opts).rows.map(
    (r) =>
      `${r.repositoryName} ${r.principal.replace(/^arn:aws:iam::/, '')} ${r.pull ? 'pull' : '-'} ` +
      `${r.push ? 'push' : '-'}${r.flags.length > 0 ? ` [${r.flags.join(',')}]` : ''}`,
  );
}

const cases: { name: string; accounts: AccountSnapshot[]; opts?: MatrixOptions; expect: string[] }[] = [
  {
    name: 'the issue fixture lists named consumers on app and everyone who may read on the public base',
    accounts: world(),
    expect: [
      `app ${A}:role/admin pull push`,
      `app ${B}:role/puller pull - [external]`,
      `app ${B}:user/pusher pull push [external]`,
      `base ${A}:role/admin pull push`,
      `base ${C}:role/reader pull - [external,via-wildcard]`,
      'base * pull - [external,public,identity-unknown]',
    ],
  },
  {
    name: 'Principal "*" limited by aws:PrincipalOrgID is an organization finding, not a public one',
    accounts: world(appPolicy, orgPolicy),
    expect: [
      `app ${A}:role/admin pull push`,
      `app ${B}:role/puller pull - [external]`,
      `app ${B}:user/pusher pull push [external]`,
      `base ${A}:role/admin pull push`,
      `base ${C}:role/reader pull - [external,via-wildcard]`,
      'base * pull - [external,organization,identity-unknown]',
    ],
  },
  {
    name: 'a repository without a policy is reachable from its own account only',
    accounts: [account(A, [admin(A)], [repo(A, 'app')]), account(C, [cRole])],
    expect: [`app ${A}:role/admin pull push`],
  },
  {
    name: 'a principal of an account that was not read is external with its identity side unknown',
    accounts: [
      account(
        A,
        [],
        [
          repo(
            A,
            'app',
            doc(
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${X}:role/ci` },
                Action: [...PULL, ...PUSH],
              },
              { Effect: 'Allow', Principal: { AWS: X }, Action: PULL },
            ),
          ),
        ],
      ),
    ],
    expect: [
      `app ${X}:role/ci pull push [external,identity-unknown]`,
      `app ${X}:root pull - [external,identity-unknown]`,
    ],
  },
  {
    name: 'an account principal of an account that was read delegates to its identity policies',
    accounts: [
      account(
        A,
        [],
        [
          repo(
            A,
            'app',
            doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${C}:root` }, Action: PULL }),
          ),
        ],
      ),
      account(C, [cRole, cUser]),
    ],
    expect: [`app ${C}:role/reader pull - [external]`],
  },
  {
    name: 'an explicit Deny in the repository policy takes the principal out',
    accounts: world(
      doc(
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: [...PULL, ...PUSH] },
        { Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${B}:user/pusher` }, Action: 'ecr:PutImage' },
      ),
      doc({ Effect: 'Deny', Principal: '*', Action: '*' }),
    ),
    expect: [
      `app ${A}:role/admin pull push`,
      `app ${B}:role/puller pull - [external]`,
      `app ${B}:user/pusher pull - [external]`,
    ],
  },
  {
    name: 'pulling needs ecr:GetAuthorizationToken from the identity side even when the images are allowed',
    accounts: [
      account(A, [], [repo(A, 'app', appPolicy)]),
      account(B, [principal(B, 'role', 'puller', [doc({ Effect: 'Allow', Action: PULL, Resource: '*' })])]),
    ],
    expect: [],
  },
  {
    name: 'a permissions boundary without ECR limits a same-account user that its identity policy allows',
    accounts: [
      account(
        A,
        [
          principal(
            A,
            'user',
            'bounded',
            [doc({ Effect: 'Allow', Action: 'ecr:*', Resource: '*' })],
            doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }),
          ),
          principal(A, 'user', 'free', [doc({ Effect: 'Allow', Action: 'ecr:*', Resource: '*' })]),
        ],
        [repo(A, 'app')],
      ),
    ],
    expect: [`app ${A}:user/free pull push`],
  },
  {
    name: 'a same-account user named in the repository policy needs no identity allow except for the token',
    accounts: [
      account(
        A,
        [principal(A, 'user', 'dev', [doc(token)])],
        [
          repo(
            A,
            'app',
            doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:user/dev` }, Action: PULL }),
          ),
        ],
      ),
    ],
    expect: [`app ${A}:user/dev pull -`],
  },
  {
    name: '--account keeps only the repositories of that account',
    accounts: [account(A, [admin(A)], [repo(A, 'app')]), account(B, [admin(B)], [repo(B, 'tools')])],
    opts: { repositoryAccounts: [B] },
    expect: [`tools ${B}:role/admin pull push`],
  },
];

describe('buildMatrix', () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(lines(c.accounts, c.opts), c.expect);
    });
  }

  test('a policy the engine cannot read is reported, not fatal', () => {
    const m = buildMatrix([account(A, [admin(A)], [repo(A, 'app', '{"Statement":')])]);
    assert.deepEqual(m.rows, []);
    assert.ok(m.problems.length > 0);
  });

  test('a principal named in a read account that does not exist there is reported', () => {
    const m = buildMatrix([
      account(
        A,
        [],
        [
          repo(
            A,
            'app',
            doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:role/gone` }, Action: PULL }),
          ),
        ],
      ),
      account(B, []),
    ]);
    assert.deepEqual(
      m.problems.map((p) => p.why),
      ['no such role in account 222222222222'],
    );
  });
  test('a grant to one session of a role of a read account is pointed out', () => {
    const session = `arn:aws:sts::${B}:assumed-role/puller/build-42`;
    const m = buildMatrix([
      account(A, [], [repo(A, 'app', doc({ Effect: 'Allow', Principal: { AWS: session }, Action: PULL }))]),
      account(B, [bRole]),
    ]);
    assert.deepEqual(m.rows, []);
    assert.deepEqual(
      m.problems.map((p) => p.what),
      [`${session}, named by the policies of \`app\``],
    );
  });
});

describe('namedPrincipals', () => {
  const table: { name: string; principal: unknown; expect: string[] }[] = [
    { name: 'the bare string "*" is the wildcard', principal: '*', expect: ['wildcard *'] },
    {
      name: 'a bare account id becomes the root ARN',
      principal: { AWS: X },
      expect: [`account arn:aws:iam::${X}:root`],
    },
    {
      name: 'users, roles and sessions are told apart',
      principal: {
        AWS: [
          `arn:aws:iam::${X}:user/u`,
          `arn:aws:iam::${X}:role/path/r`,
          `arn:aws:sts::${X}:assumed-role/r/s`,
        ],
      },
      expect: [
        `user arn:aws:iam::${X}:user/u`,
        `role arn:aws:iam::${X}:role/path/r`,
        `session arn:aws:sts::${X}:assumed-role/r/s`,
      ],
    },
    {
      name: 'a unique id is kept as such',
      principal: { AWS: 'AROAEXAMPLE123' },
      expect: ['unique-id AROAEXAMPLE123'],
    },
    {
      name: 'service principals are not AWS principals',
      principal: { Service: 'lambda.amazonaws.com' },
      expect: [],
    },
  ];
  for (const c of table) {
    test(c.name, () => {
      const text = doc({ Effect: 'Allow', Principal: c.principal, Action: PULL });
      assert.deepEqual(
        namedPrincipals(text).map((n) => `${n.kind} ${n.value}`),
        c.expect,
      );
    });
  }

  test('Deny statements name nobody who gets access', () => {
    assert.deepEqual(namedPrincipals(doc({ Effect: 'Deny', Principal: '*', Action: PULL })), []);
  });
});

describe('rendering', () => {
  const m = buildMatrix(world());

  test('the table shows pull and push marks and the external and public flags', () => {
    const text = renderTable(m);
    assert.match(text, /^REPOSITORY\s+PRINCIPAL\s+PULL\s+PUSH\s+FLAGS$/m);
    assert.match(
      text,
      new RegExp(`^${A}/app\\s+arn:aws:iam::${B}:user/pusher\\s+yes\\s+yes\\s+EXTERNAL$`, 'm'),
    );
    assert.match(
      text,
      new RegExp(`^${A}/base\\s+\\*\\s+yes\\s+-\\s+PUBLIC EXTERNAL identity side unknown$`, 'm'),
    );
  });

  test('CSV has one header and one line per row, with quoting where needed', () => {
    const text = renderCsv(m);
    const rows = text.split('\n');
    assert.equal(
      rows[0],
      'repository,repository_account,principal,principal_account,principal_kind,pull,push,flags,note',
    );
    assert.equal(rows.length, m.rows.length + 1);
    assert.ok(rows.some((r) => r.startsWith(`${arnOf(A, 'base')},${A},*,,public,true,false,`)));
    assert.equal(
      renderCsv({ rows: [{ ...m.rows[0]!, note: 'a, "b"' }], problems: [] })
        .split('\n')[1]
        ?.endsWith(',"a, ""b"""'),
      true,
    );
  });
});

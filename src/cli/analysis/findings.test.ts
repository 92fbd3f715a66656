import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MANAGED_POLICIES } from '../../iam/data/managedPolicies.js';
import {
  guessType,
  lintPolicy,
  namedPrincipals,
  RULES,
  withMissingPrincipals,
  type FindingId,
  type LintType,
} from './findings.js';

const A = '111111111111';
const B = '222222222222';
const REPO = `arn:aws:ecr:us-east-1:${A}:repository/example`;
const PULL = ['ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'ecr:BatchCheckLayerAvailability'];
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

// The seeds' policies, with their placeholder account ids filled in.
const SEED_001_REPOSITORY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: [
        'ecr:GetAuthorizationToken',
        'ecr:BatchCheckLayerAvailability',
        'ecr:GetDownloadUrlForLayer',
        'ecr:GetRepositoryPolicy',
        'ecr:DescribeRepositories',
        'ecr:ListImages',
        'ecr:DescribeImages',
        'ecr:BatchGetImage',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
        'ecr:PutImage',
      ],
      Condition: { StringLike: { 'aws:ResourceTag/Team': 'Payments' } },
      Principal: { AWS: [`arn:aws:iam::${B}:user/devusr2`] },
      Sid: 'AllowCrossAccountPushAndPull',
    },
  ],
});
const SEED_002_TRUST_ACCOUNT = doc({
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${B}:root` },
  Action: 'sts:AssumeRole',
  Condition: {},
});
const SEED_002_REPOSITORY = JSON.stringify({
  Version: '2008-10-17',
  Statement: [
    {
      Sid: 'new statement',
      Effect: 'Allow',
      Principal: { AWS: [`arn:aws:iam::${B}:root`, `arn:aws:iam::${A}:role/ECS-AssumeRole-MIQDevOps`] },
      Action: [
        ...PULL,
        'ecr:PutImage',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
        'ecr:ListImages',
      ],
    },
  ],
});
const SEED_002_TRUST_EC2 = doc({
  Effect: 'Allow',
  Principal: { Service: 'ec2.amazonaws.com' },
  Action: 'sts:AssumeRole',
});
/** Seed 003 prints 10-digit account ids; ECR refuses such a principal. */
const SEED_003_REPOSITORY_AS_PUBLISHED = doc({
  Sid: 'Allow2222222222Access',
  Effect: 'Allow',
  Action: PULL,
  Principal: { AWS: 'arn:aws:iam::2222222222:root' },
});
const SEED_003_IDENTITY = doc(
  { Sid: 'AllowAccessToExampleRepo', Effect: 'Allow', Action: PULL, Resource: [REPO] },
  { Sid: 'AllowLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
);
const seed004 = (principal: object, actions = PULL) =>
  doc({ Sid: 'AllowPull', Effect: 'Allow', Principal: principal, Action: actions });
const SEED_004_ECS = seed004({ AWS: `arn:aws:iam::${B}:role/ecs-task-role` });
const SEED_004_LAMBDA = seed004({ Service: 'lambda.amazonaws.com' }, [
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetRepositoryPolicy',
  'ecr:SetRepositoryPolicy',
]);
const SEED_004_ROOT = seed004({ AWS: `arn:aws:iam::${B}:root` });

interface Case {
  readonly name: string;
  readonly text: string;
  readonly type?: LintType;
  /** The type lint settles on (given or guessed). */
  readonly expectType: LintType;
  /** Each finding as [id, severity, statement index, Sid]. */
  readonly findings: readonly (readonly [
    FindingId,
    'error' | 'warning',
    number | undefined,
    string | undefined,
  ])[];
}

const clean: Case[] = [
  {
    name: 'seed 003: the consumer identity policy',
    text: SEED_003_IDENTITY,
    expectType: 'identity',
    findings: [],
  },
  {
    name: 'seed 004: the ECS task role repository policy',
    text: SEED_004_ECS,
    expectType: 'repository',
    findings: [],
  },
  {
    name: 'seed 002: the EC2 role trust policy',
    text: SEED_002_TRUST_EC2,
    expectType: 'trust',
    findings: [],
  },
  ...MANAGED_POLICIES.map((p): Case => ({
    name: `AWS managed ${p.name}`,
    text: p.document,
    type: 'identity',
    expectType: 'identity',
    findings: [],
  })),
  {
    name: 'Lambda restricted with aws:SourceArn',
    text: doc({
      Effect: 'Allow',
      Principal: { Service: 'lambda.amazonaws.com' },
      Action: PULL,
      Condition: { StringLike: { 'aws:sourceArn': `arn:aws:lambda:us-east-1:${B}:function:*` } },
    }),
    expectType: 'repository',
    findings: [],
  },
  {
    name: 'Principal "*" narrowed by aws:PrincipalOrgID',
    text: doc({
      Effect: 'Allow',
      Principal: '*',
      Action: PULL,
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
    }),
    expectType: 'repository',
    findings: [],
  },
  {
    name: 'an account named in a Deny, and NotPrincipal with Deny',
    text: doc(
      { Sid: 'NoPushFromB', Effect: 'Deny', Principal: { AWS: B }, Action: 'ecr:PutImage' },
      {
        Sid: 'OnlyCi',
        Effect: 'Deny',
        NotPrincipal: { AWS: `arn:aws:iam::${A}:role/ci` },
        Action: 'ecr:PutImage',
      },
      {
        Sid: 'Pull',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${B}:role/puller` },
        Action: 'ecr:Batch*',
      },
    ),
    expectType: 'repository',
    findings: [],
  },
  {
    name: 'a registry policy for replication',
    text: doc({
      Sid: 'Replicate',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${B}:role/replicator` },
      Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
      Resource: `arn:aws:ecr:us-east-1:${A}:repository/*`,
    }),
    expectType: 'registry',
    findings: [],
  },
  {
    name: 'an identity policy that does not touch the registry needs no login',
    text: doc({ Effect: 'Allow', Action: 'ecr:DescribeRepositories', Resource: REPO }),
    expectType: 'identity',
    findings: [],
  },
];

const flagged: Case[] = [
  {
    name: 'seed 001: GetAuthorizationToken in a repository policy has no effect',
    text: SEED_001_REPOSITORY,
    expectType: 'repository',
    findings: [['get-authorization-token-scoped', 'warning', 0, 'AllowCrossAccountPushAndPull']],
  },
  {
    name: 'seed 002: the account principal of the trust policy',
    text: SEED_002_TRUST_ACCOUNT,
    expectType: 'trust',
    findings: [['root-principal', 'warning', 0, undefined]],
  },
  {
    name: 'seed 002: the account principal beside a role in the repository policy',
    text: SEED_002_REPOSITORY,
    expectType: 'repository',
    findings: [['root-principal', 'warning', 0, 'new statement']],
  },
  {
    name: 'seed 004: the bare account id form is an account principal too',
    text: seed004({ AWS: B }),
    expectType: 'repository',
    findings: [['root-principal', 'warning', 0, 'AllowPull']],
  },
  {
    name: 'seed 004: the root principal',
    text: SEED_004_ROOT,
    expectType: 'repository',
    findings: [['root-principal', 'warning', 0, 'AllowPull']],
  },
  {
    name: "seed 004: Lambda's service principal without a source condition",
    text: SEED_004_LAMBDA,
    expectType: 'repository',
    findings: [['service-principal-without-source', 'warning', 0, 'AllowPull']],
  },
  {
    name: 'Principal "*" without a condition',
    text: doc({ Sid: 'Public', Effect: 'Allow', Principal: '*', Action: PULL }),
    expectType: 'repository',
    findings: [['public-principal', 'error', 0, 'Public']],
  },
  {
    name: '{"AWS": "*"} in a trust policy without a condition',
    text: doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }),
    expectType: 'trust',
    findings: [['public-principal', 'error', 0, undefined]],
  },
  {
    name: 'NotPrincipal with Allow',
    text: doc({
      Sid: 'AllButCi',
      Effect: 'Allow',
      NotPrincipal: { AWS: `arn:aws:iam::${A}:role/ci` },
      Action: PULL,
    }),
    expectType: 'repository',
    findings: [['not-principal-allow', 'error', 0, 'AllButCi']],
  },
  {
    name: 'an identity policy that pulls but cannot log in',
    text: doc({ Sid: 'Pull', Effect: 'Allow', Action: PULL, Resource: REPO }),
    expectType: 'identity',
    findings: [['missing-get-authorization-token', 'warning', 0, 'Pull']],
  },
  {
    name: 'GetAuthorizationToken scoped to a repository in an identity policy',
    text: doc(
      { Sid: 'Pull', Effect: 'Allow', Action: PULL, Resource: REPO },
      { Sid: 'Login', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: REPO },
    ),
    expectType: 'identity',
    findings: [['get-authorization-token-scoped', 'error', 1, 'Login']],
  },
  {
    name: 'an action that does not exist',
    text: doc({
      Sid: 'Pull',
      Effect: 'Allow',
      Action: ['ecr:BatchGetImages', 'ecr:GetAuthorizationToken'],
      Resource: '*',
    }),
    expectType: 'identity',
    findings: [['unknown-action', 'warning', 0, 'Pull']],
  },
  {
    name: 'a pattern that matches no action',
    text: doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:role/r` }, Action: 'ecr:Pul*' }),
    expectType: 'repository',
    findings: [['unknown-action', 'warning', 0, undefined]],
  },
];

function shape(text: string, type?: LintType) {
  const r = lintPolicy(text, type);
  return {
    type: r.type,
    valid: r.valid,
    findings: r.findings.map((f) => [f.id, f.severity, f.statement?.index, f.statement?.sid] as const),
  };
}

describe('lint findings', () => {
  for (const c of [...clean, ...flagged]) {
    test(`${c.name}: ${c.findings.length === 0 ? 'no findings' : c.findings.map((f) => f[0]).join(', ')}`, () => {
      assert.deepEqual(shape(c.text, c.type), { type: c.expectType, valid: true, findings: c.findings });
    });
  }

  test('every finding id has a rule, and each is exercised by a case above', () => {
    const seen = new Set(flagged.flatMap((c) => c.findings.map((f) => f[0])));
    seen.add('resource-in-repository-policy'); // below: it comes with AWS's refusal
    seen.add('principal-not-found'); // below: it needs a lookup
    assert.deepEqual([...seen].sort(), Object.keys(RULES).sort());
  });

  test('a misspelt action is answered with the nearest real one', () => {
    const [f] = lintPolicy(doc({ Effect: 'Allow', Action: 'ecr:BatchGetImages', Resource: '*' })).findings;
    assert.equal(
      f?.message,
      'statement #0: `ecr:BatchGetImages` is not an action of Amazon Elastic Container Registry (did you mean `ecr:BatchGetImage`?)',
    );
  });

  test('an account principal names the account and suggests a role', () => {
    const [f] = lintPolicy(SEED_004_ROOT).findings;
    assert.match(
      f?.message ?? '',
      new RegExp(`every user and role of account ${B}.*arn:aws:iam::${B}:role/NAME`),
    );
  });
});

describe('lint validation: AWS refuses the document', () => {
  test('Resource in a repository policy: ECR refuses it, and the rest is still analysed', () => {
    const text = doc({ Sid: 'Pull', Effect: 'Allow', Principal: '*', Action: PULL, Resource: REPO });
    const r = lintPolicy(text, 'repository');
    assert.equal(r.valid, false);
    assert.deepEqual(r.error, {
      code: 'InvalidParameterException',
      message:
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
      statement: { index: 0, sid: 'Pull' },
      detail: 'Has prohibited field Resource',
    });
    assert.deepEqual(
      r.findings.map((f) => f.id),
      ['resource-in-repository-policy', 'public-principal'],
    );
  });

  const invalid: {
    name: string;
    text: string;
    type?: LintType;
    code: string;
    message: string;
    statement?: number;
    detail?: string;
  }[] = [
    {
      name: 'seed 003 as published: a 10-digit account is not a principal',
      text: SEED_003_REPOSITORY_AS_PUBLISHED,
      code: 'InvalidParameterException',
      message:
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
      statement: 0,
      detail: 'Invalid principal in policy: "AWS":"arn:aws:iam::2222222222:root"',
    },
    {
      name: 'a Principal in an identity policy',
      text: doc({ Effect: 'Allow', Principal: { AWS: B }, Action: 'ecr:BatchGetImage', Resource: '*' }),
      type: 'identity',
      code: 'MalformedPolicyDocument',
      message: 'Policy document should not specify a principal.',
      statement: 0,
    },
    {
      name: 'not JSON',
      text: '{"Version": "2012-10-17", "Statement": [',
      code: 'MalformedPolicyDocument',
      message: 'Syntax errors in policy.',
      detail: 'the document is not valid JSON',
    },
    {
      name: 'a trust policy with Resource',
      text: doc({ Effect: 'Allow', Principal: { AWS: B }, Action: 'sts:AssumeRole', Resource: '*' }),
      type: 'trust',
      code: 'MalformedPolicyDocument',
      message: 'Has prohibited field Resource',
      statement: 0,
    },
  ];
  for (const c of invalid) {
    test(`${c.name}: ${c.code}`, () => {
      const r = lintPolicy(c.text, c.type);
      assert.equal(r.valid, false);
      assert.equal(r.error?.code, c.code);
      assert.equal(r.error?.message, c.message);
      assert.equal(r.error?.statement?.index, c.statement);
      assert.equal(r.error?.detail, c.detail);
    });
  }
});

describe('lint guesses the document type', () => {
  const cases: [string, string, LintType][] = [
    ['no Principal', SEED_003_IDENTITY, 'identity'],
    ['a Principal and only sts: actions', SEED_002_TRUST_EC2, 'trust'],
    ['a Principal and ECR actions', SEED_004_ECS, 'repository'],
    [
      'a Principal, Resource and a registry-level action',
      doc({ Effect: 'Allow', Principal: { AWS: B }, Action: 'ecr:ReplicateImage', Resource: REPO }),
      'registry',
    ],
    [
      'a Principal and Resource with pull actions (a repository policy written wrong)',
      doc({ Effect: 'Allow', Principal: { AWS: B }, Action: PULL, Resource: REPO }),
      'repository',
    ],
    ['not JSON', 'nope', 'identity'],
  ];
  for (const [name, text, type] of cases)
    test(`${name} → ${type}`, () => assert.equal(guessType(text), type));

  test('the guess is reported as a guess; a given type is not', () => {
    assert.equal(lintPolicy(SEED_004_ECS).typeGuessed, true);
    assert.equal(lintPolicy(SEED_004_ECS, 'repository').typeGuessed, false);
  });
});

describe('principals that do not exist', () => {
  const typo = `arn:aws:iam::${B}:role/ecs-task-rol`;
  const policy = doc(
    { Sid: 'AllowPull', Effect: 'Allow', Principal: { AWS: [typo, `arn:aws:iam::${B}:root`] }, Action: PULL },
    {
      Sid: 'Ops',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${A}:user/ops/alice`, Service: 'lambda.amazonaws.com' },
      Action: 'ecr:DescribeImages',
      Condition: { StringEquals: { 'aws:SourceAccount': A } },
    },
  );

  test('namedPrincipals lists the IAM users and roles, not accounts or services', () => {
    assert.deepEqual(
      namedPrincipals(policy).map((p) => [p.statement.sid, p.kind, p.accountId, p.name, p.arn]),
      [
        ['AllowPull', 'role', B, 'ecs-task-rol', typo],
        ['Ops', 'user', A, 'alice', `arn:aws:iam::${A}:user/ops/alice`],
      ],
    );
    assert.deepEqual(namedPrincipals('{not json'), []);
  });

  test("a missing role makes a valid repository policy ECR's refusal, with the real reason", () => {
    const before = lintPolicy(policy);
    assert.equal(before.valid, true);
    const [role] = namedPrincipals(policy);
    const r = withMissingPrincipals(before, [
      { principal: role!, near: `arn:aws:iam::${B}:role/ecs-task-role` },
    ]);
    assert.equal(r.valid, false);
    assert.deepEqual(r.error, {
      code: 'InvalidParameterException',
      message:
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
      statement: { index: 0, sid: 'AllowPull' },
      detail: `role \`${typo}\` does not exist`,
    });
    const f = r.findings.find((x) => x.id === 'principal-not-found');
    assert.equal(f?.severity, 'error');
    assert.equal(
      f?.message,
      `statement #0 "AllowPull" names \`${typo}\`, but account ${B} has no such role (did you mean \`arn:aws:iam::${B}:role/ecs-task-role\`?)`,
    );
    assert.equal(withMissingPrincipals(before, []), before);
  });

  test("in a trust policy it is IAM's Invalid principal in policy", () => {
    const trust = doc({ Effect: 'Allow', Principal: { AWS: typo }, Action: 'sts:AssumeRole' });
    const [role] = namedPrincipals(trust);
    const r = withMissingPrincipals(lintPolicy(trust), [{ principal: role! }]);
    assert.equal(r.type, 'trust');
    assert.deepEqual(r.error, {
      code: 'MalformedPolicyDocument',
      message: `Invalid principal in policy: "AWS":"${typo}"`,
      statement: { index: 0 },
    });
  });
});

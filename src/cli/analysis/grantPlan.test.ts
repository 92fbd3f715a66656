import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkDocument,
  GrantSpecError,
  iamSid,
  mergeStatements,
  planGrant,
  type GrantSpec,
  type StatementJson,
} from './grantPlan.js';
import { parsePrincipal, parseRepository } from './targets.js';

const A = '111111111111';
const B = '222222222222';
const repository = parseRepository(`arn:aws:ecr:us-east-1:${A}:repository/team/app`, 'us-east-1');
const user = parsePrincipal(`arn:aws:iam::${B}:user/dev`);
const PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];

interface PlanCase {
  readonly name: string;
  readonly spec: GrantSpec;
  /** document id → Sids of its statements */
  readonly sids: Record<string, string[]>;
  readonly check?: (docs: Record<string, readonly StatementJson[]>) => void;
}

const planCases: PlanCase[] = [
  {
    name: 'a pull for a user of another account writes the repository policy and the user policy',
    spec: { repository, to: user, access: 'pull' },
    sids: {
      'repository-policy': [`crossdock-pull-${B}-user-dev`],
      'consumer-policy': ['CrossdockLogin', `CrossdockPull${A}TeamApp`],
    },
    check: (d) => {
      const s = d['repository-policy']![0]!;
      assert.deepEqual(s.Principal, { AWS: user.arn });
      assert.deepEqual(s.Action, PULL);
      assert.equal(s.Condition, undefined);
      assert.equal(d['consumer-policy']![1]!.Resource, repository.arn);
      assert.equal(d['consumer-policy']![0]!.Resource, '*');
    },
  },
  {
    name: 'a push grants the pull actions and the four upload actions',
    spec: { repository, to: user, access: 'push' },
    sids: {
      'repository-policy': [`crossdock-push-${B}-user-dev`],
      'consumer-policy': ['CrossdockLogin', `CrossdockPush${A}TeamApp`],
    },
    check: (d) => assert.equal((d['repository-policy']![0]!.Action as string[]).length, 7),
  },
  {
    name: 'an account id grants the account root and leaves the identity side to the account',
    spec: { repository, to: parsePrincipal(B), access: 'pull' },
    sids: { 'repository-policy': [`crossdock-pull-${B}`] },
  },
  {
    name: 'a condition tag becomes an aws:PrincipalTag StringEquals',
    spec: { repository, to: user, access: 'pull', conditionTags: { Team: 'Payments' } },
    sids: {
      'repository-policy': [`crossdock-pull-${B}-user-dev`],
      'consumer-policy': ['CrossdockLogin', `CrossdockPull${A}TeamApp`],
    },
    check: (d) =>
      assert.deepEqual(d['repository-policy']![0]!.Condition, {
        StringEquals: { 'aws:PrincipalTag/Team': 'Payments' },
      }),
  },
  {
    name: 'an organization grant uses Principal "*" narrowed by aws:PrincipalOrgID',
    spec: { repository, access: 'pull', orgId: 'o-abcdef1234' },
    sids: { 'repository-policy': ['crossdock-pull-org-o-abcdef1234'] },
    check: (d) => {
      assert.equal(d['repository-policy']![0]!.Principal, '*');
      assert.deepEqual(d['repository-policy']![0]!.Condition, {
        StringEquals: { 'aws:PrincipalOrgID': 'o-abcdef1234' },
      });
    },
  },
  {
    name: 'a Lambda grant adds the service principal restricted by source ARN and account',
    spec: {
      repository,
      to: parsePrincipal(B),
      access: 'pull',
      service: { name: 'lambda', sourceArn: `arn:aws:lambda:us-east-1:${B}:function:*` },
    },
    sids: { 'repository-policy': [`crossdock-pull-${B}`, `crossdock-lambda-pull-${B}`] },
    check: (d) => {
      const s = d['repository-policy']![1]!;
      assert.deepEqual(s.Principal, { Service: 'lambda.amazonaws.com' });
      assert.deepEqual(s.Condition, {
        ArnLike: { 'aws:SourceArn': `arn:aws:lambda:us-east-1:${B}:function:*` },
        StringEquals: { 'aws:SourceAccount': B },
      });
    },
  },
  {
    name: 'a grant via a role creates the role in the owner account and lets the consumer assume it',
    spec: { repository, to: user, access: 'pull', viaRole: 'RoleForCrossAccountEcrUser' },
    sids: {
      'role-trust': [`CrossdockTrust${B}UserDev`],
      'role-policy': ['CrossdockLogin', `CrossdockPull${A}TeamApp`],
      'consumer-policy': [`CrossdockAssume${A}RoleForCrossAccountEcrUser`],
    },
    check: (d) => {
      assert.deepEqual(d['role-trust']![0]!.Principal, { AWS: user.arn });
      assert.equal(d['consumer-policy']![0]!.Resource, `arn:aws:iam::${A}:role/RoleForCrossAccountEcrUser`);
    },
  },
];

describe('planGrant', () => {
  for (const c of planCases) {
    test(c.name, () => {
      const plan = planGrant(c.spec);
      const docs = Object.fromEntries(plan.documents.map((d) => [d.id, d.statements]));
      assert.deepEqual(
        Object.fromEntries(Object.entries(docs).map(([k, v]) => [k, v.map((s) => s.Sid)])),
        c.sids,
      );
      // Every planned document, on its own, is one AWS accepts.
      for (const d of plan.documents) {
        const merged = mergeStatements(undefined, d.statements);
        const r = checkDocument(merged.text, d.kind, []);
        assert.ok(r.valid, `${d.id}: ${JSON.stringify(r.error)}`);
      }
      c.check?.(docs);
    });
  }

  const refused: { name: string; spec: GrantSpec; message: RegExp }[] = [
    {
      name: 'a role session is refused with its role named',
      spec: { repository, to: parsePrincipal(`arn:aws:sts::${B}:assumed-role/ci/s1`), access: 'pull' },
      message: /role\/ci/,
    },
    {
      name: 'no grantee and no organization is refused',
      spec: { repository, access: 'pull' },
      message: /--to/,
    },
    {
      name: 'a malformed organization id is refused',
      spec: { repository, access: 'pull', orgId: 'org-1' },
      message: /organization id/,
    },
    {
      name: 'a service with a role is refused',
      spec: {
        repository,
        to: user,
        access: 'pull',
        viaRole: 'R',
        service: { name: 'lambda', sourceArn: `arn:aws:lambda:us-east-1:${B}:function:f` },
      },
      message: /--via-role/,
    },
  ];
  for (const c of refused) {
    test(c.name, () =>
      assert.throws(
        () => planGrant(c.spec),
        (e: Error) => e instanceof GrantSpecError && c.message.test(e.message),
      ),
    );
  }
});

describe('mergeStatements', () => {
  const ours: StatementJson = {
    Sid: 'crossdock-pull-x',
    Effect: 'Allow',
    Principal: { AWS: user.arn },
    Action: PULL,
  };
  const foreign = {
    Sid: 'Theirs',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${B}:root` },
    Action: 'ecr:ListImages',
  };
  const unnamed = { Effect: 'Deny', Principal: '*', Action: 'ecr:DeleteRepository' };
  const doc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });

  const cases: {
    name: string;
    existing: string | undefined;
    change: 'create' | 'update' | 'none';
    added: string[];
    replaced: string[];
    statements: unknown[];
  }[] = [
    {
      name: 'no document yet creates one with only our statement',
      existing: undefined,
      change: 'create',
      added: ['crossdock-pull-x'],
      replaced: [],
      statements: [ours],
    },
    {
      name: 'foreign statements are kept, in their place, and ours is appended',
      existing: doc(foreign, unnamed),
      change: 'update',
      added: ['crossdock-pull-x'],
      replaced: [],
      statements: [foreign, unnamed, ours],
    },
    {
      name: 'a lone Statement object is kept',
      existing: JSON.stringify({ Version: '2012-10-17', Statement: foreign }),
      change: 'update',
      added: ['crossdock-pull-x'],
      replaced: [],
      statements: [foreign, ours],
    },
    {
      name: 'our statement already there, reformatted, is no change',
      existing: doc(foreign, {
        Action: [...PULL].reverse(),
        Principal: { AWS: [user.arn] },
        Effect: 'Allow',
        Sid: 'crossdock-pull-x',
      }),
      change: 'none',
      added: [],
      replaced: [],
      statements: [
        foreign,
        {
          Action: [...PULL].reverse(),
          Principal: { AWS: [user.arn] },
          Effect: 'Allow',
          Sid: 'crossdock-pull-x',
        },
      ],
    },
    {
      name: 'our Sid with other content is replaced in place',
      existing: doc({ ...ours, Action: 'ecr:BatchGetImage' }, foreign),
      change: 'update',
      added: [],
      replaced: ['crossdock-pull-x'],
      statements: [ours, foreign],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const m = mergeStatements(c.existing, [ours]);
      assert.equal(m.change, c.change);
      assert.deepEqual(m.added, c.added);
      assert.deepEqual(m.replaced, c.replaced);
      assert.deepEqual((JSON.parse(m.text) as { Statement: unknown[] }).Statement, c.statements);
      // Idempotent: merging again into the result changes nothing.
      const again = mergeStatements(m.text, [ours]);
      assert.equal(again.change, 'none');
      assert.equal(again.text, m.text);
    });
  }

  test('a document that is not JSON is refused rather than overwritten', () => {
    assert.throws(() => mergeStatements('{not json', [ours]), /not JSON/);
  });
});

describe('checkDocument', () => {
  test('a hyphenated Sid in an identity policy is refused as IAM would', () => {
    const r = checkDocument(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: 'a-b', Effect: 'Allow', Action: 'ecr:ListImages', Resource: '*' }],
      }),
      'identity',
      ['a-b'],
    );
    assert.equal(r.valid, false);
    assert.equal(r.error?.code, 'MalformedPolicyDocument');
  });

  test('an account-root grant is reported as a finding on our statement only', () => {
    const plan = planGrant({ repository, to: parsePrincipal(B), access: 'pull' });
    const d = plan.documents[0]!;
    const r = checkDocument(mergeStatements(undefined, d.statements).text, d.kind, [
      String(d.statements[0]!.Sid),
    ]);
    assert.deepEqual(
      r.findings.map((f) => f.id),
      ['root-principal'],
    );
  });

  test('iamSid keeps only letters and digits', () => {
    assert.equal(iamSid('Crossdock', 'pull', A, 'team/app-x_y.z'), `CrossdockPull${A}TeamAppXYZ`);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestPrincipal } from '../../iam/index.js';
import {
  explainAccess,
  PULL_ACTIONS,
  UnreadablePolicyError,
  type AccessInputs,
  type FetchedPolicy,
} from './access.js';
import { parseRepository } from './targets.js';

const A = '111111111111'; // owns the repository
const B = '222222222222'; // the consumer's account
const repo = parseRepository(`arn:aws:ecr:us-east-1:${A}:repository/app`, 'us-east-1');
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

/** A session of role `ci` in `account`. */
function session(account: string, tags?: Record<string, string>): RequestPrincipal {
  return {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${account}:assumed-role/ci/s`,
    account,
    principalArn: `arn:aws:iam::${account}:role/ci`,
    uniqueId: 'AROAEXAMPLEEXAMPLE01',
    userId: 'AROAEXAMPLEEXAMPLE01:s',
    ...(tags !== undefined && { tags }),
  };
}

function inline(text: string, name = 'pull'): FetchedPolicy {
  return {
    id: `inline:role/ci/${name}`,
    label: `inline policy \`${name}\` of role \`ci\``,
    text,
    origin: { kind: 'inline', entity: 'role', entityName: 'ci', policyName: name },
  };
}

function repositoryPolicy(text: string): FetchedPolicy {
  return {
    id: 'repository-policy:app',
    label: 'the repository policy of `app`',
    text,
    origin: { kind: 'repository' },
  };
}

function inputs(account: string, extra: Partial<AccessInputs> = {}): AccessInputs {
  return {
    principal: session(account),
    entity: { kind: 'role', name: 'ci', accountId: account },
    repository: repo,
    identity: [],
    ...extra,
  };
}

const allowPull = (resource = repo.arn) => ({
  Sid: 'Pull',
  Effect: 'Allow',
  Action: 'ecr:BatchGetImage',
  Resource: resource,
});
const grantCi = (account: string) => ({
  Sid: 'GrantCi',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${account}:role/ci` },
  Action: 'ecr:BatchGetImage',
});

describe('explain: decisions and the sides that are missing', () => {
  test('across accounts with nothing granted, both sides are missing and both fixes are proposed', () => {
    const x = explainAccess(inputs(B), ['ecr:BatchGetImage']);
    const [a] = x.actions;
    assert.equal(a?.decision, 'ImplicitDeny');
    assert.equal(a?.crossAccount, true);
    assert.deepEqual(a?.missing, ['identity', 'resource']);
    assert.equal(
      a?.message,
      `User: arn:aws:sts::${B}:assumed-role/ci/s is not authorized to perform: ecr:BatchGetImage on resource: ${repo.arn} because no identity-based policy allows the ecr:BatchGetImage action`,
    );
    assert.deepEqual(
      x.fixes.map((f) => [f.kind, 'side' in f ? f.side : undefined]),
      [
        ['add-statement', 'identity'],
        ['add-statement', 'resource'],
      ],
    );
    assert.equal(x.fixesSuffice, true);
  });

  test('in one account an identity allow is enough; the missing side is the identity side', () => {
    const none = explainAccess(inputs(A), ['ecr:BatchGetImage']);
    assert.deepEqual(none.actions[0]?.missing, ['identity']);
    assert.equal(none.fixes.length, 1);
    const fix = none.fixes[0];
    assert.equal(fix?.kind, 'add-statement');
    assert.equal(
      fix?.kind === 'add-statement' ? fix.command : undefined,
      'aws iam put-role-policy --role-name ci --policy-name crossdock-fix --policy-document file://policy.json',
    );
    const ok = explainAccess(inputs(A, { identity: [inline(doc(allowPull()))] }), ['ecr:BatchGetImage']);
    assert.equal(ok.decision, 'Allow');
    assert.deepEqual(
      ok.actions[0]?.deciding.map((s) => [s.side, s.sid, s.policy]),
      [['identity', 'Pull', 'inline policy `pull` of role `ci`']],
    );
    assert.deepEqual(ok.fixes, []);
  });

  test('a permissions boundary that does not allow is named, and the fix goes into the boundary', () => {
    const boundary: FetchedPolicy = {
      id: `arn:aws:iam::${B}:policy/Bound`,
      label: 'permissions boundary `Bound`',
      text: doc({ Effect: 'Allow', Action: 'ecr:DescribeRepositories', Resource: '*' }),
      origin: { kind: 'boundary', arn: `arn:aws:iam::${B}:policy/Bound`, entity: 'role', entityName: 'ci' },
    };
    const x = explainAccess(
      inputs(B, {
        identity: [inline(doc(allowPull()))],
        boundary,
        repositoryPolicy: repositoryPolicy(doc(grantCi(B))),
      }),
      ['ecr:BatchGetImage'],
    );
    assert.equal(x.actions[0]?.denial?.by, 'boundary');
    assert.deepEqual(x.actions[0]?.missing, ['boundary']);
    const [fix] = x.fixes;
    assert.ok(fix?.kind === 'add-statement');
    assert.equal(fix.side, 'boundary');
    assert.equal(
      fix.command,
      `aws iam create-policy-version --policy-arn arn:aws:iam::${B}:policy/Bound --set-as-default --policy-document file://policy.json`,
    );
    assert.equal(JSON.parse(fix.document).Statement.length, 2);
    assert.equal(x.fixesSuffice, true);
  });

  test('SCPs that do not allow at one level deny; the fix is an SCP on every level', () => {
    const fullAccess: FetchedPolicy = {
      id: 'scp:p-FullAWSAccess@r-root',
      label: 'service control policy `FullAWSAccess` attached to r-root',
      text: doc({ Effect: 'Allow', Action: '*', Resource: '*' }),
      origin: { kind: 'scp', policyId: 'p-FullAWSAccess', target: 'r-root' },
    };
    const narrow: FetchedPolicy = {
      id: `scp:p-narrow@${B}`,
      label: `service control policy \`OnlyS3\` attached to ${B}`,
      text: doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }),
      origin: { kind: 'scp', policyId: 'p-narrow', target: B },
    };
    const x = explainAccess(
      inputs(B, {
        identity: [inline(doc(allowPull()))],
        repositoryPolicy: repositoryPolicy(doc(grantCi(B))),
        scp: [[fullAccess], [narrow]],
      }),
      ['ecr:BatchGetImage'],
    );
    assert.equal(
      x.actions[0]?.message,
      `User: arn:aws:sts::${B}:assumed-role/ci/s is not authorized to perform: ecr:BatchGetImage on resource: ${repo.arn} because no service control policy allows the ecr:BatchGetImage action`,
    );
    assert.deepEqual(
      x.fixes.map((f) => (f.kind === 'add-statement' ? [f.side, f.statement] : f.kind)),
      [['scp', { Sid: 'AllowBatchGetImage', Effect: 'Allow', Action: ['ecr:BatchGetImage'], Resource: '*' }]],
    );
    assert.equal(x.fixesSuffice, true);
  });

  test('an explicit Deny in a managed policy is the fix to remove, pointing at its statement', () => {
    const managed: FetchedPolicy = {
      id: `arn:aws:iam::${B}:policy/Guard`,
      label: 'managed policy `Guard` attached to role `ci`',
      text: doc(
        { Sid: 'Keep', Effect: 'Allow', Action: 'ecr:DescribeImages', Resource: '*' },
        { Sid: 'NoPull', Effect: 'Deny', Action: 'ecr:BatchGetImage', Resource: '*' },
      ),
      origin: { kind: 'managed', arn: `arn:aws:iam::${B}:policy/Guard`, entity: 'role', entityName: 'ci' },
    };
    const x = explainAccess(
      inputs(B, {
        identity: [inline(doc(allowPull())), managed],
        repositoryPolicy: repositoryPolicy(doc(grantCi(B))),
      }),
      ['ecr:BatchGetImage'],
    );
    const [a] = x.actions;
    assert.equal(a?.decision, 'ExplicitDeny');
    assert.deepEqual(a?.missing, []);
    assert.deepEqual(
      a?.deciding.map((s) => [s.effect, s.sid, s.index]),
      [['Deny', 'NoPull', 1]],
    );
    const [fix] = x.fixes;
    assert.ok(fix?.kind === 'remove-statement');
    assert.equal(fix.sid, 'NoPull');
    assert.equal(fix.index, 1);
    assert.deepEqual(JSON.parse(fix.document ?? '{}').Statement, [
      { Sid: 'Keep', Effect: 'Allow', Action: 'ecr:DescribeImages', Resource: '*' },
    ]);
    assert.equal(x.fixesSuffice, true);
  });

  test('a Deny removed from a policy that also gets the grant: both fixes carry the final document', () => {
    const x = explainAccess(
      inputs(B, {
        identity: [inline(doc(allowPull()))],
        repositoryPolicy: repositoryPolicy(
          doc({ Sid: 'NoOne', Effect: 'Deny', Principal: '*', Action: 'ecr:*' }),
        ),
      }),
      ['ecr:BatchGetImage'],
    );
    const [remove, add] = x.fixes;
    assert.ok(remove?.kind === 'remove-statement');
    assert.equal(remove.sid, 'NoOne');
    assert.ok(add?.kind === 'add-statement');
    assert.equal(add.side, 'resource');
    assert.equal(remove.document, add.document);
    assert.deepEqual(
      JSON.parse(add.document).Statement.map((s: { Sid: string }) => s.Sid),
      ['AllowBatchGetImage'],
    );
    assert.equal(
      add.command,
      `aws ecr set-repository-policy --region us-east-1 --registry-id ${A} --repository-name app --policy-text file://policy.json`,
    );
    assert.equal(x.fixesSuffice, true);
  });

  test('removing the only statement of a repository policy deletes the policy', () => {
    const x = explainAccess(
      inputs(A, {
        identity: [inline(doc(allowPull()))],
        repositoryPolicy: repositoryPolicy(
          doc({ Sid: 'NoOne', Effect: 'Deny', Principal: '*', Action: 'ecr:*' }),
        ),
      }),
      ['ecr:BatchGetImage'],
    );
    assert.equal(x.fixes.length, 1);
    const [remove] = x.fixes;
    assert.ok(remove?.kind === 'remove-statement');
    assert.equal(remove.document, undefined);
    assert.equal(
      remove.command,
      `aws ecr delete-repository-policy --region us-east-1 --registry-id ${A} --repository-name app`,
    );
    assert.equal(x.fixesSuffice, true);
  });

  test('a principal tag condition is fixed by tagging the role', () => {
    const tagged = doc({
      Sid: 'CiOnly',
      Effect: 'Allow',
      Action: 'ecr:BatchGetImage',
      Resource: repo.arn,
      Condition: { StringEquals: { 'aws:PrincipalTag/team': 'ci' } },
    });
    const x = explainAccess(inputs(A, { identity: [inline(tagged)] }), ['ecr:BatchGetImage']);
    assert.deepEqual(
      x.actions[0]?.hints.map((h) => [h.kind, h.sid, h.failing?.[0]?.actual]),
      [['condition', 'CiOnly', undefined]],
    );
    assert.deepEqual(
      x.fixes.map((f) => (f.kind === 'tag-principal' ? [f.tags, f.command] : f.kind)),
      [[{ team: 'ci' }, 'aws iam tag-role --role-name ci --tags Key=team,Value=ci']],
    );
  });

  test('a whole pull merges the statements per policy, and login is granted on "*"', () => {
    const x = explainAccess(inputs(B), PULL_ACTIONS);
    assert.equal(x.actions.length, 4);
    assert.equal(x.actions[0]?.resource, '*');
    assert.deepEqual(x.actions[0]?.sides.resource, 'n/a');
    const statements = x.fixes.map((f) => (f.kind === 'add-statement' ? [f.side, f.statement] : f.kind));
    assert.deepEqual(statements, [
      [
        'identity',
        {
          Sid: 'AllowGetAuthorizationToken',
          Effect: 'Allow',
          Action: ['ecr:GetAuthorizationToken'],
          Resource: '*',
        },
      ],
      [
        'identity',
        {
          Sid: 'AllowEcrPull',
          Effect: 'Allow',
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
          Resource: repo.arn,
        },
      ],
      [
        'resource',
        {
          Sid: 'AllowEcrPull',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${B}:role/ci` },
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        },
      ],
    ]);
    // One identity document holds both statements.
    const identityDocs = x.fixes.flatMap((f) =>
      f.kind === 'add-statement' && f.side === 'identity' ? [f.document] : [],
    );
    assert.equal(JSON.parse(identityDocs[0] ?? '{}').Statement.length, 2);
    assert.equal(x.fixesSuffice, true);
  });

  test('a repository policy naming someone else: the hint says so and the new Sid does not collide', () => {
    const other = {
      Sid: 'AllowBatchGetImage',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${B}:role/other` },
      Action: 'ecr:BatchGetImage',
    };
    const x = explainAccess(
      inputs(B, { identity: [inline(doc(allowPull()))], repositoryPolicy: repositoryPolicy(doc(other)) }),
      ['ecr:BatchGetImage'],
    );
    assert.deepEqual(
      x.actions[0]?.hints.map((h) => [h.kind, h.sid]),
      [['principal', 'AllowBatchGetImage']],
    );
    const [fix] = x.fixes;
    assert.ok(fix?.kind === 'add-statement');
    assert.equal(fix.statement.Sid, 'AllowBatchGetImage2');
    assert.deepEqual(
      JSON.parse(fix.document).Statement.map((s: { Sid: string }) => s.Sid),
      ['AllowBatchGetImage', 'AllowBatchGetImage2'],
    );
  });

  test('an account principal grant is allowed and noted', () => {
    const x = explainAccess(
      inputs(B, {
        identity: [inline(doc(allowPull()))],
        repositoryPolicy: repositoryPolicy(
          doc({
            Sid: 'Acct',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${B}:root` },
            Action: 'ecr:BatchGetImage',
          }),
        ),
      }),
      ['ecr:BatchGetImage'],
    );
    assert.equal(x.decision, 'Allow');
    assert.equal(x.actions[0]?.resourceGrant, 'account');
    assert.deepEqual(
      x.actions[0]?.hints.map((h) => [h.kind, h.sid]),
      [['account-principal', 'Acct']],
    );
  });

  test('a stored policy the engine refuses is reported, not evaluated', () => {
    assert.throws(
      () => explainAccess(inputs(B, { identity: [inline('{"Statement": 5}')] }), ['ecr:BatchGetImage']),
      UnreadablePolicyError,
    );
  });
});

describe('explain: ECS task role and execution role', () => {
  const taskRole = `arn:aws:iam::${B}:role/app-task-role`;
  const grantTaskRole = { ...grantCi(B), Sid: 'GrantTask', Principal: { AWS: taskRole } };
  const ecs = (grantedEcsRoles: string[]) => ({ ecs: { callerIsEcsRole: true, grantedEcsRoles } });

  const cases = [
    {
      name: 'an ECS role denied where the repository grants the task role is told ECS pulls with the execution role',
      extra: ecs([taskRole]),
      policy: doc(grantTaskRole),
      decision: 'ImplicitDeny',
      hints: [['ecs-execution-role', 'GrantTask']],
    },
    {
      name: 'the same denial without ECS roles is the plain principal hint',
      extra: {},
      policy: doc(grantTaskRole),
      decision: 'ImplicitDeny',
      hints: [['principal', 'GrantTask']],
    },
    {
      name: 'an ECS role that may pull is reminded that the task role does not pull',
      extra: ecs([]),
      policy: doc(grantCi(B)),
      decision: 'Allow',
      hints: [['ecs-task-role', 'GrantCi']],
    },
    {
      name: 'a role ECS does not assume gets no ECS note',
      extra: {},
      policy: doc(grantCi(B)),
      decision: 'Allow',
      hints: [],
    },
  ] as const;
  for (const c of cases) {
    test(c.name, () => {
      const x = explainAccess(
        inputs(B, {
          identity: [inline(doc(allowPull()))],
          repositoryPolicy: repositoryPolicy(c.policy),
          ...c.extra,
        }),
        ['ecr:BatchGetImage'],
      );
      const [a] = x.actions;
      assert.equal(a?.decision, c.decision);
      assert.deepEqual(
        a?.hints.map((h) => [h.kind, h.sid]),
        c.hints,
      );
    });
  }
});

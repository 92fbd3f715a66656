import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from './parse.js';
import { PolicyError } from '../errors.js';
import type { PolicyKind } from './types.js';

const A = '111111111111';
const stmt = (s: Record<string, unknown>, version: string | undefined = '2012-10-17'): string =>
  JSON.stringify({ ...(version !== undefined && { Version: version }), Statement: [s] });
const allowAll = { Effect: 'Allow', Action: 'ecr:*', Resource: '*' };
const repoStmt = {
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${A}:root` },
  Action: 'ecr:BatchGetImage',
};

interface Case {
  name: string;
  kind: PolicyKind;
  text: string;
  /** undefined: accepted. */
  code?: string;
  message?: RegExp;
  statement?: number;
}

const cases: Case[] = [
  { name: 'a minimal identity policy is accepted', kind: 'identity', text: stmt(allowAll) },
  {
    name: 'Statement may be a single object',
    kind: 'identity',
    text: JSON.stringify({ Version: '2012-10-17', Statement: allowAll }),
  },
  {
    name: 'Version 2008-10-17 is accepted (ECR consoles emit it)',
    kind: 'repository',
    text: stmt({ ...repoStmt, Sid: 'new statement' }, '2008-10-17'),
  },
  { name: 'a missing Version is accepted', kind: 'identity', text: stmt(allowAll, undefined) },
  {
    name: 'an empty Condition object is accepted',
    kind: 'trust',
    text: stmt({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${A}:root` },
      Action: 'sts:AssumeRole',
      Condition: {},
    }),
  },
  {
    name: 'a Sid with spaces is accepted in an ECR repository policy',
    kind: 'repository',
    text: stmt({ ...repoStmt, Sid: 'ECR Repository Policy' }),
  },
  {
    name: 'a Sid with spaces is rejected in an IAM policy',
    kind: 'identity',
    text: stmt({ ...allowAll, Sid: 'my sid' }),
    code: 'MalformedPolicyDocument',
    message: /alpha-numeric/,
    statement: 0,
  },
  {
    name: 'a Sid with a dash is rejected in a trust policy',
    kind: 'trust',
    text: stmt({
      Effect: 'Allow',
      Principal: { Service: 'ec2.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Sid: 'a-b',
    }),
    code: 'MalformedPolicyDocument',
    message: /alpha-numeric/,
  },
  {
    name: 'duplicate Sids are rejected',
    kind: 'identity',
    text: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { ...allowAll, Sid: 'X' },
        { ...allowAll, Sid: 'X' },
      ],
    }),
    code: 'MalformedPolicyDocument',
    message: /unique/,
    statement: 1,
  },
  {
    name: 'text that is not JSON is a syntax error',
    kind: 'identity',
    text: '{"Version": ',
    code: 'MalformedPolicyDocument',
    message: /Syntax errors/,
  },
  {
    name: 'an unsupported Version is rejected',
    kind: 'identity',
    text: stmt(allowAll, '2012-10-18'),
    code: 'MalformedPolicyDocument',
  },
  {
    name: 'an unknown top-level field is rejected',
    kind: 'identity',
    text: JSON.stringify({ Version: '2012-10-17', Statement: [allowAll], Extra: 1 }),
    code: 'MalformedPolicyDocument',
  },
  {
    name: 'an unknown statement field is rejected',
    kind: 'identity',
    text: stmt({ ...allowAll, Actions: 'x' }),
    code: 'MalformedPolicyDocument',
    statement: 0,
  },
  {
    name: 'an empty Statement array is rejected',
    kind: 'identity',
    text: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
    code: 'MalformedPolicyDocument',
  },
  {
    name: 'a Principal in an identity policy is rejected',
    kind: 'identity',
    text: stmt({ ...allowAll, Principal: '*' }),
    code: 'MalformedPolicyDocument',
    message: /should not specify a principal/,
  },
  {
    name: 'a Principal in a permissions boundary is rejected',
    kind: 'boundary',
    text: stmt({ ...allowAll, Principal: '*' }),
    code: 'MalformedPolicyDocument',
  },
  {
    name: 'an identity policy without Resource is rejected',
    kind: 'identity',
    text: stmt({ Effect: 'Allow', Action: 'ecr:*' }),
    code: 'MalformedPolicyDocument',
    message: /must contain resources/,
  },
  {
    name: 'a statement without Action is rejected',
    kind: 'identity',
    text: stmt({ Effect: 'Allow', Resource: '*' }),
    code: 'MalformedPolicyDocument',
    message: /must contain actions/,
  },
  {
    name: 'Action and NotAction together are rejected',
    kind: 'identity',
    text: stmt({ ...allowAll, NotAction: 'iam:*' }),
    code: 'MalformedPolicyDocument',
  },
  {
    name: 'an action without a vendor is rejected',
    kind: 'identity',
    text: stmt({ ...allowAll, Action: 'BatchGetImage' }),
    code: 'MalformedPolicyDocument',
    message: /prefaced by a vendor/,
  },
  {
    name: 'an action with two colons is rejected',
    kind: 'identity',
    text: stmt({ ...allowAll, Action: 'ecr:a:b' }),
    code: 'MalformedPolicyDocument',
    message: /only one colon/,
  },
  {
    name: 'a wildcard vendor is rejected',
    kind: 'identity',
    text: stmt({ ...allowAll, Action: '*:Get*' }),
    code: 'MalformedPolicyDocument',
    message: /must not contain wildcards/,
  },
  {
    name: 'a Resource that is not an ARN is rejected',
    kind: 'identity',
    text: stmt({ ...allowAll, Resource: 'my-repo' }),
    code: 'MalformedPolicyDocument',
    message: /must be in ARN format/,
  },
  {
    name: 'an Effect other than Allow or Deny is rejected',
    kind: 'identity',
    text: stmt({ ...allowAll, Effect: 'Permit' }),
    code: 'MalformedPolicyDocument',
  },
  {
    name: 'a missing Effect is rejected',
    kind: 'identity',
    text: stmt({ Action: 'ecr:*', Resource: '*' }),
    code: 'MalformedPolicyDocument',
  },
  {
    name: 'an empty Action array is rejected',
    kind: 'identity',
    text: stmt({ ...allowAll, Action: [] }),
    code: 'MalformedPolicyDocument',
  },
  {
    name: 'a Resource in a trust policy is rejected',
    kind: 'trust',
    text: stmt({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${A}:root` },
      Action: 'sts:AssumeRole',
      Resource: '*',
    }),
    code: 'MalformedPolicyDocument',
    message: /prohibited field Resource/,
  },
  {
    name: 'a trust policy without Principal is rejected',
    kind: 'trust',
    text: stmt({ Effect: 'Allow', Action: 'sts:AssumeRole' }),
    code: 'MalformedPolicyDocument',
    message: /Missing required field Principal/,
  },
  {
    name: 'a bare "*" Principal is rejected in a trust policy',
    kind: 'trust',
    text: stmt({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }),
    code: 'MalformedPolicyDocument',
    message: /Invalid principal/,
  },
  {
    name: 'NotPrincipal is rejected in a trust policy',
    kind: 'trust',
    text: stmt({ Effect: 'Deny', NotPrincipal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'sts:AssumeRole' }),
    code: 'MalformedPolicyDocument',
  },
  {
    name: "a Resource in an ECR repository policy is rejected with ECR's message",
    kind: 'repository',
    text: stmt({ ...repoStmt, Resource: `arn:aws:ecr:us-east-1:${A}:repository/x` }),
    code: 'InvalidParameterException',
    message: /Invalid repository policy provided/,
  },
  {
    name: 'an ECR repository policy without Principal is rejected',
    kind: 'repository',
    text: stmt({ Effect: 'Allow', Action: 'ecr:*' }),
    code: 'InvalidParameterException',
    message: /Invalid repository policy provided/,
  },
  {
    name: 'an ECR registry policy needs a Resource',
    kind: 'registry',
    text: stmt(repoStmt),
    code: 'InvalidParameterException',
    message: /Invalid registry policy provided/,
  },
  {
    name: 'an ECR registry policy with a Resource is accepted',
    kind: 'registry',
    text: stmt({
      ...repoStmt,
      Action: 'ecr:ReplicateImage',
      Resource: `arn:aws:ecr:us-west-2:${A}:repository/*`,
    }),
  },
  {
    name: 'a partial wildcard principal is rejected',
    kind: 'repository',
    text: stmt({ ...repoStmt, Principal: { AWS: `arn:aws:iam::${A}:role/*` } }),
    code: 'InvalidParameterException',
  },
  {
    name: 'a 10-digit account principal is rejected',
    kind: 'trust',
    text: stmt({
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::2222222222:root' },
      Action: 'sts:AssumeRole',
    }),
    code: 'MalformedPolicyDocument',
    message: /Invalid principal in policy: "AWS":"arn:aws:iam::2222222222:root"/,
  },
  {
    name: 'every AWS principal form is accepted',
    kind: 'repository',
    text: stmt({
      ...repoStmt,
      Principal: {
        AWS: [
          '*',
          A,
          `arn:aws:iam::${A}:root`,
          `arn:aws:iam::${A}:user/a/b`,
          `arn:aws:iam::${A}:role/r`,
          `arn:aws:sts::${A}:assumed-role/r/s`,
          `arn:aws:sts::${A}:federated-user/f`,
          'AROAEXAMPLEEXAMPLE12',
        ],
      },
    }),
  },
  {
    name: 'Service and Federated principals are accepted',
    kind: 'trust',
    text: stmt({
      Effect: 'Allow',
      Principal: {
        Service: ['ec2.amazonaws.com', 'ecs-tasks.amazonaws.com'],
        Federated: 'cognito-identity.amazonaws.com',
      },
      Action: 'sts:AssumeRole',
    }),
  },
  {
    name: 'an unknown principal type is rejected',
    kind: 'trust',
    text: stmt({ Effect: 'Allow', Principal: { Group: 'x' }, Action: 'sts:AssumeRole' }),
    code: 'MalformedPolicyDocument',
  },
  {
    name: 'a character outside U+00FF is rejected',
    kind: 'identity',
    text: stmt({ ...allowAll, Sid: 'caf\u00e9' }).replace('caf\u00e9', 'caf\u0107'),
    code: 'MalformedPolicyDocument',
  },
  {
    name: 'a trust policy over 2048 characters is LimitExceeded',
    kind: 'trust',
    text: stmt({
      Effect: 'Allow',
      Principal: { AWS: Array.from({ length: 80 }, (_, i) => `arn:aws:iam::${A}:user/u${i}`) },
      Action: 'sts:AssumeRole',
    }),
    code: 'LimitExceeded',
    message: /ACLSizePerRole: 2048/,
  },
  {
    name: 'whitespace does not count toward IAM size limits',
    kind: 'identity',
    text: stmt(allowAll).replace(/,/g, ',' + ' '.repeat(3000)),
  },
  {
    name: 'a managed policy over 6144 characters is LimitExceeded',
    kind: 'identity',
    text: stmt({
      ...allowAll,
      Resource: Array.from({ length: 200 }, (_, i) => `arn:aws:ecr:us-east-1:${A}:repository/r${i}`),
    }),
    code: 'LimitExceeded',
  },
  {
    name: 'a repository policy over 10240 characters is rejected by ECR',
    kind: 'repository',
    text: stmt({ ...repoStmt, Action: Array.from({ length: 900 }, (_, i) => `ecr:Action${i}`) }),
    code: 'InvalidParameterException',
    message: /10240/,
  },
  {
    name: 'an SCP may omit Principal and carry NotAction',
    kind: 'scp',
    text: stmt({ Effect: 'Deny', NotAction: ['iam:*'], Resource: '*' }),
  },
];

for (const c of cases) {
  test(c.name, () => {
    if (c.code === undefined) {
      assert.doesNotThrow(() => parsePolicy(c.text, { kind: c.kind }));
      return;
    }
    try {
      parsePolicy(c.text, { kind: c.kind });
      assert.fail('expected a PolicyError');
    } catch (e) {
      assert.ok(e instanceof PolicyError, String(e));
      assert.equal(e.code, c.code);
      if (c.message) assert.match(e.message, c.message);
      if (c.statement !== undefined) assert.equal(e.statement, c.statement);
    }
  });
}

test('ECR keeps its generic message and records the precise reason in detail', () => {
  try {
    parsePolicy(stmt({ ...repoStmt, Resource: '*' }), { kind: 'repository' });
    assert.fail('expected a PolicyError');
  } catch (e) {
    assert.ok(e instanceof PolicyError);
    assert.match(e.detail ?? '', /Resource/);
  }
});

test('single values are normalised to arrays', () => {
  const doc = parsePolicy(stmt(allowAll), { kind: 'identity' });
  assert.deepEqual(doc.statements[0]!.action, ['ecr:*']);
  assert.deepEqual(doc.statements[0]!.resource, ['*']);
});

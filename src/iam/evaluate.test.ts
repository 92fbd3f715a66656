// The evaluator's own bookkeeping, beyond what the scenario corpus and the differential test see:
// context keys read without lower-casing the context, the `contextKeysLowerCase` fast path, tag
// keys, the per-action statement memo, and the exact shape of a result.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compilePolicy,
  denialMessage,
  evaluate,
  type AuthzRequest,
  type ContextValue,
  type PolicyRef,
} from './index.js';

const ACCOUNT = '111111111111';
const USER = {
  type: 'User',
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  account: ACCOUNT,
  principalArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  uniqueId: 'AIDAALICE',
  userId: 'AIDAALICE',
  userName: 'alice',
  tags: { Team: 'red', 'Cost\u212aey': 'kelvin' },
} as const;
const REPO = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app`;

function identity(statement: object): PolicyRef {
  return {
    id: 'p',
    policy: compilePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [statement] }), 'identity'),
  };
}

/** Allows ecr:BatchGetImage when the condition holds. */
function allowIf(condition: object): PolicyRef {
  return identity({ Effect: 'Allow', Action: 'ecr:BatchGetImage', Resource: '*', Condition: condition });
}

function decide(
  policy: PolicyRef,
  context?: Record<string, ContextValue>,
  extra: Partial<AuthzRequest> = {},
): string {
  return evaluate({
    principal: USER,
    action: 'ecr:BatchGetImage',
    resource: REPO,
    ...(context && { context }),
    policies: { identity: [policy] },
    ...extra,
  }).decision;
}

describe('context keys', () => {
  test('keys are found whatever their case, in the context and in tags', () => {
    const p = allowIf({ StringEquals: { 'aws:SourceVpc': 'vpc-1', 'aws:PrincipalTag/team': 'red' } });
    assert.equal(decide(p, { 'AWS:SOURCEVPC': 'vpc-1' }), 'Allow');
    assert.equal(decide(p, { 'aws:sourcevpc': 'vpc-1' }), 'Allow');
    assert.equal(decide(p, { 'aws:SourceVpc': 'vpc-2' }), 'ImplicitDeny');
    assert.equal(decide(p, {}), 'ImplicitDeny');
  });

  test('of two keys that differ only in case, the later one counts', () => {
    const p = allowIf({ StringEquals: { 'aws:SourceVpc': 'vpc-1' } });
    assert.equal(decide(p, { 'aws:sourcevpc': 'vpc-2', 'aws:SourceVpc': 'vpc-1' }), 'Allow');
    assert.equal(decide(p, { 'aws:SourceVpc': 'vpc-1', 'aws:sourcevpc': 'vpc-2' }), 'ImplicitDeny');
  });

  test('keys outside ASCII lower-case as String.prototype.toLowerCase does', () => {
    // Policies hold only U+0020–U+00FF; requests may carry any key. U+212A KELVIN SIGN lower-cases
    // to "k", U+0178 to U+00FF, and U+0130 to two code units (so it can never name a policy key).
    const kelvin = allowIf({ StringEquals: { 'a:key': 'v' } });
    assert.equal(decide(kelvin, { 'A:\u212aEY': 'v' }), 'Allow');
    assert.equal(decide(kelvin, { 'a:\u212a': 'v' }), 'ImplicitDeny');
    const latin = allowIf({ StringEquals: { 'a:\u00e9\u00ff': 'v' } });
    assert.equal(decide(latin, { 'A:\u00c9\u0178': 'v' }), 'Allow');
    assert.equal(decide(latin, { 'a:e\u00ff': 'v' }), 'ImplicitDeny');
    const dotted = allowIf({ StringEquals: { 'a:id': 'v' } });
    assert.equal(decide(dotted, { 'a:\u0130d': 'v' }), 'ImplicitDeny');
    assert.equal(decide(dotted, { 'A:\u0130': 'v', 'A:ID': 'v' }), 'Allow');
    const tag = allowIf({ StringEquals: { 'aws:PrincipalTag/costkey': 'kelvin' } });
    assert.equal(decide(tag), 'Allow');
  });

  test('an explicit key wins over the one derived from the principal', () => {
    const p = allowIf({ StringEquals: { 'aws:username': 'bob' } });
    assert.equal(decide(p), 'ImplicitDeny');
    assert.equal(decide(p, { 'aws:UserName': 'bob' }), 'Allow');
  });

  test('contextKeysLowerCase reads lower-case keys directly and decides the same', () => {
    const p = allowIf({
      StringEquals: { 'aws:SourceVpc': 'vpc-1' },
      StringLike: { 'aws:RequestTag/Env': 'p*' },
      Null: { 'aws:constructor': 'true', 'aws:__proto__': 'true' },
    });
    const lower = { contextKeysLowerCase: true };
    assert.equal(decide(p, { 'aws:sourcevpc': 'vpc-1', 'aws:requesttag/env': 'prod' }, lower), 'Allow');
    assert.equal(decide(p, { 'aws:sourcevpc': 'vpc-1', 'aws:requesttag/env': 'dev' }, lower), 'ImplicitDeny');
    // The promise is the caller's: a key with an upper-case letter is then not found.
    assert.equal(
      decide(p, { 'aws:SourceVpc': 'vpc-1', 'aws:requesttag/env': 'prod' }, lower),
      'ImplicitDeny',
    );
  });

  test('with lower-case keys, both ways of reading the context agree', () => {
    const p = allowIf({
      StringEquals: { 'aws:SourceVpc': 'vpc-1' },
      'ForAnyValue:StringLike': { 'aws:TagKeys': 'T*' },
    });
    fc.assert(
      fc.property(
        fc.constantFrom('vpc-1', 'vpc-2'),
        fc.array(fc.constantFrom('Team', 'Env', 'team')),
        (vpc, tagKeys) => {
          const context = { 'aws:sourcevpc': vpc, 'aws:tagkeys': tagKeys };
          assert.equal(decide(p, context, { contextKeysLowerCase: true }), decide(p, context));
        },
      ),
    );
  });
});

describe('statementsFor', () => {
  test('alternating actions get their own statements', () => {
    const policy = compilePolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'Get', Effect: 'Allow', Action: 'ecr:Get*', Resource: '*' },
          { Sid: 'Batch', Effect: 'Allow', Action: 'ecr:Batch*', Resource: '*' },
          { Sid: 'All', Effect: 'Allow', Action: 'ecr:*', Resource: '*' },
        ],
      }),
      'identity',
    );
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(
        policy.statementsFor('ecr:GetDownloadUrlForLayer').map((s) => s.sid),
        ['Get', 'All'],
      );
      assert.deepEqual(
        policy.statementsFor('ecr:BatchGetImage').map((s) => s.sid),
        ['Batch', 'All'],
      );
      assert.deepEqual(
        policy.statementsFor('s3:GetObject').map((s) => s.sid),
        [],
      );
    }
  });
});

describe('results', () => {
  const resource: PolicyRef = {
    id: 'repo',
    policy: compilePolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'Pull', Effect: 'Allow', Principal: { AWS: USER.arn }, Action: 'ecr:BatchGetImage' },
        ],
      }),
      'repository',
    ),
  };

  test('an allow lists its keys in a fixed order', () => {
    const r = evaluate({
      principal: USER,
      action: 'ecr:BatchGetImage',
      resource: REPO,
      policies: { identity: [], resource: [resource] },
    });
    assert.deepEqual(Object.keys(r), ['decision', 'crossAccount', 'sides', 'matched', 'resourceGrant']);
    assert.deepEqual(r.matched, [
      {
        policyId: 'repo',
        policyType: 'resource',
        index: 0,
        sid: 'Pull',
        effect: 'Allow',
        principalMatch: 'user',
      },
    ]);
  });

  test('a denial lists its keys in a fixed order, with near misses in explain mode', () => {
    const r = evaluate(
      {
        principal: USER,
        action: 'ecr:BatchGetImage',
        resource: REPO,
        policies: { identity: [allowIf({ Bool: { 'aws:SecureTransport': 'true' } })] },
      },
      { explain: true },
    );
    assert.deepEqual(Object.keys(r), [
      'decision',
      'crossAccount',
      'sides',
      'matched',
      'nearMisses',
      'denial',
      'message',
    ]);
    assert.deepEqual(r.nearMisses, [
      {
        policyId: 'p',
        policyType: 'identity',
        index: 0,
        effect: 'Allow',
        failing: [{ operator: 'Bool', key: 'aws:SecureTransport', values: ['true'] }],
      },
    ]);
    assert.equal('sid' in r.nearMisses![0]!, false);
  });
});

describe("AWS's denial sentence", () => {
  const req = { principal: USER, action: 'ecr:BatchGetImage', resource: REPO };
  const head = `User: ${USER.arn} is not authorized to perform: ecr:BatchGetImage on resource: ${REPO}`;

  test('an explicit deny names the policy type with its article', () => {
    assert.equal(
      denialMessage(req, 'identity', true),
      `${head} with an explicit deny in an identity-based policy`,
    );
    assert.equal(
      denialMessage(req, 'resource', true),
      `${head} with an explicit deny in a resource-based policy`,
    );
    assert.equal(
      denialMessage(req, 'scp', true),
      `${head} with an explicit deny in a service control policy`,
    );
  });

  test('an implicit deny says which policy type allowed nothing', () => {
    assert.equal(
      denialMessage(req, 'boundary', false),
      `${head} because no permissions boundary allows the ecr:BatchGetImage action`,
    );
  });
});

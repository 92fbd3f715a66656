// One minimal, hand-written case per known difference (docs/iam-differences.md): what AWS
// documents, what crossdock answers and what iam-simulate answers. Intended differences assert
// crossdock's (AWS's) answer; crossdock bugs assert AWS's answer and stay `todo` until fixed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyCache, type Decision, type RequestPrincipal } from '../../src/iam/index.js';
import { crossdockDecision } from './crossdock.js';
import { peerDecision } from './peer.js';
import { KNOWN_DIFFERENCES } from './differences.js';
import type { CasePolicies, GeneratedCase, PolicyJson, StatementJson } from './generate.js';

const A = '111111111111';
const REPO = `arn:aws:ecr:us-east-1:${A}:repository/app`;
const CONTEXT = {
  'aws:CurrentTime': '2024-06-01T12:00:00Z',
  'aws:EpochTime': '1717243200',
  'aws:SecureTransport': 'true',
};

const session: RequestPrincipal = {
  type: 'AssumedRole',
  arn: `arn:aws:sts::${A}:assumed-role/deployer/s1`,
  account: A,
  principalArn: `arn:aws:iam::${A}:role/deployer`,
  uniqueId: 'AROA1111DEPLOYERXXXXX',
  userId: 'AROA1111DEPLOYERXXXXX:s1',
};
const alice: RequestPrincipal = {
  type: 'User',
  arn: `arn:aws:iam::${A}:user/alice`,
  account: A,
  principalArn: `arn:aws:iam::${A}:user/alice`,
  uniqueId: 'AIDA1111ALICEXXXXXXXX',
  userId: 'AIDA1111ALICEXXXXXXXX',
  userName: 'alice',
};

function doc(version: string, ...Statement: StatementJson[]): PolicyJson {
  return { Version: version, Statement };
}

function pull(
  principal: RequestPrincipal,
  policies: CasePolicies,
  resourceTags?: Record<string, string>,
): GeneratedCase {
  return {
    seed: 0,
    principal,
    action: 'ecr:BatchGetImage',
    resource: REPO,
    resourceAccount: A,
    ...(resourceTags && { resourceTags }),
    context: CONTEXT,
    policies,
  };
}

interface Example {
  difference: string;
  name: string;
  c: GeneratedCase;
  /** What AWS documents. */
  aws: Decision;
  peer: Decision;
}

const examples: Example[] = [
  {
    difference: 'session-arn-grant-not-limited-by-session-policy',
    name: 'a repository policy naming the role session ARN is not limited by the session policy',
    c: pull(session, {
      identity: [],
      session: doc('2012-10-17', { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
      resource: doc('2012-10-17', {
        Effect: 'Allow',
        Principal: { AWS: session.arn },
        Action: 'ecr:BatchGetImage',
      }),
    }),
    aws: 'Allow',
    peer: 'ImplicitDeny',
  },
  {
    difference: 'wildcard-grant-limited-by-boundary',
    name: 'a repository policy granting * is still limited by the caller’s permissions boundary',
    c: pull(alice, {
      identity: [],
      boundary: doc('2012-10-17', { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
      resource: doc('2012-10-17', { Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' }),
    }),
    aws: 'ImplicitDeny',
    peer: 'Allow',
  },
  {
    difference: 'variables-are-literal-in-2008-10-17',
    name: 'a 2008-10-17 identity policy keeps ${aws:username} as literal text',
    c: {
      ...pull(alice, {
        identity: [
          doc('2008-10-17', {
            Effect: 'Allow',
            Action: 'ecr:BatchGetImage',
            Resource: `arn:aws:ecr:us-east-1:${A}:repository/\${aws:username}`,
          }),
        ],
      }),
      resource: `arn:aws:ecr:us-east-1:${A}:repository/alice`,
    },
    aws: 'ImplicitDeny',
    peer: 'Allow',
  },
  {
    difference: 'unresolved-variable-in-not-resource-excludes-nothing',
    name: 'a NotResource whose variable has no value excludes nothing, so the statement applies',
    c: pull(session, {
      identity: [
        doc('2012-10-17', {
          Effect: 'Allow',
          Action: 'ecr:BatchGetImage',
          NotResource: `arn:aws:ecr:us-east-1:${A}:repository/\${aws:username}`,
        }),
      ],
    }),
    aws: 'Allow',
    peer: 'ImplicitDeny',
  },
  {
    difference: 'negated-condition-matches-unresolved-variable',
    name: 'StringNotEquals against a variable with no value matches the null value',
    c: pull(
      alice,
      {
        identity: [
          doc('2012-10-17', {
            Effect: 'Allow',
            Action: 'ecr:BatchGetImage',
            Resource: '*',
            Condition: { StringNotEquals: { 'aws:ResourceTag/Team': '${aws:PrincipalTag/Team}' } },
          }),
        ],
      },
      { Team: 'red' },
    ),
    aws: 'Allow',
    peer: 'ImplicitDeny',
  },
];

test('every known difference has a minimal example', () => {
  for (const k of KNOWN_DIFFERENCES) {
    assert.ok(
      examples.some((e) => e.difference === k.name),
      `an example for ${k.name}`,
    );
  }
});

for (const e of examples) {
  const k = KNOWN_DIFFERENCES.find((x) => x.name === e.difference);
  const bug = k?.kind === 'bug';
  test(`${e.difference}: ${e.name}`, bug ? { todo: 'crossdock bug reported to the lead' } : {}, async () => {
    assert.ok(k, `known difference ${e.difference} exists`);
    assert.ok(k.applies(e.c), 'the predicate recognises the example');
    const peer = await peerDecision(e.c);
    assert.deepEqual(peer, { decision: e.peer }, 'iam-simulate');
    assert.equal(
      crossdockDecision(e.c, new PolicyCache()),
      e.aws,
      'crossdock gives the answer AWS documents',
    );
  });
}

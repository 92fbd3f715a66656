/**
 * Differential test: our condition operators against @cloud-copilot/iam-simulate (AGPL; imported
 * here only, never from src/). Each generated case puts one Condition clause into an identity
 * policy `Allow s3:GetObject on *` and asks iam-simulate whether the request is allowed.
 *
 * The generators keep to values both sides read the same way. Where we decide differently on
 * purpose, the case is listed in `disagreements` below with the reason, and asserted both ways,
 * so the list stays true.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { lookupFromRecord, type ContextValue } from '../context.js';
import { compileConditionBlock } from './index.js';

type Condition = Record<string, Record<string, string[]>>;

function simulate(condition: Condition, context: Record<string, ContextValue>): boolean {
  const result = runUnsafeSimulation(
    {
      request: {
        principal: 'arn:aws:iam::111122223333:user/alice',
        action: 's3:GetObject',
        resource: { resource: 'arn:aws:s3:::bucket/key', accountId: '111122223333' },
        contextVariables: Object.fromEntries(
          Object.entries(context).map(([k, v]) => [k, typeof v === 'string' ? v : [...v]]),
        ),
      },
      identityPolicies: [
        {
          name: 'p',
          policy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: condition }],
          },
        },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: undefined,
      permissionBoundaryPolicies: undefined,
    },
    {},
  );
  return result === 'Allowed';
}

function ours(condition: Condition, context: Record<string, ContextValue>): boolean {
  const block = compileConditionBlock(condition, { variables: true });
  return block === undefined || block.test(lookupFromRecord(context));
}

interface Family {
  operators: string[];
  policy: string[];
  request: string[];
}

const families: Family[] = [
  {
    operators: [
      'StringEquals',
      'StringNotEquals',
      'StringEqualsIgnoreCase',
      'StringNotEqualsIgnoreCase',
      'StringLike',
      'StringNotLike',
    ],
    policy: ['a', 'b', 'A', 'ab', 'a*', '*', '?b', '', 'a${*}', 'x${?}'],
    request: ['a', 'b', 'A', 'ab', 'a*', 'abc', '', 'x?', 'xy'],
  },
  {
    operators: [
      'NumericEquals',
      'NumericNotEquals',
      'NumericLessThan',
      'NumericLessThanEquals',
      'NumericGreaterThan',
      'NumericGreaterThanEquals',
    ],
    policy: ['0', '1', '-1', '2.5', '10', '007'],
    request: ['0', '1', '-1', '2.5', '10', '3', '7', 'x'],
  },
  {
    operators: [
      'DateEquals',
      'DateNotEquals',
      'DateLessThan',
      'DateLessThanEquals',
      'DateGreaterThan',
      'DateGreaterThanEquals',
    ],
    policy: ['2020-01-01', '2020-01-01T00:00:00Z', '2020-01-01T00:00:01Z', '2021-06-30T12:00:00Z'],
    request: [
      '2020-01-01',
      '2020-01-01T00:00:00Z',
      '2020-01-01T00:00:01Z',
      '2021-06-30T12:00:00Z',
      '2019-05-05T05:05:05Z',
      'garbage',
    ],
  },
  { operators: ['Bool'], policy: ['true', 'false', 'TRUE'], request: ['true', 'false', 'True', 'maybe'] },
  { operators: ['BinaryEquals'], policy: ['YQ==', 'Yg==', 'YWI='], request: ['YQ==', 'Yg==', 'YWI='] },
  {
    operators: ['IpAddress', 'NotIpAddress'],
    policy: [
      '10.0.0.0/8',
      '10.1.0.0/16',
      '192.0.2.0/24',
      '192.0.2.9/32',
      '2001:db8::/32',
      '::/0',
      '128.0.0.0/1',
    ],
    request: ['10.1.2.3', '10.2.0.1', '192.0.2.9', '8.8.8.8', '2001:db8::1', '2001:db9::1', 'bogus'],
  },
  {
    operators: ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike'],
    policy: [
      'arn:aws:s3:::a',
      'arn:aws:s3:::*',
      'arn:aws:*:*:*:*',
      'arn:aws:iam::1:role/*',
      'arn:aws:iam::?:role/x',
      'arn:aws:s3',
      'arn:aws:ec2:us-*:1:*',
    ],
    request: [
      'arn:aws:s3:::a',
      'arn:aws:s3:::b/c',
      'arn:aws:iam::1:role/x',
      'arn:aws:iam::2:role/x',
      'arn:aws:ec2:us-east-1:1:instance/i-1',
      'notanarn',
    ],
  },
  { operators: ['Null'], policy: ['true', 'false'], request: ['x', ''] },
];

const generatedCase = fc
  .record({
    family: fc.constantFrom(...families),
    qualifier: fc.constantFrom('', '', '', 'ForAllValues:', 'ForAnyValue:'),
    ifExists: fc.boolean(),
    shape: fc.constantFrom('absent', 'single', 'single', 'multi'),
    pick: fc.nat(),
    policyPicks: fc.array(fc.nat(), { maxLength: 3 }),
    requestPicks: fc.array(fc.nat(), { maxLength: 3 }),
  })
  .map(({ family, qualifier, ifExists, shape, pick, policyPicks, requestPicks }) => {
    const base = family.operators[pick % family.operators.length] as string;
    const operator = `${qualifier}${base}${ifExists && base !== 'Null' ? 'IfExists' : ''}`;
    // iam-simulate decodes the escapes ${*} ${?} only in the Like operators (see disagreements).
    const values = policyPicks
      .map((i) => family.policy[i % family.policy.length] as string)
      .filter((v) => base.includes('Like') || !v.includes('${'));
    const requestValues = requestPicks.map((i) => family.request[i % family.request.length] as string);
    const context: Record<string, ContextValue> =
      shape === 'absent'
        ? {}
        : shape === 'single'
          ? { 'test:key': requestValues[0] ?? (family.request[0] as string) }
          : { 'test:key': requestValues };
    const condition: Condition = { [operator]: { 'Test:Key': values } };
    return { condition, context };
  });

describe('conditions agree with iam-simulate', () => {
  test('on generated single-clause conditions', () => {
    fc.assert(
      fc.property(generatedCase, ({ condition, context }) => {
        assert.equal(
          ours(condition, context),
          simulate(condition, context),
          JSON.stringify({ condition, context }),
        );
      }),
      { numRuns: 1500, seed: 20240611 },
    );
  });

  test('on generated two-operator blocks', () => {
    fc.assert(
      fc.property(generatedCase, generatedCase, (a, b) => {
        const condition: Condition = { ...a.condition };
        for (const [op, body] of Object.entries(b.condition)) {
          condition[op] = { ...condition[op], 'Other:Key': body['Test:Key'] ?? [] };
        }
        const context = {
          ...a.context,
          ...Object.fromEntries(Object.entries(b.context).map(([, v]) => ['other:key', v])),
        };
        assert.equal(
          ours(condition, context),
          simulate(condition, context),
          JSON.stringify({ condition, context }),
        );
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

/**
 * Where we answer differently from iam-simulate on purpose. Each entry gives our answer and the
 * reason; the test checks both engines still say what the entry claims.
 */
const disagreements: {
  name: string;
  condition: Condition;
  context: Record<string, ContextValue>;
  ours: boolean;
  why: string;
}[] = [
  {
    name: 'a negated operator with an unresolvable variable matches',
    condition: { StringNotEquals: { 'aws:ResourceTag/owner': ['${aws:username}'] } },
    context: { 'aws:ResourceTag/owner': 'alice' },
    ours: true,
    why: 'AWS, "Policy variables with no value": "Inverted condition operators like StringNotEquals or StringNotLike do match against a null value"; iam-simulate fails the clause',
  },
  {
    name: 'an epoch and an ISO date of the same instant are equal',
    condition: { DateEquals: { 'aws:CurrentTime': ['1577836800'] } },
    context: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' },
    ours: true,
    why: 'epoch values are seconds (aws:EpochTime); iam-simulate compares epoch seconds with ISO milliseconds',
  },
  {
    name: 'ArnLike with the pattern * matches any ARN',
    condition: { ArnLike: { 'aws:SourceArn': ['*'] } },
    context: { 'aws:SourceArn': 'arn:aws:s3:::b' },
    ours: true,
    why: 'a pattern that is exactly * matches everything (crossdock contract); iam-simulate reads * as an invalid ARN',
  },
  {
    name: 'NotIpAddress with a bare IPv4 address holds for an IPv6 client',
    condition: { NotIpAddress: { 'aws:SourceIp': ['192.0.2.1'] } },
    context: { 'aws:SourceIp': '2001:db8::1' },
    ours: true,
    why: 'a bare address is the /32 block (AWS docs), and addresses of another family are outside every block, as iam-simulate itself answers for 192.0.2.1/32',
  },
  {
    name: 'the escape ${*} is a literal star in StringEquals too',
    condition: { StringEquals: { 'test:key': ['a${*}'] } },
    context: { 'test:key': 'a*' },
    ours: true,
    why: 'AWS documents ${*}, ${?}, ${$} as policy variables with fixed values, substituted wherever variables are; iam-simulate substitutes them only in the Like operators',
  },
  {
    name: 'the IPv4 block 0.0.0.0/0 holds every IPv4 address',
    condition: { IpAddress: { 'aws:SourceIp': ['0.0.0.0/0'] } },
    context: { 'aws:SourceIp': '10.1.2.3' },
    ours: true,
    why: 'a /0 block has no network bits; iam-simulate builds its mask as -1 << 32, which JavaScript reads as -1 << 0',
  },
  {
    name: 'an empty tag value substitutes as empty text',
    condition: { StringEquals: { 'test:key': ['x${aws:PrincipalTag/t}'] } },
    context: { 'test:key': 'x', 'aws:PrincipalTag/t': '' },
    ours: true,
    why: 'a present key with an empty value has a value; iam-simulate treats an empty string as no value',
  },
  {
    name: 'a number followed by text is not a number',
    condition: { NumericEquals: { 'test:key': ['10'] } },
    context: { 'test:key': '10abc' },
    ours: false,
    why: 'the Numeric operators compare integers and decimals; iam-simulate uses parseInt, which reads a prefix',
  },
];

describe('intentional disagreements with iam-simulate', () => {
  for (const d of disagreements) {
    test(d.name, () => {
      assert.equal(ours(d.condition, d.context), d.ours, d.why);
      assert.equal(simulate(d.condition, d.context), !d.ours, `iam-simulate now agrees: ${d.why}`);
    });
  }
});

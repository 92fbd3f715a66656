import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AwsError } from './errors.js';
import { list, map, required, struct } from './shape.js';
import {
  DEFAULT_QUERY_LIMITS,
  decodeQueryOperation,
  encodeQueryError,
  encodeQueryRequest,
  encodeQueryResult,
  IAM_QUERY,
  parseQueryRequest,
  STS_QUERY,
} from './awsQuery.js';

const Tag = struct({ Key: required('string'), Value: required('string') });
const OPS = {
  GetCallerIdentity: struct({}),
  CreateRole: struct({
    RoleName: required('string'),
    AssumeRolePolicyDocument: required('string'),
    Path: 'string',
    MaxSessionDuration: 'integer',
    Tags: list(Tag),
  }),
  AssumeRole: struct({
    RoleArn: required('string'),
    RoleSessionName: required('string'),
    DurationSeconds: 'integer',
    PolicyArns: list(struct({ arn: 'string' })),
    Tags: list(Tag),
    TransitiveTagKeys: list('string'),
  }),
  Probe: struct({
    Flag: 'boolean',
    At: 'timestamp',
    Bytes: 'blob',
    Attributes: map('string'),
    Filter: list(struct({ Name: required('string'), Values: list('string') })),
  }),
};

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof AwsError, `threw ${String(err)}`);
    return err.code;
  }
  return 'ok';
}

describe('decoding what the AWS CLI sends', () => {
  // Bodies copied from shared/fixtures/aws-cli-captures.jsonl (aws-cli 2.9.19 and 1.45.11).
  const cases = [
    {
      name: 'GetCallerIdentity has no input',
      service: STS_QUERY,
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      expected: { operation: 'GetCallerIdentity', input: {} },
    },
    {
      name: 'AssumeRole decodes the percent-encoded role ARN',
      service: STS_QUERY,
      body: 'Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2FX&RoleSessionName=s1',
      expected: {
        operation: 'AssumeRole',
        input: { RoleArn: 'arn:aws:iam::111111111111:role/X', RoleSessionName: 's1' },
      },
    },
    {
      name: 'CreateRole decodes the policy document exactly once',
      service: IAM_QUERY,
      body: 'Action=CreateRole&Version=2010-05-08&RoleName=X&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A111111111111%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D',
      expected: {
        operation: 'CreateRole',
        input: {
          RoleName: 'X',
          AssumeRolePolicyDocument:
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}',
        },
      },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(decodeQueryOperation(c.service, OPS, { body: Buffer.from(c.body) }), c.expected);
    });
  }
});

describe('decoding structured members', () => {
  test('lists of structures come back in index order whatever the parameter order', () => {
    const body =
      'Action=AssumeRole&Version=2011-06-15&RoleArn=r&RoleSessionName=s' +
      '&Tags.member.10.Key=k10&Tags.member.10.Value=v10&Tags.member.2.Key=k2&Tags.member.2.Value=v2' +
      '&Tags.member.1.Key=k1&Tags.member.1.Value=v1&PolicyArns.member.1.arn=arn%3Ap&TransitiveTagKeys.member.1=k1';
    const op = decodeQueryOperation(STS_QUERY, OPS, { body });
    assert.equal(op.operation, 'AssumeRole');
    if (op.operation !== 'AssumeRole') return;
    assert.deepEqual(op.input.Tags, [
      { Key: 'k1', Value: 'v1' },
      { Key: 'k2', Value: 'v2' },
      { Key: 'k10', Value: 'v10' },
    ]);
    assert.deepEqual(op.input.PolicyArns, [{ arn: 'arn:p' }]);
    assert.deepEqual(op.input.TransitiveTagKeys, ['k1']);
  });

  test('`Name=` is an empty list', () => {
    const op = decodeQueryOperation(STS_QUERY, OPS, {
      body: 'Action=AssumeRole&Version=2011-06-15&RoleArn=r&RoleSessionName=s&TransitiveTagKeys=',
    });
    assert.deepEqual(op.input, { RoleArn: 'r', RoleSessionName: 's', TransitiveTagKeys: [] });
  });

  test('scalars, maps and nested lists decode to their types', () => {
    const body =
      'Action=Probe&Flag=TRUE&At=2026-09-30T12%3A00%3A00.5Z&Bytes=aGk%3D' +
      '&Attributes.entry.1.key=a&Attributes.entry.1.value=1&Attributes.entry.2.key=__proto__&Attributes.entry.2.value=2' +
      '&Filter.member.1.Name=n&Filter.member.1.Values.member.1=x&Filter.member.1.Values.member.2=y';
    const op = decodeQueryOperation(IAM_QUERY, OPS, { body });
    assert.equal(op.operation, 'Probe');
    if (op.operation !== 'Probe') return;
    assert.equal(op.input.Flag, true);
    assert.deepEqual(op.input.At, new Date('2026-09-30T12:00:00.500Z'));
    assert.deepEqual(op.input.Bytes, new Uint8Array([104, 105]));
    assert.deepEqual(Object.entries(op.input.Attributes ?? {}), [
      ['a', '1'],
      ['__proto__', '2'],
    ]);
    assert.equal(Object.getPrototypeOf(op.input.Attributes), Object.prototype);
    assert.deepEqual(op.input.Filter, [{ Name: 'n', Values: ['x', 'y'] }]);
  });

  test('parameters a shape does not name are ignored, as AWS ignores them', () => {
    const op = decodeQueryOperation(STS_QUERY, OPS, {
      body: 'Action=GetCallerIdentity&Version=2011-06-15&Unknown=1&X-Amz-Date=20261123T000000Z',
    });
    assert.deepEqual(op.input, {});
  });

  test('a GET carries its parameters in the query string, and the body overrides it', () => {
    const op = decodeQueryOperation(STS_QUERY, OPS, {
      query: '?Action=AssumeRole&Version=2011-06-15&RoleArn=from-query&RoleSessionName=s',
      body: 'RoleArn=from-body',
    });
    assert.deepEqual(op.input, { RoleArn: 'from-body', RoleSessionName: 's' });
  });

  test('`+` in a form is a space and `%2B` a plus', () => {
    const op = decodeQueryOperation(STS_QUERY, OPS, {
      body: 'Action=AssumeRole&RoleArn=a+b%2Bc&RoleSessionName=s',
    });
    assert.deepEqual(op.input, { RoleArn: 'a b+c', RoleSessionName: 's' });
  });

  test('encodeQueryRequest writes what the decoder reads', () => {
    const input = {
      RoleArn: 'arn:aws:iam::1:role/X',
      RoleSessionName: "s!'()*~ é",
      Tags: [{ Key: 'a b', Value: '&=' }],
      TransitiveTagKeys: [],
    };
    const body = encodeQueryRequest(STS_QUERY, 'AssumeRole', OPS.AssumeRole, input);
    assert.match(body, /^Action=AssumeRole&Version=2011-06-15&/);
    assert.match(body, /&TransitiveTagKeys=(&|$)/);
    assert.doesNotMatch(body, /[!'()*+ ]/);
    assert.deepEqual(decodeQueryOperation(STS_QUERY, OPS, { body }), { operation: 'AssumeRole', input });
  });
});

describe('bad input answers AWS-shaped errors', () => {
  const big = 'x'.repeat(DEFAULT_QUERY_LIMITS.maxBodyBytes);
  const cases = [
    { name: 'an empty body is MissingAction', body: '', code: 'MissingAction' },
    { name: 'an empty Action is MissingAction', body: 'Action=&Version=2011-06-15', code: 'MissingAction' },
    {
      name: 'an unknown action is InvalidAction',
      body: 'Action=LaunchRockets&Version=2011-06-15',
      code: 'InvalidAction',
    },
    { name: 'a prototype property is not an action', body: 'Action=constructor', code: 'InvalidAction' },
    {
      name: 'another service’s version is InvalidAction',
      body: 'Action=GetCallerIdentity&Version=2010-05-08',
      code: 'InvalidAction',
    },
    {
      name: 'a missing required member is ValidationError',
      body: 'Action=AssumeRole&RoleArn=r',
      code: 'ValidationError',
    },
    {
      name: 'a non-integer is ValidationError',
      body: 'Action=AssumeRole&RoleArn=r&RoleSessionName=s&DurationSeconds=1e3',
      code: 'ValidationError',
    },
    {
      name: 'an unsafe integer is ValidationError',
      body: 'Action=AssumeRole&RoleArn=r&RoleSessionName=s&DurationSeconds=99999999999999999',
      code: 'ValidationError',
    },
    { name: 'a non-boolean is ValidationError', body: 'Action=Probe&Flag=yes', code: 'ValidationError' },
    {
      name: 'a non-timestamp is ValidationError',
      body: 'Action=Probe&At=yesterday',
      code: 'ValidationError',
    },
    { name: 'bad base64 is ValidationError', body: 'Action=Probe&Bytes=%%%', code: 'ValidationError' },
    {
      name: 'a scalar where a list belongs is ValidationError',
      body: 'Action=AssumeRole&RoleArn=r&RoleSessionName=s&TransitiveTagKeys=k',
      code: 'ValidationError',
    },
    {
      name: 'a map entry without a key is ValidationError',
      body: 'Action=Probe&Attributes.entry.1.value=v',
      code: 'ValidationError',
    },
    {
      name: 'a required member missing inside a list is ValidationError',
      body: 'Action=Probe&Filter.member.1.Values.member.1=x',
      code: 'ValidationError',
    },
    {
      name: 'an oversized body is ValidationError',
      body: `Action=GetCallerIdentity&Pad=${big}`,
      code: 'ValidationError',
    },
    {
      name: 'too many parameters is ValidationError',
      body: 'Action=GetCallerIdentity' + '&a=1'.repeat(10_001),
      code: 'ValidationError',
    },
    {
      name: 'a too deep parameter name is ValidationError',
      body: `Action=GetCallerIdentity&${'a.'.repeat(20)}a=1`,
      code: 'ValidationError',
    },
    { name: 'broken percent escapes do not crash', body: 'Action=GetCallerIdentity&x=%zz%&%=%', code: 'ok' },
    { name: 'a form without `=` signs does not crash', body: '&&&Action&=&', code: 'MissingAction' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(
        codeOf(() => decodeQueryOperation(STS_QUERY, OPS, { body: c.body })),
        c.code,
      );
    });
  }

  test('invalid UTF-8 bytes are read as U+FFFD rather than failing', () => {
    const body = Buffer.concat([
      Buffer.from('Action=AssumeRole&RoleSessionName=s&RoleArn='),
      Buffer.from([0xff, 0xfe]),
    ]);
    const op = decodeQueryOperation(STS_QUERY, OPS, { body });
    assert.deepEqual(op.input, { RoleArn: '\uFFFD\uFFFD', RoleSessionName: 's' });
  });

  test('parseQueryRequest exposes Action, Version and the parameter tree', () => {
    const parsed = parseQueryRequest(IAM_QUERY, {
      body: 'Action=ListRoles&Version=2010-05-08&Tags.member.1.Key=k',
    });
    assert.equal(parsed.action, 'ListRoles');
    assert.equal(parsed.version, '2010-05-08');
    assert.equal(
      parsed.params.children.get('Tags')?.children.get('member')?.children.get('1')?.children.get('Key')
        ?.value,
      'k',
    );
  });

  test('a validation error lists every violation in AWS’s sentence', () => {
    try {
      decodeQueryOperation(STS_QUERY, OPS, { body: 'Action=AssumeRole' });
      assert.fail('expected a ValidationError');
    } catch (err) {
      assert.ok(err instanceof AwsError);
      assert.equal(err.status, 400);
      assert.equal(
        err.message,
        "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
          "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
      );
    }
  });

  test('arbitrary bytes never throw anything but an AwsError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 100 }), (bytes, query) => {
        try {
          decodeQueryOperation(IAM_QUERY, OPS, { body: bytes, query });
        } catch (err) {
          assert.ok(err instanceof AwsError);
        }
      }),
    );
  });

  test('arbitrary forms built from real member names never throw anything but an AwsError', () => {
    const name = fc
      .array(
        fc.constantFrom(
          'Action',
          'Tags',
          'member',
          'entry',
          'key',
          'value',
          'Key',
          'Filter',
          'Values',
          '1',
          '2',
          '0',
          '',
          'Attributes',
          'At',
        ),
        {
          minLength: 1,
          maxLength: 6,
        },
      )
      .map((parts) => parts.join('.'));
    const form = fc.array(fc.tuple(name, fc.string({ maxLength: 8 })), { maxLength: 20 });
    fc.assert(
      fc.property(form, (pairs) => {
        const body = [
          'Action=Probe',
          ...pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
        ].join('&');
        try {
          decodeQueryOperation(IAM_QUERY, OPS, { body });
        } catch (err) {
          assert.ok(err instanceof AwsError);
        }
      }),
    );
  });
});

describe('encoding responses', () => {
  test('a result is wrapped in <XResult> with ResponseMetadata, in the service namespace', () => {
    const wire = encodeQueryResult(
      STS_QUERY,
      'GetCallerIdentity',
      { Arn: 'arn:aws:iam::1:user/a', UserId: 'AIDA', Account: '1' },
      'req-1',
    );
    assert.equal(wire.status, 200);
    assert.deepEqual(wire.headers, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': 'req-1' });
    assert.equal(
      wire.body,
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
        '<Arn>arn:aws:iam::1:user/a</Arn><UserId>AIDA</UserId><Account>1</Account></GetCallerIdentityResult>' +
        '<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
    );
  });

  test('an operation without output has no <XResult>', () => {
    assert.equal(
      encodeQueryResult(IAM_QUERY, 'PutRolePolicy', undefined, 'r').body,
      '<PutRolePolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">' +
        '<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PutRolePolicyResponse>',
    );
  });

  test('lists, maps, dates, booleans and absent members are written as IAM writes them', () => {
    const body = encodeQueryResult(
      IAM_QUERY,
      'X',
      {
        Roles: [{ RoleName: 'a', CreateDate: new Date('2026-09-30T12:00:00Z') }],
        Empty: [],
        IsTruncated: false,
        Marker: undefined,
        Gone: null,
        SummaryMap: new Map([['Users', 3]]),
      },
      'r',
    ).body;
    assert.match(
      body,
      /<XResult><Roles><member><RoleName>a<\/RoleName><CreateDate>2026-09-30T12:00:00Z<\/CreateDate><\/member><\/Roles><Empty\/><IsTruncated>false<\/IsTruncated><SummaryMap><entry><key>Users<\/key><value>3<\/value><\/entry><\/SummaryMap><\/XResult>/,
    );
  });

  test('errors are <ErrorResponse> with Sender for client faults and the error status', () => {
    const wire = encodeQueryError(
      IAM_QUERY,
      AwsError.of('iam', 'NoSuchEntity', 'The role with name <X> cannot be found.'),
      'r',
    );
    assert.equal(wire.status, 404);
    assert.equal(wire.headers['Content-Type'], 'text/xml');
    assert.equal(
      wire.body,
      '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>' +
        '<Code>NoSuchEntity</Code><Message>The role with name &lt;X&gt; cannot be found.</Message></Error>' +
        '<RequestId>r</RequestId></ErrorResponse>',
    );
  });

  test('server faults are Receiver errors', () => {
    const wire = encodeQueryError(STS_QUERY, AwsError.of('sts', 'InternalFailure', 'oops'), 'r');
    assert.equal(wire.status, 500);
    assert.match(
      wire.body,
      /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Receiver<\/Type>/,
    );
  });

  test('a value the writer cannot represent is a programming error, not a silent gap', () => {
    assert.throws(() => encodeQueryResult(IAM_QUERY, 'X', { N: Number.NaN }, 'r'), TypeError);
    assert.throws(() => encodeQueryResult(IAM_QUERY, 'X', { 'bad name': 1 }, 'r'), TypeError);
    assert.throws(() => encodeQueryResult(IAM_QUERY, 'X', { D: new Date(Number.NaN) }, 'r'), TypeError);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AwsError } from './errors.js';
import { list, map, required, struct } from './shape.js';
import {
  DEFAULT_JSON_LIMITS,
  decodeJsonOperation,
  ECR_JSON,
  encodeJsonError,
  encodeJsonResult,
  ORGANIZATIONS_JSON,
  parseJsonBody,
  parseTarget,
  toJsonValue,
} from './awsJson.js';

const ECR = 'AmazonEC2ContainerRegistry_V20150921';
const Tag = struct({ Key: required('string'), Value: required('string') });
const OPS = {
  DescribeRepositories: struct({
    registryId: 'string',
    repositoryNames: list('string'),
    maxResults: 'integer',
  }),
  GetAuthorizationToken: struct({ registryIds: list('string') }),
  CreateRepository: struct({
    repositoryName: required('string'),
    tags: list(Tag),
    imageTagMutability: 'string',
    imageScanningConfiguration: struct({ scanOnPush: 'boolean' }),
  }),
  PutImage: struct({
    repositoryName: required('string'),
    imageManifest: required('string'),
    imageTag: 'string',
  }),
  UploadLayerPart: struct({
    uploadId: required('string'),
    partFirstByte: 'integer',
    layerPartBlob: required('blob'),
  }),
  Probe: struct({ at: 'timestamp', labels: map('string') }),
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

describe('X-Amz-Target', () => {
  const cases = [
    {
      name: 'splits prefix and operation',
      header: `${ECR}.DescribeRepositories`,
      expected: { prefix: ECR, operation: 'DescribeRepositories' },
    },
    {
      name: 'keeps dots after the first in the operation',
      header: 'A.B.C',
      expected: { prefix: 'A', operation: 'B.C' },
    },
    { name: 'rejects a header without a dot', header: 'DescribeRepositories', expected: undefined },
    { name: 'rejects an empty prefix', header: '.DescribeRepositories', expected: undefined },
    { name: 'rejects an empty operation', header: `${ECR}.`, expected: undefined },
    { name: 'rejects a missing header', header: undefined, expected: undefined },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(parseTarget(c.header), c.expected));
});

describe('decoding what the AWS CLI sends', () => {
  // Bodies copied from shared/fixtures/aws-cli-captures.jsonl (aws-cli 2.9.19 and 1.45.11).
  const cases = [
    { name: 'DescribeRepositories with `{}`', op: 'DescribeRepositories', body: '{}', input: {} },
    {
      name: 'GetAuthorizationToken with registry ids',
      op: 'GetAuthorizationToken',
      body: '{"registryIds": ["111111111111"]}',
      input: { registryIds: ['111111111111'] },
    },
    {
      name: 'CreateRepository with capitalised tag members',
      op: 'CreateRepository',
      body: '{"repositoryName": "team/app", "tags": [{"Key": "a", "Value": "b"}], "imageTagMutability": "IMMUTABLE"}',
      input: {
        repositoryName: 'team/app',
        tags: [{ Key: 'a', Value: 'b' }],
        imageTagMutability: 'IMMUTABLE',
      },
    },
    {
      name: 'PutImage keeps the manifest text byte for byte',
      op: 'PutImage',
      body: '{"repositoryName": "team/app", "imageManifest": "{\\"schemaVersion\\":2}", "imageTag": "v1"}',
      input: { repositoryName: 'team/app', imageManifest: '{"schemaVersion":2}', imageTag: 'v1' },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const decoded = decodeJsonOperation(ECR_JSON, OPS, {
        target: `${ECR}.${c.op}`,
        body: Buffer.from(c.body),
      });
      assert.deepEqual(decoded, { operation: c.op, input: c.input });
    });
  }

  test('an empty body is an empty input', () => {
    assert.deepEqual(decodeJsonOperation(ECR_JSON, OPS, { target: `${ECR}.DescribeRepositories` }), {
      operation: 'DescribeRepositories',
      input: {},
    });
  });

  test('blobs are base64, timestamps epoch seconds or ISO-8601, nulls absent', () => {
    const op = decodeJsonOperation(ECR_JSON, OPS, {
      target: `${ECR}.UploadLayerPart`,
      body: '{"uploadId":"u","partFirstByte":null,"layerPartBlob":"AAEC/w=="}',
    });
    assert.deepEqual(op.input, { uploadId: 'u', layerPartBlob: new Uint8Array([0, 1, 2, 255]) });
    for (const at of ['1700000000.123', '"2023-11-14T22:13:20.123Z"']) {
      const probe = decodeJsonOperation(ECR_JSON, OPS, { target: `${ECR}.Probe`, body: `{"at":${at}}` });
      assert.deepEqual(probe.input, { at: new Date(1700000000123) });
    }
  });

  test('a map key `__proto__` stays an ordinary key', () => {
    const op = decodeJsonOperation(ECR_JSON, OPS, {
      target: `${ECR}.Probe`,
      body: '{"labels":{"__proto__":"x","a":"b"}}',
    });
    assert.ok(op.operation === 'Probe');
    const labels = op.input.labels ?? {};
    assert.deepEqual(Object.entries(labels), [
      ['__proto__', 'x'],
      ['a', 'b'],
    ]);
    assert.equal(Object.getPrototypeOf(labels), Object.prototype);
  });
});

describe('bad input answers AWS-shaped errors', () => {
  const big = '"' + 'x'.repeat(DEFAULT_JSON_LIMITS.maxBodyBytes) + '"';
  const cases = [
    {
      name: 'a missing target is UnknownOperationException',
      target: undefined,
      body: '{}',
      code: 'UnknownOperationException',
    },
    {
      name: 'another service’s prefix is UnknownOperationException',
      target: 'AWSOrganizationsV20161128.DescribeRepositories',
      body: '{}',
      code: 'UnknownOperationException',
    },
    {
      name: 'an unknown operation is UnknownOperationException',
      target: `${ECR}.LaunchRockets`,
      body: '{}',
      code: 'UnknownOperationException',
    },
    {
      name: 'a prototype property is not an operation',
      target: `${ECR}.hasOwnProperty`,
      body: '{}',
      code: 'UnknownOperationException',
    },
    {
      name: 'malformed JSON is SerializationException',
      target: `${ECR}.DescribeRepositories`,
      body: '{"a":',
      code: 'SerializationException',
    },
    {
      name: 'a body nesting deeper than 128 levels is SerializationException, refused before parsing',
      target: `${ECR}.DescribeRepositories`,
      body: `{"a":${'['.repeat(128)}${']'.repeat(128)}}`,
      code: 'SerializationException',
    },
    {
      name: 'a JSON array is SerializationException',
      target: `${ECR}.DescribeRepositories`,
      body: '[]',
      code: 'SerializationException',
    },
    {
      name: 'JSON null is SerializationException',
      target: `${ECR}.DescribeRepositories`,
      body: 'null',
      code: 'SerializationException',
    },
    {
      name: 'a number where a string belongs is SerializationException',
      target: `${ECR}.PutImage`,
      body: '{"repositoryName":1,"imageManifest":"m"}',
      code: 'SerializationException',
    },
    {
      name: 'a string where a list belongs is SerializationException',
      target: `${ECR}.DescribeRepositories`,
      body: '{"repositoryNames":"a"}',
      code: 'SerializationException',
    },
    {
      name: 'a fraction where an integer belongs is SerializationException',
      target: `${ECR}.DescribeRepositories`,
      body: '{"maxResults":1.5}',
      code: 'SerializationException',
    },
    {
      name: 'a list where a structure belongs is SerializationException',
      target: `${ECR}.CreateRepository`,
      body: '{"repositoryName":"r","imageScanningConfiguration":[]}',
      code: 'SerializationException',
    },
    {
      name: 'bad base64 is SerializationException',
      target: `${ECR}.UploadLayerPart`,
      body: '{"uploadId":"u","layerPartBlob":"%%"}',
      code: 'SerializationException',
    },
    {
      name: 'a missing required member is ValidationException',
      target: `${ECR}.PutImage`,
      body: '{"repositoryName":"r"}',
      code: 'ValidationException',
    },
    {
      name: 'a missing required member inside a list is ValidationException',
      target: `${ECR}.CreateRepository`,
      body: '{"repositoryName":"r","tags":[{"Key":"k"}]}',
      code: 'ValidationException',
    },
    {
      name: 'an oversized body is ValidationException',
      target: `${ECR}.DescribeRepositories`,
      body: big,
      code: 'ValidationException',
    },
    {
      name: 'unknown members are ignored',
      target: `${ECR}.DescribeRepositories`,
      body: '{"futureMember":{"x":[1]}}',
      code: 'ok',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(
        codeOf(() => decodeJsonOperation(ECR_JSON, OPS, { target: c.target, body: c.body })),
        c.code,
      );
    });
  }

  test('a validation error names the member in AWS’s sentence', () => {
    try {
      decodeJsonOperation(ECR_JSON, OPS, { target: `${ECR}.PutImage`, body: '{}' });
      assert.fail('expected a ValidationException');
    } catch (err) {
      assert.ok(err instanceof AwsError);
      assert.equal(
        err.message,
        "2 validation errors detected: Value null at 'repositoryName' failed to satisfy constraint: Member must not be null; " +
          "Value null at 'imageManifest' failed to satisfy constraint: Member must not be null",
      );
    }
  });

  test('whitespace alone is an empty body', () => {
    assert.deepEqual(parseJsonBody(ECR_JSON, ' \n\t'), {});
  });

  test('arbitrary bytes and JSON never throw anything but an AwsError', () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      fc
        .jsonValue({ maxDepth: 4 })
        .map((v) => JSON.stringify({ repositoryName: v, tags: v, imageScanningConfiguration: v })),
    );
    const operation = fc.constantFrom(...Object.keys(OPS), 'Nope', '__proto__');
    fc.assert(
      fc.property(operation, body, (op, b) => {
        try {
          decodeJsonOperation(ECR_JSON, OPS, { target: `${ECR}.${op}`, body: b });
        } catch (err) {
          assert.ok(err instanceof AwsError);
        }
      }),
    );
  });
});

describe('encoding responses', () => {
  test('results are JSON with epoch-second timestamps and no absent members', () => {
    const wire = encodeJsonResult(
      {
        repositories: [
          { repositoryName: 'r', createdAt: new Date(1700000000123), kmsKey: undefined, policy: null },
        ],
        nextToken: undefined,
      },
      'req-1',
    );
    assert.equal(wire.status, 200);
    assert.deepEqual(wire.headers, {
      'Content-Type': 'application/x-amz-json-1.1',
      'x-amzn-RequestId': 'req-1',
    });
    assert.equal(wire.body, '{"repositories":[{"repositoryName":"r","createdAt":1700000000.123}]}');
  });

  test('an operation without output answers `{}`', () => {
    assert.equal(encodeJsonResult(undefined, 'r').body, '{}');
  });

  test('bytes are base64 and Maps are objects', () => {
    assert.deepEqual(
      toJsonValue({ b: new Uint8Array([0, 255]), m: new Map([['__proto__', 1]]) }),
      JSON.parse('{"b":"AP8=","m":{"__proto__":1}}'),
    );
  });

  test('ECR errors carry `__type`, `message`, the status and x-amzn-ErrorType', () => {
    const err = AwsError.of(
      'ecr',
      'RepositoryNotFoundException',
      "The repository with name 'r' does not exist in the registry with id '1'",
    );
    const wire = encodeJsonError(ECR_JSON, err, 'r');
    assert.equal(wire.status, 400);
    assert.deepEqual(wire.headers, {
      'Content-Type': 'application/x-amz-json-1.1',
      'x-amzn-RequestId': 'r',
      'x-amzn-ErrorType': 'RepositoryNotFoundException',
    });
    assert.deepEqual(JSON.parse(wire.body), { __type: 'RepositoryNotFoundException', message: err.message });
  });

  test('Organizations errors spell the message `Message` and keep extra members', () => {
    const err = AwsError.of('organizations', 'ConstraintViolationException', 'limit', {
      Reason: 'ACCOUNT_NUMBER_LIMIT_EXCEEDED',
    });
    const wire = encodeJsonError(ORGANIZATIONS_JSON, err, 'r');
    assert.equal(wire.status, 409);
    assert.deepEqual(JSON.parse(wire.body), {
      __type: 'ConstraintViolationException',
      Message: 'limit',
      Reason: 'ACCOUNT_NUMBER_LIMIT_EXCEEDED',
    });
  });

  test('a value JSON cannot represent is a programming error', () => {
    assert.throws(() => encodeJsonResult({ n: Number.POSITIVE_INFINITY }, 'r'), TypeError);
    assert.throws(() => encodeJsonResult({ d: new Date(Number.NaN) }, 'r'), TypeError);
    assert.throws(() => encodeJsonResult({ f: () => 1 }, 'r'), TypeError);
  });
});

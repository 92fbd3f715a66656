// Keeps the error catalogue in step with the service models shipped in the installed AWS SDK:
// a code the SDK models must carry the SDK's status and fault, and every other code must be one of
// the protocol-wide errors documented in AWS's "Common Errors" pages or observed on the wire.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as ecrSdk from '@aws-sdk/client-ecr';
import * as ecrPublicSdk from '@aws-sdk/client-ecr-public';
import * as iamSdk from '@aws-sdk/client-iam';
import * as orgSdk from '@aws-sdk/client-organizations';
import * as stsSdk from '@aws-sdk/client-sts';
import {
  AWS_ERRORS,
  AwsError,
  type AwsService,
  errorSpec,
  INTERNAL_FAILURE_MESSAGE,
  toAwsError,
} from './errors.js';

interface Modelled {
  readonly status: number;
  readonly fault: 'client' | 'server';
}

/**
 * Reads the error schemas an SDK client exports (`XException$ = [-3, ns, name, traits, …]`): the wire
 * code and status come from `awsQueryError` for query services, else from the name and `httpError`
 * (awsJson1_1 defaults: 400 client, 500 server).
 */
function modelledErrors(sdk: Record<string, unknown>): Map<string, Modelled> {
  const out = new Map<string, Modelled>();
  for (const [key, value] of Object.entries(sdk)) {
    if (!key.endsWith('$') || !Array.isArray(value) || value[0] !== -3) continue;
    const name = value[2] as string;
    const traits = value[3] as {
      error?: 'client' | 'server';
      httpError?: number;
      awsQueryError?: [string, number];
    };
    if (traits.error === undefined) continue;
    const code = traits.awsQueryError?.[0] ?? name;
    const status = traits.awsQueryError?.[1] ?? traits.httpError ?? (traits.error === 'server' ? 500 : 400);
    out.set(code, { status, fault: traits.error });
  }
  return out;
}

/**
 * The modelled errors of a botocore service model (`shapes.X.exception`, `fault` for server errors,
 * `error.httpStatusCode` when set, else the awsJson1_1 defaults).
 */
function botocoreErrors(file: string): Map<string, Modelled> {
  const model = JSON.parse(readFileSync(file, 'utf8')) as {
    shapes: Record<string, { exception?: boolean; fault?: boolean; error?: { httpStatusCode?: number } }>;
  };
  const out = new Map<string, Modelled>();
  for (const [name, shape] of Object.entries(model.shapes)) {
    if (shape.exception !== true) continue;
    const fault = shape.fault === true ? 'server' : 'client';
    out.set(name, { status: shape.error?.httpStatusCode ?? (fault === 'server' ? 500 : 400), fault });
  }
  return out;
}

// @aws-sdk/client-secrets-manager is not a dependency yet: its model is read from the SDK when
// installed, else from the AWS CLI's botocore model; with neither, the Secrets Manager entries skip.
const SECRETS_SDK: string = '@aws-sdk/client-secrets-manager';
const BOTOCORE_SECRETS =
  '/usr/lib/python3/dist-packages/awscli/botocore/data/secretsmanager/2017-10-17/service-2.json';
const secretsSdk = (await import(SECRETS_SDK).catch(() => undefined)) as Record<string, unknown> | undefined;
const secretsModel =
  secretsSdk !== undefined
    ? modelledErrors(secretsSdk)
    : existsSync(BOTOCORE_SECRETS)
      ? botocoreErrors(BOTOCORE_SECRETS)
      : undefined;
const SKIP: Partial<Record<AwsService, string>> = {
  ...(secretsModel === undefined && {
    secretsmanager: `neither ${SECRETS_SDK} nor the botocore model at ${BOTOCORE_SECRETS} is installed`,
  }),
};

const MODELS: Record<AwsService, Map<string, Modelled>> = {
  iam: modelledErrors(iamSdk),
  sts: modelledErrors(stsSdk),
  ecr: modelledErrors(ecrSdk),
  'ecr-public': modelledErrors(ecrPublicSdk),
  organizations: modelledErrors(orgSdk),
  secretsmanager: secretsModel ?? new Map(),
};

// Protocol-wide codes no service model lists (sources in errors.ts).
const QUERY_COMMON = [
  'AccessDenied',
  'ExpiredToken',
  'IncompleteSignature',
  'InternalFailure',
  'InvalidAction',
  'InvalidClientTokenId',
  'InvalidParameterCombination',
  'InvalidParameterValue',
  'MalformedQueryString',
  'MissingAction',
  'MissingAuthenticationToken',
  'MissingParameter',
  'OptInRequired',
  'RequestExpired',
  'ServiceUnavailable',
  'SignatureDoesNotMatch',
  'Throttling',
  'ValidationError',
];
const JSON_COMMON = [
  'AccessDeniedException',
  'ExpiredTokenException',
  'IncompleteSignatureException',
  'InternalFailure',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'SerializationException',
  'ServiceUnavailable',
  'ThrottlingException',
  'UnknownOperationException',
  'UnrecognizedClientException',
  'ValidationException',
];
const COMMON: Record<AwsService, string[]> = {
  iam: QUERY_COMMON,
  sts: QUERY_COMMON,
  ecr: JSON_COMMON,
  'ecr-public': JSON_COMMON,
  organizations: JSON_COMMON,
  secretsmanager: JSON_COMMON,
};

describe('the error catalogue', () => {
  for (const service of Object.keys(AWS_ERRORS) as AwsService[]) {
    const skip = SKIP[service] ?? false;
    test(`every ${service} code the SDK models has the SDK's status and fault`, { skip }, () => {
      assert.ok(MODELS[service].size > 5, `no error schemas found in the ${service} SDK`);
      for (const [code, spec] of Object.entries(AWS_ERRORS[service])) {
        const model = MODELS[service].get(code);
        if (model === undefined) continue;
        assert.deepEqual({ code, ...spec }, { code, ...model });
      }
    });

    test(`every ${service} code is modelled by the SDK or a documented protocol-wide error`, { skip }, () => {
      for (const code of Object.keys(AWS_ERRORS[service])) {
        assert.ok(
          MODELS[service].has(code) || COMMON[service].includes(code),
          `${service} ${code} has no source`,
        );
      }
    });

    test(`every ${service} code is a 4xx client fault or a 5xx server fault`, () => {
      for (const [code, spec] of Object.entries(AWS_ERRORS[service])) {
        assert.ok(spec.status >= 400 && spec.status < 600, code);
        assert.equal(spec.fault, spec.status >= 500 ? 'server' : 'client', code);
      }
    });
  }

  test('the codes issues 3 and 4 rely on are catalogued with their statuses', () => {
    const cases: [AwsService, string, number][] = [
      ['iam', 'NoSuchEntity', 404],
      ['iam', 'EntityAlreadyExists', 409],
      ['iam', 'MalformedPolicyDocument', 400],
      ['iam', 'LimitExceeded', 409],
      ['iam', 'DeleteConflict', 409],
      ['iam', 'ValidationError', 400],
      ['iam', 'InvalidInput', 400],
      ['iam', 'AccessDenied', 403],
      ['sts', 'AccessDenied', 403],
      ['sts', 'ExpiredToken', 403],
      ['sts', 'InvalidClientTokenId', 403],
      ['sts', 'SignatureDoesNotMatch', 403],
      ['sts', 'PackedPolicyTooLarge', 400],
      ['sts', 'RegionDisabledException', 403],
      ['ecr', 'AccessDeniedException', 400],
      ['ecr', 'RepositoryNotFoundException', 400],
      ['ecr', 'UnrecognizedClientException', 400],
      ['ecr', 'InvalidSignatureException', 400],
      ['ecr', 'ServerException', 500],
      ['ecr', 'SecretNotFoundException', 400],
      ['secretsmanager', 'ResourceNotFoundException', 400],
      ['secretsmanager', 'InvalidRequestException', 400],
      ['secretsmanager', 'InternalServiceError', 500],
      ['organizations', 'AccessDeniedException', 403],
      ['organizations', 'AccountNotFoundException', 404],
      ['organizations', 'AWSOrganizationsNotInUseException', 404],
      ['organizations', 'ConstraintViolationException', 409],
      ['organizations', 'DuplicateAccountException', 409],
    ];
    for (const [service, code, status] of cases) assert.equal(errorSpec(service, code)?.status, status, code);
  });

  test('a code from another service or the prototype is not found', () => {
    assert.equal(errorSpec('iam', 'RepositoryNotFoundException'), undefined);
    assert.equal(errorSpec('iam', 'toString'), undefined);
    assert.equal(errorSpec('ecr', '__proto__'), undefined);
  });
});

describe('AwsError', () => {
  test('of() takes status and fault from the catalogue', () => {
    const err = AwsError.of('ecr', 'ServerException', 'boom');
    assert.equal(err.code, 'ServerException');
    assert.equal(err.status, 500);
    assert.equal(err.fault, 'server');
    assert.equal(err.message, 'boom');
    assert.ok(err instanceof Error);
  });

  test('of() keeps extra members for the error body', () => {
    const err = AwsError.of('organizations', 'ConstraintViolationException', 'limit', { Reason: 'X' });
    assert.deepEqual(err.fields, { Reason: 'X' });
  });

  test('the constructor defaults to a 400 client error and derives the fault from the status', () => {
    assert.equal(new AwsError('X', 'm').status, 400);
    assert.equal(new AwsError('X', 'm').fault, 'client');
    assert.equal(new AwsError('NoSuchEntity', 'm', 404).fault, 'client');
    assert.equal(new AwsError('X', 'm', 503).fault, 'server');
    assert.equal(new AwsError('X', 'm', 400, { fault: 'server' }).fault, 'server');
  });

  test('toAwsError passes AWS errors through and hides anything else behind InternalFailure', () => {
    const known = AwsError.of('iam', 'NoSuchEntity', 'gone');
    assert.equal(toAwsError(known), known);
    const hidden = toAwsError(new Error('secret detail'));
    assert.equal(hidden.code, 'InternalFailure');
    assert.equal(hidden.status, 500);
    assert.equal(hidden.fault, 'server');
    assert.equal(hidden.message, INTERNAL_FAILURE_MESSAGE);
    assert.equal(toAwsError('a string').code, 'InternalFailure');
  });
});

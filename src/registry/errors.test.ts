import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthzResult } from '../iam/index.js';
import { AccessDeniedError, ServiceError } from '../services/errors.js';
import { OCI, OciError, toOciError, type OciCode, type OpFamily } from './errors.js';

const DENIED_RESULT = {
  decision: 'ImplicitDeny',
  crossAccount: false,
  sides: {},
  matched: [],
} as unknown as AuthzResult;

test('every code is bound to the status distribution and ECR use', () => {
  const want: Record<OciCode, number> = {
    BLOB_UNKNOWN: 404,
    BLOB_UPLOAD_INVALID: 400,
    BLOB_UPLOAD_UNKNOWN: 404,
    DIGEST_INVALID: 400,
    MANIFEST_BLOB_UNKNOWN: 400,
    MANIFEST_INVALID: 400,
    MANIFEST_UNKNOWN: 404,
    NAME_INVALID: 400,
    NAME_UNKNOWN: 404,
    SIZE_INVALID: 400,
    UNAUTHORIZED: 401,
    DENIED: 403,
    UNSUPPORTED: 405,
    TOOMANYREQUESTS: 429,
    TAG_INVALID: 400,
    RANGE_INVALID: 416,
    PAGINATION_NUMBER_INVALID: 400,
    UNKNOWN: 500,
  };
  for (const [code, spec] of Object.entries(OCI)) assert.equal(spec.status, want[code as OciCode], code);
  assert.equal(new OciError('SIZE_INVALID', { status: 413 }).status, 413);
});

test('the error body is the OCI JSON shape', () => {
  const e = new OciError('NAME_INVALID', { detail: { name: 'X' } });
  assert.deepEqual(JSON.parse(e.body()), {
    errors: [{ code: 'NAME_INVALID', message: 'invalid repository name', detail: { name: 'X' } }],
  });
  assert.deepEqual(JSON.parse(new OciError('DENIED').body()).errors[0].detail, null);
});

test('the service errors map to OCI codes once', () => {
  const cases: {
    name: string;
    err: unknown;
    op?: OpFamily;
    code: OciCode;
    message?: string;
    headers?: object;
  }[] = [
    {
      name: 'a missing repository is NAME_UNKNOWN with ECR message',
      err: new ServiceError(
        'RepositoryNotFoundException',
        "The repository with name 'x' does not exist in the registry with id '1'",
      ),
      code: 'NAME_UNKNOWN',
      message: "The repository with name 'x' does not exist in the registry with id '1'",
    },
    {
      name: 'a missing image is MANIFEST_UNKNOWN with ECR wording',
      err: new ServiceError('ImageNotFoundException', 'whatever the service says'),
      code: 'MANIFEST_UNKNOWN',
      message: 'Requested image not found',
    },
    {
      name: 'a missing layer is BLOB_UNKNOWN',
      err: new ServiceError('LayersNotFoundException', 'x'),
      op: 'blob',
      code: 'BLOB_UNKNOWN',
    },
    {
      name: 'a manifest naming a missing layer is MANIFEST_BLOB_UNKNOWN',
      err: new ServiceError('LayersNotFoundException', 'x'),
      op: 'manifest-put',
      code: 'MANIFEST_BLOB_UNKNOWN',
    },
    {
      name: 'an index naming a missing manifest is MANIFEST_BLOB_UNKNOWN',
      err: new ServiceError('ReferencedImagesNotFoundException', 'x'),
      op: 'manifest-put',
      code: 'MANIFEST_BLOB_UNKNOWN',
    },
    {
      name: 'an immutable tag is TAG_INVALID',
      err: new ServiceError('ImageTagAlreadyExistsException', 't'),
      code: 'TAG_INVALID',
    },
    {
      name: 'a digest mismatch is DIGEST_INVALID',
      err: new ServiceError('InvalidLayerException', 'x'),
      code: 'DIGEST_INVALID',
    },
    {
      name: 'an unknown upload is BLOB_UPLOAD_UNKNOWN',
      err: new ServiceError('UploadNotFoundException', 'x'),
      code: 'BLOB_UPLOAD_UNKNOWN',
    },
    {
      name: 'an out-of-order part is 416 with the Range to resume from',
      err: new ServiceError('InvalidLayerPartException', 'x', { lastValidByteReceived: '9' }),
      code: 'RANGE_INVALID',
      headers: { Range: '0-9' },
    },
    {
      name: "the store's RangeMismatch is 416 with its size",
      err: Object.assign(new Error('x'), { code: 'RangeMismatch', size: 20 }),
      code: 'RANGE_INVALID',
      headers: { Range: '0-19' },
    },
    {
      name: "the store's RangeInvalid is 416 with Content-Range",
      err: Object.assign(new Error('x'), { code: 'RangeInvalid', size: 7 }),
      code: 'RANGE_INVALID',
      headers: { 'Content-Range': 'bytes */7' },
    },
    {
      name: 'an access denial is DENIED with the IAM sentence',
      err: new AccessDeniedError(
        DENIED_RESULT,
        'User: arn:aws:iam::1:root is not authorized to perform: ecr:PutImage',
      ),
      code: 'DENIED',
      message: 'User: arn:aws:iam::1:root is not authorized to perform: ecr:PutImage',
    },
    {
      name: 'an expired token is UNAUTHORIZED with the backend’s sentence (ECR’s words)',
      err: new ServiceError(
        'Unauthenticated',
        'Your authorization token has expired. Reauthenticate and try again.',
      ),
      code: 'UNAUTHORIZED',
      message: 'Your authorization token has expired. Reauthenticate and try again.',
    },
    {
      name: 'an unauthenticated error without a sentence is UNAUTHORIZED with the default message',
      err: new ServiceError('Unauthenticated', ''),
      code: 'UNAUTHORIZED',
      message: 'Not Authorized',
    },
    {
      name: 'bad input to a manifest PUT is MANIFEST_INVALID',
      err: new ServiceError('InvalidParameterException', 'x'),
      op: 'manifest-put',
      code: 'MANIFEST_INVALID',
    },
    {
      name: 'bad input to an upload is BLOB_UPLOAD_INVALID',
      err: new ServiceError('InvalidParameterException', 'x'),
      op: 'upload',
      code: 'BLOB_UPLOAD_INVALID',
    },
    {
      name: 'throttling is TOOMANYREQUESTS',
      err: new ServiceError('ThrottlingException', 'x'),
      code: 'TOOMANYREQUESTS',
    },
    {
      name: 'an unsupported operation is UNSUPPORTED',
      err: new ServiceError('UnsupportedOperation', 'x'),
      code: 'UNSUPPORTED',
    },
    { name: 'an unknown service code is a 500', err: new ServiceError('KmsException', 'x'), code: 'UNKNOWN' },
    {
      name: 'a plain Error is a 500',
      err: new Error('disk on fire'),
      code: 'UNKNOWN',
      message: 'unknown error',
    },
    { name: 'a thrown string is a 500', err: 'nope', code: 'UNKNOWN' },
    {
      name: 'a code from the prototype chain is not a code',
      err: Object.assign(new Error('x'), { code: 'toString' }),
      code: 'UNKNOWN',
    },
  ];
  for (const c of cases) {
    const e = toOciError(c.err, c.op ?? 'manifest');
    assert.equal(e.code, c.code, c.name);
    if (c.message !== undefined) assert.equal(e.message, c.message, c.name);
    if (c.headers !== undefined) assert.deepEqual(e.headers, c.headers, c.name);
  }
});

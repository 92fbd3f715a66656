// Generated documentation stays in step with the code it is generated from, and the registry's
// error mapper with the codes the layers below it throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRORS_DOC, renderErrorsDoc } from '../scripts/errors-doc.js';
import { AWS_ERRORS } from '../src/api/protocol/errors.js';
import { BY_CODE } from '../src/registry/errors.js';
import type { BlobErrorCode } from '../src/store/blobs/errors.js';

test('docs/errors.md is the rendering of the error tables (npx tsx scripts/errors-doc.ts)', () => {
  assert.equal(readFileSync(ERRORS_DOC, 'utf8'), renderErrorsDoc());
});

test('the registry maps every blob store code, and only codes some layer below can throw', () => {
  const blobCodes: Record<BlobErrorCode, true> = {
    BlobUnknown: true,
    DigestInvalid: true,
    DigestMismatch: true,
    SizeMismatch: true,
    RangeInvalid: true,
    RangeMismatch: true,
    UploadUnknown: true,
  };
  // Codes of the shared service layer (services/errors.ts, the token check) that are not ECR's own.
  const crossService = new Set([
    'Unauthenticated',
    'AccessDenied',
    'TooManyRequestsException',
    'UnsupportedOperation',
    'UnsupportedCommandException',
  ]);
  for (const code of Object.keys(blobCodes)) assert.ok(code in BY_CODE, `${code} is not mapped`);
  for (const code of Object.keys(BY_CODE)) {
    assert.ok(
      code in AWS_ERRORS.ecr || code in blobCodes || crossService.has(code),
      `${code} is mapped but no layer throws it`,
    );
  }
});

// The one mapping from service errors to AWS wire errors: extra members keep their JSON type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invalidLayerPart } from '../services/ecr/uploads.js';
import { toWireError } from './adapter.js';
import { ECR_JSON, encodeJsonError } from './protocol/awsJson.js';

test('InvalidLayerPartException carries lastValidByteReceived as a JSON number, as the ECR model types it', () => {
  const ref = { accountId: '111111111111', region: 'us-east-1', name: 'app' };
  const wire = encodeJsonError(
    ECR_JSON,
    toWireError('ecr', invalidLayerPart(ref, 'u-1', 4, 'out of order')),
    'r',
  );
  const body = JSON.parse(wire.body) as Record<string, unknown>;
  assert.equal(body.__type, 'InvalidLayerPartException');
  assert.equal(body.lastValidByteReceived, 3);
  assert.equal(body.registryId, '111111111111');
  assert.equal(body.repositoryName, 'app');
  assert.equal(body.uploadId, 'u-1');
  const empty = JSON.parse(
    encodeJsonError(ECR_JSON, toWireError('ecr', invalidLayerPart(ref, 'u-2', 0, 'out of order')), 'r').body,
  ) as Record<string, unknown>;
  assert.equal(empty.lastValidByteReceived, -1);
});

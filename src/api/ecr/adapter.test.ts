// The ECR adapter without a socket: the operation table decodes what the AWS CLI sends, every
// operation has a handler, and the data path answers UnknownOperationException until EcrDataOps
// is given.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { principalOf, type Caller } from '../../auth/caller.js';
import { PolicyCache } from '../../iam/index.js';
import { Authorizer } from '../../services/authz.js';
import { EcrService } from '../../services/ecr/service.js';
import { IdFactory } from '../../services/ids.js';
import { createMemoryBlobStore } from '../../store/blobs/index.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import type { Account } from '../../store/meta/records.js';
import { SecretBox } from '../../store/meta/secrets.js';
import { decodeJsonOperation, ECR_JSON } from '../protocol/awsJson.js';
import { AwsError } from '../protocol/errors.js';
import type { EcrDataOps } from './data.js';
import { ECR_OPERATIONS, ecrApi } from './index.js';

const A = '111111111111';
const T0 = Date.parse('2026-11-23T12:00:00Z');
const target = (op: string) => `${ECR_JSON.targetPrefix}.${op}`;

async function world() {
  const store = new MemoryMetadataStore();
  const cache = new PolicyCache();
  const clock = { now: () => T0 };
  const account: Account = {
    id: A,
    name: 'a',
    email: 'a@example.com',
    status: 'ACTIVE',
    joinedMethod: 'CREATED',
    joinedAt: new Date(T0),
  };
  await store.accounts.create(account);
  const service = new EcrService({
    store,
    authz: new Authorizer({ store, cache, clock }),
    clock,
    ids: new IdFactory({ bytes: (n) => Buffer.alloc(n, 2) }),
    box: SecretBox.fromKey(Buffer.alloc(32, 1)),
    cache,
    region: 'us-east-1',
    blobs: createMemoryBlobStore(),
    registryTokenKey: Buffer.alloc(32, 9),
    addressing: {
      style: 'host',
      scheme: 'https',
      authority: 'localhost:5000',
      domain: 'localhost',
      port: '5000',
      defaultRegion: 'us-east-1',
    },
  });
  const caller: Caller = {
    principal: principalOf(account, { kind: 'root' }),
    account,
    accessKeyId: 'AKIAADAPTERTESTKEY00',
    identity: { kind: 'root' },
    request: { sourceIp: '127.0.0.1', secure: true, region: 'us-east-1' },
  };
  return { service, caller };
}

const decodeCases: { name: string; op: string; body: object; expected: object }[] = [
  {
    name: 'CreateRepository as `aws ecr create-repository --tags Key=Team,Value=Payments` sends it',
    op: 'CreateRepository',
    body: {
      repositoryName: 'my-first-repo',
      tags: [{ Key: 'Team', Value: 'Payments' }],
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS' },
      unknownMember: 1,
    },
    expected: {
      repositoryName: 'my-first-repo',
      tags: [{ Key: 'Team', Value: 'Payments' }],
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS' },
    },
  },
  {
    name: 'DescribeImages with image ids and a filter',
    op: 'DescribeImages',
    body: {
      repositoryName: 'r',
      imageIds: [{ imageTag: 'v1' }, { imageDigest: 'sha256:00' }],
      filter: { tagStatus: 'TAGGED' },
    },
    expected: {
      repositoryName: 'r',
      imageIds: [{ imageTag: 'v1' }, { imageDigest: 'sha256:00' }],
      filter: { tagStatus: 'TAGGED' },
    },
  },
  {
    name: 'UploadLayerPart decodes the base64 blob to bytes',
    op: 'UploadLayerPart',
    body: { repositoryName: 'r', uploadId: 'u', partFirstByte: 0, partLastByte: 2, layerPartBlob: 'AAEC' },
    expected: {
      repositoryName: 'r',
      uploadId: 'u',
      partFirstByte: 0,
      partLastByte: 2,
      layerPartBlob: new Uint8Array([0, 1, 2]),
    },
  },
  { name: 'GetAuthorizationToken with an empty body', op: 'GetAuthorizationToken', body: {}, expected: {} },
];

describe('ecrApi', () => {
  for (const c of decodeCases) {
    test(`decodes ${c.name}`, () => {
      const decoded = decodeJsonOperation(ECR_JSON, ECR_OPERATIONS, {
        target: target(c.op),
        body: JSON.stringify(c.body),
      });
      assert.equal(decoded.operation, c.op);
      assert.deepEqual(decoded.input, c.expected);
    });
  }

  test('a required member missing is a ValidationException in AWS form', () => {
    assert.throws(
      () =>
        decodeJsonOperation(ECR_JSON, ECR_OPERATIONS, {
          target: target('SetRepositoryPolicy'),
          body: '{"repositoryName":"r"}',
        }),
      (e: unknown) =>
        e instanceof AwsError &&
        e.code === 'ValidationException' &&
        e.message ===
          "1 validation error detected: Value null at 'policyText' failed to satisfy constraint: Member must not be null",
    );
  });

  test('every operation of the table has a handler, and the data path waits for EcrDataOps', async () => {
    const { service, caller } = await world();
    const adapter = ecrApi(service);
    assert.equal(adapter.service, 'ecr');
    const data = [
      'BatchCheckLayerAvailability',
      'GetDownloadUrlForLayer',
      'InitiateLayerUpload',
      'UploadLayerPart',
      'CompleteLayerUpload',
      'PutImage',
      'BatchGetImage',
    ];
    for (const op of Object.keys(ECR_OPERATIONS)) {
      const decoded = decodeJsonOperation(ECR_JSON, ECR_OPERATIONS, {
        target: target(op),
        body: JSON.stringify({
          repositoryName: 'missing-repo',
          policyText: '{}',
          lifecyclePolicyText: '{}',
          resourceArn: `arn:aws:ecr:us-east-1:${A}:repository/missing-repo`,
          tags: [],
          tagKeys: [],
          imageIds: [{ imageTag: 'x' }],
          imageTagMutability: 'MUTABLE',
          layerDigests: ['sha256:00'],
          layerDigest: 'sha256:00',
          uploadId: 'u',
          partFirstByte: 0,
          partLastByte: 0,
          layerPartBlob: 'AA==',
          imageManifest: '{}',
          replicationConfiguration: { rules: [] },
          imageId: { imageTag: 'x' },
          prefix: 'prod',
          appliedFor: ['REPLICATION'],
          ecrRepositoryPrefix: 'mirror',
          upstreamRegistryUrl: '127.0.0.1:9',
        }),
      });
      const outcome = await adapter.handle(decoded, { caller, requestId: 'r' }).then(
        (v) => ({ ok: true as const, v }),
        (e: unknown) => ({ ok: false as const, e }),
      );
      if (data.includes(op)) {
        assert.ok(
          !outcome.ok && outcome.e instanceof AwsError && outcome.e.code === 'UnknownOperationException',
          op,
        );
      } else if (!outcome.ok) {
        // Reached the service: an ECR error, never a dispatch failure.
        assert.ok(!(outcome.e instanceof AwsError), `${op}: ${String(outcome.e)}`);
      }
    }
  });

  test('with EcrDataOps, data-path operations are dispatched to it', async () => {
    const { service, caller } = await world();
    const seen: string[] = [];
    const reply = (op: string) => async () => {
      seen.push(op);
      return { images: [], failures: [] } as never;
    };
    const data: EcrDataOps = {
      batchCheckLayerAvailability: reply('BatchCheckLayerAvailability'),
      getDownloadUrlForLayer: reply('GetDownloadUrlForLayer'),
      initiateLayerUpload: reply('InitiateLayerUpload'),
      uploadLayerPart: reply('UploadLayerPart'),
      completeLayerUpload: reply('CompleteLayerUpload'),
      putImage: reply('PutImage'),
      batchGetImage: reply('BatchGetImage'),
    };
    const adapter = ecrApi(service, data);
    const decoded = decodeJsonOperation(ECR_JSON, ECR_OPERATIONS, {
      target: target('BatchGetImage'),
      body: '{"repositoryName":"r","imageIds":[{"imageTag":"v1"}]}',
    });
    assert.deepEqual(await adapter.handle(decoded, { caller, requestId: 'r' }), { images: [], failures: [] });
    assert.deepEqual(seen, ['BatchGetImage']);
  });

  test('GetAuthorizationToken through the adapter answers the host-style proxy endpoint', async () => {
    const { service, caller } = await world();
    const decoded = decodeJsonOperation(ECR_JSON, ECR_OPERATIONS, {
      target: target('GetAuthorizationToken'),
      body: '{}',
    });
    const out = (await ecrApi(service).handle(decoded, { caller, requestId: 'r' })) as {
      authorizationData: { proxyEndpoint: string; expiresAt: Date }[];
    };
    assert.equal(out.authorizationData[0]!.proxyEndpoint, `https://${A}.dkr.ecr.us-east-1.localhost:5000`);
    assert.equal(out.authorizationData[0]!.expiresAt.getTime(), T0 + 12 * 3600_000);
  });
});

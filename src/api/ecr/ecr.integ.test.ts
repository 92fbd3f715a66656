// ECR over HTTP with the real AWS SDK v3 client: SigV4 through the server's handler, the awsJson
// codec, the adapter and the service on the in-memory store. Every control-plane operation, the
// SDK's paginators, the errors the SDK must surface with AWS's codes, and the dispatch of the
// data-path operations to EcrDataOps. A second block runs against a started crossdock server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BatchDeleteImageCommand,
  CreateRepositoryCommand,
  DeleteRegistryPolicyCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryPolicyCommand,
  DescribeImagesCommand,
  DescribeRegistryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetRegistryPolicyCommand,
  GetRepositoryPolicyCommand,
  ListImagesCommand,
  ListTagsForResourceCommand,
  PutImageCommand,
  PutImageTagMutabilityCommand,
  PutRegistryPolicyCommand,
  SetRepositoryPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UploadLayerPartCommand,
  BatchGetImageCommand,
  paginateDescribeImages,
  paginateDescribeRepositories,
  paginateListImages,
  type ECRServiceException,
} from '@aws-sdk/client-ecr';
import { pino } from 'pino';
import type { Caller } from '../../auth/caller.js';
import { verifyRegistryToken } from '../../auth/tokens.js';
import { PolicyCache } from '../../iam/index.js';
import { buildHandler } from '../../server/app.js';
import { Authorizer } from '../../services/authz.js';
import type { EcrDeps } from '../../services/ecr/deps.js';
import { EcrService } from '../../services/ecr/service.js';
import { IdFactory } from '../../services/ids.js';
import { systemClock } from '../../services/runtime.js';
import { createMemoryBlobStore } from '../../store/blobs/index.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import type { RepositoryRef } from '../../store/meta/records.js';
import { SecretBox } from '../../store/meta/secrets.js';
import { mountable } from '../adapter.js';
import { ECR_JSON } from '../protocol/awsJson.js';
import type { EcrDataInput, EcrDataOps } from './data.js';
import { ecrApi } from './index.js';
import { sdkCredentials, startServer, type TestServer } from '../../../test/helpers/server.js';

const A = '111111111111';
const B = '222222222222';
const REGION = 'us-east-1';
const KEY = randomBytes(32);
const SCHEMA2 = 'application/vnd.docker.distribution.manifest.v2+json';

const store = new MemoryMetadataStore();
const box = SecretBox.fromKey(randomBytes(32));
const cache = new PolicyCache();
const ids = new IdFactory({ bytes: (n) => randomBytes(n) });
const authz = new Authorizer({ store, cache, clock: systemClock });
let server: Server;
let endpoint: string;
let deps: EcrDeps;
const keys = new Map<string, { accessKeyId: string; secretAccessKey: string }>();
/** The server's handler, built once the port (and so the addressing) is known. */
let handler: ReturnType<typeof buildHandler> = (_req, res) => {
  res.statusCode = 503;
  res.end();
};

/** What the stub data path was handed, by operation. */
const dataCalls: { operation: string; caller: Caller; input: unknown }[] = [];

/** A stand-in for the data path: records its inputs and answers fixed AWS-shaped outputs. */
const stubData: EcrDataOps = {
  async batchCheckLayerAvailability(caller, input) {
    dataCalls.push({ operation: 'BatchCheckLayerAvailability', caller, input });
    return { layers: [], failures: [] };
  },
  async getDownloadUrlForLayer(caller, input) {
    dataCalls.push({ operation: 'GetDownloadUrlForLayer', caller, input });
    return { downloadUrl: 'http://x/blob', layerDigest: input.layerDigest };
  },
  async initiateLayerUpload(caller, input) {
    dataCalls.push({ operation: 'InitiateLayerUpload', caller, input });
    return { uploadId: '00000000-0000-4000-8000-000000000000', partSize: 10_485_760 };
  },
  async uploadLayerPart(caller, input: EcrDataInput['UploadLayerPart']) {
    dataCalls.push({ operation: 'UploadLayerPart', caller, input });
    return {
      registryId: input.registryId ?? caller.account.id,
      repositoryName: input.repositoryName,
      uploadId: input.uploadId,
      lastByteReceived: input.partLastByte,
    };
  },
  async completeLayerUpload(caller, input) {
    dataCalls.push({ operation: 'CompleteLayerUpload', caller, input });
    return {
      registryId: caller.account.id,
      repositoryName: input.repositoryName,
      uploadId: input.uploadId,
      layerDigest: input.layerDigests[0] ?? '',
    };
  },
  async putImage(caller, input) {
    dataCalls.push({ operation: 'PutImage', caller, input });
    return {
      image: {
        registryId: caller.account.id,
        repositoryName: input.repositoryName,
        imageId: {
          imageDigest: digestOf(input.imageManifest),
          ...(input.imageTag && { imageTag: input.imageTag }),
        },
        imageManifest: input.imageManifest,
        imageManifestMediaType: input.imageManifestMediaType ?? SCHEMA2,
      },
    };
  },
  async batchGetImage(caller, input) {
    dataCalls.push({ operation: 'BatchGetImage', caller, input });
    return {
      images: [],
      failures: input.imageIds.map((imageId) => ({
        imageId,
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      })),
    };
  },
};

function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function client(creds: { accessKeyId: string; secretAccessKey: string }, region = REGION): ECRClient {
  return new ECRClient({ endpoint, region, credentials: creds, maxAttempts: 1 });
}

async function awsError(p: Promise<unknown>): Promise<ECRServiceException> {
  try {
    await p;
  } catch (e) {
    return e as ECRServiceException;
  }
  assert.fail('expected the call to fail');
}

async function addKey(
  accountId: string,
  userName?: string,
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const accessKeyId = ids.iam('AKIA');
  const secretAccessKey = ids.secretAccessKey();
  await store.accessKeys.create({
    id: accessKeyId,
    accountId,
    ...(userName !== undefined && { userName }),
    status: 'Active',
    secret: box.seal(secretAccessKey, accessKeyId),
    createdAt: new Date(),
  });
  return { accessKeyId, secretAccessKey };
}

/** An IAM user with one inline policy (or none) and an access key. */
async function user(accountId: string, name: string, policy?: string) {
  await store.users.create({
    accountId,
    name,
    path: '/',
    id: ids.iam('AIDA'),
    createdAt: new Date(),
    tags: [],
  });
  if (policy !== undefined)
    await store.inlinePolicies.put({ kind: 'user', accountId, name }, { name: 'p', document: policy });
  return addKey(accountId, name);
}

/** Stores an image (config + layer) as a push would. */
async function image(ref: RepositoryRef, label: string, tags: string[]): Promise<string> {
  const config = digestOf(`c-${label}`);
  const layer = digestOf(`l-${label}`);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: SCHEMA2,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config, size: 10 },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layer, size: 20 }],
  });
  const digest = digestOf(manifest);
  await store.blobs.link(ref, { digest: config, size: 10, linkedAt: new Date() });
  await store.blobs.link(ref, { digest: layer, size: 20, linkedAt: new Date() });
  await store.images.put(ref, {
    digest,
    mediaType: SCHEMA2,
    configDigest: config,
    configMediaType: 'application/vnd.docker.container.image.v1+json',
    manifest: Buffer.from(manifest),
    imageSize: 30 + manifest.length,
    pushedAt: new Date(1_700_000_000_500),
    blobs: [config, layer],
    children: [],
  });
  for (const t of tags) await store.tags.put(ref, t, digest, new Date());
  return digest;
}

before(async () => {
  for (const id of [A, B]) {
    await store.accounts.create({
      id,
      name: `acct-${id}`,
      email: `${id}@example.com`,
      status: 'ACTIVE',
      joinedMethod: 'CREATED',
      joinedAt: new Date(),
    });
    keys.set(id, await addKey(id));
  }
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://127.0.0.1:${port}`;
  deps = {
    store,
    authz,
    clock: systemClock,
    ids,
    box,
    cache,
    region: REGION,
    blobs: createMemoryBlobStore(),
    registryTokenKey: KEY,
    addressing: {
      style: 'path',
      scheme: 'http',
      authority: `127.0.0.1:${port}`,
      domain: 'localhost',
      port: '',
      defaultRegion: REGION,
    },
  };
  handler = buildHandler({
    store,
    box,
    clock: systemClock,
    ids,
    log: pino({ level: 'silent' }),
    apis: {
      query: {},
      json: new Map([
        [
          ECR_JSON.targetPrefix,
          {
            protocol: ECR_JSON,
            signingName: 'ecr',
            adapter: mountable(ecrApi(new EcrService(deps), stubData)),
          },
        ],
      ]),
    },
  });
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await store.close();
});

describe('ECR over HTTP with @aws-sdk/client-ecr', () => {
  test('CreateRepository, DescribeRepositories by name, DeleteRepository', async () => {
    const ecr = client(keys.get(A)!);
    const created = await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: 'seed/app',
        tags: [{ Key: 'Team', Value: 'Payments' }],
        imageTagMutability: 'IMMUTABLE',
        encryptionConfiguration: { encryptionType: 'AES256' },
      }),
    );
    const r = created.repository!;
    assert.equal(r.repositoryArn, `arn:aws:ecr:${REGION}:${A}:repository/seed/app`);
    assert.equal(r.registryId, A);
    assert.equal(r.repositoryUri, `${endpoint.slice('http://'.length)}/${A}/seed/app`);
    assert.ok(r.createdAt instanceof Date);
    assert.equal(r.imageTagMutability, 'IMMUTABLE');
    assert.deepEqual(r.imageScanningConfiguration, { scanOnPush: false });
    assert.deepEqual(r.encryptionConfiguration, { encryptionType: 'AES256' });
    const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['seed/app'] }));
    assert.equal(described.repositories?.[0]?.createdAt?.getTime(), r.createdAt!.getTime());
    const deleted = await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'seed/app' }));
    assert.equal(deleted.repository?.repositoryName, 'seed/app');
  });

  test('errors surface with their AWS codes, status 400 and client fault', async () => {
    const ecr = client(keys.get(A)!);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'dup' }));
    const cases: [Promise<unknown>, string, string | RegExp][] = [
      [
        ecr.send(new CreateRepositoryCommand({ repositoryName: 'dup' })),
        'RepositoryAlreadyExistsException',
        `The repository with name 'dup' already exists in the registry with id '${A}'`,
      ],
      [
        ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['nope'] })),
        'RepositoryNotFoundException',
        `The repository with name 'nope' does not exist in the registry with id '${A}'`,
      ],
      [
        ecr.send(new CreateRepositoryCommand({ repositoryName: 'Bad' })),
        'InvalidParameterException',
        /^Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression/,
      ],
      [
        ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['dup'], maxResults: 5 })),
        'InvalidParameterException',
        /maxResults/,
      ],
      [
        ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'dup' })),
        'RepositoryPolicyNotFoundException',
        /dup/,
      ],
      [ecr.send(new GetRegistryPolicyCommand({})), 'RegistryPolicyNotFoundException', new RegExp(A)],
      [
        ecr.send(new TagResourceCommand({ resourceArn: 'arn:aws:ecr:nope', tags: [] })),
        'InvalidParameterException',
        "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'",
      ],
      [
        ecr.send(new DescribeImagesCommand({ repositoryName: 'dup', imageIds: [{ imageTag: 'v9' }] })),
        'ImageNotFoundException',
        /imageTag:'v9'/,
      ],
      [
        ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'dup' })),
        'RepositoryPolicyNotFoundException',
        /dup/,
      ],
    ];
    for (const [p, code, message] of cases) {
      const e = await awsError(p);
      assert.equal(e.name, code, e.message);
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.$fault, 'client');
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
    }
  });

  test('a user without ECR permissions gets AccessDeniedException (HTTP 400) with the IAM sentence', async () => {
    const dev = client(await user(A, 'nobody'));
    const e = await awsError(dev.send(new DescribeRepositoriesCommand({})));
    assert.equal(e.name, 'AccessDeniedException');
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.equal(
      e.message,
      `User: arn:aws:iam::${A}:user/nobody is not authorized to perform: ecr:DescribeRepositories on resource: arn:aws:ecr:${REGION}:${A}:repository/* because no identity-based policy allows the ecr:DescribeRepositories action`,
    );
    const t = await awsError(dev.send(new GetAuthorizationTokenCommand({})));
    assert.equal(t.name, 'AccessDeniedException');
    assert.match(
      t.message,
      /ecr:GetAuthorizationToken on resource: \* because no identity-based policy allows/,
    );
  });

  test('DescribeRepositories pagination through the SDK paginator, in the caller region only', async () => {
    const root = keys.get(B)!;
    const ecr = client(root);
    const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
    for (const n of names) await ecr.send(new CreateRepositoryCommand({ repositoryName: n }));
    await client(root, 'eu-west-1').send(new CreateRepositoryCommand({ repositoryName: 'elsewhere' }));
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeRepositories({ client: ecr, pageSize: 2 }, {})) {
      pages++;
      assert.ok((page.repositories ?? []).length <= 2);
      seen.push(...(page.repositories ?? []).map((r) => r.repositoryName!));
    }
    assert.deepEqual(seen, names);
    assert.equal(pages, 3);
    const west = await client(root, 'eu-west-1').send(new DescribeRepositoriesCommand({}));
    assert.deepEqual(
      west.repositories?.map((r) => [r.repositoryName, r.repositoryUri]),
      [['elsewhere', `${endpoint.slice('http://'.length)}/${B}.eu-west-1/elsewhere`]],
    );
  });

  test('tags and the seed 001 repository policy decide cross-account access as AWS does', async () => {
    const a = client(keys.get(A)!);
    const { repository } = await a.send(new CreateRepositoryCommand({ repositoryName: 'my-first-repo' }));
    const resourceArn = repository!.repositoryArn!;
    const devusr2 = client(
      await user(
        B,
        'devusr2',
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ecr:*', Resource: '*' }],
        }),
      ),
    );
    const policyText = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowCrossAccountPushAndPull',
          Effect: 'Allow',
          Action: ['ecr:DescribeImages', 'ecr:ListImages', 'ecr:BatchGetImage'],
          Condition: { StringLike: { 'aws:ResourceTag/Team': 'Payments' } },
          Principal: { AWS: [`arn:aws:iam::${B}:user/devusr2`] },
        },
      ],
    });
    const set = await a.send(new SetRepositoryPolicyCommand({ repositoryName: 'my-first-repo', policyText }));
    assert.equal(set.policyText, policyText);
    assert.equal(
      (await a.send(new GetRepositoryPolicyCommand({ repositoryName: 'my-first-repo' }))).policyText,
      policyText,
    );
    const before = await awsError(
      devusr2.send(new ListImagesCommand({ repositoryName: 'my-first-repo', registryId: A })),
    );
    assert.equal(before.name, 'AccessDeniedException');
    assert.match(before.message, /because no resource-based policy allows the ecr:ListImages action$/);
    await a.send(
      new TagResourceCommand({
        resourceArn,
        tags: [
          { Key: 'Team', Value: 'Payments' },
          { Key: 'Env', Value: 'dev' },
        ],
      }),
    );
    assert.deepEqual((await a.send(new ListTagsForResourceCommand({ resourceArn }))).tags, [
      { Key: 'Team', Value: 'Payments' },
      { Key: 'Env', Value: 'dev' },
    ]);
    const listed = await devusr2.send(
      new ListImagesCommand({ repositoryName: 'my-first-repo', registryId: A }),
    );
    assert.deepEqual(listed.imageIds, []);
    await a.send(new UntagResourceCommand({ resourceArn, tagKeys: ['Team'] }));
    assert.equal(
      (
        await awsError(
          devusr2.send(new ListImagesCommand({ repositoryName: 'my-first-repo', registryId: A })),
        )
      ).name,
      'AccessDeniedException',
    );
    const removed = await a.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'my-first-repo' }));
    assert.equal(removed.policyText, policyText);
    const bad = await awsError(
      a.send(
        new SetRepositoryPolicyCommand({
          repositoryName: 'my-first-repo',
          policyText: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*', Resource: '*' }],
          }),
        }),
      ),
    );
    assert.equal(bad.name, 'InvalidParameterException');
    assert.equal(
      bad.message,
      "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
    );
  });

  test('registry policy and DescribeRegistry', async () => {
    const a = client(keys.get(A)!);
    const policyText = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${B}:root` },
          Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
          Resource: `arn:aws:ecr:${REGION}:${A}:repository/*`,
        },
      ],
    });
    assert.deepEqual((await a.send(new PutRegistryPolicyCommand({ policyText }))).policyText, policyText);
    const got = await a.send(new GetRegistryPolicyCommand({}));
    assert.equal(got.registryId, A);
    assert.equal(got.policyText, policyText);
    assert.equal((await a.send(new DeleteRegistryPolicyCommand({}))).policyText, policyText);
    const reg = await a.send(new DescribeRegistryCommand({}));
    assert.equal(reg.registryId, A);
    assert.deepEqual(reg.replicationConfiguration, { rules: [] });
  });

  test('GetAuthorizationToken: a Date expiry, base64 AWS:<password> that verifies, one entry per registry id', async () => {
    const creds = keys.get(B)!;
    const out = await client(creds).send(new GetAuthorizationTokenCommand({ registryIds: [A, B] }));
    const data = out.authorizationData ?? [];
    assert.equal(data.length, 2);
    const host = endpoint.slice('http://'.length);
    assert.deepEqual(
      data.map((d) => d.proxyEndpoint),
      [`http://${host}/${A}`, `http://${host}/${B}`],
    );
    const d = data[0]!;
    assert.ok(d.expiresAt instanceof Date);
    const hours = (d.expiresAt.getTime() - Date.now()) / 3600_000;
    assert.ok(hours > 11.9 && hours <= 12, `expires in ${hours} h`);
    const [user, password] = Buffer.from(d.authorizationToken!, 'base64').toString('utf8').split(/:(.*)/s);
    assert.equal(user, 'AWS');
    const v = verifyRegistryToken(KEY, password!, Date.now());
    assert.ok(v.ok);
    assert.equal(v.claims.accessKeyId, creds.accessKeyId);
    assert.equal(v.claims.registryId, A);
  });

  test('ListImages and DescribeImages paginate through the SDK; BatchDeleteImage reports failures', async () => {
    const a = client(keys.get(A)!);
    await a.send(new CreateRepositoryCommand({ repositoryName: 'images' }));
    const ref = { accountId: A, region: REGION, name: 'images' };
    const one = await image(ref, 'one', ['v1', 'latest']);
    const two = await image(ref, 'two', ['v2']);
    await image(ref, 'three', []);
    const entries: { imageDigest?: string; imageTag?: string }[] = [];
    for await (const page of paginateListImages({ client: a, pageSize: 2 }, { repositoryName: 'images' })) {
      assert.ok((page.imageIds ?? []).length <= 2);
      entries.push(...(page.imageIds ?? []));
    }
    assert.equal(entries.length, 4);
    assert.deepEqual(
      entries
        .filter((e) => e.imageDigest === one)
        .map((e) => e.imageTag)
        .sort(),
      ['latest', 'v1'],
    );
    const details = [];
    for await (const page of paginateDescribeImages(
      { client: a, pageSize: 1 },
      { repositoryName: 'images' },
    )) {
      details.push(...(page.imageDetails ?? []));
    }
    assert.equal(details.length, 3);
    const d = details.find((x) => x.imageDigest === one)!;
    assert.deepEqual(d.imageTags, ['latest', 'v1']);
    assert.equal(d.imagePushedAt?.getTime(), 1_700_000_000_500);
    assert.equal(d.imageManifestMediaType, SCHEMA2);
    assert.equal(d.artifactMediaType, 'application/vnd.docker.container.image.v1+json');
    assert.ok((d.imageSizeInBytes ?? 0) > 30);
    const untagged = await a.send(
      new ListImagesCommand({ repositoryName: 'images', filter: { tagStatus: 'UNTAGGED' } }),
    );
    assert.equal(untagged.imageIds?.length, 1);
    const del = await a.send(
      new BatchDeleteImageCommand({
        repositoryName: 'images',
        imageIds: [{ imageTag: 'latest' }, { imageDigest: two }, { imageTag: 'ghost' }],
      }),
    );
    assert.deepEqual(del.imageIds, [
      { imageDigest: one, imageTag: 'latest' },
      { imageDigest: two, imageTag: 'v2' },
    ]);
    assert.deepEqual(del.failures, [
      {
        imageId: { imageTag: 'ghost' },
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      },
    ]);
    const mut = await a.send(
      new PutImageTagMutabilityCommand({
        repositoryName: 'images',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
      }),
    );
    assert.deepEqual(
      { ...mut, $metadata: undefined },
      {
        $metadata: undefined,
        registryId: A,
        repositoryName: 'images',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
      },
    );
  });

  test('the data-path operations reach EcrDataOps with decoded inputs (bytes for layerPartBlob)', async () => {
    const a = client(keys.get(A)!);
    dataCalls.length = 0;
    const blob = new Uint8Array([0, 1, 2, 250, 255]);
    const part = await a.send(
      new UploadLayerPartCommand({
        repositoryName: 'images',
        uploadId: '00000000-0000-4000-8000-000000000000',
        partFirstByte: 0,
        partLastByte: 4,
        layerPartBlob: blob,
      }),
    );
    assert.equal(part.lastByteReceived, 4);
    const call = dataCalls[0]!;
    assert.equal(call.operation, 'UploadLayerPart');
    assert.equal(call.caller.account.id, A);
    assert.deepEqual([...(call.input as EcrDataInput['UploadLayerPart']).layerPartBlob], [...blob]);
    const manifest = '{"schemaVersion":2}';
    const put = await a.send(
      new PutImageCommand({
        repositoryName: 'images',
        imageManifest: manifest,
        imageTag: 'v1',
        imageManifestMediaType: SCHEMA2,
      }),
    );
    assert.deepEqual(put.image?.imageId, { imageDigest: digestOf(manifest), imageTag: 'v1' });
    const got = await a.send(
      new BatchGetImageCommand({ repositoryName: 'images', imageIds: [{ imageTag: 'v1' }] }),
    );
    assert.deepEqual(got.failures, [
      {
        imageId: { imageTag: 'v1' },
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      },
    ]);
    assert.deepEqual(
      dataCalls.map((c) => c.operation),
      ['UploadLayerPart', 'PutImage', 'BatchGetImage'],
    );
  });
});

describe('ECR on a started crossdock server (test/helpers/server.ts)', () => {
  let t: TestServer | undefined;

  before(async () => {
    t = await startServer();
  });

  after(async () => {
    await t?.stop();
  });

  test('create, tag, describe, paginate and log in against the composed server', async () => {
    const ecr = new ECRClient({
      endpoint: t!.endpoint,
      region: REGION,
      credentials: sdkCredentials(t!.management),
      maxAttempts: 1,
    });
    for (const n of ['c1', 'c2', 'c3']) {
      await ecr.send(
        new CreateRepositoryCommand({ repositoryName: n, tags: [{ Key: 'Team', Value: 'Payments' }] }),
      );
    }
    const seen: string[] = [];
    for await (const page of paginateDescribeRepositories({ client: ecr, pageSize: 2 }, {})) {
      seen.push(...(page.repositories ?? []).map((r) => r.repositoryName!));
    }
    assert.deepEqual(seen, ['c1', 'c2', 'c3']);
    const token = await ecr.send(new GetAuthorizationTokenCommand({}));
    const decoded = Buffer.from(token.authorizationData![0]!.authorizationToken!, 'base64').toString('utf8');
    assert.ok(decoded.startsWith('AWS:'));
    const e = await awsError(ecr.send(new CreateRepositoryCommand({ repositoryName: 'c1' })));
    assert.equal(e.name, 'RepositoryAlreadyExistsException');
  });
});

// Every ECR operation crossdock serves (ECR_OPERATIONS), through the real AWS SDK v3
// (`@aws-sdk/client-ecr`) against a started server: real port, SQLite metadata, the fs blob store
// and real authorization. Each answer and each error is compared with what AWS documents: the
// exception names and sentences, HTTP 400 for client faults (AccessDeniedException included), the
// SDK's paginators, and that what one door (API or /v2 registry) stores the other serves.
// Time comes from an injected clock, so expiries and push times are asserted exactly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  BatchCheckLayerAvailabilityCommand,
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  CreatePullThroughCacheRuleCommand,
  CreateRepositoryCommand,
  DeletePullThroughCacheRuleCommand,
  DescribePullThroughCacheRulesCommand,
  paginateDescribePullThroughCacheRules,
  UpdatePullThroughCacheRuleCommand,
  ValidatePullThroughCacheRuleCommand,
  DeleteRegistryPolicyCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryPolicyCommand,
  DescribeImagesCommand,
  DescribeRegistryCommand,
  CreateRepositoryCreationTemplateCommand,
  DeleteRepositoryCreationTemplateCommand,
  DescribeImageReplicationStatusCommand,
  DescribeRepositoryCreationTemplatesCommand,
  PutReplicationConfigurationCommand,
  UpdateRepositoryCreationTemplateCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  GetDownloadUrlForLayerCommand,
  GetRegistryPolicyCommand,
  GetRepositoryPolicyCommand,
  InitiateLayerUploadCommand,
  ListImagesCommand,
  ListTagsForResourceCommand,
  PutImageCommand,
  PutImageTagMutabilityCommand,
  PutRegistryPolicyCommand,
  SetRepositoryPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UploadLayerPartCommand,
  DeleteLifecyclePolicyCommand,
  GetLifecyclePolicyCommand,
  GetLifecyclePolicyPreviewCommand,
  PutLifecyclePolicyCommand,
  StartLifecyclePolicyPreviewCommand,
  type DeleteLifecyclePolicyCommandOutput,
  type GetLifecyclePolicyCommandOutput,
  type GetLifecyclePolicyPreviewCommandOutput,
  type PutLifecyclePolicyCommandOutput,
  type StartLifecyclePolicyPreviewCommandOutput,
  paginateDescribeImages,
  paginateDescribeRepositories,
  paginateListImages,
  type ECRClient,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ECR_OPERATIONS } from '../../src/api/ecr/index.js';
import {
  assertAwsError,
  awsError,
  DOCKER_MANIFEST,
  ecrClient,
  makeImage,
  OCI_INDEX,
  OCI_MANIFEST,
  pushBlobApi,
  pushBlobV2,
  registryLogin,
  sha256,
  v2,
  type TestImage,
} from '../helpers/ecr.js';
import { startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const REGION = 'us-east-1';
const HOUR = 3600_000;
/** The injected clock: starts at a whole second near now (SigV4 needs it close) and moves by hand. */
const T0 = Math.floor(Date.now() / 1000) * 1000;
let advanced = 0;
const clock = { now: () => T0 + advanced };

let t: TestServer;
let A: AccountCredentials;
let B: AccountCredentials;
let ecrA: ECRClient;
let ecrB: ECRClient;
/** A user of account B with no policy at all. */
let nobody: { arn: string; ecr: ECRClient };
/** A user of account B with AmazonEC2ContainerRegistryPowerUser (on `*`), nothing in A's policies. */
let power: { arn: string; ecr: ECRClient };
/** Every operation this file calls, to check that none of ECR_OPERATIONS is left out. */
const called = new Set<string>();

async function userOf(
  owner: AccountCredentials,
  name: string,
  managed?: string,
): Promise<{ arn: string; ecr: ECRClient }> {
  const iam = new IAMClient({
    endpoint: t.endpoint,
    region: REGION,
    credentials: { accessKeyId: owner.AccessKeyId, secretAccessKey: owner.SecretAccessKey },
    maxAttempts: 1,
  });
  const u = await iam.send(new CreateUserCommand({ UserName: name }));
  if (managed !== undefined)
    await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: managed }));
  const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return {
    arn: u.User!.Arn!,
    ecr: ecrClient(t.endpoint, {
      accessKeyId: k.AccessKey!.AccessKeyId!,
      secretAccessKey: k.AccessKey!.SecretAccessKey!,
    }),
  };
}

/** Sends a command and records its operation name (the class name without `Command`). */
async function send<T>(ecr: ECRClient, command: { constructor: { name: string } } & object): Promise<T> {
  called.add(command.constructor.name.replace(/Command$/, ''));
  return (await ecr.send(command as never)) as T;
}

function arnOf(account: string, name: string): string {
  return `arn:aws:ecr:${REGION}:${account}:repository/${name}`;
}

async function createRepo(name: string, extra: Record<string, unknown> = {}, ecr = ecrA): Promise<void> {
  await send(ecr, new CreateRepositoryCommand({ repositoryName: name, ...extra }));
}

/** Pushes an image's blobs and manifest through the API; returns the PutImage answer. */
async function pushApi(repositoryName: string, img: TestImage, imageTag?: string, ecr = ecrA) {
  for (const blob of [img.config, ...img.layers]) await pushBlobApi(ecr, repositoryName, blob);
  return send<{ image?: { imageId?: ImageIdentifier } }>(
    ecr,
    new PutImageCommand({
      repositoryName,
      imageManifest: img.manifest,
      imageManifestMediaType: img.mediaType,
      imageTag,
    }),
  );
}

before(async () => {
  t = await startServer({ clock });
  [A, B] = await Promise.all([t.createAccount('ecr-sdk-a'), t.createAccount('ecr-sdk-b')]);
  ecrA = ecrClient(t.endpoint, A);
  ecrB = ecrClient(t.endpoint, B);
  nobody = await userOf(B, 'nobody');
  power = await userOf(B, 'power', 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser');
});

after(async () => {
  await t?.stop();
});

describe('CreateRepository', () => {
  test('defaults are AWS’s: MUTABLE, AES256, scanOnPush false, a path-style URI, createdAt from the clock', async () => {
    const out = await send<{ repository: Record<string, unknown> }>(
      ecrA,
      new CreateRepositoryCommand({ repositoryName: 'team/app' }),
    );
    const port = new URL(t.endpoint).port;
    assert.deepEqual(out.repository, {
      repositoryArn: arnOf(A.AccountId, 'team/app'),
      registryId: A.AccountId,
      repositoryName: 'team/app',
      repositoryUri: `127.0.0.1:${port}/${A.AccountId}/team/app`,
      createdAt: new Date(clock.now()),
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
  });

  test('tags, IMMUTABLE, scanOnPush and KMS encryption are kept and echoed', async () => {
    const out = await send<{ repository: Record<string, unknown> }>(
      ecrA,
      new CreateRepositoryCommand({
        repositoryName: 'settings',
        tags: [
          { Key: 'Team', Value: 'Payments' },
          { Key: 'env', Value: '' },
        ],
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'alias/ecr' },
      }),
    );
    assert.equal(out.repository.imageTagMutability, 'IMMUTABLE');
    assert.deepEqual(out.repository.imageScanningConfiguration, { scanOnPush: true });
    assert.deepEqual(out.repository.encryptionConfiguration, { encryptionType: 'KMS', kmsKey: 'alias/ecr' });
    const tags = await send<{ tags: unknown }>(
      ecrA,
      new ListTagsForResourceCommand({ resourceArn: arnOf(A.AccountId, 'settings') }),
    );
    assert.deepEqual(tags.tags, [
      { Key: 'Team', Value: 'Payments' },
      { Key: 'env', Value: '' },
    ]);
    const ex = await send<{ repository: Record<string, unknown> }>(
      ecrA,
      new CreateRepositoryCommand({
        repositoryName: 'settings-ex',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest*' }],
      }),
    );
    assert.deepEqual(ex.repository.imageTagMutabilityExclusionFilters, [
      { filterType: 'WILDCARD', filter: 'latest*' },
    ]);
  });

  const PATTERN = '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*';
  const names = [
    {
      name: 'a single character is too short',
      repositoryName: 'a',
      constraint: 'must have length greater than or equal to 2',
    },
    {
      name: 'upper case is refused',
      repositoryName: 'MyApp',
      constraint: `must satisfy regular expression '${PATTERN}'`,
    },
    {
      name: 'a leading separator is refused',
      repositoryName: '-app',
      constraint: `must satisfy regular expression '${PATTERN}'`,
    },
    {
      name: 'a trailing slash is refused',
      repositoryName: 'app/',
      constraint: `must satisfy regular expression '${PATTERN}'`,
    },
    {
      name: 'an empty component is refused',
      repositoryName: 'a//b',
      constraint: `must satisfy regular expression '${PATTERN}'`,
    },
    {
      name: 'a dot-dot component is refused',
      repositoryName: 'a/../b',
      constraint: `must satisfy regular expression '${PATTERN}'`,
    },
    {
      name: '257 characters are too long',
      repositoryName: 'a'.repeat(257),
      constraint: 'must have length less than or equal to 256',
    },
  ];
  for (const c of names) {
    test(`repository name: ${c.name} (InvalidParameterException)`, async () => {
      await assertAwsError(
        ecrA.send(new CreateRepositoryCommand({ repositoryName: c.repositoryName })),
        'InvalidParameterException',
        `Invalid parameter at 'repositoryName' failed to satisfy constraint: '${c.constraint}'`,
      );
    });
  }

  test('256 characters with namespaces are a valid name', async () => {
    const name = `ns/${'b'.repeat(253)}`;
    await createRepo(name);
    await send(ecrA, new DeleteRepositoryCommand({ repositoryName: name }));
  });

  test('bad settings and tags are refused with AWS’s exceptions, and nothing is created', async () => {
    const cases = [
      {
        input: { imageTagMutability: 'SOMETIMES' },
        name: 'InvalidParameterException',
      },
      {
        input: { imageTagMutability: 'MUTABLE_WITH_EXCLUSION' },
        name: 'InvalidParameterException',
      },
      {
        input: { encryptionConfiguration: { encryptionType: 'AES256', kmsKey: 'alias/x' } },
        name: 'InvalidParameterException',
      },
      {
        input: { encryptionConfiguration: { encryptionType: 'ROT13' } },
        name: 'InvalidParameterException',
      },
      { input: { tags: [{ Key: 'k'.repeat(129), Value: 'v' }] }, name: 'InvalidTagParameterException' },
      { input: { tags: [{ Key: 'k', Value: 'v'.repeat(257) }] }, name: 'InvalidTagParameterException' },
      {
        input: { tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) },
        name: 'TooManyTagsException',
      },
    ];
    for (const c of cases) {
      await assertAwsError(
        ecrA.send(new CreateRepositoryCommand({ repositoryName: 'refused', ...(c.input as object) })),
        c.name,
      );
    }
    await assertAwsError(
      ecrA.send(new DescribeRepositoriesCommand({ repositoryNames: ['refused'] })),
      'RepositoryNotFoundException',
      `The repository with name 'refused' does not exist in the registry with id '${A.AccountId}'`,
    );
  });

  test('an existing name is RepositoryAlreadyExistsException with AWS’s sentence', async () => {
    await assertAwsError(
      ecrA.send(new CreateRepositoryCommand({ repositoryName: 'team/app' })),
      'RepositoryAlreadyExistsException',
      `The repository with name 'team/app' already exists in the registry with id '${A.AccountId}'`,
    );
  });
});

describe('DescribeRepositories and DeleteRepository', () => {
  before(async () => {
    for (const n of ['page/r1', 'page/r2', 'page/r3', 'page/r4', 'page/r5']) await createRepo(n);
  });

  test('by name, in the order asked; a missing name fails the whole call', async () => {
    const out = await send<{ repositories: { repositoryName: string }[] }>(
      ecrA,
      new DescribeRepositoriesCommand({ repositoryNames: ['page/r3', 'page/r1'] }),
    );
    assert.deepEqual(
      out.repositories.map((r) => r.repositoryName),
      ['page/r3', 'page/r1'],
    );
    await assertAwsError(
      ecrA.send(new DescribeRepositoriesCommand({ repositoryNames: ['page/r1', 'page/none'] })),
      'RepositoryNotFoundException',
      `The repository with name 'page/none' does not exist in the registry with id '${A.AccountId}'`,
    );
    await assertAwsError(
      ecrA.send(new DescribeRepositoriesCommand({ repositoryNames: ['page/r1'], maxResults: 2 })),
      'InvalidParameterException',
    );
  });

  test('the SDK paginator walks every repository with maxResults and nextToken', async () => {
    const pages: string[][] = [];
    for await (const p of paginateDescribeRepositories({ client: ecrA, pageSize: 2 }, {})) {
      pages.push((p.repositories ?? []).map((r) => r.repositoryName!));
    }
    called.add('DescribeRepositories');
    const all = pages.flat();
    assert.ok(pages.every((p) => p.length <= 2));
    assert.deepEqual(
      all.filter((n) => n.startsWith('page/')),
      ['page/r1', 'page/r2', 'page/r3', 'page/r4', 'page/r5'],
    );
    assert.equal(new Set(all).size, all.length, 'no repository is listed twice');
    const one = await ecrA.send(new DescribeRepositoriesCommand({ maxResults: 1 }));
    assert.equal(one.repositories?.length, 1);
    assert.ok(one.nextToken);
    await assertAwsError(
      ecrA.send(new DescribeRepositoriesCommand({ nextToken: 'garbage' })),
      'InvalidParameterException',
    );
    for (const maxResults of [0, 1001]) {
      await assertAwsError(
        ecrA.send(new DescribeRepositoriesCommand({ maxResults })),
        'InvalidParameterException',
      );
    }
  });

  test('an empty repository is deleted and answered; a missing one is RepositoryNotFoundException', async () => {
    const out = await send<{ repository: { repositoryName: string; repositoryArn: string } }>(
      ecrA,
      new DeleteRepositoryCommand({ repositoryName: 'page/r5' }),
    );
    assert.equal(out.repository.repositoryName, 'page/r5');
    assert.equal(out.repository.repositoryArn, arnOf(A.AccountId, 'page/r5'));
    await assertAwsError(
      ecrA.send(new DeleteRepositoryCommand({ repositoryName: 'page/r5' })),
      'RepositoryNotFoundException',
      `The repository with name 'page/r5' does not exist in the registry with id '${A.AccountId}'`,
    );
  });

  test('a repository with images needs force: RepositoryNotEmptyException, then force deletes it all', async () => {
    await createRepo('full');
    const img = makeImage([300]);
    await pushApi('full', img, 'v1');
    await assertAwsError(
      ecrA.send(new DeleteRepositoryCommand({ repositoryName: 'full' })),
      'RepositoryNotEmptyException',
      `The repository with name 'full' in registry with id '${A.AccountId}' cannot be deleted because it still contains images`,
    );
    await ecrA.send(new DeleteRepositoryCommand({ repositoryName: 'full', force: true }));
    const { header } = await registryLogin(ecrA);
    const r = await v2(t.endpoint, 'GET', `/v2/${A.AccountId}/full/manifests/v1`, { auth: header });
    assert.equal(r.status, 404);
    assert.deepEqual(r.codes, ['NAME_UNKNOWN']);
    // A new repository of the same name starts empty.
    await createRepo('full');
    const images = await ecrA.send(new ListImagesCommand({ repositoryName: 'full' }));
    assert.deepEqual(images.imageIds, []);
    const blob = await v2(t.endpoint, 'HEAD', `/v2/${A.AccountId}/full/blobs/${sha256(img.layers[0]!)}`, {
      auth: header,
    });
    assert.equal(blob.status, 404, 'blobs of the deleted repository are not visible in the new one');
  });
});

describe('repository and registry policies', () => {
  const allowB = (account: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'pull from B',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:DescribeImages'],
        },
      ],
    });

  before(async () => {
    await createRepo('policy');
  });

  test('Get before Set is RepositoryPolicyNotFoundException; Set, Get and Delete answer the policy', async () => {
    await assertAwsError(
      ecrA.send(new GetRepositoryPolicyCommand({ repositoryName: 'policy' })),
      'RepositoryPolicyNotFoundException',
      `Repository policy does not exist for the repository with name 'policy' in the registry with id '${A.AccountId}'`,
    );
    const text = allowB(B.AccountId);
    const set = await send(
      ecrA,
      new SetRepositoryPolicyCommand({ repositoryName: 'policy', policyText: text }),
    );
    const expected = { registryId: A.AccountId, repositoryName: 'policy', policyText: text };
    const pick = (o: object) => {
      const { $metadata: _m, ...rest } = o as { $metadata: unknown };
      return rest;
    };
    assert.deepEqual(pick(set as object), expected);
    assert.deepEqual(
      pick(await send(ecrA, new GetRepositoryPolicyCommand({ repositoryName: 'policy' }))),
      expected,
    );
    assert.deepEqual(
      pick(await send(ecrA, new DeleteRepositoryPolicyCommand({ repositoryName: 'policy' }))),
      expected,
    );
    await assertAwsError(
      ecrA.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'policy' })),
      'RepositoryPolicyNotFoundException',
    );
  });

  const INVALID =
    "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'";
  const doc = (statement: object) => JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
  const bad: { name: string; text: (b: string) => string }[] = [
    { name: 'not JSON', text: () => '{"Version": ' },
    {
      name: 'a Resource element',
      text: () => doc({ Effect: 'Allow', Principal: '*', Action: 'ecr:*', Resource: '*' }),
    },
    { name: 'no Principal', text: () => doc({ Effect: 'Allow', Action: 'ecr:*' }) },
    {
      name: 'a user that does not exist',
      text: () =>
        doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:user/ghost' }, Action: 'ecr:*' }),
    },
    {
      name: 'a role that does not exist in an existing account',
      text: (b) =>
        doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${b}:role/Ghost` }, Action: 'ecr:*' }),
    },
    {
      name: 'a malformed principal',
      text: () => doc({ Effect: 'Allow', Principal: { AWS: 'not-an-arn' }, Action: 'ecr:*' }),
    },
  ];
  for (const c of bad) {
    test(`a repository policy with ${c.name} is refused with ECR’s sentence and not stored`, async () => {
      await assertAwsError(
        ecrA.send(
          new SetRepositoryPolicyCommand({ repositoryName: 'policy', policyText: c.text(B.AccountId) }),
        ),
        'InvalidParameterException',
        INVALID,
      );
      await assertAwsError(
        ecrA.send(new GetRepositoryPolicyCommand({ repositoryName: 'policy' })),
        'RepositoryPolicyNotFoundException',
      );
    });
  }

  test('a policy of more than 10,240 characters is refused; exactly 10,240 is accepted', async () => {
    const base = allowB(B.AccountId);
    const pad = (n: number) => {
      const doc = JSON.parse(base) as { Statement: { Sid: string }[] };
      doc.Statement[0]!.Sid = '';
      const empty = JSON.stringify(doc).length;
      doc.Statement[0]!.Sid = 'x'.repeat(n - empty);
      return JSON.stringify(doc);
    };
    const ok = pad(10_240);
    assert.equal(ok.length, 10_240);
    await ecrA.send(new SetRepositoryPolicyCommand({ repositoryName: 'policy', policyText: ok }));
    const tooLong = pad(10_241);
    const e = await assertAwsError(
      ecrA.send(new SetRepositoryPolicyCommand({ repositoryName: 'policy', policyText: tooLong })),
      'InvalidParameterException',
    );
    assert.match(e.message, /PolicyText.*10240/);
    const got = await ecrA.send(new GetRepositoryPolicyCommand({ repositoryName: 'policy' }));
    assert.equal(got.policyText, ok, 'the refused policy did not replace the stored one');
    await ecrA.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'policy' }));
  });

  test('policies of a repository that does not exist are RepositoryNotFoundException', async () => {
    for (const cmd of [
      new SetRepositoryPolicyCommand({ repositoryName: 'nope', policyText: allowB(B.AccountId) }),
      new GetRepositoryPolicyCommand({ repositoryName: 'nope' }),
      new DeleteRepositoryPolicyCommand({ repositoryName: 'nope' }),
    ]) {
      await assertAwsError(ecrA.send(cmd as never), 'RepositoryNotFoundException');
    }
  });

  test('registry policy: Put, Get, Delete, RegistryPolicyNotFoundException, invalid text', async () => {
    await assertAwsError(
      ecrA.send(new GetRegistryPolicyCommand({})),
      'RegistryPolicyNotFoundException',
      `Registry policy does not exist in the registry with id '${A.AccountId}'`,
    );
    called.add('GetRegistryPolicy');
    const text = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReplicationAccess',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${B.AccountId}:root` },
          Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
          Resource: `arn:aws:ecr:${REGION}:${A.AccountId}:repository/*`,
        },
      ],
    });
    const put = await send<{ registryId: string; policyText: string }>(
      ecrA,
      new PutRegistryPolicyCommand({ policyText: text }),
    );
    assert.equal(put.registryId, A.AccountId);
    assert.equal(put.policyText, text);
    const got = await send<{ policyText: string }>(ecrA, new GetRegistryPolicyCommand({}));
    assert.equal(got.policyText, text);
    const noResource = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B.AccountId}:root` }, Action: 'ecr:*' },
      ],
    });
    await assertAwsError(
      ecrA.send(new PutRegistryPolicyCommand({ policyText: noResource })),
      'InvalidParameterException',
      "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'",
    );
    const del = await send<{ policyText: string }>(ecrA, new DeleteRegistryPolicyCommand({}));
    assert.equal(del.policyText, text);
    await assertAwsError(ecrA.send(new DeleteRegistryPolicyCommand({})), 'RegistryPolicyNotFoundException');
  });

  test('DescribeRegistry names the caller’s registry and no replication rules', async () => {
    const out = await send<{ registryId: string; replicationConfiguration: unknown }>(
      ecrB,
      new DescribeRegistryCommand({}),
    );
    assert.equal(out.registryId, B.AccountId);
    assert.deepEqual(out.replicationConfiguration, { rules: [] });
  });
});

describe('replication and repository creation templates', () => {
  after(async () => {
    await ecrB.send(new PutReplicationConfigurationCommand({ replicationConfiguration: { rules: [] } }));
  });

  test('PutReplicationConfiguration, then a push is replicated and DescribeImageReplicationStatus says so', async () => {
    const rules = [
      {
        destinations: [{ region: 'eu-west-1', registryId: B.AccountId }],
        repositoryFilters: [{ filter: 'replicated', filterType: 'PREFIX_MATCH' as const }],
      },
    ];
    const put = await send<{ replicationConfiguration: unknown }>(
      ecrB,
      new PutReplicationConfigurationCommand({ replicationConfiguration: { rules } }),
    );
    assert.deepEqual(put.replicationConfiguration, { rules });
    await createRepo('replicated-app', {}, ecrB);
    const img = makeImage([256]);
    await pushApi('replicated-app', img, 'v1', ecrB);
    let statuses: { region?: string; registryId?: string; status?: string }[] = [];
    for (let i = 0; i < 200; i++) {
      const out = await send<{ replicationStatuses?: typeof statuses; imageId?: ImageIdentifier }>(
        ecrB,
        new DescribeImageReplicationStatusCommand({
          repositoryName: 'replicated-app',
          imageId: { imageTag: 'v1' },
        }),
      );
      assert.equal(out.imageId?.imageDigest, img.digest);
      statuses = out.replicationStatuses ?? [];
      if (statuses[0]?.status === 'COMPLETE') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(statuses, [{ region: 'eu-west-1', registryId: B.AccountId, status: 'COMPLETE' }]);
    await assertAwsError(
      ecrB.send(
        new DescribeImageReplicationStatusCommand({
          repositoryName: 'replicated-app',
          imageId: { imageTag: 'nope' },
        }),
      ),
      'ImageNotFoundException',
    );
    await assertAwsError(
      ecrB.send(
        new PutReplicationConfigurationCommand({
          replicationConfiguration: {
            rules: [{ destinations: [{ region: REGION, registryId: B.AccountId }] }],
          },
        }),
      ),
      'InvalidParameterException',
    );
  });

  test('Create, Describe, Update and DeleteRepositoryCreationTemplate', async () => {
    const created = await send<{ registryId: string; repositoryCreationTemplate: Record<string, unknown> }>(
      ecrB,
      new CreateRepositoryCreationTemplateCommand({ prefix: 'mirror', appliedFor: ['REPLICATION'] }),
    );
    assert.equal(created.registryId, B.AccountId);
    assert.deepEqual(created.repositoryCreationTemplate, {
      prefix: 'mirror',
      encryptionConfiguration: { encryptionType: 'AES256' },
      resourceTags: [],
      imageTagMutability: 'MUTABLE',
      appliedFor: ['REPLICATION'],
      createdAt: new Date(clock.now()),
      updatedAt: new Date(clock.now()),
    });
    await assertAwsError(
      ecrB.send(
        new CreateRepositoryCreationTemplateCommand({ prefix: 'mirror', appliedFor: ['REPLICATION'] }),
      ),
      'TemplateAlreadyExistsException',
    );
    const updated = await send<{ repositoryCreationTemplate: { imageTagMutability?: string } }>(
      ecrB,
      new UpdateRepositoryCreationTemplateCommand({ prefix: 'mirror', imageTagMutability: 'IMMUTABLE' }),
    );
    assert.equal(updated.repositoryCreationTemplate.imageTagMutability, 'IMMUTABLE');
    const described = await send<{ repositoryCreationTemplates: { prefix?: string }[] }>(
      ecrB,
      new DescribeRepositoryCreationTemplatesCommand({ prefixes: ['mirror'] }),
    );
    assert.deepEqual(
      described.repositoryCreationTemplates.map((x) => x.prefix),
      ['mirror'],
    );
    await send(ecrB, new DeleteRepositoryCreationTemplateCommand({ prefix: 'mirror' }));
    await assertAwsError(
      ecrB.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'mirror' })),
      'TemplateNotFoundException',
    );
  });
});

describe('TagResource, UntagResource, ListTagsForResource', () => {
  const arn = () => arnOf(A.AccountId, 'tagged');
  before(async () => {
    await createRepo('tagged', { tags: [{ Key: 'Team', Value: 'Payments' }] });
  });

  test('tags are upserted by key, untagged by key (unknown keys ignored), listed in order', async () => {
    await send(
      ecrA,
      new TagResourceCommand({
        resourceArn: arn(),
        tags: [
          { Key: 'Team', Value: 'Billing' },
          { Key: 'cost-center', Value: '42' },
        ],
      }),
    );
    const list = async () =>
      (await send<{ tags: unknown }>(ecrA, new ListTagsForResourceCommand({ resourceArn: arn() }))).tags;
    assert.deepEqual(await list(), [
      { Key: 'Team', Value: 'Billing' },
      { Key: 'cost-center', Value: '42' },
    ]);
    await send(ecrA, new UntagResourceCommand({ resourceArn: arn(), tagKeys: ['Team', 'absent'] }));
    assert.deepEqual(await list(), [{ Key: 'cost-center', Value: '42' }]);
  });

  test('a bad ARN, a missing repository and more than 50 tags are refused', async () => {
    const invalidArn = "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'";
    for (const resourceArn of [
      'tagged',
      `arn:aws:s3:::bucket`,
      `arn:aws:ecr:eu-west-1:${A.AccountId}:repository/tagged`,
    ]) {
      await assertAwsError(
        ecrA.send(new ListTagsForResourceCommand({ resourceArn })),
        'InvalidParameterException',
        invalidArn,
      );
    }
    await assertAwsError(
      ecrA.send(
        new TagResourceCommand({
          resourceArn: arnOf(A.AccountId, 'ghost'),
          tags: [{ Key: 'a', Value: 'b' }],
        }),
      ),
      'RepositoryNotFoundException',
      `The repository with name 'ghost' does not exist in the registry with id '${A.AccountId}'`,
    );
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await assertAwsError(
      ecrA.send(new TagResourceCommand({ resourceArn: arn(), tags: many })),
      'TooManyTagsException',
    );
    const after = await ecrA.send(new ListTagsForResourceCommand({ resourceArn: arn() }));
    assert.equal(after.tags?.length, 1, 'a refused TagResource changes nothing');
  });
});

describe('GetAuthorizationToken and registry login', () => {
  test('a 12-hour token of base64 AWS:<password>, one proxyEndpoint per registry id', async () => {
    const port = new URL(t.endpoint).port;
    const out = await send<{
      authorizationData: { authorizationToken: string; expiresAt: Date; proxyEndpoint: string }[];
    }>(ecrA, new GetAuthorizationTokenCommand({}));
    assert.equal(out.authorizationData.length, 1);
    const d = out.authorizationData[0]!;
    assert.deepEqual(d.expiresAt, new Date(clock.now() + 12 * HOUR));
    assert.equal(d.proxyEndpoint, `http://127.0.0.1:${port}/${A.AccountId}`);
    const decoded = Buffer.from(d.authorizationToken, 'base64').toString('utf8');
    assert.match(decoded, /^AWS:.+/);
    const two = await ecrA.send(
      new GetAuthorizationTokenCommand({ registryIds: [A.AccountId, B.AccountId] }),
    );
    assert.deepEqual(
      two.authorizationData!.map((x) => x.proxyEndpoint),
      [`http://127.0.0.1:${port}/${A.AccountId}`, `http://127.0.0.1:${port}/${B.AccountId}`],
    );
    await assertAwsError(
      ecrA.send(new GetAuthorizationTokenCommand({ registryIds: ['123'] })),
      'InvalidParameterException',
    );
  });

  test('the password works for /v2 Basic auth as AWS:<password>, and the token itself is the header', async () => {
    const { header, password } = await registryLogin(ecrA);
    const viaToken = await v2(t.endpoint, 'GET', '/v2/', { auth: header });
    assert.equal(viaToken.status, 200);
    assert.equal(viaToken.headers['docker-distribution-api-version'], 'registry/2.0');
    const viaPassword = await v2(t.endpoint, 'GET', '/v2/', {
      auth: `Basic ${Buffer.from(`AWS:${password}`).toString('base64')}`,
    });
    assert.equal(viaPassword.status, 200);
    const wrongUser = await v2(t.endpoint, 'GET', '/v2/', {
      auth: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`,
    });
    assert.equal(wrongUser.status, 401);
    assert.match(String(wrongUser.headers['www-authenticate']), /^Basic realm=/);
  });

  test('the token expires after 12 hours of the injected clock (401 with the challenge)', async () => {
    const { header } = await registryLogin(ecrB);
    try {
      advanced += 12 * HOUR - 1000;
      assert.equal((await v2(t.endpoint, 'GET', '/v2/', { auth: header })).status, 200);
      advanced += 1000;
      const r = await v2(t.endpoint, 'GET', '/v2/', { auth: header });
      assert.equal(r.status, 401);
      assert.match(String(r.headers['www-authenticate']), /^Basic /);
    } finally {
      advanced -= 12 * HOUR;
    }
  });
});

describe('push and pull through the API', () => {
  const repo = 'data/app';
  let img: TestImage;
  before(async () => {
    await createRepo(repo);
    // Non-final API parts must be at least 5 MiB on AWS (service quota), so the big layer is two parts.
    img = makeImage([5000, 6 << 20]);
  });

  test('InitiateLayerUpload, UploadLayerPart in order, CompleteLayerUpload', async () => {
    const init = await send<{ uploadId: string; partSize: number }>(
      ecrA,
      new InitiateLayerUploadCommand({ repositoryName: repo }),
    );
    assert.match(init.uploadId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.ok(init.partSize > 0);
    const layer = img.layers[1]!;
    const half = 5 << 20;
    const p1 = await send<Record<string, unknown>>(
      ecrA,
      new UploadLayerPartCommand({
        repositoryName: repo,
        uploadId: init.uploadId,
        partFirstByte: 0,
        partLastByte: half - 1,
        layerPartBlob: layer.subarray(0, half),
      }),
    );
    assert.equal(p1.lastByteReceived, half - 1);
    assert.equal(p1.registryId, A.AccountId);
    assert.equal(p1.repositoryName, repo);
    assert.equal(p1.uploadId, init.uploadId);
    // A part that does not start right after the last byte received is refused and changes nothing.
    const e = await assertAwsError(
      ecrA.send(
        new UploadLayerPartCommand({
          repositoryName: repo,
          uploadId: init.uploadId,
          partFirstByte: half + 10,
          partLastByte: layer.length - 1,
          layerPartBlob: layer.subarray(half + 10),
        }),
      ),
      'InvalidLayerPartException',
    );
    assert.equal((e as unknown as { lastValidByteReceived?: number }).lastValidByteReceived, half - 1);
    // A part whose byte range disagrees with its length.
    await assertAwsError(
      ecrA.send(
        new UploadLayerPartCommand({
          repositoryName: repo,
          uploadId: init.uploadId,
          partFirstByte: half,
          partLastByte: half + 5,
          layerPartBlob: layer.subarray(half),
        }),
      ),
      'InvalidLayerPartException',
    );
    await send(
      ecrA,
      new UploadLayerPartCommand({
        repositoryName: repo,
        uploadId: init.uploadId,
        partFirstByte: half,
        partLastByte: layer.length - 1,
        layerPartBlob: layer.subarray(half),
      }),
    );
    const done = await send<Record<string, unknown>>(
      ecrA,
      new CompleteLayerUploadCommand({
        repositoryName: repo,
        uploadId: init.uploadId,
        layerDigests: [sha256(layer)],
      }),
    );
    assert.deepEqual(
      { ...done, $metadata: undefined },
      {
        $metadata: undefined,
        registryId: A.AccountId,
        repositoryName: repo,
        uploadId: init.uploadId,
        layerDigest: sha256(layer),
      },
    );
    // The session is over.
    await assertAwsError(
      ecrA.send(
        new UploadLayerPartCommand({
          repositoryName: repo,
          uploadId: init.uploadId,
          partFirstByte: layer.length,
          partLastByte: layer.length,
          layerPartBlob: Buffer.from('x'),
        }),
      ),
      'UploadNotFoundException',
    );
  });

  test('CompleteLayerUpload refusals: wrong digest, no parts, a small part before the last, unknown upload, layer already there', async () => {
    const bytes = randomBytes(2000);
    const start = async () =>
      (await ecrA.send(new InitiateLayerUploadCommand({ repositoryName: repo }))).uploadId!;
    const part = (uploadId: string) =>
      ecrA.send(
        new UploadLayerPartCommand({
          repositoryName: repo,
          uploadId,
          partFirstByte: 0,
          partLastByte: bytes.length - 1,
          layerPartBlob: bytes,
        }),
      );
    const u1 = await start();
    await part(u1);
    const wrong = sha256('something else');
    await assertAwsError(
      ecrA.send(
        new CompleteLayerUploadCommand({ repositoryName: repo, uploadId: u1, layerDigests: [wrong] }),
      ),
      'InvalidLayerException',
    );
    const check = await ecrA.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName: repo, layerDigests: [wrong, sha256(bytes)] }),
    );
    assert.deepEqual(check.layers, [], 'a refused upload stores nothing');
    const u2 = await start();
    await assertAwsError(
      ecrA.send(
        new CompleteLayerUploadCommand({ repositoryName: repo, uploadId: u2, layerDigests: [sha256(bytes)] }),
      ),
      'EmptyUploadException',
    );
    await assertAwsError(
      ecrA.send(
        new CompleteLayerUploadCommand({
          repositoryName: repo,
          uploadId: '00000000-0000-4000-8000-000000000000',
          layerDigests: [sha256(bytes)],
        }),
      ),
      'UploadNotFoundException',
    );
    // Two parts, the first under 5 MiB: ECR's model has CompleteLayerUpload refuse it.
    const small = await start();
    for (const [first, last] of [
      [0, 999],
      [1000, bytes.length - 1],
    ] as const) {
      await ecrA.send(
        new UploadLayerPartCommand({
          repositoryName: repo,
          uploadId: small,
          partFirstByte: first,
          partLastByte: last,
          layerPartBlob: bytes.subarray(first, last + 1),
        }),
      );
    }
    await assertAwsError(
      ecrA.send(
        new CompleteLayerUploadCommand({
          repositoryName: repo,
          uploadId: small,
          layerDigests: [sha256(bytes)],
        }),
      ),
      'LayerPartTooSmallException',
    );
    const u3 = await start();
    await part(u3);
    await ecrA.send(
      new CompleteLayerUploadCommand({ repositoryName: repo, uploadId: u3, layerDigests: [sha256(bytes)] }),
    );
    const u4 = await start();
    await part(u4);
    await assertAwsError(
      ecrA.send(
        new CompleteLayerUploadCommand({ repositoryName: repo, uploadId: u4, layerDigests: [sha256(bytes)] }),
      ),
      'LayerAlreadyExistsException',
    );
    // An upload belongs to its repository.
    await createRepo('data/other');
    const u5 = await start();
    await assertAwsError(
      ecrA.send(
        new UploadLayerPartCommand({
          repositoryName: 'data/other',
          uploadId: u5,
          partFirstByte: 0,
          partLastByte: 0,
          layerPartBlob: Buffer.from('x'),
        }),
      ),
      'UploadNotFoundException',
    );
  });

  test('a part of 20,971,520 bytes (the model’s maximum) is accepted; one byte more is refused', async () => {
    const { uploadId } = await ecrA.send(new InitiateLayerUploadCommand({ repositoryName: repo }));
    const max = randomBytes(20_971_520);
    const tooBig = await assertAwsError(
      ecrA.send(
        new UploadLayerPartCommand({
          repositoryName: repo,
          uploadId,
          partFirstByte: 0,
          partLastByte: max.length,
          layerPartBlob: Buffer.concat([max, Buffer.from('x')]),
        }),
      ),
      'InvalidParameterException',
    );
    assert.match(tooBig.message, /layerPartBlob/);
    const ok = await ecrA.send(
      new UploadLayerPartCommand({
        repositoryName: repo,
        uploadId,
        partFirstByte: 0,
        partLastByte: max.length - 1,
        layerPartBlob: max,
      }),
    );
    assert.equal(ok.lastByteReceived, max.length - 1);
    const done = await ecrA.send(
      new CompleteLayerUploadCommand({ repositoryName: repo, uploadId, layerDigests: [sha256(max)] }),
    );
    assert.equal(done.layerDigest, sha256(max));
  });

  test('BatchCheckLayerAvailability: AVAILABLE with sizes, unknown and malformed digests as failures', async () => {
    await pushBlobApi(ecrA, repo, img.layers[0]!);
    await pushBlobApi(ecrA, repo, img.config);
    const unknown = sha256('never pushed');
    const out = await send<{ layers: unknown[]; failures: unknown[] }>(
      ecrA,
      new BatchCheckLayerAvailabilityCommand({
        repositoryName: repo,
        layerDigests: [sha256(img.layers[0]!), unknown, 'sha256:xyz'],
      }),
    );
    assert.deepEqual(out.layers, [
      {
        layerDigest: sha256(img.layers[0]!),
        layerAvailability: 'AVAILABLE',
        layerSize: img.layers[0]!.length,
      },
    ]);
    assert.deepEqual(
      (out.failures as { layerDigest: string; failureCode: string }[]).map((f) => [
        f.layerDigest,
        f.failureCode,
      ]),
      [
        [unknown, 'MissingLayerDigest'],
        ['sha256:xyz', 'InvalidLayerDigest'],
      ],
    );
  });

  test('GetDownloadUrlForLayer: a layer of no image is inaccessible, an unknown one is not found', async () => {
    await assertAwsError(
      ecrA.send(new GetDownloadUrlForLayerCommand({ repositoryName: repo, layerDigest: 'sha256:zz' })),
      'InvalidParameterException',
    );
    await assertAwsError(
      ecrA.send(
        new GetDownloadUrlForLayerCommand({ repositoryName: repo, layerDigest: sha256(img.layers[0]!) }),
      ),
      'LayerInaccessibleException',
    );
    await assertAwsError(
      ecrA.send(new GetDownloadUrlForLayerCommand({ repositoryName: repo, layerDigest: sha256('nothing') })),
      'LayersNotFoundException',
    );
  });

  test('PutImage, then BatchGetImage by tag and digest; missing images are failures, not exceptions', async () => {
    advanced += 5000;
    const put = await send<{ image: Record<string, unknown> }>(
      ecrA,
      new PutImageCommand({ repositoryName: repo, imageManifest: img.manifest, imageTag: 'v1' }),
    );
    assert.deepEqual(put.image, {
      registryId: A.AccountId,
      repositoryName: repo,
      imageId: { imageDigest: img.digest, imageTag: 'v1' },
      imageManifest: img.manifest,
      imageManifestMediaType: OCI_MANIFEST,
    });
    const got = await send<{ images: Record<string, unknown>[]; failures: Record<string, unknown>[] }>(
      ecrA,
      new BatchGetImageCommand({
        repositoryName: repo,
        imageIds: [
          { imageTag: 'v1' },
          { imageDigest: img.digest },
          { imageTag: 'nope' },
          { imageDigest: sha256('x') },
        ],
        acceptedMediaTypes: [OCI_MANIFEST, DOCKER_MANIFEST],
      }),
    );
    assert.equal(got.images.length, 2);
    for (const i of got.images) {
      assert.equal(i.imageManifest, img.manifest, 'the exact bytes pushed');
      assert.equal(i.imageManifestMediaType, OCI_MANIFEST);
      assert.equal((i.imageId as ImageIdentifier).imageDigest, img.digest);
    }
    assert.deepEqual(got.failures, [
      {
        imageId: { imageTag: 'nope' },
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      },
      {
        imageId: { imageDigest: sha256('x') },
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      },
    ]);
    const mismatch = await ecrA.send(
      new BatchGetImageCommand({
        repositoryName: repo,
        imageIds: [{ imageTag: 'v1', imageDigest: sha256('y') }],
      }),
    );
    assert.equal(mismatch.failures?.[0]?.failureCode, 'ImageTagDoesNotMatchDigest');
    await assertAwsError(
      ecrA.send(new BatchGetImageCommand({ repositoryName: 'data/none', imageIds: [{ imageTag: 'v1' }] })),
      'RepositoryNotFoundException',
    );
  });

  test('GetDownloadUrlForLayer answers a presigned URL that downloads the layer’s bytes with no credentials', async () => {
    for (const layer of [img.config, ...img.layers]) {
      const out = await send<{ downloadUrl: string; layerDigest: string }>(
        ecrA,
        new GetDownloadUrlForLayerCommand({ repositoryName: repo, layerDigest: sha256(layer) }),
      );
      assert.equal(out.layerDigest, sha256(layer));
      const url = new URL(out.downloadUrl);
      assert.equal(url.origin, t.endpoint);
      const r = await v2(t.endpoint, 'GET', url.pathname + url.search);
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(layer), 'the URL serves the layer');
      const ranged = await v2(t.endpoint, 'GET', url.pathname + url.search, {
        headers: { Range: 'bytes=1-3' },
      });
      assert.equal(ranged.status, 206);
      assert.ok(ranged.body.equals(layer.subarray(1, 4)), 'a presigned URL takes a Range');
    }
  });

  test('a presigned layer URL opens only its own layer, for GET, until it expires', async () => {
    const layer = img.layers[0]!;
    const out = await send<{ downloadUrl: string }>(
      ecrA,
      new GetDownloadUrlForLayerCommand({ repositoryName: repo, layerDigest: sha256(layer) }),
    );
    const url = new URL(out.downloadUrl);
    const sig = url.searchParams.get('X-Crossdock-Signature')!;
    const tampered = new URL(url);
    tampered.searchParams.set('X-Crossdock-Signature', (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
    const stretched = new URL(url);
    stretched.searchParams.set(
      'X-Crossdock-Expires',
      String(Number(url.searchParams.get('X-Crossdock-Expires')) + 3600),
    );
    const otherBlob = url.pathname.replace(sha256(layer), sha256(img.config));
    const cases = [
      { name: 'a changed signature', path: tampered.pathname + tampered.search, status: 403, code: 'DENIED' },
      { name: 'a later expiry', path: stretched.pathname + stretched.search, status: 403, code: 'DENIED' },
      { name: 'another layer', path: otherBlob + url.search, status: 403, code: 'DENIED' },
      { name: 'no signature at all', path: url.pathname, status: 401, code: 'UNAUTHORIZED' },
    ];
    for (const c of cases) {
      const r = await v2(t.endpoint, 'GET', c.path);
      assert.equal(r.status, c.status, c.name);
      assert.deepEqual(r.codes, [c.code], c.name);
    }
    const head = await v2(t.endpoint, 'HEAD', url.pathname + url.search);
    assert.equal(head.status, 401, 'HEAD is not presigned');
    advanced += 60 * 60 * 1000;
    try {
      const r = await v2(t.endpoint, 'GET', url.pathname + url.search);
      assert.equal(r.status, 403, 'an hour later the URL has expired');
      assert.match(r.message ?? '', /expired/);
    } finally {
      advanced -= 60 * 60 * 1000;
    }
  });

  test('DescribeImages: size, push time from the clock, tags, media types', async () => {
    const out = await send<{ imageDetails: Record<string, unknown>[] }>(
      ecrA,
      new DescribeImagesCommand({ repositoryName: repo }),
    );
    assert.deepEqual(out.imageDetails, [
      {
        registryId: A.AccountId,
        repositoryName: repo,
        imageDigest: img.digest,
        imageTags: ['v1'],
        imageSizeInBytes: img.size,
        imagePushedAt: new Date(T0 + 5000),
        imageManifestMediaType: OCI_MANIFEST,
        artifactMediaType: 'application/vnd.oci.image.config.v1+json',
        lastRecordedPullTime: new Date(T0 + 5000),
      },
    ]);
  });

  test('a push through the API is pulled through /v2, byte for byte', async () => {
    const { header } = await registryLogin(ecrA);
    const name = `${A.AccountId}/${repo}`;
    const m = await v2(t.endpoint, 'GET', `/v2/${name}/manifests/v1`, {
      auth: header,
      headers: { Accept: OCI_MANIFEST },
    });
    assert.equal(m.status, 200);
    assert.equal(m.body.toString('utf8'), img.manifest);
    assert.equal(m.headers['content-type'], OCI_MANIFEST);
    assert.equal(m.headers['docker-content-digest'], img.digest);
    for (const blob of [img.config, ...img.layers]) {
      const b = await v2(t.endpoint, 'GET', `/v2/${name}/blobs/${sha256(blob)}`, { auth: header });
      assert.equal(b.status, 200);
      assert.ok(b.body.equals(blob));
    }
    const tags = await v2(t.endpoint, 'GET', `/v2/${name}/tags/list`, { auth: header });
    assert.deepEqual(JSON.parse(tags.body.toString()), { name, tags: ['v1'] });
  });

  test('a push through /v2 is pulled through the API, byte for byte', async () => {
    const { header } = await registryLogin(ecrA);
    const name = `${A.AccountId}/${repo}`;
    const other = makeImage([700, 900], DOCKER_MANIFEST);
    for (const blob of [other.config, ...other.layers]) await pushBlobV2(t.endpoint, header, name, blob);
    const put = await v2(t.endpoint, 'PUT', `/v2/${name}/manifests/v2`, {
      auth: header,
      headers: { 'Content-Type': DOCKER_MANIFEST },
      body: other.manifest,
    });
    assert.equal(put.status, 201);
    assert.equal(put.headers['docker-content-digest'], other.digest);
    const got = await ecrA.send(
      new BatchGetImageCommand({ repositoryName: repo, imageIds: [{ imageTag: 'v2' }] }),
    );
    assert.equal(got.images?.[0]?.imageManifest, other.manifest);
    assert.equal(got.images?.[0]?.imageManifestMediaType, DOCKER_MANIFEST);
    const avail = await ecrA.send(
      new BatchCheckLayerAvailabilityCommand({
        repositoryName: repo,
        layerDigests: other.layers.map(sha256),
      }),
    );
    assert.deepEqual(
      avail.layers?.map((l) => [l.layerAvailability, l.layerSize]),
      other.layers.map((l) => ['AVAILABLE', l.length]),
    );
    for (const layer of other.layers) {
      const u = await ecrA.send(
        new GetDownloadUrlForLayerCommand({ repositoryName: repo, layerDigest: sha256(layer) }),
      );
      const url = new URL(u.downloadUrl!);
      const r = await v2(t.endpoint, 'GET', url.pathname + url.search);
      assert.ok(r.body.equals(layer));
    }
  });
});

describe('PutImage rules', () => {
  const repo = 'rules';
  let img: TestImage;
  before(async () => {
    await createRepo(repo);
    img = makeImage([400]);
    await pushApi(repo, img, 'v1');
  });

  test('the same manifest and tag again is ImageAlreadyExistsException; a new tag on it is fine', async () => {
    await assertAwsError(
      ecrA.send(new PutImageCommand({ repositoryName: repo, imageManifest: img.manifest, imageTag: 'v1' })),
      'ImageAlreadyExistsException',
    );
    const again = await ecrA.send(
      new PutImageCommand({ repositoryName: repo, imageManifest: img.manifest, imageTag: 'stable' }),
    );
    assert.equal(again.image?.imageId?.imageDigest, img.digest);
  });

  test('IMMUTABLE: moving a tag is ImageTagAlreadyExistsException with AWS’s sentence; MUTABLE moves it', async () => {
    const mut = await send<Record<string, unknown>>(
      ecrA,
      new PutImageTagMutabilityCommand({ repositoryName: repo, imageTagMutability: 'IMMUTABLE' }),
    );
    assert.equal(mut.imageTagMutability, 'IMMUTABLE');
    assert.equal(mut.registryId, A.AccountId);
    assert.equal(mut.repositoryName, repo);
    const next = makeImage([400]);
    for (const b of [next.config, ...next.layers]) await pushBlobApi(ecrA, repo, b);
    await assertAwsError(
      ecrA.send(new PutImageCommand({ repositoryName: repo, imageManifest: next.manifest, imageTag: 'v1' })),
      'ImageTagAlreadyExistsException',
      `The image tag 'v1' already exists in the '${repo}' repository and cannot be overwritten because the repository is immutable.`,
    );
    const { header } = await registryLogin(ecrA);
    const viaV2 = await v2(t.endpoint, 'PUT', `/v2/${A.AccountId}/${repo}/manifests/v1`, {
      auth: header,
      headers: { 'Content-Type': OCI_MANIFEST },
      body: next.manifest,
    });
    assert.equal(viaV2.status, 400);
    assert.deepEqual(viaV2.codes, ['TAG_INVALID']);
    const described = await ecrA.send(
      new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: 'v1' }] }),
    );
    assert.equal(described.imageDetails?.[0]?.imageDigest, img.digest, 'the tag did not move');
    await ecrA.send(
      new PutImageTagMutabilityCommand({ repositoryName: repo, imageTagMutability: 'MUTABLE' }),
    );
    const moved = await ecrA.send(
      new PutImageCommand({ repositoryName: repo, imageManifest: next.manifest, imageTag: 'v1' }),
    );
    assert.equal(moved.image?.imageId?.imageDigest, next.digest);
    const repoOut = await ecrA.send(new DescribeRepositoriesCommand({ repositoryNames: [repo] }));
    assert.equal(repoOut.repositories?.[0]?.imageTagMutability, 'MUTABLE');
    await assertAwsError(
      ecrA.send(
        new PutImageTagMutabilityCommand({ repositoryName: repo, imageTagMutability: 'FROZEN' as never }),
      ),
      'InvalidParameterException',
    );
  });

  test('references the repository lacks: LayersNotFoundException, ReferencedImagesNotFoundException', async () => {
    const lonely = makeImage([100]);
    await assertAwsError(
      ecrA.send(
        new PutImageCommand({ repositoryName: repo, imageManifest: lonely.manifest, imageTag: 'lonely' }),
      ),
      'LayersNotFoundException',
    );
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: img.digest, size: Buffer.byteLength(img.manifest) },
        { mediaType: OCI_MANIFEST, digest: lonely.digest, size: Buffer.byteLength(lonely.manifest) },
      ],
    });
    const e = await assertAwsError(
      ecrA.send(new PutImageCommand({ repositoryName: repo, imageManifest: index, imageTag: 'multi' })),
      'ReferencedImagesNotFoundException',
    );
    assert.ok(e.message.includes(lonely.digest));
    const ids = await ecrA.send(new ListImagesCommand({ repositoryName: repo }));
    assert.ok(
      !ids.imageIds?.some((i) => i.imageTag === 'lonely' || i.imageTag === 'multi'),
      'nothing stored',
    );
  });

  test('bad manifests, digests and tags are InvalidParameterException or ImageDigestDoesNotMatchException', async () => {
    const cases: { input: Record<string, string>; name: string }[] = [
      { input: { imageManifest: 'not json' }, name: 'InvalidParameterException' },
      { input: { imageManifest: '[]' }, name: 'InvalidParameterException' },
      { input: { imageManifest: '{"schemaVersion":2}' }, name: 'InvalidParameterException' },
      // Refused before parsing: V8 would spend seconds on the event loop parsing it.
      {
        input: { imageManifest: `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}` },
        name: 'InvalidParameterException',
      },
      {
        input: { imageManifest: img.manifest, imageManifestMediaType: DOCKER_MANIFEST },
        name: 'InvalidParameterException',
      },
      {
        input: { imageManifest: img.manifest, imageDigest: sha256('other') },
        name: 'ImageDigestDoesNotMatchException',
      },
      { input: { imageManifest: img.manifest, imageDigest: 'nodigest' }, name: 'InvalidParameterException' },
      {
        input: { imageManifest: img.manifest, imageTag: 't'.repeat(301) },
        name: 'InvalidParameterException',
      },
    ];
    for (const c of cases) {
      await assertAwsError(
        ecrA.send(new PutImageCommand({ repositoryName: repo, ...c.input } as never)),
        c.name,
      );
    }
    const byDigest = await ecrA.send(
      new PutImageCommand({
        repositoryName: repo,
        imageManifest: img.manifest,
        imageDigest: img.digest,
        imageTag: 'pinned',
      }),
    );
    assert.equal(byDigest.image?.imageId?.imageDigest, img.digest);
  });

  test('a manifest without mediaType needs imageManifestMediaType', async () => {
    const bare = makeImage([90]);
    for (const b of [bare.config, ...bare.layers]) await pushBlobApi(ecrA, repo, b);
    const doc = JSON.parse(bare.manifest) as Record<string, unknown>;
    delete doc.mediaType;
    const text = JSON.stringify(doc);
    await assertAwsError(
      ecrA.send(new PutImageCommand({ repositoryName: repo, imageManifest: text, imageTag: 'bare' })),
      'InvalidParameterException',
      "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
    );
    const ok = await ecrA.send(
      new PutImageCommand({
        repositoryName: repo,
        imageManifest: text,
        imageManifestMediaType: OCI_MANIFEST,
        imageTag: 'bare',
      }),
    );
    assert.equal(ok.image?.imageManifestMediaType, OCI_MANIFEST);
    assert.equal(ok.image?.imageId?.imageDigest, sha256(text));
  });

  test('an OCI index of images in the repository is stored; its children cannot be deleted while it stays', async () => {
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_MANIFEST, digest: img.digest, size: Buffer.byteLength(img.manifest) }],
    });
    const put = await ecrA.send(
      new PutImageCommand({ repositoryName: repo, imageManifest: index, imageTag: 'multi' }),
    );
    assert.equal(put.image?.imageManifestMediaType, OCI_INDEX);
    const del = await ecrA.send(
      new BatchDeleteImageCommand({ repositoryName: repo, imageIds: [{ imageDigest: img.digest }] }),
    );
    assert.deepEqual(del.imageIds, []);
    assert.equal(del.failures?.[0]?.failureCode, 'ImageReferencedByManifestList');
    // force deletes the repository with the index and its children.
    await assertAwsError(
      ecrA.send(new DeleteRepositoryCommand({ repositoryName: repo })),
      'RepositoryNotEmptyException',
    );
    await ecrA.send(new DeleteRepositoryCommand({ repositoryName: repo, force: true }));
    await assertAwsError(
      ecrA.send(new ListImagesCommand({ repositoryName: repo })),
      'RepositoryNotFoundException',
    );
  });
});

describe('ListImages, DescribeImages, BatchDeleteImage', () => {
  const repo = 'listing';
  const images: TestImage[] = [];
  before(async () => {
    await createRepo(repo);
    for (let i = 0; i < 5; i++) {
      const img = makeImage([64 + i]);
      images.push(img);
      advanced += 1000;
      await pushApi(repo, img, i < 3 ? `t${i}` : undefined);
    }
    // Two more tags on image 0.
    for (const tag of ['t0-b', 't0-c'])
      await ecrA.send(
        new PutImageCommand({ repositoryName: repo, imageManifest: images[0]!.manifest, imageTag: tag }),
      );
  });

  test('ListImages: one entry per tag and one per untagged image; tagStatus filters; the paginator', async () => {
    const all: ImageIdentifier[] = [];
    for await (const p of paginateListImages({ client: ecrA, pageSize: 2 }, { repositoryName: repo })) {
      assert.ok((p.imageIds ?? []).length <= 2);
      all.push(...(p.imageIds ?? []));
    }
    called.add('ListImages');
    assert.equal(all.length, 7);
    const tagged = all
      .filter((i) => i.imageTag !== undefined)
      .map((i) => i.imageTag)
      .sort();
    assert.deepEqual(tagged, ['t0', 't0-b', 't0-c', 't1', 't2']);
    const untagged = all
      .filter((i) => i.imageTag === undefined)
      .map((i) => i.imageDigest)
      .sort();
    assert.deepEqual(untagged, [images[3]!.digest, images[4]!.digest].sort());
    const onlyUntagged = await ecrA.send(
      new ListImagesCommand({ repositoryName: repo, filter: { tagStatus: 'UNTAGGED' } }),
    );
    assert.equal(onlyUntagged.imageIds?.length, 2);
    const onlyTagged = await ecrA.send(
      new ListImagesCommand({ repositoryName: repo, filter: { tagStatus: 'TAGGED' } }),
    );
    assert.equal(onlyTagged.imageIds?.length, 5);
    await assertAwsError(
      ecrA.send(new ListImagesCommand({ repositoryName: repo, filter: { tagStatus: 'SOME' as never } })),
      'InvalidParameterException',
    );
    await assertAwsError(
      ecrA.send(new ListImagesCommand({ repositoryName: 'ghost' })),
      'RepositoryNotFoundException',
    );
  });

  test('DescribeImages: sizes, push times and tags; tagStatus; paginator; missing ids fail the call', async () => {
    const details: Record<string, { imageSizeInBytes?: number; imagePushedAt?: Date; imageTags?: string[] }> =
      {};
    for await (const p of paginateDescribeImages({ client: ecrA, pageSize: 2 }, { repositoryName: repo })) {
      assert.ok((p.imageDetails ?? []).length <= 2);
      for (const d of p.imageDetails ?? []) details[d.imageDigest!] = d;
    }
    called.add('DescribeImages');
    assert.equal(Object.keys(details).length, 5);
    images.forEach((img, i) => {
      const d = details[img.digest]!;
      assert.equal(d.imageSizeInBytes, img.size);
      assert.ok(d.imagePushedAt instanceof Date);
      assert.deepEqual(d.imageTags, i === 0 ? ['t0', 't0-b', 't0-c'] : i < 3 ? [`t${i}`] : undefined);
    });
    // Push times follow the injected clock, one second apart.
    const times = images.map((img) => details[img.digest]!.imagePushedAt!.getTime());
    assert.deepEqual(
      times.slice(1).map((x, i) => x - times[i]!),
      [1000, 1000, 1000, 1000],
    );
    const untagged = await ecrA.send(
      new DescribeImagesCommand({ repositoryName: repo, filter: { tagStatus: 'UNTAGGED' } }),
    );
    assert.deepEqual(
      untagged.imageDetails?.map((d) => d.imageDigest).sort(),
      [images[3]!.digest, images[4]!.digest].sort(),
    );
    const missing = { imageTag: 'absent' };
    await assertAwsError(
      ecrA.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: 't1' }, missing] })),
      'ImageNotFoundException',
      `The image with imageId {imageDigest:'null', imageTag:'absent'} does not exist within the repository with name '${repo}' in the registry with id '${A.AccountId}'`,
    );
    await assertAwsError(
      ecrA.send(
        new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: 't1' }], maxResults: 5 }),
      ),
      'InvalidParameterException',
    );
  });

  test('BatchDeleteImage: by tag removes the tag, the last tag takes the image, by digest all; failures listed', async () => {
    const del = await send<{ imageIds: ImageIdentifier[]; failures: Record<string, unknown>[] }>(
      ecrA,
      new BatchDeleteImageCommand({
        repositoryName: repo,
        imageIds: [
          { imageTag: 't0-b' },
          { imageTag: 't1' },
          { imageDigest: images[3]!.digest },
          { imageTag: 'gone' },
          {},
        ],
      }),
    );
    assert.deepEqual(del.imageIds, [
      { imageDigest: images[0]!.digest, imageTag: 't0-b' },
      { imageDigest: images[1]!.digest, imageTag: 't1' },
      { imageDigest: images[3]!.digest },
    ]);
    assert.deepEqual(del.failures, [
      {
        imageId: { imageTag: 'gone' },
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      },
      {
        imageId: {},
        failureCode: 'MissingDigestAndTag',
        failureReason: 'Invalid request parameters: both tag and digest cannot be null',
      },
    ]);
    const left = await ecrA.send(new DescribeImagesCommand({ repositoryName: repo }));
    const digests = left.imageDetails?.map((d) => d.imageDigest).sort();
    assert.deepEqual(digests, [images[0]!.digest, images[2]!.digest, images[4]!.digest].sort());
    assert.deepEqual(left.imageDetails?.find((d) => d.imageDigest === images[0]!.digest)?.imageTags, [
      't0',
      't0-c',
    ]);
    const { header } = await registryLogin(ecrA);
    const gone = await v2(t.endpoint, 'GET', `/v2/${A.AccountId}/${repo}/manifests/${images[1]!.digest}`, {
      auth: header,
    });
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.codes, ['MANIFEST_UNKNOWN']);
    // Deleting by digest takes every tag with it.
    const all = await ecrA.send(
      new BatchDeleteImageCommand({ repositoryName: repo, imageIds: [{ imageDigest: images[0]!.digest }] }),
    );
    assert.deepEqual(all.imageIds?.map((i) => i.imageTag).sort(), ['t0', 't0-c']);
  });
});

describe('pull-through cache rules', () => {
  test('create, describe (by prefix, paginated), update, validate and delete, with AWS’s errors', async () => {
    for (const op of ['Create', 'Describe', 'Update', 'Validate', 'Delete'])
      called.add(`${op}${op === 'Describe' ? 'PullThroughCacheRules' : 'PullThroughCacheRule'}`);
    const prefixes = ['ptc-a', 'ptc-b', 'ptc-c'];
    for (const p of prefixes) {
      const out = await ecrA.send(
        new CreatePullThroughCacheRuleCommand({
          ecrRepositoryPrefix: p,
          upstreamRegistryUrl: '127.0.0.1:9',
          upstreamRepositoryPrefix: 'team',
        }),
      );
      assert.equal(out.ecrRepositoryPrefix, p);
      assert.equal(out.registryId, A.AccountId);
      assert.equal(out.upstreamRepositoryPrefix, 'team');
      assert.ok(out.createdAt instanceof Date);
    }
    await assertAwsError(
      ecrA.send(
        new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'ptc-a', upstreamRegistryUrl: 'x.io' }),
      ),
      'PullThroughCacheRuleAlreadyExistsException',
    );
    await assertAwsError(
      ecrA.send(
        new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'A', upstreamRegistryUrl: 'x.io' }),
      ),
      'InvalidParameterException',
    );
    const seen: string[] = [];
    for await (const page of paginateDescribePullThroughCacheRules({ client: ecrA, pageSize: 2 }, {}))
      seen.push(...(page.pullThroughCacheRules ?? []).map((r) => r.ecrRepositoryPrefix!));
    assert.deepEqual(seen, prefixes);
    const one = await ecrA.send(
      new DescribePullThroughCacheRulesCommand({ ecrRepositoryPrefixes: ['ptc-b'] }),
    );
    assert.deepEqual(
      one.pullThroughCacheRules?.map((r) => r.upstreamRegistryUrl),
      ['127.0.0.1:9'],
    );
    await assertAwsError(
      ecrA.send(
        new UpdatePullThroughCacheRuleCommand({
          ecrRepositoryPrefix: 'ptc-b',
          credentialArn: `arn:aws:secretsmanager:us-east-1:${A.AccountId}:secret:ecr-pullthroughcache/x-AbCdEf`,
        }),
      ),
      'SecretNotFoundException',
    );
    const secrets = new SecretsManagerClient({
      endpoint: t.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: A.AccessKeyId, secretAccessKey: A.SecretAccessKey },
      maxAttempts: 1,
    });
    try {
      const secret = await secrets.send(
        new CreateSecretCommand({
          Name: 'ecr-pullthroughcache/upstream',
          SecretString: JSON.stringify({ username: 'robot', accessToken: 'not-checked-yet' }),
        }),
      );
      const updated = await ecrA.send(
        new UpdatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'ptc-b', credentialArn: secret.ARN! }),
      );
      assert.ok(updated.updatedAt instanceof Date);
      assert.equal(updated.credentialArn, secret.ARN);
    } finally {
      secrets.destroy();
    }
    const invalid = await ecrA.send(
      new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'ptc-b' }),
    );
    assert.equal(invalid.isValid, false, 'the secret reads, but nothing listens on port 9');
    const unreachable = await ecrA.send(
      new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'ptc-a' }),
    );
    assert.equal(unreachable.isValid, false, 'nothing listens on port 9');
    for (const p of prefixes)
      await ecrA.send(new DeletePullThroughCacheRuleCommand({ ecrRepositoryPrefix: p }));
    await assertAwsError(
      ecrA.send(new DeletePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'ptc-a' })),
      'PullThroughCacheRuleNotFoundException',
    );
    await assertAwsError(
      ecrA.send(
        new UpdatePullThroughCacheRuleCommand({
          ecrRepositoryPrefix: 'ptc-a',
          customRoleArn: 'arn:aws:iam::1:role/x',
        }),
      ),
      'PullThroughCacheRuleNotFoundException',
    );
  });
});

describe('access denied', () => {
  test('a member-account user without permission: AccessDeniedException, HTTP 400, the IAM sentence', async () => {
    const cases = [
      {
        cmd: new CreateRepositoryCommand({ repositoryName: 'mine' }),
        action: 'ecr:CreateRepository',
        resource: arnOf(B.AccountId, 'mine'),
      },
      {
        cmd: new DescribeRepositoriesCommand({}),
        action: 'ecr:DescribeRepositories',
        resource: arnOf(B.AccountId, '*'),
      },
      { cmd: new GetAuthorizationTokenCommand({}), action: 'ecr:GetAuthorizationToken', resource: '*' },
      { cmd: new DescribeRegistryCommand({}), action: 'ecr:DescribeRegistry', resource: '*' },
      {
        cmd: new ListImagesCommand({ repositoryName: 'whatever' }),
        action: 'ecr:ListImages',
        resource: arnOf(B.AccountId, 'whatever'),
      },
    ];
    for (const c of cases) {
      await assertAwsError(
        nobody.ecr.send(c.cmd as never),
        'AccessDeniedException',
        `User: ${nobody.arn} is not authorized to perform: ${c.action} on resource: ${c.resource} because no identity-based policy allows the ${c.action} action`,
      );
    }
  });

  test('another account’s repository needs its repository policy: no resource-based policy allows', async () => {
    await createRepo('shared');
    const img = makeImage([128]);
    await pushApi('shared', img, 'v1');
    const pull = () =>
      power.ecr.send(
        new BatchGetImageCommand({
          registryId: A.AccountId,
          repositoryName: 'shared',
          imageIds: [{ imageTag: 'v1' }],
        }),
      );
    await assertAwsError(
      pull(),
      'AccessDeniedException',
      `User: ${power.arn} is not authorized to perform: ecr:BatchGetImage on resource: ${arnOf(A.AccountId, 'shared')} because no resource-based policy allows the ecr:BatchGetImage action`,
    );
    await ecrA.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'shared',
        policyText: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${B.AccountId}:root` },
              Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
            },
          ],
        }),
      }),
    );
    const got = await pull();
    assert.equal(got.images?.[0]?.imageManifest, img.manifest);
    // The token of B's user pulls A's layer through /v2 too, and may not push.
    const { header } = await registryLogin(power.ecr);
    const layer = await v2(t.endpoint, 'GET', `/v2/${A.AccountId}/shared/blobs/${sha256(img.layers[0]!)}`, {
      auth: header,
    });
    assert.equal(layer.status, 200);
    assert.ok(layer.body.equals(img.layers[0]!));
    const push = await v2(t.endpoint, 'POST', `/v2/${A.AccountId}/shared/blobs/uploads/`, { auth: header });
    assert.equal(push.status, 403);
    assert.deepEqual(push.codes, ['DENIED']);
    assert.equal(
      push.message,
      `User: ${power.arn} is not authorized to perform: ecr:InitiateLayerUpload on resource: ${arnOf(A.AccountId, 'shared')} because no resource-based policy allows the ecr:InitiateLayerUpload action`,
    );
    const viaApi = await awsError(
      power.ecr.send(new InitiateLayerUploadCommand({ registryId: A.AccountId, repositoryName: 'shared' })),
    );
    assert.equal(viaApi.name, 'AccessDeniedException');
    assert.equal(viaApi.message, push.message, 'both doors say the same sentence');
  });

  test('another account’s registry: listing and creating are denied even with ecr:* on `*`', async () => {
    await assertAwsError(
      power.ecr.send(new DescribeRepositoriesCommand({ registryId: A.AccountId })),
      'AccessDeniedException',
      `User: ${power.arn} is not authorized to perform: ecr:DescribeRepositories on resource: ${arnOf(A.AccountId, '*')} because no resource-based policy allows the ecr:DescribeRepositories action`,
    );
    await assertAwsError(
      power.ecr.send(new CreateRepositoryCommand({ registryId: A.AccountId, repositoryName: 'intruder' })),
      'AccessDeniedException',
    );
    await assertAwsError(
      ecrA.send(new DescribeRepositoriesCommand({ repositoryNames: ['intruder'] })),
      'RepositoryNotFoundException',
    );
  });
});

describe('lifecycle policies', () => {
  test('put, get, preview and delete through the SDK, with AWS’s errors', async () => {
    const repo = 'lifecycle-sdk';
    await ecrA.send(new CreateRepositoryCommand({ repositoryName: repo }));
    const text = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: 'keep the last image',
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    });
    const put = await send<PutLifecyclePolicyCommandOutput>(
      ecrA,
      new PutLifecyclePolicyCommand({ repositoryName: repo, lifecyclePolicyText: text }),
    );
    assert.equal(put.registryId, A.AccountId);
    assert.equal(put.lifecyclePolicyText, text);
    const got = await send<GetLifecyclePolicyCommandOutput>(
      ecrA,
      new GetLifecyclePolicyCommand({ repositoryName: repo }),
    );
    assert.equal(got.lifecyclePolicyText, text);
    assert.equal(got.lastEvaluatedAt, undefined, 'never evaluated yet');
    await assertAwsError(
      send(ecrA, new GetLifecyclePolicyPreviewCommand({ repositoryName: repo })),
      'LifecyclePolicyPreviewNotFoundException',
    );
    const started = await send<StartLifecyclePolicyPreviewCommandOutput>(
      ecrA,
      new StartLifecyclePolicyPreviewCommand({ repositoryName: repo }),
    );
    assert.equal(started.status, 'IN_PROGRESS');
    const preview = await send<GetLifecyclePolicyPreviewCommandOutput>(
      ecrA,
      new GetLifecyclePolicyPreviewCommand({ repositoryName: repo }),
    );
    assert.equal(preview.status, 'COMPLETE');
    assert.deepEqual(preview.previewResults, []);
    assert.equal(preview.summary?.expiringImageTotalCount, 0);
    await assertAwsError(
      send(
        ecrA,
        new PutLifecyclePolicyCommand({
          repositoryName: repo,
          lifecyclePolicyText: text.replace('"any"', '"tagged"'),
        }),
      ),
      'InvalidParameterException',
      /^Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: /,
    );
    const deleted = await send<DeleteLifecyclePolicyCommandOutput>(
      ecrA,
      new DeleteLifecyclePolicyCommand({ repositoryName: repo }),
    );
    assert.equal(deleted.lifecyclePolicyText, text);
    await assertAwsError(
      send(ecrA, new GetLifecyclePolicyCommand({ repositoryName: repo })),
      'LifecyclePolicyNotFoundException',
      `Lifecycle policy does not exist for the repository with name '${repo}' in the registry with id '${A.AccountId}'`,
    );
  });
});

test('every operation of ECR_OPERATIONS was called through the SDK', () => {
  assert.deepEqual(
    [...called].filter((o) => !(o in ECR_OPERATIONS)),
    [],
  );
  assert.deepEqual(
    Object.keys(ECR_OPERATIONS).filter((o) => !called.has(o)),
    [],
  );
});

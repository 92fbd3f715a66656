// Seed 004's replication method end to end, with the real AWS CLI v2 and skopeo: the CI account A
// configures replication of `prod` repositories to the production account B and to its own
// us-west-2 registry (`aws ecr put-replication-configuration`), pushes with skopeo, and follows
// `aws ecr describe-image-replication-status`. Without B's registry policy the copy to B FAILS
// with AccessDeniedException; once B's registry policy allows A's root `ecr:CreateRepository` and
// `ecr:ReplicateImage`, the next push COMPLETEs and B pulls it. The us-west-2 copy is pulled back
// with skopeo from `HOST:PORT/<A>.us-west-2/<repo>` and its digest compared with the pushed one.
// Replication is asynchronous: the tests poll the status (bounded), never assert on time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateRepositoryCreationTemplateCommand,
  DescribeImageReplicationStatusCommand,
  DescribeRepositoryCreationTemplatesCommand,
  type ImageReplicationStatus,
} from '@aws-sdk/client-ecr';
import { keyEnv } from '../helpers/awscli.js';
import { ecrClient } from '../helpers/ecr.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import { dirDigest, listedTags, SeedShell, seedClientsMissing } from '../helpers/seedShell.js';
import { startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const skip = seedClientsMissing !== undefined ? { skip: seedClientsMissing } : {};

const A = '111111111111';
const B = '222222222222';
const WEST = 'us-west-2';

let t: TestServer;
let sh: SeedShell;
let a: AccountCredentials;
let b: AccountCredentials;
let v1: OciLayout;
let v2: OciLayout;
const env: Record<'A' | 'B', Record<string, string>> = {} as never;

/** Polls A's DescribeImageReplicationStatus until no destination is IN_PROGRESS (at most ~30 s). */
async function settled(tag: string, destinations: number): Promise<ImageReplicationStatus[]> {
  const client = ecrClient(t.endpoint, a);
  let last: ImageReplicationStatus[] = [];
  for (let i = 0; i < 300; i++) {
    const r = await client.send(
      new DescribeImageReplicationStatusCommand({ repositoryName: 'prod/app', imageId: { imageTag: tag } }),
    );
    last = r.replicationStatuses ?? [];
    if (last.length === destinations && last.every((s) => s.status !== 'IN_PROGRESS')) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`replication of ${tag} did not settle: ${JSON.stringify(last)}`);
}

const push = (layout: OciLayout) =>
  sh.ok(
    `skopeo copy --insecure-policy --dest-tls-verify=false oci:${layout.dir}:${layout.tag} docker://${sh.registry}/${A}/prod/app:${layout.tag}`,
    env.A,
    { note: `A pushes prod/app:${layout.tag}` },
  );

before(async () => {
  if (seedClientsMissing !== undefined) return;
  t = await startServer();
  sh = await SeedShell.create(t.endpoint, 'replication');
  b = await t.createAccount('production', B);
  a = await t.createAccount('cicd', A);
  env.A = await sh.identity('a-root', keyEnv(a));
  env.B = await sh.identity('b-root', keyEnv(b));
  [v1, v2] = await Promise.all([
    makeOciLayout([{ 'main.js': 'console.log("v1")\n' }, { 'package.json': '{}\n' }], 'v1'),
    makeOciLayout([{ 'main.js': 'console.log("v2")\n' }], 'v2'),
  ]);
  await writeFile(
    join(sh.work, 'replication.json'),
    JSON.stringify({
      rules: [
        {
          destinations: [
            { region: 'us-east-1', registryId: B },
            { region: WEST, registryId: A },
          ],
          repositoryFilters: [{ filter: 'prod', filterType: 'PREFIX_MATCH' }],
        },
      ],
    }),
  );
  await writeFile(
    join(sh.work, 'registry-policy.json'),
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReplicationAccessCrossAccount',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${A}:root` },
          Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
          Resource: `arn:aws:ecr:us-east-1:${B}:repository/*`,
        },
      ],
    }),
  );
});

after(async () => {
  if (seedClientsMissing !== undefined) return;
  await t.stop();
  await rm(sh.work, { recursive: true, force: true });
  await Promise.all([v1, v2].map((l) => rm(l.dir, { recursive: true, force: true })));
});

describe('replication (seed 004, method 3) with the AWS CLI and skopeo', skip, () => {
  test('A configures replication of prod repositories to B and to its own us-west-2 registry', async () => {
    const out = await sh.ok(
      'aws ecr put-replication-configuration --replication-configuration file://replication.json',
      env.A,
      { note: 'A replicates prod* to B (us-east-1) and to itself in us-west-2' },
    );
    const expected = JSON.parse(await readFile(join(sh.work, 'replication.json'), 'utf8')) as object;
    assert.deepEqual(JSON.parse(out), { replicationConfiguration: expected });
    const registry = JSON.parse(await sh.ok('aws ecr describe-registry', env.A)) as object;
    assert.deepEqual(registry, { registryId: A, replicationConfiguration: expected });
    const bad = await sh.run(
      `aws ecr put-replication-configuration --replication-configuration '{"rules":[{"destinations":[{"region":"us-east-1","registryId":"${A}"}]}]}'`,
      env.A,
      { note: 'the source registry in its own region is no destination' },
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /InvalidParameterException/);
  });

  test('without B’s registry policy the copy to B fails with AccessDeniedException; us-west-2 completes', async () => {
    await sh.ok('aws ecr create-repository --repository-name prod/app', env.A);
    await sh.ok(
      `aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}`,
      env.A,
    );
    await push(v1);
    await settled('v1', 2);
    const out = await sh.ok(
      'aws ecr describe-image-replication-status --repository-name prod/app --image-id imageTag=v1',
      env.A,
      { note: 'B has no registry policy yet' },
    );
    const r = JSON.parse(out) as {
      repositoryName: string;
      imageId: { imageDigest: string };
      replicationStatuses: ImageReplicationStatus[];
    };
    assert.equal(r.imageId.imageDigest, v1.manifestDigest);
    const byRegistry = Object.fromEntries(
      r.replicationStatuses.map((s) => [`${s.registryId}/${s.region}`, s]),
    );
    assert.deepEqual(byRegistry[`${A}/${WEST}`], { region: WEST, registryId: A, status: 'COMPLETE' });
    assert.deepEqual(byRegistry[`${B}/us-east-1`], {
      region: 'us-east-1',
      registryId: B,
      status: 'FAILED',
      failureCode: 'AccessDeniedException',
    });
    const none = await sh.run('aws ecr describe-repositories --repository-names prod/app', env.B);
    assert.match(none.stderr, /RepositoryNotFoundException/, 'nothing was created in B');
  });

  test('the us-west-2 copy is pulled back with skopeo from <A>.us-west-2 with the pushed digest', async () => {
    const listed = await sh.ok('aws ecr list-images --region us-west-2 --repository-name prod/app', env.A, {
      note: 'the replica in us-west-2',
    });
    assert.deepEqual(listedTags(listed), ['v1']);
    const dir = sh.pulled('west-v1');
    await sh.ok(
      `aws ecr get-login-password --region ${WEST} | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}.${WEST}
skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}.${WEST}/prod/app:v1 dir:${dir}`,
      env.A,
      { note: 'pull the replica from us-west-2' },
    );
    assert.equal(await dirDigest(dir), v1.manifestDigest);
  });

  test('once B’s registry policy allows A, a new push is replicated to B and B pulls it', async () => {
    await sh.ok('aws ecr put-registry-policy --policy-text file://registry-policy.json', env.B, {
      note: 'B allows A to create repositories and replicate images',
    });
    // Debian's CLI v2.9 predates the template commands: the SDK creates B's REPLICATION template.
    const created = await ecrClient(t.endpoint, b).send(
      new CreateRepositoryCreationTemplateCommand({
        prefix: 'prod',
        appliedFor: ['REPLICATION'],
        imageTagMutability: 'IMMUTABLE',
        resourceTags: [{ Key: 'replicated-from', Value: A }],
        description: 'replicas from the CI account',
      }),
    );
    assert.equal(created.repositoryCreationTemplate?.createdAt instanceof Date, true);
    const described = await ecrClient(t.endpoint, b).send(new DescribeRepositoryCreationTemplatesCommand({}));
    assert.deepEqual(
      described.repositoryCreationTemplates?.map((x) => [x.prefix, x.appliedFor, x.imageTagMutability]),
      [['prod', ['REPLICATION'], 'IMMUTABLE']],
    );
    await sh.ok(
      `aws ecr put-replication-configuration --replication-configuration '{"rules":[{"destinations":[{"region":"${WEST}","registryId":"${B}"}]}]}'`,
      env.B,
      { note: 'B replicates its own pushes to us-west-2 (replicas must not chain)' },
    );
    await push(v2);
    const statuses = await settled('v2', 2);
    assert.deepEqual(
      statuses.map((s) => s.status),
      ['COMPLETE', 'COMPLETE'],
    );
    const shown = JSON.parse(
      await sh.ok(
        'aws ecr describe-image-replication-status --repository-name prod/app --image-id imageTag=v2',
        env.A,
        { note: 'v2 reached B' },
      ),
    ) as { replicationStatuses: ImageReplicationStatus[] };
    assert.ok(shown.replicationStatuses.every((s) => s.status === 'COMPLETE' && s.failureCode === undefined));
    assert.deepEqual(
      listedTags(
        await sh.ok('aws ecr list-images --repository-name prod/app', env.B, { note: 'B has v2 only' }),
      ),
      ['v2'],
    );
    const dir = sh.pulled('b-v2');
    await sh.ok(
      `aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${B}
skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${B}/prod/app:v2 dir:${dir}`,
      env.B,
      { note: 'B pulls its replica' },
    );
    assert.equal(await dirDigest(dir), v2.manifestDigest);
    const repo = JSON.parse(
      await sh.ok('aws ecr describe-repositories --repository-names prod/app', env.B, {
        note: 'the repository replication created in B follows B’s template',
      }),
    ) as { repositories: { imageTagMutability: string; repositoryArn: string }[] };
    assert.equal(repo.repositories[0]?.imageTagMutability, 'IMMUTABLE');
    const tags = JSON.parse(
      await sh.ok(
        `aws ecr list-tags-for-resource --resource-arn ${repo.repositories[0]?.repositoryArn}`,
        env.B,
      ),
    ) as { tags: { Key: string; Value: string }[] };
    assert.deepEqual(tags.tags, [{ Key: 'replicated-from', Value: A }]);
  });

  test('replicas are not replicated again: B’s copy has no replication status and no us-west-2 copy', async () => {
    const out = JSON.parse(
      await sh.ok(
        'aws ecr describe-image-replication-status --repository-name prod/app --image-id imageTag=v2',
        env.B,
        { note: 'no chaining: B’s replica is not replicated by B’s own rules' },
      ),
    ) as { replicationStatuses: unknown[] };
    assert.deepEqual(out.replicationStatuses, []);
    const west = await sh.run(`aws ecr describe-repositories --region ${WEST}`, env.B);
    assert.equal(west.code, 0, west.stderr);
    assert.deepEqual((JSON.parse(west.stdout) as { repositories: unknown[] }).repositories, []);
  });
});

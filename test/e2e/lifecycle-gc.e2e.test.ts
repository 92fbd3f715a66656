// Lifecycle policies and blob garbage collection end to end, with the real AWS CLI v2, skopeo and
// `crossdock lifecycle run`: a policy that keeps the last three images expires exactly what its
// preview listed; garbage collection, run again and again while pushes are in flight (one of them
// re-pushing an expired image, whose blobs the collection is deleting at that moment), deletes
// the orphaned blobs and no others, and every pushed image pulls back intact. The server's clock
// is the real one plus an offset the test moves forward ten minutes (within SigV4's fifteen), so
// that the links of the first pushes are older than the server's five-minute grace period while
// those of the concurrent pushes are fresh.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CROSSDOCK_TARGET_PREFIX } from '../../src/api/crossdock/index.js';
import { callJson } from '../../src/cli/signedCall.js';
import { openFsBlobStore } from '../../src/store/blobs/index.js';
import { keyEnv, type CliResult } from '../helpers/awscli.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import { layoutDigest, listedTags, SeedShell, seedClientsMissing } from '../helpers/seedShell.js';
import { sdkCredentials, startServer, type TestServer } from '../helpers/server.js';

const skip = seedClientsMissing !== undefined ? { skip: seedClientsMissing } : {};
const MINUTE = 60_000;
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.ts');

const KEEP_3 = JSON.stringify(
  {
    rules: [
      {
        rulePriority: 1,
        description: 'keep the last three images',
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 3 },
        action: { type: 'expire' },
      },
    ],
  },
  null,
  2,
);

interface Report {
  Repositories: { RepositoryName: string; ExpiredImages: { ImageDigest: string; ImageTags?: string[] }[] }[];
  GarbageCollection: { DeletedBlobs: { Digest: string }[] };
}

/** `crossdock ...` from the sources, as a child process with the given environment. */
function crossdock(args: string[], env: Record<string, string>): Promise<CliResult> {
  const code = `import(${JSON.stringify(MAIN)}).then((m) => m.main(${JSON.stringify(args)})).then((c) => process.exit(c))`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '-e', code],
      {
        env: { ...env, PATH: `${dirname(process.execPath)}:${env.PATH ?? ''}` },
        timeout: 120_000,
        maxBuffer: 16 << 20,
      },
      (err, stdout, stderr) =>
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
          stdout: stdout.trim(),
          stderr: stderr.trim(),
        }),
    );
  });
}

const blobsOf = (l: OciLayout): string[] => [l.configDigest, ...l.layerDigests];

describe('lifecycle policies and garbage collection with the AWS CLI and skopeo', skip, () => {
  let server: TestServer;
  let sh: SeedShell;
  let env: Record<string, string>;
  let A: string;
  let offset = 0;
  const old: OciLayout[] = [];
  const fresh: OciLayout[] = [];
  let previewed: string[] = [];
  let firstRun: Report | undefined;
  const deleted = new Set<string>();

  before(async () => {
    server = await startServer({ clock: { now: () => Date.now() + offset }, gcGraceMs: 5 * MINUTE });
    A = server.management.AccountId;
    sh = await SeedShell.create(server.endpoint, 'lifecycle-gc');
    env = await sh.identity('operator', keyEnv(server.management));
    await sh.ok(
      `aws ecr create-repository --repository-name app >/dev/null
aws ecr create-repository --repository-name busy >/dev/null
aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}`,
      env,
    );
    for (let i = 1; i <= 5; i++) {
      old.push(
        await makeOciLayout(
          [{ 'base.txt': 'the shared base layer' }, { 'app.txt': `version ${i}` }],
          `v${i}`,
        ),
      );
    }
    for (let i = 1; i <= 3; i++) {
      fresh.push(
        await makeOciLayout([{ 'base.txt': 'the shared base layer' }, { 'new.txt': `fresh ${i}` }], `f${i}`),
      );
    }
  });

  after(async () => {
    await server?.stop();
  });

  test('a policy that keeps the last three images expires exactly what its preview listed', async () => {
    for (const l of old) {
      await sh.ok(
        `skopeo copy --insecure-policy --dest-tls-verify=false oci:${l.dir}:${l.tag} docker://${sh.registry}/${A}/app:${l.tag}`,
        env,
      );
    }
    await writeFile(join(sh.work, 'policy.json'), KEEP_3);
    const put = JSON.parse(
      await sh.ok(
        'aws ecr put-lifecycle-policy --repository-name app --lifecycle-policy-text file://policy.json',
        env,
        {
          note: 'put a lifecycle policy that keeps the last three images',
        },
      ),
    ) as { registryId: string; lifecyclePolicyText: string };
    assert.equal(put.registryId, A);
    assert.equal(put.lifecyclePolicyText, KEEP_3);

    const started = JSON.parse(
      await sh.ok('aws ecr start-lifecycle-policy-preview --repository-name app', env, {
        note: 'preview it',
      }),
    ) as { status: string };
    assert.equal(started.status, 'IN_PROGRESS');
    await sh.ok('aws ecr wait lifecycle-policy-preview-complete --repository-name app', env);
    const preview = JSON.parse(
      await sh.ok('aws ecr get-lifecycle-policy-preview --repository-name app', env),
    ) as {
      status: string;
      previewResults: {
        imageDigest: string;
        imageTags: string[];
        action: { type: string };
        appliedRulePriority: number;
      }[];
      summary: { expiringImageTotalCount: number };
    };
    assert.equal(preview.status, 'COMPLETE');
    assert.equal(preview.summary.expiringImageTotalCount, 2);
    previewed = preview.previewResults.map((r) => r.imageDigest);
    assert.deepEqual(previewed, [old[0]!.manifestDigest, old[1]!.manifestDigest]);
    assert.deepEqual(
      preview.previewResults.map((r) => [r.imageTags, r.action.type, r.appliedRulePriority]),
      [
        [['v1'], 'EXPIRE', 1],
        [['v2'], 'EXPIRE', 1],
      ],
    );

    // Ten minutes later: the first pushes' links are older than the grace period.
    offset += 10 * MINUTE;
    const run = await crossdock(['lifecycle', 'run', '--endpoint', server.endpoint, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    firstRun = JSON.parse(run.stdout) as Report;
    const app = firstRun.Repositories.find((r) => r.RepositoryName === 'app');
    assert.deepEqual(
      app?.ExpiredImages.map((e) => e.ImageDigest),
      previewed,
      'the run expired exactly what the preview listed',
    );
    for (const b of firstRun.GarbageCollection.DeletedBlobs) deleted.add(b.Digest);
    assert.deepEqual(listedTags(await sh.ok('aws ecr list-images --repository-name app', env)), [
      'v3',
      'v4',
      'v5',
    ]);
    const got = JSON.parse(await sh.ok('aws ecr get-lifecycle-policy --repository-name app', env)) as {
      lastEvaluatedAt?: unknown;
    };
    assert.notEqual(got.lastEvaluatedAt, undefined, 'the policy says when it was last evaluated');
  });

  test('garbage collection racing pushes deletes the orphaned blobs only, and every pushed image pulls back intact', async () => {
    assert.ok(firstRun !== undefined, 'the lifecycle test ran first');
    const orphans = new Set([...blobsOf(old[0]!), ...blobsOf(old[1]!)]);
    for (const l of old.slice(2)) for (const b of blobsOf(l)) orphans.delete(b);
    assert.ok(orphans.size >= 4, 'v1 and v2 each leave a config and a layer of their own');
    assert.deepEqual(
      [...deleted].sort(),
      [...orphans].sort(),
      'the first collection took exactly the orphans',
    );

    // Re-push the expired v1 (whose blobs were just deleted) and three new images into `busy`,
    // while collections run back to back.
    const pushes = [{ layout: old[0]!, tag: 'again-v1' }, ...fresh.map((l) => ({ layout: l, tag: l.tag }))];
    let pushing = true;
    const collections = (async () => {
      let n = 0;
      while (pushing || n < 2) {
        const out = (await callJson(server.endpoint, {
          target: `${CROSSDOCK_TARGET_PREFIX}.RunLifecycle`,
          signingName: 'crossdock',
          body: {},
          credentials: sdkCredentials(server.management),
        })) as unknown as Report;
        for (const b of out.GarbageCollection.DeletedBlobs) deleted.add(b.Digest);
        n++;
      }
      return n;
    })();
    const results = await Promise.all(
      pushes.map((p) =>
        sh.run(
          `skopeo copy --insecure-policy --dest-tls-verify=false oci:${p.layout.dir}:${p.layout.tag} docker://${sh.registry}/${A}/busy:${p.tag}`,
          env,
        ),
      ),
    );
    pushing = false;
    assert.ok((await collections) >= 2);
    for (const r of results) assert.equal(r.code, 0, r.stderr);

    // Every image pulls back whole (skopeo verifies every blob's digest) and unchanged.
    const images = [
      ...old.slice(2).map((l) => ({ layout: l, repo: 'app', tag: l.tag })),
      ...pushes.map((p) => ({ layout: p.layout, repo: 'busy', tag: p.tag })),
    ];
    for (const img of images) {
      const dir = sh.pulled(`${img.repo}-${img.tag}`);
      await sh.ok(
        `skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}/${img.repo}:${img.tag} oci:${dir}:${img.tag}`,
        env,
      );
      assert.equal(await layoutDigest(dir, img.tag), img.layout.manifestDigest, `${img.repo}:${img.tag}`);
    }

    // Offline, on the stopped server's data directory: nothing is left to collect, and the blob
    // store holds exactly the blobs of the images that remain.
    await server.server.close();
    const offline = await crossdock(['lifecycle', 'run', '--data', server.dataDir, '--json'], env);
    assert.equal(offline.code, 0, offline.stderr);
    assert.deepEqual((JSON.parse(offline.stdout) as Report).GarbageCollection.DeletedBlobs, []);
    const live = new Set(images.flatMap((i) => blobsOf(i.layout)));
    const stored = new Set<string>();
    const blobs = await openFsBlobStore({ dataDir: server.dataDir });
    for await (const b of blobs.store.list!()) stored.add(b.digest);
    assert.deepEqual([...stored].sort(), [...live].sort());
    const v2Only = blobsOf(old[1]!).filter((b) => !live.has(b));
    for (const b of v2Only) assert.ok(deleted.has(b), `the orphan ${b} was collected`);
  });
});

// `crossdock copy` end to end, seed 004's "copy to many": a two-platform OCI index built here and
// pushed with skopeo to account A, then copied by A's CI user to three repositories in two
// accounts (A's own, and two of B's through a role of B that B's repository policies grant) and
// to a fourth of B's that nothing grants, which must fail with AWS's sentence and get no tag.
// skopeo checks every destination (raw bytes, and a copy back); a counting proxy in front of the
// server shows which blobs were uploaded, mounted or skipped; a second copy uploads nothing.
// Then one platform alone, the TTY display, and Debian's `docker-registry` (CNCF distribution,
// anonymous, on loopback) as a source, and as a registry the client uploads to in PATCH chunks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import {
  CreateRepositoryCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ListImagesCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { runCopyCommand, runCredentialHelper, type CopyDeps } from '../../src/cli/copy.js';
import type { TokenRequest } from '../../src/cli/login.js';
import { RegistryClient } from '../../src/oci/index.js';
import { distributionMissing, startDistribution, type Distribution } from '../helpers/distribution.js';
import { ecrClient, registryLogin } from '../helpers/ecr.js';
import { deniedSentence, layoutDigest } from '../helpers/seedShell.js';
import { sdkCredentials, startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const SKOPEO = process.env.SKOPEO ?? '/usr/bin/skopeo';
const skopeoMissing = existsSync(SKOPEO)
  ? undefined
  : `${SKOPEO} is not installed (Debian package skopeo; .ci/run installs it)`;
const ROOT = resolve(import.meta.dirname, '../..');
const A = '111111111111';
const B = '222222222222';
const REGION = 'us-east-1';
const PUSHER = `arn:aws:iam::${B}:role/image-pusher`;
const PUSH_AND_PULL = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
];
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A two-platform OCI image layout: index → linux/amd64 and linux/arm64 images sharing a base layer. */
interface IndexLayout {
  readonly dir: string;
  readonly indexDigest: string;
  readonly platforms: Record<'linux/amd64' | 'linux/arm64', string>;
  /** Distinct blobs (configs and layers). */
  readonly blobs: number;
}

async function makeIndexLayout(tag: string): Promise<IndexLayout> {
  const dir = await mkdtemp(join(tmpdir(), 'crossdock-copy-img-'));
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  const digests = new Set<string>();
  const put = async (b: Buffer) => {
    const d = sha256(b);
    await writeFile(join(blobDir, d.slice(7)), b);
    return { digest: d, size: b.length };
  };
  const layer = async (name: string, text: string) => {
    const root = await mkdtemp(join(dir, 'root-'));
    await writeFile(join(root, name), text);
    const file = join(root, '..', `${name}.tgz`);
    execFileSync('tar', ['-C', root, '-czf', file, name]);
    const tgz = await readFile(file);
    const unzipped = execFileSync('gzip', ['-dc', file]);
    const d = await put(tgz);
    digests.add(d.digest);
    return { ...d, diffId: sha256(unzipped) };
  };
  const base = await layer('base.txt', 'shared base layer\n'.repeat(200));
  const manifests: { digest: string; size: number; platform: { os: string; architecture: string } }[] = [];
  for (const architecture of ['amd64', 'arm64']) {
    const app = await layer(`app-${architecture}.txt`, `the ${architecture} build\n`.repeat(300));
    const config = await put(
      Buffer.from(
        JSON.stringify({
          architecture,
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [base.diffId, app.diffId] },
          config: {},
        }),
      ),
    );
    digests.add(config.digest);
    const m = await put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: [base, app].map((l) => ({
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: l.digest,
            size: l.size,
          })),
        }),
      ),
    );
    manifests.push({ ...m, platform: { os: 'linux', architecture } });
  }
  const index = await put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: manifests.map((m) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m })),
      }),
    ),
  );
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          ...index,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return {
    dir,
    indexDigest: index.digest,
    platforms: { 'linux/amd64': manifests[0]!.digest, 'linux/arm64': manifests[1]!.digest },
    blobs: digests.size,
  };
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>, cwd = ROOT): Promise<Run> {
  return new Promise((done) => {
    execFile(cmd, args, { env, cwd, timeout: 180_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      done({ code, stdout, stderr });
    });
  });
}

const MAIN = pathToFileURL(join(ROOT, 'src/cli/main.ts')).href;
const TSX = import.meta.resolve('tsx');

/** A logged proxy request. */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly bytes: number;
}

/** A pass-through proxy in front of the server that logs every request, to count uploads. */
async function startProxy(target: number): Promise<{ server: Server; port: number; log: Seen[] }> {
  const log: Seen[] = [];
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    const up = request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (ur) => {
        log.push({ method: req.method!, path: req.url!, status: ur.statusCode ?? 0, bytes });
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, log };
}

/** Uploads that carried blob bytes (a monolithic PUT or a PATCH), and mounts that succeeded. */
function uploads(log: readonly Seen[]): { bodies: number; mounts: number; sessions: number } {
  const blobUploads = log.filter((l) => l.path.includes('/blobs/uploads/'));
  return {
    bodies: blobUploads.filter((l) => (l.method === 'PUT' || l.method === 'PATCH') && l.bytes > 0).length,
    mounts: blobUploads.filter((l) => l.method === 'POST' && l.path.includes('mount=') && l.status === 201)
      .length,
    sessions: blobUploads.filter((l) => l.method === 'POST').length,
  };
}

interface CopySummary {
  ok: boolean;
  source: { digest?: string; platforms?: string[]; error?: { code: string; message: string } };
  destinations: {
    reference: string;
    ok: boolean;
    digest?: string;
    blobs: { uploaded: number; mounted: number; skipped: number };
    manifests: { pushed: number; skipped: number };
    error?: { code: string; status?: number; message: string };
  }[];
}

let t: TestServer;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let image: IndexLayout;
let work: string;
let a: AccountCredentials;
let b: AccountCredentials;
let ci: { AccessKeyId: string; SecretAccessKey: string };
/** `127.0.0.1:<proxy port>`: where copies go, so that the proxy sees them. */
let via: string;
/** `127.0.0.1:<server port>`: where skopeo goes. */
let direct: string;

/** `crossdock copy ...` as A's CI user, in a process of its own (src/ through tsx). */
function crossdockCopy(args: string[]): Promise<Run> {
  return run(
    process.execPath,
    [
      '--import',
      TSX,
      '-e',
      `import(${JSON.stringify(MAIN)}).then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c))`,
      '--',
      'copy',
      ...args,
    ],
    {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: work,
      XDG_RUNTIME_DIR: work,
      REGISTRY_AUTH_FILE: join(work, 'no-auth.json'),
      AWS_ACCESS_KEY_ID: ci.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: ci.SecretAccessKey,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_REGION: REGION,
    },
  );
}

/** skopeo with a home of its own; credentials of an account's root on the server. */
async function skopeo(args: string[]): Promise<Run> {
  return run(SKOPEO, args, { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work }, work);
}

async function creds(who: AccountCredentials): Promise<string> {
  const ecr = ecrClient(t.endpoint, who);
  try {
    return `AWS:${(await registryLogin(ecr)).password}`;
  } finally {
    ecr.destroy();
  }
}

/** The raw manifest skopeo reads from a reference on the server, and its digest. */
async function inspectRaw(
  ref: string,
  who: AccountCredentials,
): Promise<{ digest: string; mediaType: string }> {
  const r = await skopeo([
    'inspect',
    '--raw',
    '--tls-verify=false',
    '--creds',
    await creds(who),
    `docker://${ref}`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return {
    digest: sha256(Buffer.from(r.stdout)),
    mediaType: (JSON.parse(r.stdout) as { mediaType: string }).mediaType,
  };
}

const skip = skopeoMissing !== undefined ? { skip: skopeoMissing } : {};

describe('crossdock copy to many', skip, () => {
  before(async () => {
    if (skopeoMissing !== undefined) return;
    t = await startServer();
    proxy = await startProxy(t.port);
    via = `127.0.0.1:${proxy.port}`;
    direct = new URL(t.endpoint).host;
    work = await mkdtemp(join(tmpdir(), 'crossdock-copy-'));
    [a, b] = await Promise.all([t.createAccount('cicd', A), t.createAccount('production', B)]);
    image = await makeIndexLayout('v1');

    const iamA = new IAMClient({ endpoint: t.endpoint, region: REGION, credentials: sdkCredentials(a) });
    const iamB = new IAMClient({ endpoint: t.endpoint, region: REGION, credentials: sdkCredentials(b) });
    const ecrA = ecrClient(t.endpoint, a);
    const ecrB = ecrClient(t.endpoint, b);
    try {
      // A's CI user: every ECR right in its own account, and sts:AssumeRole (roots may not assume).
      await iamA.send(new CreateUserCommand({ UserName: 'ci' }));
      await iamA.send(
        new PutUserPolicyCommand({
          UserName: 'ci',
          PolicyName: 'ci',
          PolicyDocument: doc({ Effect: 'Allow', Action: ['ecr:*', 'sts:AssumeRole'], Resource: '*' }),
        }),
      );
      const key = await iamA.send(new CreateAccessKeyCommand({ UserName: 'ci' }));
      ci = { AccessKeyId: key.AccessKey!.AccessKeyId!, SecretAccessKey: key.AccessKey!.SecretAccessKey! };
      // B's role for A: it may only get a token; B's repository policies grant it the rest.
      await iamB.send(
        new CreateRoleCommand({
          RoleName: 'image-pusher',
          AssumeRolePolicyDocument: doc({
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${A}:root` },
            Action: 'sts:AssumeRole',
          }),
        }),
      );
      await iamB.send(
        new PutRolePolicyCommand({
          RoleName: 'image-pusher',
          PolicyName: 'token',
          PolicyDocument: doc({ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }),
        }),
      );
      for (const name of ['app', 'app-copy', 'arm-only', 'tty-copy', 'host-style', 'from-b'])
        await ecrA.send(new CreateRepositoryCommand({ repositoryName: name }));
      for (const name of ['app', 'team/app', 'locked/app'])
        await ecrB.send(new CreateRepositoryCommand({ repositoryName: name }));
      for (const name of ['app', 'team/app'])
        await ecrB.send(
          new SetRepositoryPolicyCommand({
            repositoryName: name,
            policyText: doc({
              Sid: 'ImagePusher',
              Effect: 'Allow',
              Principal: { AWS: PUSHER },
              Action: PUSH_AND_PULL,
            }),
          }),
        );
    } finally {
      for (const c of [iamA, iamB, ecrA, ecrB]) c.destroy();
    }
    const push = await skopeo([
      'copy',
      '--all',
      '--insecure-policy',
      '--dest-tls-verify=false',
      '--dest-creds',
      await creds(a),
      `oci:${image.dir}:v1`,
      `docker://${direct}/${A}/app:v1`,
    ]);
    assert.equal(push.code, 0, push.stderr);
  });

  after(async () => {
    if (skopeoMissing !== undefined) return;
    proxy?.server.closeAllConnections();
    await new Promise((r) => proxy?.server.close(r));
    await t?.stop();
    await rm(work, { recursive: true, force: true });
    await rm(image.dir, { recursive: true, force: true });
  });

  const dests = () => ({
    own: `${via}/${A}/app-copy`,
    b: `${via}/${B}/app`,
    team: `${via}/${B}/team/app`,
    locked: `${via}/${B}/locked/app`,
  });

  test('copies the index to three repositories in two accounts; the one nothing grants fails with AWS’s sentence', async () => {
    const d = dests();
    const before = proxy.log.length;
    const r = await crossdockCopy([
      `${via}/${A}/app:v1`,
      d.own,
      d.b,
      d.team,
      d.locked,
      '--dest-role-arn',
      `${d.b}=${PUSHER}`,
      '--dest-role-arn',
      `${d.team}=${PUSHER}`,
      '--json',
    ]);
    assert.equal(r.code, 1, `exit 1 when a destination fails\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as CopySummary;
    assert.equal(out.source.digest, image.indexDigest);
    assert.deepEqual(out.source.platforms, ['linux/amd64', 'linux/arm64']);
    const by = Object.fromEntries(out.destinations.map((x) => [x.reference, x]));
    for (const ref of [d.own, d.b, d.team]) {
      assert.equal(by[ref]?.ok, true, `${ref}: ${by[ref]?.error?.message}`);
      assert.equal(by[ref]?.digest, image.indexDigest);
      assert.deepEqual(by[ref]?.manifests, { pushed: 3, skipped: 0 }, `${ref}: two images, then the index`);
    }
    // Same account as the source: every blob mounted. B's first repository (as B's role, which
    // cannot read A's) uploads them; B's second mounts them from B's first.
    assert.deepEqual(by[d.own]?.blobs, { uploaded: 0, mounted: image.blobs, skipped: 0, bytesUploaded: 0 });
    assert.equal(by[d.b]?.blobs.uploaded, image.blobs);
    assert.deepEqual(
      { ...by[d.team]?.blobs, bytesUploaded: 0 },
      {
        uploaded: 0,
        mounted: image.blobs,
        skipped: 0,
        bytesUploaded: 0,
      },
    );
    const locked = by[d.locked]!;
    assert.equal(locked.ok, false);
    assert.equal(locked.error?.code, 'DENIED');
    assert.equal(locked.error?.status, 403);
    assert.ok(
      locked.error?.message.includes(
        deniedSentence(
          `arn:aws:iam::${A}:user/ci`,
          'ecr:InitiateLayerUpload',
          `arn:aws:ecr:${REGION}:${B}:repository/locked/app`,
          'no-resource',
        ),
      ),
      locked.error?.message,
    );
    // The server saw exactly the uploads the summary claims: B's first repository's blobs only.
    const seen = uploads(proxy.log.slice(before));
    assert.equal(seen.bodies, image.blobs, 'blob bytes were sent once, to B/app');
    assert.equal(seen.mounts, 2 * image.blobs, 'A/app-copy and B/team/app mounted every blob');
    // Plain progress lines (stderr is not a terminal).
    assert.match(
      r.stderr,
      new RegExp(`${d.team.replace(/[.]/g, '\\.')}: blob sha256:[0-9a-f]{12} \\(.*\\) mounted from ${B}/app`),
    );
    assert.doesNotMatch(
      r.stderr,
      new RegExp(String.fromCharCode(27) + '\\['),
      'no cursor movement off a terminal',
    );
    // The denied repository has no image at all, and no tag.
    const ecrB = ecrClient(t.endpoint, b);
    try {
      const listed = await ecrB.send(new ListImagesCommand({ repositoryName: 'locked/app' }));
      assert.deepEqual(listed.imageIds, []);
    } finally {
      ecrB.destroy();
    }
  });

  test('every destination holds the source index: skopeo reads the same bytes and copies it back whole', async () => {
    const cases = [
      { ref: `${direct}/${A}/app-copy:v1`, who: () => a },
      { ref: `${direct}/${B}/app:v1`, who: () => b },
      { ref: `${direct}/${B}/team/app:v1`, who: () => b },
    ];
    for (const [i, c] of cases.entries()) {
      const raw = await inspectRaw(c.ref, c.who());
      assert.equal(raw.digest, image.indexDigest, c.ref);
      assert.equal(raw.mediaType, 'application/vnd.oci.image.index.v1+json');
      const back = join(work, `back-${i}`);
      const r = await skopeo([
        'copy',
        '--all',
        '--insecure-policy',
        '--src-tls-verify=false',
        '--src-creds',
        await creds(c.who()),
        `docker://${c.ref}`,
        `oci:${back}:v1`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await layoutDigest(back, 'v1'), image.indexDigest, c.ref);
    }
  });

  test('a second copy uploads nothing: every blob and manifest is already there', async () => {
    const d = dests();
    const before = proxy.log.length;
    const r = await crossdockCopy([
      `${via}/${A}/app:v1`,
      d.own,
      d.b,
      d.team,
      '--dest-role-arn',
      `${d.b}=${PUSHER}`,
      '--dest-role-arn',
      `${d.team}=${PUSHER}`,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as CopySummary;
    for (const x of out.destinations) {
      assert.deepEqual(
        x.blobs,
        { uploaded: 0, mounted: 0, skipped: image.blobs, bytesUploaded: 0 },
        x.reference,
      );
      assert.deepEqual(x.manifests, { pushed: 0, skipped: 3 }, x.reference);
    }
    assert.deepEqual(uploads(proxy.log.slice(before)), { bodies: 0, mounts: 0, sessions: 0 });
  });

  test('--platform copies one platform’s image as a plain image, and names what an index lacks', async () => {
    const r = await crossdockCopy([
      `${via}/${A}/app:v1`,
      `${via}/${A}/arm-only`,
      '--platform',
      'linux/arm64',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /✓ .*arm-only: 0 uploaded \(0\.0 KiB\), 3 mounted, 0 already there/);
    const raw = await inspectRaw(`${direct}/${A}/arm-only:v1`, a);
    assert.equal(raw.digest, image.platforms['linux/arm64']);
    assert.equal(raw.mediaType, 'application/vnd.oci.image.manifest.v1+json');

    const none = await crossdockCopy([
      `${via}/${A}/app:v1`,
      `${via}/${A}/arm-only:s390x`,
      '--platform',
      'linux/s390x',
    ]);
    assert.equal(none.code, 1);
    assert.match(none.stdout, /has no linux\/s390x image \(it has linux\/amd64, linux\/arm64\)/);
  });

  test('a host-style destination is reached on 127.0.0.1; a role that cannot be assumed fails with STS’s sentence', async () => {
    const hostStyle = `${A}.dkr.ecr.${REGION}.localhost:${proxy.port}/host-style`;
    const noRole = `${via}/${B}/app:no-role`;
    const r = await crossdockCopy([
      `${via}/${A}/app:v1`,
      hostStyle,
      noRole,
      '--dest-role-arn',
      `${noRole}=arn:aws:iam::${B}:role/nobody`,
      '--json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as CopySummary;
    const [host, denied] = out.destinations;
    assert.equal(host?.ok, true, host?.error?.message);
    assert.equal(host?.blobs.uploaded, image.blobs, 'another addressing style: nothing to mount from');
    assert.equal((await inspectRaw(`${direct}/${A}/host-style:v1`, a)).digest, image.indexDigest);
    assert.equal(denied?.ok, false);
    assert.equal(denied?.error?.code, 'AccessDenied');
    assert.match(
      denied?.error?.message ?? '',
      new RegExp(
        `User: arn:aws:iam::${A}:user/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${B}:role/nobody`,
      ),
    );
  });

  test('--src-role-arn reads the source as a role: B’s image, which only B’s role may read, copied back to A', async () => {
    const plain = await crossdockCopy([`${via}/${B}/app:v1`, `${via}/${A}/from-b`]);
    assert.equal(plain.code, 1, 'A’s user alone may not read B’s repository');
    assert.match(
      plain.stdout,
      /403 DENIED: User: arn:aws:iam::111111111111:user\/ci is not authorized to perform: ecr:BatchGetImage/,
    );
    const r = await crossdockCopy([
      `${via}/${B}/app:v1`,
      `${via}/${A}/from-b`,
      '--src-role-arn',
      PUSHER,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as CopySummary;
    assert.equal(out.destinations[0]?.digest, image.indexDigest);
    assert.equal((await inspectRaw(`${direct}/${A}/from-b:v1`, a)).digest, image.indexDigest);
  });

  test('the client renews a refused token and uploads to crossdock in PATCH chunks', async () => {
    const asked: boolean[] = [];
    const password = (await creds(a)).slice('AWS:'.length);
    const c = new RegistryClient({
      url: `http://${via}`,
      chunkSize: 1024,
      credentials: async ({ refresh }) => {
        asked.push(refresh);
        return { username: 'AWS', password: refresh ? password : 'CDT1.forged' };
      },
    });
    try {
      const bytes = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 13) % 256));
      const blob = { digest: sha256(bytes), size: bytes.length };
      const before = proxy.log.length;
      assert.equal(await c.uploadBlob(`${A}/app`, blob, async () => Readable.from([bytes])), 'uploaded');
      assert.deepEqual(asked, [false, true], 'a 401 to the forged token, then a fresh one');
      const patches = proxy.log.slice(before).filter((l) => l.method === 'PATCH');
      assert.deepEqual(
        patches.map((l) => [l.status, l.bytes]),
        [
          [202, 1024],
          [202, 1024],
          [202, 1024],
          [202, 928],
        ],
      );
      const got = await c.getBlob(`${A}/app`, blob.digest, blob.size);
      const chunks: Buffer[] = [];
      for await (const x of got.stream) chunks.push(x as Buffer);
      assert.deepEqual(Buffer.concat(chunks), bytes);
    } finally {
      c.close();
    }
  });

  test('on a terminal the progress is one line per destination, redrawn in place', async () => {
    let written = '';
    const lines: string[] = [];
    const deps: CopyDeps = {
      env: { HOME: work },
      home: work,
      fetchToken: async (req: TokenRequest) => {
        const ecr = new ECRClient({
          endpoint: req.endpoint,
          region: req.region,
          credentials: { accessKeyId: ci.AccessKeyId, secretAccessKey: ci.SecretAccessKey },
          maxAttempts: 1,
        });
        try {
          const out = await ecr.send(new GetAuthorizationTokenCommand({}));
          const [username, password] = Buffer.from(out.authorizationData![0]!.authorizationToken!, 'base64')
            .toString()
            .split(':') as [string, string];
          return { username, password, expiresAt: out.authorizationData![0]!.expiresAt! };
        } finally {
          ecr.destroy();
        }
      },
      credentialHelper: runCredentialHelper,
      out: (l) => lines.push(l),
      err: { isTTY: true, columns: 200, write: (s) => void (written += s) },
    };
    const code = await runCopyCommand([`${via}/${A}/app:v1`, `${via}/${A}/tty-copy`], deps);
    assert.equal(code, 0, lines.join('\n'));
    assert.match(written, new RegExp(String.fromCharCode(27) + '\\[2K'), 'lines are cleared and redrawn');
    const screen = written.split('\n').filter((l) => l !== '');
    assert.match(
      screen[screen.length - 1]!,
      new RegExp(`tty-copy \\[#{20}\\] .* layers ${image.blobs}/${image.blobs} done$`),
    );
    assert.ok(!/blob sha256/.test(written), 'no event lines on a terminal');
    assert.match(lines.join('\n'), /✓ .*tty-copy: 0 uploaded/);
  });
});

describe(
  'crossdock copy from CNCF distribution',
  { skip: skopeoMissing ?? distributionMissing ?? false },
  () => {
    let server: TestServer;
    let registry: Distribution;
    let upstream: string;
    let dir: string;
    let img: IndexLayout;
    let ciKeys: AccountCredentials;

    before(async () => {
      if (skopeoMissing !== undefined || distributionMissing !== undefined) return;
      dir = await mkdtemp(join(tmpdir(), 'crossdock-distribution-'));
      registry = await startDistribution();
      upstream = registry.host;
      server = await startServer();
      const root = await server.createAccount('cicd', A);
      ciKeys = root;
      const ecr = ecrClient(server.endpoint, root);
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'mirror/app' }));
      ecr.destroy();
      img = await makeIndexLayout('v1');
      const push = await run(
        SKOPEO,
        [
          'copy',
          '--all',
          '--insecure-policy',
          '--dest-tls-verify=false',
          `oci:${img.dir}:v1`,
          `docker://${upstream}/library/app:v1`,
        ],
        { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
        dir,
      );
      assert.equal(push.code, 0, push.stderr);
    });

    after(async () => {
      await registry?.close();
      await server?.stop();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      if (img !== undefined) await rm(img.dir, { recursive: true, force: true });
    });

    test('an index on an anonymous distribution registry is copied into crossdock whole', async () => {
      const dest = `${new URL(server.endpoint).host}/${A}/mirror/app`;
      const r = await run(
        process.execPath,
        [
          '--import',
          TSX,
          '-e',
          `import(${JSON.stringify(MAIN)}).then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c))`,
          '--',
          'copy',
          `${upstream}/library/app:v1`,
          dest,
        ],
        {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dir,
          XDG_RUNTIME_DIR: dir,
          AWS_ACCESS_KEY_ID: ciKeys.AccessKeyId,
          AWS_SECRET_ACCESS_KEY: ciKeys.SecretAccessKey,
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`✓ .*mirror/app: ${img.blobs} uploaded`));
      const ecr = ecrClient(server.endpoint, ciKeys);
      const password = (await registryLogin(ecr)).password;
      ecr.destroy();
      const back = join(dir, 'back');
      const pull = await run(
        SKOPEO,
        [
          'copy',
          '--all',
          '--insecure-policy',
          '--src-tls-verify=false',
          '--src-creds',
          `AWS:${password}`,
          `docker://${dest}:v1`,
          `oci:${back}:v1`,
        ],
        { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
        dir,
      );
      assert.equal(pull.code, 0, pull.stderr);
      assert.equal(await layoutDigest(back, 'v1'), img.indexDigest);
    });

    test('the client uploads to distribution in PATCH chunks, mounts there, and lists its tags', async () => {
      const c = new RegistryClient({ url: `http://${upstream}`, chunkSize: 1024 });
      try {
        const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
        const blob = { digest: sha256(bytes), size: bytes.length };
        assert.equal(
          await c.uploadBlob('library/chunked', blob, async () => Readable.from([bytes])),
          'uploaded',
        );
        const got = await c.getBlob('library/chunked', blob.digest, blob.size);
        const chunks: Buffer[] = [];
        for await (const x of got.stream) chunks.push(x as Buffer);
        assert.deepEqual(Buffer.concat(chunks), bytes);
        const m = await c.getManifest('library/app', 'v1');
        for (const tag of ['v2', 'v3', 'v4']) await c.putManifest('library/app', tag, m.bytes, m.mediaType);
        // distribution 2.x ignores `n` (paging is checked against the in-test registry): one page.
        assert.deepEqual((await c.listTags('library/app', { pageSize: 2 })).sort(), ['v1', 'v2', 'v3', 'v4']);
        assert.equal(
          await c.uploadBlob('library/other', blob, async () => assert.fail('a mount reads nothing'), {
            mountFrom: 'library/chunked',
          }),
          'mounted',
        );
      } finally {
        c.close();
      }
    });
  },
);

// ECR Public's registry over HTTP on a real port, with the REAL backend (in-memory stores, the real
// door and engine): anonymous pulls of public images on path-style names, the Bearer challenge and
// token endpoint of the public host (`public.ecr.localhost:<port>`), authenticated pushes with the
// ecr-public password (Basic path-style, Bearer on the public host), unknown aliases, and private
// repositories that stay private to anonymous requests whatever their policy says.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import {
  addAccessKey,
  addAccounts,
  addUser,
  callerIn,
  ecrDeps,
  PATH_STYLE,
  policyDoc,
  serveRegistry,
  type ServedRegistry,
} from '../../test/helpers/world.js';
import type { Caller } from '../auth/caller.js';
import { digestOf } from '../store/blobs/BlobStore.js';
import { createMemoryBlobStore } from '../store/blobs/memory/MemoryBlobStore.js';
import { MemoryMetadataStore } from '../store/meta/memory/MemoryMetadataStore.js';
import { SecretBox } from '../store/meta/secrets.js';
import { createRegistryBackend } from '../services/ecr/backend.js';
import { EcrDataService } from '../services/ecr/dataOps.js';
import type { EcrDeps } from '../services/ecr/deps.js';
import { MANIFEST_MEDIA_TYPES as MT } from '../services/ecr/manifests.js';
import { defaultRegistryAlias } from '../services/ecr/public/partition.js';
import { EcrPublicService } from '../services/ecr/public/service.js';
import { EcrService } from '../services/ecr/service.js';

const A = '111111111111';
const REGION = 'us-east-1';
const NOW = Date.parse('2026-11-23T12:00:00Z');
const TOKEN_KEY = Buffer.alloc(32, 9);
const ALIAS = defaultRegistryAlias(TOKEN_KEY, A);
const doc = (statement: object[]) => policyDoc(statement);

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The push operations the public and the private data services share. */
interface PushOps {
  initiateLayerUpload(c: Caller, i: { repositoryName: string }): Promise<{ uploadId: string }>;
  uploadLayerPart(
    c: Caller,
    i: {
      repositoryName: string;
      uploadId: string;
      partFirstByte: number;
      partLastByte: number;
      layerPartBlob: Uint8Array;
    },
  ): Promise<unknown>;
  completeLayerUpload(
    c: Caller,
    i: { repositoryName: string; uploadId: string; layerDigests: string[] },
  ): Promise<unknown>;
  putImage(
    c: Caller,
    i: { repositoryName: string; imageManifest: string; imageManifestMediaType?: string; imageTag?: string },
  ): Promise<unknown>;
}

/** An OCI image: config, one layer, and its manifest. */
function image(seed: string) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const layer = Buffer.from(`the layer of ${seed}`.repeat(50));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: digestOf(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: digestOf(layer),
          size: layer.length,
        },
      ],
    }),
  );
  return { config, layer, manifest, digest: digestOf(manifest) };
}

async function pushVia(
  ops: PushOps,
  c: Caller,
  repositoryName: string,
  img: ReturnType<typeof image>,
  tag: string,
) {
  for (const bytes of [img.config, img.layer]) {
    const { uploadId } = await ops.initiateLayerUpload(c, { repositoryName });
    await ops.uploadLayerPart(c, {
      repositoryName,
      uploadId,
      partFirstByte: 0,
      partLastByte: bytes.length - 1,
      layerPartBlob: bytes,
    });
    await ops.completeLayerUpload(c, { repositoryName, uploadId, layerDigests: [digestOf(bytes)] });
  }
  await ops.putImage(c, {
    repositoryName,
    imageManifest: img.manifest.toString('utf8'),
    imageManifestMediaType: MT.ociManifest,
    imageTag: tag,
  });
}

describe('ECR Public registry over HTTP with the real backend', () => {
  const store = new MemoryMetadataStore();
  const box = SecretBox.fromKey(Buffer.alloc(32, 7));
  const deps: EcrDeps = ecrDeps({
    store,
    clock: { now: () => NOW },
    box,
    blobs: createMemoryBlobStore({ clock: () => NOW }),
    registryTokenKey: TOKEN_KEY,
    addressing: { ...PATH_STYLE, authority: '127.0.0.1' },
  });
  const publicApi = new EcrPublicService(deps);
  const ecr = new EcrService(deps);
  const data = new EcrDataService(deps);
  const pulled = image('public v1');
  const privateImage = image('private v1');
  const secretImage = image('secret v1');
  let served: ServedRegistry | undefined;
  let port = 0;
  let local = '';
  let publicHost = '';
  /** `Basic base64(AWS:<password>)` of `aws ecr-public get-login-password` for A's pusher. */
  let pusherPublicBasic = '';
  /** The same pusher's private ECR password (us-east-1). */
  let pusherPrivateBasic = '';
  /** A user of A allowed everything on public repositories but no private ECR action. */
  let publicOnlyBasic = '';

  function call(
    method: string,
    path: string,
    opts: { host?: string; headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          headers: {
            Host: opts.host ?? local,
            ...(opts.body !== undefined && { 'Content-Length': String(opts.body.length) }),
            ...opts.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  const errorCode = (a: Answer): string | undefined =>
    (JSON.parse(a.body.toString('utf8')) as { errors?: { code: string }[] }).errors?.[0]?.code;

  const bearerChallenge = (host: string) =>
    `Bearer realm="http://${host}/token/",service="${host}",scope="aws"`;
  const basicChallenge = (host: string) => `Basic realm="http://${host}/",service="ecr.amazonaws.com"`;

  async function callerWithKey(name: string, policies: string[]): Promise<Caller> {
    const user = await addUser(store, {
      accountId: A,
      name,
      id: `AIDA${name.toUpperCase().padEnd(16, 'Q')}`,
      at: NOW,
      policies,
    });
    const id = `AKIA${name.toUpperCase().padEnd(16, 'Z')}`;
    await addAccessKey(store, box, { id, accountId: A, userName: name, at: NOW, secret: 's' });
    return callerIn(store, A, { kind: 'user', user }, { accessKeyId: id });
  }

  before(async () => {
    await addAccounts(store, [A], NOW);
    const root = await callerIn(store, A, { kind: 'root' }, { accessKeyId: 'AKIAROOTROOTROOTROOT' });
    await publicApi.createRepository(root, { repositoryName: 'app' });
    await publicApi.createRepository(root, { repositoryName: 'pushed' });
    await publicApi.createRepository(root, { repositoryName: 'bearer' });
    await publicApi.createRepository(root, { repositoryName: 'mounted' });
    await pushVia(publicApi, root, 'app', pulled, 'v1');
    await ecr.createRepository(root, { repositoryName: 'private' });
    await ecr.createRepository(root, { repositoryName: 'secret' });
    await pushVia(data, root, 'secret', secretImage, 'v1');
    await pushVia(data, root, 'private', privateImage, 'v1');
    await ecr.setRepositoryPolicy(root, {
      repositoryName: 'private',
      policyText: doc([
        {
          Sid: 'EveryoneMayPull',
          Effect: 'Allow',
          Principal: '*',
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        },
      ]),
    });
    const pusher = await callerWithKey('pusher', [
      doc([
        {
          Effect: 'Allow',
          Action: ['ecr-public:*', 'ecr:*', 'sts:GetServiceBearerToken'],
          Resource: '*',
        },
      ]),
    ]);
    pusherPublicBasic = `Basic ${(await publicApi.getAuthorizationToken(pusher)).authorizationData.authorizationToken}`;
    pusherPrivateBasic = `Basic ${(await ecr.getAuthorizationToken(pusher, {})).authorizationData[0]!.authorizationToken}`;
    const publicOnly = await callerWithKey('publiconly', [
      doc([{ Effect: 'Allow', Action: ['ecr-public:*', 'sts:GetServiceBearerToken'], Resource: '*' }]),
    ]);
    publicOnlyBasic = `Basic ${(await publicApi.getAuthorizationToken(publicOnly)).authorizationData.authorizationToken}`;

    served = await serveRegistry(createRegistryBackend(deps), { hostDomain: 'localhost' });
    port = served.port;
    local = `127.0.0.1:${port}`;
    publicHost = `public.ecr.localhost:${port}`;
  });

  after(async () => {
    await served?.close();
  });

  test('anyone pulls a public manifest, its blobs and its tags without credentials, path-style', async () => {
    const base = `/v2/public/${ALIAS}/app`;
    const m = await call('GET', `${base}/manifests/v1`, { headers: { Accept: MT.ociManifest } });
    assert.equal(m.status, 200, m.body.toString());
    assert.deepEqual(m.body, pulled.manifest);
    assert.equal(m.headers['docker-content-digest'], pulled.digest);
    const byDigest = await call('HEAD', `${base}/manifests/${pulled.digest}`, {
      headers: { Accept: MT.ociManifest },
    });
    assert.equal(byDigest.status, 200);
    for (const bytes of [pulled.config, pulled.layer]) {
      const b = await call('GET', `${base}/blobs/${digestOf(bytes)}`);
      assert.equal(b.status, 200, b.body.toString());
      assert.deepEqual(b.body, bytes);
    }
    const tags = await call('GET', `${base}/tags/list`);
    assert.equal(tags.status, 200, tags.body.toString());
    assert.deepEqual((JSON.parse(tags.body.toString()) as { tags: string[] }).tags, ['v1']);
    // `Basic Og==` (empty credentials, as clients send after the Basic ping) is anonymous too.
    const empty = await call('GET', `${base}/manifests/v1`, {
      headers: { Accept: MT.ociManifest, Authorization: 'Basic Og==' },
    });
    assert.equal(empty.status, 200, empty.body.toString());
  });

  test('an anonymous push is 401 with the Bearer challenge naming the token endpoint', async () => {
    const base = `/v2/public/${ALIAS}/app`;
    const attempts: [string, string, Buffer | undefined][] = [
      ['PUT', `${base}/manifests/v2`, pulled.manifest],
      ['POST', `${base}/blobs/uploads/`, undefined],
      ['POST', `${base}/blobs/uploads/?digest=${digestOf(pulled.layer)}`, pulled.layer],
      ['DELETE', `${base}/manifests/${pulled.digest}`, undefined],
      ['DELETE', `${base}/blobs/${digestOf(pulled.layer)}`, undefined],
    ];
    for (const [method, path, body] of attempts) {
      const r = await call(method, path, {
        ...(body !== undefined && { body }),
        headers: { 'Content-Type': MT.ociManifest },
      });
      assert.equal(r.status, 401, `${method} ${path}: ${r.body.toString()}`);
      assert.equal(r.headers['www-authenticate'], bearerChallenge(local), `${method} ${path}`);
      assert.equal(errorCode(r), 'UNAUTHORIZED');
    }
    // Nothing changed.
    const tags = await call('GET', `${base}/tags/list`);
    assert.deepEqual((JSON.parse(tags.body.toString()) as { tags: string[] }).tags, ['v1']);
  });

  test('/v2/ on the public host without a token is 401 with the Bearer challenge; /token/ answers a token', async () => {
    const ping = await call('GET', '/v2/', { host: publicHost });
    assert.equal(ping.status, 401);
    assert.equal(ping.headers['www-authenticate'], bearerChallenge(publicHost));
    const t = await call('GET', `/token/?service=${publicHost}&scope=aws`, { host: publicHost });
    assert.equal(t.status, 200, t.body.toString());
    assert.equal(t.headers['cache-control'], 'no-store');
    const body = JSON.parse(t.body.toString()) as {
      token: string;
      access_token: string;
      expires_in: number;
      issued_at: string;
    };
    assert.equal(body.token, body.access_token);
    assert.equal(body.expires_in, 3600);
    assert.equal(body.issued_at, new Date(NOW).toISOString());
  });

  test('/v2/ on the public host with an anonymous token from /token/ is 200', async () => {
    const t = await call('GET', '/token/', { host: publicHost });
    const { token } = JSON.parse(t.body.toString()) as { token: string };
    const again = await call('GET', '/v2/', {
      host: publicHost,
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(again.status, 200, again.body.toString());
  });

  test('/v2/ on the public host with a caller token from /token/ is 200', async () => {
    const t = await call('GET', '/token/', {
      host: publicHost,
      headers: { Authorization: pusherPublicBasic },
    });
    assert.equal(t.status, 200, t.body.toString());
    const { token } = JSON.parse(t.body.toString()) as { token: string };
    const ping = await call('GET', '/v2/', {
      host: publicHost,
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(ping.status, 200, ping.body.toString());
  });

  test('the Bearer flow on the public host: challenge, token, manifest and blob', async () => {
    const first = await call('GET', `/v2/${ALIAS}/app/manifests/v1`, {
      host: publicHost,
      headers: { Accept: MT.ociManifest, Authorization: 'Bearer nonsense' },
    });
    assert.equal(first.status, 401);
    assert.equal(first.headers['www-authenticate'], bearerChallenge(publicHost));
    const t = await call('GET', `/token/?scope=repository:${ALIAS}/app:pull&service=${publicHost}`, {
      host: publicHost,
    });
    const { token } = JSON.parse(t.body.toString()) as { token: string };
    const m = await call('GET', `/v2/${ALIAS}/app/manifests/v1`, {
      host: publicHost,
      headers: { Accept: MT.ociManifest, Authorization: `Bearer ${token}` },
    });
    assert.equal(m.status, 200, m.body.toString());
    assert.deepEqual(m.body, pulled.manifest);
    const b = await call('GET', `/v2/${ALIAS}/app/blobs/${digestOf(pulled.layer)}`, {
      host: publicHost,
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(b.status, 200);
    assert.deepEqual(b.body, pulled.layer);
    // The anonymous token grants no push.
    const push = await call('PUT', `/v2/${ALIAS}/app/manifests/v9`, {
      host: publicHost,
      body: pulled.manifest,
      headers: { 'Content-Type': MT.ociManifest, Authorization: `Bearer ${token}` },
    });
    assert.equal(push.status, 401);
    assert.equal(push.headers['www-authenticate'], bearerChallenge(publicHost));
  });

  test('the token endpoint refuses a bad password and a private ECR password with 401', async () => {
    for (const authorization of [
      `Basic ${Buffer.from('AWS:forged').toString('base64')}`,
      pusherPrivateBasic,
    ]) {
      const t = await call('GET', '/token/', { host: publicHost, headers: { Authorization: authorization } });
      assert.equal(t.status, 401, t.body.toString());
    }
    const post = await call('POST', '/token/', { host: publicHost });
    assert.notEqual(post.status, 200);
  });

  test('a push with the ecr-public password as Basic, path-style, is pulled back anonymously', async () => {
    const img = image('pushed by basic');
    const base = `/v2/public/${ALIAS}/pushed`;
    for (const bytes of [img.config, img.layer]) {
      const r = await call('POST', `${base}/blobs/uploads/?digest=${digestOf(bytes)}`, {
        body: bytes,
        headers: { Authorization: pusherPublicBasic, 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(r.status, 201, r.body.toString());
    }
    const put = await call('PUT', `${base}/manifests/v1`, {
      body: img.manifest,
      headers: { Authorization: pusherPublicBasic, 'Content-Type': MT.ociManifest },
    });
    assert.equal(put.status, 201, put.body.toString());
    const m = await call('GET', `${base}/manifests/v1`, { headers: { Accept: MT.ociManifest } });
    assert.equal(m.status, 200);
    assert.deepEqual(m.body, img.manifest);
  });

  test('a push with a Bearer got with the ecr-public password, on the public host', async () => {
    const t = await call('GET', '/token/', {
      host: publicHost,
      headers: { Authorization: pusherPublicBasic },
    });
    const { token } = JSON.parse(t.body.toString()) as { token: string };
    const img = image('pushed by bearer');
    const auth = { Authorization: `Bearer ${token}` };
    for (const bytes of [img.config, img.layer]) {
      const r = await call('POST', `/v2/${ALIAS}/bearer/blobs/uploads/?digest=${digestOf(bytes)}`, {
        host: publicHost,
        body: bytes,
        headers: { ...auth, 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(r.status, 201, r.body.toString());
    }
    const put = await call('PUT', `/v2/${ALIAS}/bearer/manifests/v1`, {
      host: publicHost,
      body: img.manifest,
      headers: { ...auth, 'Content-Type': MT.ociManifest },
    });
    assert.equal(put.status, 201, put.body.toString());
    assert.match(String(put.headers.location), new RegExp(`^/v2/${ALIAS}/bearer/manifests/sha256:`));
  });

  test('a private ECR password on the public registry is 401 with the Bearer challenge', async () => {
    const r = await call('GET', `/v2/public/${ALIAS}/app/manifests/v1`, {
      headers: { Accept: MT.ociManifest, Authorization: pusherPrivateBasic },
    });
    assert.equal(r.status, 401, r.body.toString());
    assert.equal(r.headers['www-authenticate'], bearerChallenge(local));
  });

  test('an unknown alias or repository is 404 NAME_UNKNOWN', async () => {
    const cases: [string, Record<string, string>][] = [
      ['/v2/public/zzzzzzzz/app/manifests/v1', {}],
      [`/v2/public/${ALIAS}/nope/manifests/v1`, {}],
      ['/v2/public/zzzzzzzz/app/blobs/' + digestOf(pulled.layer), {}],
      ['/v2/public/zzzzzzzz/app/tags/list', {}],
    ];
    for (const [path, headers] of cases) {
      const r = await call('GET', path, { headers: { Accept: MT.ociManifest, ...headers } });
      assert.equal(r.status, 404, `${path}: ${r.body.toString()}`);
      assert.equal(errorCode(r), 'NAME_UNKNOWN', path);
    }
    const noToken = await call('GET', `/v2/${ALIAS}/app/manifests/v1`, { host: publicHost });
    assert.equal(noToken.status, 401, 'the public host wants a token of /token/, as public.ecr.aws');
    assert.equal(noToken.headers['www-authenticate'], bearerChallenge(publicHost));
    const t = await call('GET', '/token/', { host: publicHost });
    const { token } = JSON.parse(t.body.toString()) as { token: string };
    const onHost = await call('GET', `/v2/zzzzzzzz/app/manifests/v1`, {
      host: publicHost,
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(onHost.status, 404);
    assert.equal(errorCode(onHost), 'NAME_UNKNOWN');
    const push = await call('POST', '/v2/public/zzzzzzzz/app/blobs/uploads/', {
      headers: { Authorization: pusherPublicBasic },
    });
    assert.equal(push.status, 404, push.body.toString());
    assert.equal(errorCode(push), 'NAME_UNKNOWN');
  });

  test('a bad public name is 400 NAME_INVALID', async () => {
    for (const path of ['/v2/public/A/app/manifests/v1', '/v2/public/1abc/app/manifests/v1']) {
      const r = await call('GET', path);
      assert.equal(r.status, 400, `${path}: ${r.body.toString()}`);
      assert.equal(errorCode(r), 'NAME_INVALID', path);
    }
  });

  test('a private repository whose policy allows Principal "*" is still 401 Basic to anonymous requests', async () => {
    const base = `/v2/${A}/private`;
    for (const headers of [{}, { Authorization: 'Basic Og==' }] as Record<string, string>[]) {
      for (const path of [
        `${base}/manifests/v1`,
        `${base}/blobs/${digestOf(privateImage.layer)}`,
        `${base}/tags/list`,
      ]) {
        const r = await call('GET', path, { headers: { Accept: MT.ociManifest, ...headers } });
        assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}: ${r.body.toString()}`);
        assert.equal(r.headers['www-authenticate'], basicChallenge(local));
      }
    }
    const ping = await call('GET', '/v2/', { headers: { Authorization: 'Basic Og==' } });
    assert.equal(ping.status, 401);
    assert.equal(ping.headers['www-authenticate'], basicChallenge(local));
    // With credentials, the same repository answers.
    const ok = await call('GET', `${base}/manifests/v1`, {
      headers: { Accept: MT.ociManifest, Authorization: pusherPrivateBasic },
    });
    assert.equal(ok.status, 200, ok.body.toString());
  });

  test('an anonymous Bearer token does not open a private repository', async () => {
    const t = await call('GET', '/token/', { host: publicHost });
    const { token } = JSON.parse(t.body.toString()) as { token: string };
    const r = await call('GET', `/v2/${A}/private/manifests/v1`, {
      headers: { Accept: MT.ociManifest, Authorization: `Bearer ${token}` },
    });
    assert.equal(r.status, 401, r.body.toString());
    assert.equal(r.headers['www-authenticate'], basicChallenge(local));
    const host = await call('GET', `/v2/private/manifests/v1`, {
      host: `${A}.dkr.ecr.${REGION}.localhost:${port}`,
      headers: { Accept: MT.ociManifest, Authorization: `Bearer ${token}` },
    });
    assert.equal(host.status, 401, host.body.toString());
  });

  test('the ecr-public password does not open a private repository', async () => {
    const r = await call('GET', `/v2/${A}/private/manifests/v1`, {
      headers: { Accept: MT.ociManifest, Authorization: pusherPublicBasic },
    });
    assert.equal(r.status, 401, r.body.toString());
  });

  test('a public push cannot mount a blob from a private repository it may not pull', async () => {
    const layer = digestOf(secretImage.layer);
    const r = await call(
      'POST',
      `/v2/public/${ALIAS}/mounted/blobs/uploads/?mount=${layer}&from=${A}/secret`,
      {
        headers: { Authorization: publicOnlyBasic },
      },
    );
    assert.notEqual(r.status, 201, r.body.toString());
    const b = await call('GET', `/v2/public/${ALIAS}/mounted/blobs/${layer}`);
    assert.equal(b.status, 404, 'the private layer is not readable through the public repository');
  });

  test('a public push mounts a blob from a private repository its pusher may pull', async () => {
    const layer = digestOf(secretImage.layer);
    const r = await call(
      'POST',
      `/v2/public/${ALIAS}/mounted/blobs/uploads/?mount=${layer}&from=${A}/secret`,
      {
        headers: { Authorization: pusherPublicBasic },
      },
    );
    assert.equal(r.status, 201, r.body.toString());
    const b = await call('GET', `/v2/public/${ALIAS}/mounted/blobs/${layer}`);
    assert.equal(b.status, 200);
    assert.deepEqual(b.body, secretImage.layer);
  });
});

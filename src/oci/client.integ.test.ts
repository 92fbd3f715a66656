// The registry client against a small in-memory registry started in the test: each of the three
// ways registries authenticate (none, Basic, Docker's Bearer tokens), manifests by tag and digest,
// blobs through a redirect to another origin, uploads in one PUT and in PATCH chunks, mounts and
// their fallback, tag pages through `Link`, and the checks that must fail: a tampered manifest or
// blob, refused credentials, a source that lies about its content.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { RegistryClient, type CredentialProvider } from './client.js';
import { VerifyingStream } from './digest.js';
import { RegistryError } from './errors.js';
import { MediaTypes } from './media.js';

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Logged {
  readonly method: string;
  readonly path: string;
  readonly auth: string | undefined;
  readonly bodyBytes: number;
  readonly contentRange?: string;
}

type AuthMode = 'none' | 'basic' | 'bearer';

/** An in-memory registry: enough of the distribution API to exercise every client path. */
class FakeRegistry {
  server!: Server;
  storage!: Server;
  readonly log: Logged[] = [];
  readonly storageLog: Logged[] = [];
  readonly blobs = new Map<string, Map<string, Buffer>>();
  readonly manifests = new Map<string, Map<string, { bytes: Buffer; mediaType: string }>>();
  readonly uploads = new Map<string, { repo: string; data: Buffer[] }>();
  readonly tokenRequests: URLSearchParams[] = [];
  /** Blobs served with other bytes than their digest's. */
  readonly corrupt = new Set<string>();
  /** Manifests served with other bytes than their digest's. */
  readonly tamper = new Set<string>();
  password = 'secret';
  redirectBlobs = false;
  /** Answer `/v2/` without credentials, as some registries do while their repositories need them. */
  openPing = false;
  private next = 0;

  constructor(readonly mode: AuthMode) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private get storageUrl(): string {
    return `http://127.0.0.1:${(this.storage.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.storage = createServer((req, res) => void this.serveStorage(req, res));
    await Promise.all(
      [this.server, this.storage].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))),
    );
  }

  async stop(): Promise<void> {
    for (const s of [this.server, this.storage]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  }

  repoBlobs(repo: string): Map<string, Buffer> {
    let m = this.blobs.get(repo);
    if (m === undefined) this.blobs.set(repo, (m = new Map()));
    return m;
  }

  repoManifests(repo: string): Map<string, { bytes: Buffer; mediaType: string }> {
    let m = this.manifests.get(repo);
    if (m === undefined) this.manifests.set(repo, (m = new Map()));
    return m;
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private error(res: ServerResponse, status: number, code: string, message: string, headers = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify({ errors: [{ code, message }] }));
  }

  /** Whether the request may go on; answers 401 when not. */
  private authorized(req: IncomingMessage, res: ServerResponse, scope: string | undefined): boolean {
    const auth = req.headers.authorization;
    if (this.mode === 'none') return true;
    if (this.mode === 'basic') {
      if (auth === `Basic ${Buffer.from(`AWS:${this.password}`).toString('base64')}`) return true;
      this.error(res, 401, 'UNAUTHORIZED', 'authentication required', {
        'WWW-Authenticate': 'Basic realm="fake"',
      });
      return false;
    }
    const granted = auth?.startsWith('Bearer T|') === true ? auth.slice('Bearer T|'.length).split(' ') : [];
    if (auth !== undefined && (scope === undefined || granted.some((g) => this.covers(g, scope))))
      return true;
    this.error(res, 401, 'UNAUTHORIZED', 'authentication required', {
      'WWW-Authenticate': `Bearer realm="${this.url}/token",service="fake"${
        scope !== undefined ? `,scope="${scope}"` : ''
      }${auth !== undefined ? ',error="insufficient_scope"' : ''}`,
    });
    return false;
  }

  private covers(granted: string, needed: string): boolean {
    const [, gRepo, gActions] = granted.split(':');
    const [, nRepo, nActions] = needed.split(':');
    return gRepo === nRepo && nActions!.split(',').every((a) => gActions!.split(',').includes(a));
  }

  private async serveStorage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.storageLog.push({
      method: req.method!,
      path: req.url!,
      auth: req.headers.authorization,
      bodyBytes: 0,
    });
    const [, repo, digest] = /^\/s\/(.+)\/(sha256:[a-f0-9]+)$/.exec(new URL(req.url!, 'http://x').pathname)!;
    const b = this.repoBlobs(repo!).get(digest!)!;
    res.writeHead(200, { 'Content-Length': b.length });
    res.end(req.method === 'HEAD' ? undefined : b);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.url);
    const body = await this.body(req);
    this.log.push({
      method: req.method!,
      path: `${url.pathname}${url.search}`,
      auth: req.headers.authorization,
      bodyBytes: body.length,
      ...(req.headers['content-range'] !== undefined && { contentRange: req.headers['content-range'] }),
    });
    if (url.pathname === '/token') {
      this.tokenRequests.push(url.searchParams);
      const basic = req.headers.authorization;
      if (
        basic !== undefined &&
        basic !== `Basic ${Buffer.from(`AWS:${this.password}`).toString('base64')}`
      ) {
        this.error(res, 401, 'UNAUTHORIZED', 'bad credentials');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: `T|${url.searchParams.getAll('scope').join(' ')}`, expires_in: 300 }));
      return;
    }
    if (url.pathname === '/v2/') {
      if (this.openPing || this.authorized(req, res, undefined)) res.end('{}');
      return;
    }
    const m = /^\/v2\/(.+?)\/(manifests\/[^/]+|blobs\/uploads\/[^/]*|blobs\/[^/]+|tags\/list)$/.exec(
      url.pathname,
    );
    if (m === null) return this.error(res, 404, 'UNSUPPORTED', 'no route');
    const repo = m[1]!;
    const rest = m[2]!;
    const write = !['GET', 'HEAD'].includes(req.method!);
    const from = url.searchParams.get('from');
    const scope = `repository:${repo}:${write ? 'pull,push' : 'pull'}`;
    if (!this.authorized(req, res, scope)) return;
    if (rest.startsWith('manifests/')) {
      const ref = rest.slice('manifests/'.length);
      if (req.method === 'PUT') {
        const mediaType = req.headers['content-type']!;
        const d = sha256(body);
        this.repoManifests(repo).set(d, { bytes: body, mediaType });
        this.repoManifests(repo).set(ref, { bytes: body, mediaType });
        res.writeHead(201, { 'Docker-Content-Digest': d, Location: `/v2/${repo}/manifests/${d}` });
        return void res.end();
      }
      const mf = this.repoManifests(repo).get(ref);
      if (mf === undefined) return this.error(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      const d = sha256(mf.bytes);
      const bytes = this.tamper.has(d) ? Buffer.from(mf.bytes.toString().replace('}', ' }')) : mf.bytes;
      res.writeHead(200, {
        'Content-Type': mf.mediaType,
        'Content-Length': bytes.length,
        'Docker-Content-Digest': d,
      });
      return void res.end(req.method === 'HEAD' ? undefined : bytes);
    }
    if (rest === 'tags/list') {
      const all = [...this.repoManifests(repo).keys()].filter((k) => !k.startsWith('sha256:')).sort();
      const last = url.searchParams.get('last');
      const n = Number(url.searchParams.get('n') ?? all.length);
      const after = last === null ? all : all.filter((t) => t > last);
      const page = after.slice(0, n);
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (after.length > n)
        headers.Link = `</v2/${repo}/tags/list?n=${n}&last=${page[page.length - 1]}>; rel="next"`;
      res.writeHead(200, headers);
      return void res.end(JSON.stringify({ name: repo, tags: page }));
    }
    if (rest.startsWith('blobs/uploads/')) {
      const id = rest.slice('blobs/uploads/'.length);
      if (req.method === 'POST') {
        const mount = url.searchParams.get('mount');
        if (mount !== null && from !== null) {
          const b = this.blobs.get(from)?.get(mount);
          if (b !== undefined) {
            this.repoBlobs(repo).set(mount, b);
            res.writeHead(201, { Location: `/v2/${repo}/blobs/${mount}`, 'Docker-Content-Digest': mount });
            return void res.end();
          }
        }
        const uid = `u${++this.next}`;
        this.uploads.set(uid, { repo, data: [] });
        res.writeHead(202, {
          Location: `/v2/${repo}/blobs/uploads/${uid}?_state=s${this.next}`,
          Range: '0-0',
        });
        return void res.end();
      }
      const u = this.uploads.get(id);
      if (u === undefined) return this.error(res, 404, 'BLOB_UPLOAD_UNKNOWN', 'upload unknown');
      if (req.method === 'DELETE') {
        this.uploads.delete(id);
        res.writeHead(204);
        return void res.end();
      }
      const have = u.data.reduce((s, b) => s + b.length, 0);
      if (req.headers['content-range'] !== undefined) {
        const [start] = req.headers['content-range'].split('-').map(Number);
        if (start !== have) return this.error(res, 416, 'RANGE_INVALID', 'out of order');
      }
      u.data.push(body);
      if (req.method === 'PATCH') {
        const size = have + body.length;
        res.writeHead(202, {
          Location: `/v2/${repo}/blobs/uploads/${id}?_state=p${size}`,
          Range: `0-${size - 1}`,
        });
        return void res.end();
      }
      const all = Buffer.concat(u.data);
      const digest = url.searchParams.get('digest')!;
      this.uploads.delete(id);
      if (sha256(all) !== digest) return this.error(res, 400, 'DIGEST_INVALID', 'digest mismatch');
      this.repoBlobs(repo).set(digest, all);
      res.writeHead(201, { Location: `/v2/${repo}/blobs/${digest}`, 'Docker-Content-Digest': digest });
      return void res.end();
    }
    const digest = rest.slice('blobs/'.length);
    const b = this.blobs.get(repo)?.get(digest);
    if (b === undefined) return this.error(res, 404, 'BLOB_UNKNOWN', 'blob unknown');
    if (this.redirectBlobs) {
      res.writeHead(307, { Location: `${this.storageUrl}/s/${repo}/${digest}?X-Signature=abc` });
      return void res.end();
    }
    const out = this.corrupt.has(digest) ? Buffer.from(b.map((x, i) => (i === 0 ? x ^ 1 : x))) : b;
    res.writeHead(200, { 'Content-Length': out.length, 'Docker-Content-Digest': digest });
    res.end(req.method === 'HEAD' ? undefined : out);
  }
}

function blob(size: number, seed: string): { bytes: Buffer; digest: string; size: number } {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed.charCodeAt(i % seed.length)) % 251;
  return { bytes, digest: sha256(bytes), size };
}

async function readStream(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rejectsWith(p: Promise<unknown>, code: string, status?: number): Promise<RegistryError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RegistryError, `a RegistryError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (status !== undefined) assert.equal(e.status, status, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('c'), size: 1 },
    layers: [],
  }),
);

describe('registry client with Basic credentials', () => {
  const r = new FakeRegistry('basic');
  before(() => r.start());
  after(() => r.stop());
  const client = (
    credentials: ConstructorParameters<typeof RegistryClient>[0]['credentials'],
    chunkSize?: number,
  ) => new RegistryClient({ url: r.url, credentials, ...(chunkSize !== undefined && { chunkSize }) });

  test('ping accepts the right password and refuses a wrong one with the OCI code', async () => {
    const ok = client({ username: 'AWS', password: 'secret' });
    await ok.ping();
    ok.close();
    const bad = client({ username: 'AWS', password: 'stale' });
    await rejectsWith(bad.ping(), 'UNAUTHORIZED', 401);
    bad.close();
  });

  test('a provider whose credentials are refused is asked again once, with refresh', async () => {
    const asked: boolean[] = [];
    const provider: CredentialProvider = async ({ refresh }) => {
      asked.push(refresh);
      return { username: 'AWS', password: refresh ? 'secret' : 'expired' };
    };
    const c = client(provider);
    r.repoManifests('team/app').set('v1', { bytes: MANIFEST, mediaType: MediaTypes.ociManifest });
    const m = await c.getManifest('team/app', 'v1');
    c.close();
    assert.deepEqual(asked, [false, true]);
    assert.equal(m.digest, sha256(MANIFEST));
    assert.equal(m.mediaType, MediaTypes.ociManifest);
    assert.deepEqual(m.bytes, MANIFEST);
  });

  test('a registry that answers /v2/ openly but refuses a repository gets the static credentials on the retry', async () => {
    const fresh = new FakeRegistry('basic');
    fresh.openPing = true;
    await fresh.start();
    try {
      fresh.repoManifests('team/app').set('v1', { bytes: MANIFEST, mediaType: MediaTypes.ociManifest });
      const c = new RegistryClient({ url: fresh.url, credentials: { username: 'AWS', password: 'secret' } });
      assert.equal((await c.getManifest('team/app', 'v1')).digest, sha256(MANIFEST));
      c.close();
      assert.deepEqual(
        fresh.log.map((l) => [l.path, l.auth !== undefined]),
        [
          ['/v2/', false],
          ['/v2/team/app/manifests/v1', false],
          ['/v2/team/app/manifests/v1', true],
        ],
      );
      const wrong = new RegistryClient({
        url: fresh.url,
        credentials: { username: 'AWS', password: 'nope' },
      });
      await rejectsWith(wrong.getManifest('team/app', 'v1'), 'UNAUTHORIZED', 401);
      wrong.close();
    } finally {
      await fresh.stop();
    }
  });

  test('an unknown manifest is MANIFEST_UNKNOWN, and HEAD says undefined', async () => {
    const c = client({ username: 'AWS', password: 'secret' });
    await rejectsWith(c.getManifest('team/app', 'nope'), 'MANIFEST_UNKNOWN', 404);
    assert.equal(await c.headManifest('team/app', 'nope'), undefined);
    const info = await c.headManifest('team/app', 'v1');
    assert.deepEqual(info, {
      digest: sha256(MANIFEST),
      mediaType: MediaTypes.ociManifest,
      size: MANIFEST.length,
    });
    c.close();
  });

  test('a manifest whose bytes do not match its digest is refused', async () => {
    const c = client({ username: 'AWS', password: 'secret' });
    r.tamper.add(sha256(MANIFEST));
    r.repoManifests('team/app').set(sha256(MANIFEST), { bytes: MANIFEST, mediaType: MediaTypes.ociManifest });
    try {
      await rejectsWith(c.getManifest('team/app', 'v1'), 'DIGEST_INVALID');
      await rejectsWith(c.getManifest('team/app', sha256(MANIFEST)), 'DIGEST_INVALID');
    } finally {
      r.tamper.delete(sha256(MANIFEST));
      c.close();
    }
  });

  test('a small blob goes up in one PUT, a large one in PATCH chunks no larger than the chunk size', async () => {
    const c = client({ username: 'AWS', password: 'secret' }, 1000);
    const cases = [
      { name: 'small', b: blob(999, 'small'), patches: 0 },
      { name: 'large', b: blob(3500, 'large'), patches: 4 },
      { name: 'empty', b: blob(0, 'empty'), patches: 0 },
    ];
    for (const { name, b, patches } of cases) {
      const from = r.log.length;
      const outcome = await c.uploadBlob('team/app', b, async () => Readable.from([b.bytes]));
      assert.equal(outcome, 'uploaded', name);
      assert.deepEqual(r.repoBlobs('team/app').get(b.digest), b.bytes, name);
      const sent = r.log.slice(from);
      const patched = sent.filter((l) => l.method === 'PATCH');
      assert.equal(patched.length, patches, name);
      assert.ok(
        patched.every((l) => l.bodyBytes <= 1000),
        `${name}: chunks ${patched.map((l) => l.bodyBytes).join(',')}`,
      );
      if (patches > 0)
        assert.deepEqual(
          patched.map((l) => l.contentRange),
          ['0-999', '1000-1999', '2000-2999', '3000-3499'],
        );
      const put = sent.find((l) => l.method === 'PUT')!;
      assert.match(put.path, new RegExp(`_state=.*&digest=${encodeURIComponent(b.digest)}$`), name);
      assert.equal(put.bodyBytes, patches > 0 ? 0 : b.size, name);
    }
    c.close();
  });

  test('a source whose content is not its digest fails the upload, which is cancelled', async () => {
    const c = client({ username: 'AWS', password: 'secret' }, 1000);
    for (const size of [500, 2500]) {
      const b = blob(size, `lie${size}`);
      const lie = Buffer.from(b.bytes);
      lie[size - 1] = (lie[size - 1]! + 1) % 256;
      const from = r.log.length;
      await rejectsWith(
        c.uploadBlob('team/app', b, async () =>
          Readable.from([lie]).pipe(new VerifyingStream(b.digest, b.size)),
        ),
        'DIGEST_INVALID',
      );
      assert.equal(r.repoBlobs('team/app').has(b.digest), false, `${size}: nothing committed`);
      assert.ok(
        r.log.slice(from).some((l) => l.method === 'DELETE'),
        `${size}: the session is cancelled: ${r.log
          .slice(from)
          .map((l) => l.method)
          .join(' ')}`,
      );
    }
    c.close();
  });

  test('a mount from a repository holding the blob is 201, else the upload goes on in the session', async () => {
    const c = client({ username: 'AWS', password: 'secret' });
    const b = blob(300, 'mount');
    r.repoBlobs('base/image').set(b.digest, b.bytes);
    let opened = 0;
    const open = async () => {
      opened++;
      return Readable.from([b.bytes]);
    };
    assert.equal(await c.uploadBlob('team/other', b, open, { mountFrom: 'base/image' }), 'mounted');
    assert.equal(opened, 0, 'a mount reads nothing');
    assert.equal(await c.uploadBlob('team/third', b, open, { mountFrom: 'base/missing' }), 'uploaded');
    assert.equal(opened, 1);
    assert.deepEqual(r.repoBlobs('team/third').get(b.digest), b.bytes);
    assert.deepEqual(await c.headBlob('team/third', b.digest), { size: 300 });
    assert.equal(await c.headBlob('team/fourth', b.digest), undefined);
    c.close();
  });

  test('a blob redirected to another origin is fetched without the credentials and verified', async () => {
    const c = client({ username: 'AWS', password: 'secret' });
    const b = blob(5000, 'redirect');
    r.repoBlobs('team/app').set(b.digest, b.bytes);
    r.redirectBlobs = true;
    try {
      const got = await c.getBlob('team/app', b.digest, b.size);
      assert.deepEqual(await readStream(got.stream), b.bytes);
      assert.equal(r.storageLog.length, 1);
      assert.equal(r.storageLog[0]!.auth, undefined, 'storage never sees the registry credentials');
    } finally {
      r.redirectBlobs = false;
    }
    r.corrupt.add(b.digest);
    const bad = await c.getBlob('team/app', b.digest, b.size);
    await rejectsWith(readStream(bad.stream), 'DIGEST_INVALID');
    r.corrupt.delete(b.digest);
    await rejectsWith(c.getBlob('team/app', b.digest, b.size + 1), 'SIZE_INVALID');
    c.close();
  });

  test('tags come page by page through the Link header', async () => {
    const c = client({ username: 'AWS', password: 'secret' });
    for (const t of ['a', 'b', 'c', 'd', 'e'])
      r.repoManifests('paged/app').set(t, { bytes: MANIFEST, mediaType: MediaTypes.ociManifest });
    const pages: string[][] = [];
    for await (const p of c.tagPages('paged/app', { pageSize: 2 })) pages.push(p);
    assert.deepEqual(pages, [['a', 'b'], ['c', 'd'], ['e']]);
    assert.deepEqual(await c.listTags('paged/app'), ['a', 'b', 'c', 'd', 'e']);
    c.close();
  });

  test('pushing a manifest sends its media type and returns its digest', async () => {
    const c = client({ username: 'AWS', password: 'secret' });
    const d = await c.putManifest('team/app', 'v2', MANIFEST, MediaTypes.ociManifest);
    assert.equal(d, sha256(MANIFEST));
    assert.equal(r.repoManifests('team/app').get('v2')?.mediaType, MediaTypes.ociManifest);
    await rejectsWith(
      c.putManifest('team/app', sha256('other'), MANIFEST, MediaTypes.ociManifest),
      'DIGEST_INVALID',
    );
    await rejectsWith(c.getManifest('Team/App', 'v1'), 'NAME_INVALID');
    c.close();
  });
});

describe('registry client with Bearer tokens', () => {
  const r = new FakeRegistry('bearer');
  before(async () => {
    await r.start();
    r.repoManifests('library/app').set('v1', { bytes: MANIFEST, mediaType: MediaTypes.ociManifest });
  });
  after(() => r.stop());

  test('anonymous: a token per scope from the realm, kept while valid', async () => {
    const c = new RegistryClient({ url: r.url });
    const before = r.tokenRequests.length;
    await c.getManifest('library/app', 'v1');
    await c.headManifest('library/app', 'v1');
    const asked = r.tokenRequests.slice(before);
    assert.equal(asked.length, 1, 'one token for both requests');
    assert.equal(asked[0]!.get('service'), 'fake');
    assert.deepEqual(asked[0]!.getAll('scope'), ['repository:library/app:pull']);
    assert.ok(
      r.log
        .filter((l) => l.path === '/token' || l.path.startsWith('/token?'))
        .every((l) => l.auth === undefined),
    );
    c.close();
  });

  test('with credentials the token request carries them; a mount asks for both repositories', async () => {
    const c = new RegistryClient({ url: r.url, credentials: { username: 'AWS', password: 'secret' } });
    const b = blob(100, 'bearer');
    r.repoBlobs('library/base').set(b.digest, b.bytes);
    const from = r.log.length;
    assert.equal(
      await c.uploadBlob('library/app', b, async () => Readable.from([b.bytes]), {
        mountFrom: 'library/base',
      }),
      'mounted',
    );
    const tokenCalls = r.log.slice(from).filter((l) => l.path.startsWith('/token'));
    assert.ok(tokenCalls.length >= 1 && tokenCalls.every((l) => l.auth?.startsWith('Basic ') === true));
    const scopes = r.tokenRequests[r.tokenRequests.length - 1]!.getAll('scope');
    assert.deepEqual(scopes.sort(), ['repository:library/app:pull,push', 'repository:library/base:pull']);
    c.close();
  });

  test('refused credentials at the token realm surface as the realm error', async () => {
    const c = new RegistryClient({ url: r.url, credentials: { username: 'AWS', password: 'wrong' } });
    await rejectsWith(c.getManifest('library/app', 'v1'), 'UNAUTHORIZED', 401);
    c.close();
  });
});

describe('registry client without authentication', () => {
  const r = new FakeRegistry('none');
  before(() => r.start());
  after(() => r.stop());

  test('no Authorization header is ever sent', async () => {
    const c = new RegistryClient({ url: r.url, credentials: { username: 'AWS', password: 'secret' } });
    await c.ping();
    const b = blob(10, 'plain');
    await c.uploadBlob('x/y', b, async () => Readable.from([b.bytes]));
    assert.deepEqual(await readStream((await c.getBlob('x/y', b.digest)).stream), b.bytes);
    assert.ok(r.log.every((l) => l.auth === undefined));
    c.close();
  });
});

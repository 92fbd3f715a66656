/**
 * `npm run bench -- registry`: crossdock's OCI registry against CNCF distribution 2.8 (Debian's
 * `/usr/bin/docker-registry`, no auth), both started on loopback in the same run, each in its own
 * process so that the CPU-seconds each server spent can be read from `/proc/<pid>/stat`.
 *
 * - crossdock runs as `crossdock serve` does (bench/serverProcess.ts, default log level: one line per
 *   request), in a fresh data directory; an IAM user of a created member account, with an inline
 *   policy on the repository, pushes and pulls with the password of GetAuthorizationToken, so
 *   every request pays the full price: token check, caller resolution, IAM evaluation.
 * - distribution runs from a generated config: filesystem storage in a temp dir, its in-memory
 *   blob descriptor cache (Debian's default), log level error, no auth.
 *
 * Figures, each taken for both servers (the order alternates between runs, and `sync` before
 * each run writes back what the one before left dirty), each the best of 3 runs per server (the
 * machine is shared: another process only ever slows a run down):
 * - skopeo push of a 256 MiB single-layer image and of a 20×5 MiB image (`oci:` layouts of random,
 *   incompressible bytes, gzip with stored blocks so skopeo does not recompress; every run pushes
 *   images never pushed before), and skopeo pull of each into a fresh `oci:` directory; then 8
 *   concurrent pulls of the 20×5 MiB image;
 * - raw blob upload (POST, one streamed PATCH, PUT `?digest=`) and download (GET) of 256 MiB by
 *   curl, 3 distinct blobs: skopeo is the bottleneck of its pushes and pulls (its own CPU, shown as
 *   client cpu-s), so these and the servers' CPU-seconds are the fair comparison;
 * - manifest GETs/s over keep-alive connections (autocannon, 4 s runs after a 2 s warm-up),
 *   crossdock with `Authorization: Basic` on every request, distribution unauthenticated.
 * Ratios are crossdock/distribution throughput (higher is better for crossdock). The run ends
 * with one JSON line.
 *
 * Environment: `BENCH_SMALL=1` shrinks every size (a quick run, best of 2); `BENCH_REPEATS=N`;
 * `BENCH_PHASES=raw,manifest` runs only some phases (`push`, `pull`, `pull8`, `raw`, `manifest`;
 * pull phases push first); `BENCH_PROF=DIR` starts crossdock with `--cpu-prof` writing to DIR;
 * `BENCH_MANIFEST_CONNECTIONS` / `BENCH_MANIFEST_SECONDS` tune the autocannon runs;
 * `BENCH_SERVER_LOG=FILE` keeps crossdock's request log (one line per request, with its ms);
 * `BENCH_SERVER_FLAGS='--trace-gc ...'` passes node flags to the server processes;
 * `BENCH_AGAINST=DIR` runs crossdock from another checkout (with its node_modules) in the place
 * of distribution: an A/B of a change in the same run, on a machine too noisy for two runs to
 * compare (an A/A run there still moved the raw upload ratio between 0.64 and 1.03).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer as createHttpServer, request, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { ECRClient, CreateRepositoryCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CROSSDOCK_TARGET_PREFIX } from '../src/api/crossdock/index.js';
import { callJson } from '../src/cli/signedCall.js';

const run = promisify(execFile);
const SKOPEO = '/usr/bin/skopeo';
const DISTRIBUTION = '/usr/bin/docker-registry';
const CURL = '/usr/bin/curl';
const MiB = 1024 * 1024;
const REGION = 'us-east-1';
const REPOSITORY = 'bench/app';
const SMALL = process.env.BENCH_SMALL === '1';

/** Sizes of one run; `BENCH_SMALL=1` shrinks them for a quick check. */
const SIZES = SMALL
  ? { big: 32 * MiB, layers: 5, layer: 1 * MiB, raw: 32 * MiB, manifestSeconds: 2 }
  : { big: 256 * MiB, layers: 20, layer: 5 * MiB, raw: 256 * MiB, manifestSeconds: 4 };
const PULLERS = 8;
/** Each figure is the best of this many runs (others' work on a shared machine only slows a run). */
const REPEATS = Number(process.env.BENCH_REPEATS ?? (SMALL ? 2 : 3));
const MANIFEST_CONNECTIONS = Number(process.env.BENCH_MANIFEST_CONNECTIONS ?? 16);
const MANIFEST_SECONDS = Number(process.env.BENCH_MANIFEST_SECONDS ?? SIZES.manifestSeconds);
const PHASES = new Set((process.env.BENCH_PHASES ?? 'push,pull,pull8,raw,manifest').split(','));
const CLK_TCK = 100;
/** Another checkout of crossdock to compare with, in the place of distribution (A/B of a change). */
const AGAINST = process.env.BENCH_AGAINST;

// ---------------------------------------------------------------------------------------------
// Images

interface Layout {
  readonly dir: string;
  readonly tag: string;
  readonly bytes: number;
}

const sha256hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A ustar header for one regular file of `size` bytes. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => h.write(value, offset, length, 'ascii');
  field(0, 100, name);
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${size.toString(8).padStart(11, '0')}\0`);
  field(136, 12, '00000000000\0');
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/**
 * Writes a `tar+gzip` layer of one file of `size` random bytes into `blobs`, streaming: the tar is
 * hashed for the config's diff_id, the gzip (stored blocks: random bytes do not compress, and
 * skopeo keeps a compressed layer as it is) for the layer's digest.
 */
async function writeLayer(
  blobs: string,
  size: number,
): Promise<{ digest: string; size: number; diffId: string }> {
  const tarHash = createHash('sha256');
  const gzHash = createHash('sha256');
  let gzSize = 0;
  async function* tar(): AsyncGenerator<Buffer> {
    yield tarHeader('data.bin', size);
    for (let at = 0; at < size; at += MiB) {
      yield randomFillSync(Buffer.allocUnsafe(Math.min(MiB, size - at)));
    }
    yield Buffer.alloc((512 - (size % 512)) % 512);
    yield Buffer.alloc(1024);
  }
  const tmp = join(blobs, 'layer.tmp');
  await pipeline(
    tar(),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const c of source) {
        tarHash.update(c);
        yield c;
      }
    },
    createGzip({ level: 0 }),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const c of source) {
        gzHash.update(c);
        gzSize += c.length;
        yield c;
      }
    },
    createWriteStream(tmp),
  );
  const hex = gzHash.digest('hex');
  await rename(tmp, join(blobs, hex));
  return { digest: `sha256:${hex}`, size: gzSize, diffId: `sha256:${tarHash.digest('hex')}` };
}

/** An OCI image layout with one image of `count` layers of `size` random bytes each. */
async function makeImage(root: string, name: string, count: number, size: number): Promise<Layout> {
  const dir = join(root, name);
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (b: Buffer) => {
    const hex = sha256hex(b);
    await writeFile(join(blobs, hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const layers = [];
  for (let i = 0; i < count; i++) layers.push(await writeLayer(blobs, size));
  const config = await put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      }),
    ),
  );
  const manifest = await put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: layers.map((l) => ({
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: l.digest,
          size: l.size,
        })),
      }),
    ),
  );
  const tag = name;
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return { dir, tag, bytes: layers.reduce((n, l) => n + l.size, config.size + manifest.size) };
}

// ---------------------------------------------------------------------------------------------
// Servers

interface Target {
  readonly name: 'crossdock' | 'distribution';
  readonly child: ChildProcess;
  readonly port: number;
  /** `<acct>/bench/app`: the same path on both servers. */
  readonly repo: string;
  /** `AWS:<password>` for skopeo, when the server wants credentials. */
  readonly creds?: string;
  /** `Authorization` header value, when the server wants credentials. */
  readonly authorization?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** CPU-seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number | 'self', children = false): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5) (utime, stime) are the 12th and 13th after the command name;
  // 16 and 17 (cutime, cstime: children waited for, here skopeo) the 14th and 15th.
  const at = children ? 13 : 11;
  return (Number(fields[at]) + Number(fields[at + 1])) / CLK_TCK;
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 10_000);
    await waitExit(child);
    clearTimeout(timer);
  }
}

/**
 * Starts crossdock as `crossdock serve` does, from this checkout, or from `checkout` (another
 * copy of the repository, `BENCH_AGAINST`) in the place of distribution.
 */
async function startCrossdock(work: string, checkout?: string): Promise<Target> {
  const dataDir = join(work, checkout === undefined ? 'crossdock-data' : 'baseline-data');
  const port = await freePort();
  const prof = checkout === undefined ? process.env.BENCH_PROF : undefined;
  const log = checkout === undefined ? process.env.BENCH_SERVER_LOG : undefined;
  const child = spawn(
    process.execPath,
    [
      ...(prof !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
      ...(process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter((f) => f !== ''),
      '--import',
      'tsx',
      'bench/serverProcess.ts',
      String(port),
      dataDir,
    ],
    {
      stdio: ['ignore', log !== undefined ? 'pipe' : 'ignore', 'pipe'],
      ...(checkout !== undefined && { cwd: checkout }),
    },
  );
  if (log !== undefined) child.stdout!.pipe(createWriteStream(log));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`crossdock exited with ${code}: ${stderr}`)));
  });
  try {
    const endpoint = `http://127.0.0.1:${port}`;
    const management = JSON.parse(await readFile(join(dataDir, 'management-credentials.json'), 'utf8')) as {
      AccessKeyId: string;
      SecretAccessKey: string;
    };
    const created = await callJson(endpoint, {
      target: `${CROSSDOCK_TARGET_PREFIX}.CreateAccount`,
      signingName: 'crossdock',
      body: { Alias: 'bench' },
      credentials: { accessKeyId: management.AccessKeyId, secretAccessKey: management.SecretAccessKey },
      region: REGION,
    });
    const root = created.Credentials as { AccountId: string; AccessKeyId: string; SecretAccessKey: string };
    const rootCreds = { accessKeyId: root.AccessKeyId, secretAccessKey: root.SecretAccessKey };
    const iam = new IAMClient({ endpoint, region: REGION, credentials: rootCreds });
    const ecrRoot = new ECRClient({ endpoint, region: REGION, credentials: rootCreds });
    await ecrRoot.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
    await iam.send(new CreateUserCommand({ UserName: 'bench-ci' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'bench-ci',
        PolicyName: 'push-pull',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
            {
              Effect: 'Allow',
              Action: [
                'ecr:BatchGetImage',
                'ecr:GetDownloadUrlForLayer',
                'ecr:BatchCheckLayerAvailability',
                'ecr:InitiateLayerUpload',
                'ecr:UploadLayerPart',
                'ecr:CompleteLayerUpload',
                'ecr:PutImage',
              ],
              Resource: `arn:aws:ecr:${REGION}:${root.AccountId}:repository/${REPOSITORY}`,
            },
          ],
        }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bench-ci' }))).AccessKey!;
    const ecr = new ECRClient({
      endpoint,
      region: REGION,
      credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
    });
    const auth = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!;
    const creds = Buffer.from(auth.authorizationToken!, 'base64').toString('utf8');
    iam.destroy();
    ecrRoot.destroy();
    ecr.destroy();
    return {
      name: checkout === undefined ? 'crossdock' : 'distribution',
      child,
      port,
      repo: `${root.AccountId}/${REPOSITORY}`,
      creds,
      authorization: `Basic ${auth.authorizationToken!}`,
    };
  } catch (e) {
    await stop(child);
    throw e;
  }
}

/**
 * A registry that accepts every push and keeps nothing (no hashing, no storage, no auth), in this
 * process: how fast skopeo pushes when the server costs nothing, the ceiling of the push figures.
 */
async function startNullRegistry(): Promise<{ port: number; close(): Promise<void> }> {
  let n = 0;
  const server = createHttpServer((req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const answer = (status: number, headers: Record<string, string> = {}) => {
      req.resume();
      req.once('end', () => {
        res.writeHead(status, {
          'Content-Length': 0,
          'Docker-Distribution-API-Version': 'registry/2.0',
          ...headers,
        });
        res.end();
      });
    };
    const digest = new URL(url, 'http://x').searchParams.get('digest') ?? `sha256:${'0'.repeat(64)}`;
    if (path === '/v2/') return answer(200);
    if (req.method === 'HEAD' && path.includes('/blobs/')) return answer(404);
    if (req.method === 'POST') return answer(202, { Location: `${path}${++n}`, Range: '0-0' });
    if (req.method === 'PATCH') return answer(202, { Location: path, Range: '0-0' });
    if (req.method === 'PUT' && path.includes('/blobs/'))
      return answer(201, { 'Docker-Content-Digest': digest });
    if (req.method === 'PUT') return answer(201, { 'Docker-Content-Digest': `sha256:${'0'.repeat(64)}` });
    answer(404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function startDistribution(work: string, accountId: string): Promise<Target> {
  const port = await freePort();
  const config = join(work, 'distribution.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(work, 'distribution-data')}`,
      '  cache:',
      '    blobdescriptor: inmemory',
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: crossdock-bench',
      '',
    ].join('\n'),
  );
  const child = spawn(DISTRIBUTION, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = waitExit(child).then(() => {
    throw new Error(`distribution exited: ${stderr}`);
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await Promise.race([
      fetch(`http://127.0.0.1:${port}/v2/`).then(
        (r) => r.status === 200,
        () => false,
      ),
      exited,
    ]);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`distribution did not answer on port ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  exited.catch(() => undefined);
  return { name: 'distribution', child, port, repo: `${accountId}/${REPOSITORY}` };
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface Measured {
  readonly seconds: number;
  /** CPU-seconds of the server. */
  readonly cpu: number;
  /** CPU-seconds of the skopeo processes that ended meanwhile. */
  readonly skopeoCpu: number;
}

/** Wall time of `fn`, and the CPU-seconds the server (and skopeo) spent meanwhile. */
async function measure(t: Target, fn: () => Promise<void>): Promise<Measured> {
  const cpu0 = await cpuSeconds(t.child.pid!);
  const skopeo0 = await cpuSeconds('self', true);
  const t0 = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    seconds,
    cpu: (await cpuSeconds(t.child.pid!)) - cpu0,
    skopeoCpu: (await cpuSeconds('self', true)) - skopeo0,
  };
}

async function skopeo(args: string[]): Promise<void> {
  try {
    await run(SKOPEO, ['--insecure-policy', ...args], { timeout: 600_000, maxBuffer: 16 * MiB });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`skopeo ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

function ref(t: Target, tag: string): string {
  return `docker://127.0.0.1:${t.port}/${t.repo}:${tag}`;
}

function push(t: Target, image: Layout): Promise<void> {
  return skopeo([
    'copy',
    '--dest-tls-verify=false',
    ...(t.creds !== undefined ? ['--dest-creds', t.creds] : []),
    `oci:${image.dir}:${image.tag}`,
    ref(t, image.tag),
  ]);
}

async function pull(t: Target, image: Layout, into: string): Promise<void> {
  await rm(into, { recursive: true, force: true });
  await skopeo([
    'copy',
    '--src-tls-verify=false',
    ...(t.creds !== undefined ? ['--src-creds', t.creds] : []),
    ref(t, image.tag),
    `oci:${into}:${image.tag}`,
  ]);
}

function call(
  agent: Agent,
  t: Target,
  method: string,
  url: URL,
  headers: Record<string, string | number>,
  body?: Buffer,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: { ...headers, ...(t.authorization !== undefined && { Authorization: t.authorization }) },
      },
      resolve,
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function expect(res: IncomingMessage, status: number, what: string): Promise<void> {
  if (res.statusCode !== status) {
    let text = '';
    for await (const c of res) text += (c as Buffer).toString();
    throw new Error(`${what}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
  }
  res.resume();
  await new Promise((r) => res.once('end', r));
}

/**
 * `curl` moving a large body (a C client, so that neither server is measured through Node's
 * client): `--upload-file` streams the file, `Expect:` off so no round trip waits for `100
 * Continue`. Returns the answer's status and headers.
 */
async function curl(
  t: Target,
  args: readonly string[],
  url: URL,
): Promise<{ status: number; headers: Record<string, string> }> {
  const auth = t.authorization !== undefined ? ['-H', `Authorization: ${t.authorization}`] : [];
  const { stdout } = await run(
    CURL,
    ['-sS', '-D', '-', '-o', '/dev/null', '-H', 'Expect:', ...auth, ...args, url.href],
    { maxBuffer: MiB },
  );
  const lines = stdout.split(/\r?\n/);
  const blocks: string[][] = [[]];
  for (const l of lines)
    if (l === '') blocks.push([]);
    else blocks.at(-1)!.push(l);
  const last = blocks.filter((b) => b.length > 0).at(-1) ?? [];
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(last[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of last.slice(1)) {
    const colon = l.indexOf(':');
    if (colon > 0) headers[l.slice(0, colon).toLowerCase()] = l.slice(colon + 1).trim();
  }
  return { status, headers };
}

/**
 * The upload as docker and skopeo do it: POST, one streamed PATCH of the whole blob (read by curl
 * from `file`), PUT `?digest=`.
 */
async function rawPut(t: Target, file: string, digest: string): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const base = new URL(`http://127.0.0.1:${t.port}`);
    const started = await call(agent, t, 'POST', new URL(`/v2/${t.repo}/blobs/uploads/`, base), {
      'Content-Length': 0,
    });
    const location = new URL(started.headers.location!, base);
    await expect(started, 202, 'start upload');
    const patched = await curl(
      t,
      ['-X', 'PATCH', '-H', 'Content-Type: application/octet-stream', '--upload-file', file],
      location,
    );
    if (patched.status !== 202) throw new Error(`patch upload: HTTP ${patched.status}`);
    const next = new URL(patched.headers.location!, base);
    next.searchParams.set('digest', digest);
    await expect(await call(agent, t, 'PUT', next, { 'Content-Length': 0 }), 201, 'commit upload');
  } finally {
    agent.destroy();
  }
}

/** A GET of the whole blob by curl, which checks the length the answer announced. */
async function rawGet(t: Target, digest: string, size: number): Promise<void> {
  const url = new URL(`http://127.0.0.1:${t.port}/v2/${t.repo}/blobs/${digest}`);
  const got = await curl(t, [], url);
  if (got.status !== 200 || Number(got.headers['content-length']) !== size) {
    throw new Error(`get blob: HTTP ${got.status}, ${got.headers['content-length']} bytes`);
  }
}

/** One autocannon run, and the server's CPU-seconds meanwhile. */
interface ManifestRun {
  readonly a: AutocannonResult;
  readonly cpu: number;
}

interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

async function manifestGets(t: Target, tag: string, seconds: number): Promise<AutocannonResult> {
  const r = await autocannon({
    url: `http://127.0.0.1:${t.port}/v2/${t.repo}/manifests/${tag}`,
    connections: MANIFEST_CONNECTIONS,
    duration: seconds,
    headers: {
      Accept: MANIFEST_ACCEPT,
      ...(t.authorization !== undefined && { Authorization: t.authorization }),
    },
  });
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) {
    throw new Error(
      `manifest GETs on ${t.name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`,
    );
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// The run

const mbps = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** CPU-seconds of each server, and of the skopeo processes that talked to it. */
interface Cpu {
  readonly crossdock: number;
  readonly distribution: number;
  readonly skopeo?: { readonly crossdock: number; readonly distribution: number };
}

interface Row {
  readonly figure: string;
  readonly unit: string;
  readonly crossdock: number;
  readonly distribution: number;
  readonly cpu?: Cpu;
  /** crossdock/distribution throughput. */
  readonly ratio: number;
}

function printRow(r: Row): void {
  const digits = r.unit === 's' ? 2 : 0;
  const cpu =
    r.cpu === undefined
      ? ''
      : `   server cpu-s ${fmt(r.cpu.crossdock, 2).padStart(5)} vs ${fmt(r.cpu.distribution, 2).padStart(5)}` +
        (r.cpu.skopeo === undefined
          ? ''
          : `   client cpu-s ${fmt(r.cpu.skopeo.crossdock, 2).padStart(5)} vs ${fmt(r.cpu.skopeo.distribution, 2).padStart(5)}`);
  console.log(
    `  ${r.figure.padEnd(30)} ${fmt(r.crossdock, digits).padStart(9)} vs ${fmt(r.distribution, digits).padStart(9)} ${r.unit.padEnd(6)} ratio ${r.ratio.toFixed(2).padStart(5)}${cpu}`,
  );
}

/** Runs the benchmark and prints its figures. */
export async function benchRegistry(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  for (const bin of [SKOPEO, DISTRIBUTION, CURL]) {
    try {
      await run(bin, ['--version']);
    } catch {
      throw new Error(`${bin} is needed (Debian packages skopeo, docker-registry and curl)`);
    }
  }
  const work = await mkdtemp(join(tmpdir(), 'crossdock-bench-registry-'));
  const targets: Target[] = [];
  try {
    console.log(`registry bench${SMALL ? ' (BENCH_SMALL)' : ''}: building images under ${work}`);
    const images: { big: Layout; layered: Layout }[] = [];
    for (let i = 0; i < REPEATS; i++) {
      images.push({
        big: await makeImage(work, `big-${i}`, 1, SIZES.big),
        layered: await makeImage(work, `layered-${i}`, SIZES.layers, SIZES.layer),
      });
    }
    const { big, layered } = images[0]!;
    const crossdock = await startCrossdock(work);
    targets.push(crossdock);
    const distribution =
      AGAINST !== undefined
        ? await startCrossdock(work, AGAINST)
        : await startDistribution(work, crossdock.repo.split('/')[0]!);
    targets.push(distribution);
    const pair = [crossdock, distribution] as const;
    let flip = false;
    /** Both servers, first one then the other; the order alternates between phases. */
    const both = async <T>(fn: (t: Target) => Promise<T>): Promise<{ crossdock: T; distribution: T }> => {
      flip = !flip;
      const order = flip ? pair : ([distribution, crossdock] as const);
      const out = new Map<string, T>();
      for (const t of order) {
        // Dirty pages of the step before are written back now, not during this one.
        await run('sync');
        out.set(t.name, await fn(t));
      }
      return { crossdock: out.get('crossdock')!, distribution: out.get('distribution')! };
    };
    const rows: Row[] = [];
    const row = (
      figure: string,
      unit: 'MB/s' | 'req/s' | 's',
      r: { crossdock: number; distribution: number },
      cpu?: Cpu,
    ): Row => {
      const ratio = unit === 's' ? r.distribution / r.crossdock : r.crossdock / r.distribution;
      const out: Row = { figure, unit, ...r, ratio, ...(cpu !== undefined && { cpu }) };
      rows.push(out);
      printRow(out);
      return out;
    };
    const sum = (a: Measured, b: Measured): Measured => ({
      seconds: a.seconds + b.seconds,
      cpu: a.cpu + b.cpu,
      skopeoCpu: a.skopeoCpu + b.skopeoCpu,
    });
    const secs = (r: { crossdock: Measured; distribution: Measured }) => ({
      crossdock: r.crossdock.seconds,
      distribution: r.distribution.seconds,
    });
    const cpuOf = (r: { crossdock: Measured; distribution: Measured }): Cpu => ({
      crossdock: r.crossdock.cpu,
      distribution: r.distribution.cpu,
      ...(r.crossdock.skopeoCpu + r.distribution.skopeoCpu > 0 && {
        skopeo: { crossdock: r.crossdock.skopeoCpu, distribution: r.distribution.skopeoCpu },
      }),
    });
    const result: Record<string, number | string> = { bench: 'registry' };
    const bigMB = `${Math.round(SIZES.big / MiB)} MiB`;
    const layeredMB = `${SIZES.layers}×${Math.round(SIZES.layer / MiB)} MiB`;
    if (AGAINST !== undefined)
      console.log(`BENCH_AGAINST: "distribution" below is crossdock from ${AGAINST}`);
    console.log(
      `crossdock (IAM user, token auth) vs distribution 2.8 (no auth), loopback, ${cpus().length} cores; throughput crossdock vs distribution, ratio = crossdock/distribution`,
    );

    type Pair = { crossdock: Measured; distribution: Measured };
    /** The best of repeated measurements, for each server on its own (least disturbed run). */
    const best = (xs: readonly Pair[]): Pair => {
      const pick = (name: 'crossdock' | 'distribution') =>
        xs.map((x) => x[name]).reduce((a, b) => (b.seconds < a.seconds ? b : a));
      return { crossdock: pick('crossdock'), distribution: pick('distribution') };
    };
    const rate = (bytes: number, r: Pair) => ({
      crossdock: mbps(bytes, r.crossdock.seconds),
      distribution: mbps(bytes, r.distribution.seconds),
    });
    const of = `best of ${REPEATS}`;

    const needPush = PHASES.has('push') || PHASES.has('pull') || PHASES.has('pull8');
    if (needPush) {
      // Each repeat pushes images never pushed before (skopeo would find the blobs and skip them).
      const bigs: Pair[] = [];
      const layereds: Pair[] = [];
      for (let i = 0; i < REPEATS; i++) {
        bigs.push(await both((t) => measure(t, () => push(t, images[i]!.big))));
        layereds.push(await both((t) => measure(t, () => push(t, images[i]!.layered))));
      }
      if (PHASES.has('push')) {
        // The ceiling: skopeo pushing (the first images again) to a registry that does nothing.
        const sink = await startNullRegistry();
        let ceiling = Infinity;
        try {
          const nowhere = {
            name: 'crossdock',
            child: crossdock.child,
            port: sink.port,
            repo: 'null/sink',
          } as const;
          for (let i = 0; i < REPEATS; i++) {
            await run('sync');
            const t0 = process.hrtime.bigint();
            await push(nowhere, big);
            ceiling = Math.min(ceiling, Number(process.hrtime.bigint() - t0) / 1e9);
          }
        } finally {
          await sink.close();
        }
        console.log(
          `  skopeo push ${bigMB} to a registry that does nothing (in-process, ${of}): ${fmt(mbps(big.bytes, ceiling))} MB/s, the ceiling of the push figures`,
        );
        const pushBig = best(bigs);
        const pushLayered = best(layereds);
        row(`skopeo push ${bigMB} (${of})`, 'MB/s', rate(big.bytes, pushBig), cpuOf(pushBig));
        row(`skopeo push ${layeredMB} (${of})`, 'MB/s', rate(layered.bytes, pushLayered), cpuOf(pushLayered));
        const total = best(
          bigs.map((b, i) => ({
            crossdock: sum(b.crossdock, layereds[i]!.crossdock),
            distribution: sum(b.distribution, layereds[i]!.distribution),
          })),
        );
        result.push_ratio = round(
          row(`skopeo push, both (time, ${of})`, 's', secs(total), cpuOf(total)).ratio,
        );
      }
    }
    if (PHASES.has('pull')) {
      const into = join(work, 'pulled');
      const bigs: Pair[] = [];
      const layereds: Pair[] = [];
      for (let i = 0; i < REPEATS; i++) {
        bigs.push(await both((t) => measure(t, () => pull(t, big, into))));
        layereds.push(await both((t) => measure(t, () => pull(t, layered, into))));
      }
      await rm(into, { recursive: true, force: true });
      const pullBig = best(bigs);
      const pullLayered = best(layereds);
      row(`skopeo pull ${bigMB} (${of})`, 'MB/s', rate(big.bytes, pullBig), cpuOf(pullBig));
      row(`skopeo pull ${layeredMB} (${of})`, 'MB/s', rate(layered.bytes, pullLayered), cpuOf(pullLayered));
      const total = best(
        bigs.map((b, i) => ({
          crossdock: sum(b.crossdock, layereds[i]!.crossdock),
          distribution: sum(b.distribution, layereds[i]!.distribution),
        })),
      );
      result.pull_ratio = round(row(`skopeo pull, both (time, ${of})`, 's', secs(total), cpuOf(total)).ratio);
    }
    if (PHASES.has('pull8')) {
      const dirs = Array.from({ length: PULLERS }, (_, i) => join(work, `pulled-${i}`));
      const runs: Pair[] = [];
      for (let i = 0; i < REPEATS; i++) {
        runs.push(
          await both((t) =>
            measure(t, () => Promise.all(dirs.map((d) => pull(t, layered, d))).then(() => undefined)),
          ),
        );
      }
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
      const r = best(runs);
      result.pull8_ratio = round(
        row(
          `${PULLERS} concurrent pulls ${layeredMB} (${of})`,
          'MB/s',
          rate(PULLERS * layered.bytes, r),
          cpuOf(r),
        ).ratio,
      );
    }
    if (PHASES.has('raw')) {
      const body = randomFillSync(Buffer.allocUnsafe(SIZES.raw));
      const file = join(work, 'raw.bin');
      const digests: string[] = [];
      const puts: Pair[] = [];
      const gets: Pair[] = [];
      for (let i = 0; i < REPEATS; i++) {
        body.writeUInt32LE(i, 0); // a distinct blob each run
        const digest = `sha256:${sha256hex(body)}`;
        digests.push(digest);
        await writeFile(file, body);
        puts.push(await both((t) => measure(t, () => rawPut(t, file, digest))));
      }
      for (const digest of digests)
        gets.push(await both((t) => measure(t, () => rawGet(t, digest, body.length))));
      const put = best(puts);
      const get = best(gets);
      const rawMB = `${Math.round(SIZES.raw / MiB)} MiB`;
      result.raw_put_ratio = round(
        row(`raw upload ${rawMB} (curl, ${of})`, 'MB/s', rate(body.length, put), cpuOf(put)).ratio,
      );
      result.raw_get_ratio = round(
        row(`raw download ${rawMB} (curl, ${of})`, 'MB/s', rate(body.length, get), cpuOf(get)).ratio,
      );
    }
    if (PHASES.has('manifest')) {
      if (!needPush) await both((t) => push(t, layered));
      // A first, uncounted run warms up both servers (JIT, caches, the Go heap, connections).
      await both((t) => manifestGets(t, layered.tag, 2));
      const runs: { crossdock: ManifestRun; distribution: ManifestRun }[] = [];
      for (let i = 0; i < REPEATS; i++) {
        runs.push(
          await both(async (t) => {
            const cpu0 = await cpuSeconds(t.child.pid!);
            const a = await manifestGets(t, layered.tag, MANIFEST_SECONDS);
            return { a, cpu: (await cpuSeconds(t.child.pid!)) - cpu0 };
          }),
        );
      }
      const pick = (name: 'crossdock' | 'distribution') =>
        runs.map((x) => x[name]).reduce((a, b) => (b.a.requests.average > a.a.requests.average ? b : a));
      const r = { crossdock: pick('crossdock'), distribution: pick('distribution') };
      result.manifest_get_ratio = round(
        row(
          `manifest GET, ${MANIFEST_CONNECTIONS} conns (${of})`,
          'req/s',
          { crossdock: r.crossdock.a.requests.average, distribution: r.distribution.a.requests.average },
          { crossdock: r.crossdock.cpu, distribution: r.distribution.cpu },
        ).ratio,
      );
      console.log(
        `    latency p50/p99 ms: crossdock ${r.crossdock.a.latency.p50}/${r.crossdock.a.latency.p99}, distribution ${r.distribution.a.latency.p50}/${r.distribution.a.latency.p99}; runs in order (req/s): crossdock ${runs.map((x) => Math.round(x.crossdock.a.requests.average)).join(', ')}, distribution ${runs.map((x) => Math.round(x.distribution.a.requests.average)).join(', ')}`,
      );
    }
    console.log(JSON.stringify(result));
  } finally {
    for (const t of targets.reverse()) await stop(t.child);
    await rm(work, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

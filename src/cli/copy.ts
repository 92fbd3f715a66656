/**
 * `crossdock copy SRC DEST [DEST...]`: seed 004's fourth way of sharing an image (push it to every
 * account that runs it) as one command. The source is read once (its manifests; blobs stream from
 * it once per destination that lacks them), and each destination is brought up to date in an
 * order that never shows a partial image:
 *
 *   blobs (skipped when the destination has them, mounted when they are on the same registry host,
 *   else streamed from the source and verified on the way) → child manifests by digest → the index
 *   or image under its tag, last.
 *
 * A destination that fails stops there and the others go on; its tag is never written. ECR-style
 * registries (crossdock, Amazon ECR) get a token from GetAuthorizationToken as `crossdock login`
 * does, as a role per side or per destination when asked; other registries use the docker config
 * or containers auth file, else no credentials.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  formatPlatform,
  isNondistributable,
  parseImageReference,
  parseManifest,
  parsePlatform,
  RegistryClient,
  RegistryError,
  registryUrl,
  selectPlatform,
  type CredentialProvider,
  type Credentials,
  type Descriptor,
  type Platform,
} from '../oci/index.js';
import { authFilePaths, fetchRegistryToken, type RegistryToken, type TokenRequest } from './login.js';
import { apiEndpointFor, parseRegistryRef, RegistryRefError, type RegistryRef } from './registryRef.js';

/** The `--help` text. */
export const COPY_USAGE = `usage: crossdock copy SRC DEST [DEST...] [--platform OS/ARCH[/VARIANT]]
                      [--src-role-arn ARN] [--dest-role-arn ARN | --dest-role-arn DEST=ARN ...]
                      [--profile P] [--region R] [--json]

Copies an image, an index with all its platforms (default) or one platform, to every DEST. Blobs a
destination already has are skipped, blobs on the same registry host are mounted, the others are
streamed from SRC and verified; child manifests are pushed first and the tag last, so a
destination's tag never names an incomplete image. A destination that fails does not stop the others.

  SRC, DEST                HOST:PORT/<account>[.<region>]/<repo>[:TAG|@DIGEST] (crossdock),
                           <account>.dkr.ecr.<region>.<domain>[:PORT]/<repo>[:TAG] (crossdock host-style,
                           Amazon ECR), or any registry's HOST[:PORT]/<repo>[:TAG|@DIGEST]; http(s):// may
                           prefix any. A DEST without a tag gets SRC's (or SRC's digest only).
  --platform OS/ARCH[/V]   copy only that platform's image out of an index (pushed as a plain image)
  --src-role-arn ARN       read SRC as this role (assumed with the base credentials)
  --dest-role-arn ARN      write every DEST as this role; given once per DEST, the roles pair with
                           the DESTs in order
  --dest-role-arn DEST=ARN write this DEST (as written above) as this role; repeatable
  --profile P              base AWS credentials (default: the standard credential chain)
  --region R               region of path-style references without one (default: AWS_REGION, us-east-1)
  --json                   print a JSON summary on stdout instead of the text one

Credentials: crossdock and Amazon ECR registries get a registry token from GetAuthorizationToken
(the API on the registry's own host for crossdock, AWS for *.amazonaws.com), as \`crossdock login\`
does; other registries use the entry of the containers auth file or docker config (auths,
credHelpers, credsStore) for their host, else none. Progress goes to stderr: redrawn in place on a
terminal, one line per event otherwise.

exit status: 0 every destination copied, 1 the source or a destination failed, 2 usage error`;

/** A command line copy cannot run with. */
export class CopyUsageError extends Error {}

/** One side of a copy: where the registry is, the repository path in it, and how to log in. */
export interface CopyEndpoint {
  /** As written on the command line. */
  readonly input: string;
  readonly url: URL;
  /** `host[:port]` to connect to instead of the URL's (host-style crossdock names). */
  readonly connectTo?: string;
  /** The `<name>` of `/v2/<name>/...`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  /** How credentials are obtained: a registry token of the ECR API, or the registry auth files. */
  readonly auth:
    | { readonly kind: 'ecr'; readonly request: TokenRequest }
    | { readonly kind: 'files'; readonly host: string };
}

/** The parsed command line. */
export interface CopyArgs {
  readonly source: CopyEndpoint;
  readonly destinations: readonly CopyEndpoint[];
  readonly platform?: Platform;
  readonly json: boolean;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;

/**
 * Reads one reference: an ECR-style one (the first path component a registry id, or a host-style
 * host) when `parseRegistryRef` accepts it with a repository, else any registry's reference.
 */
export function parseEndpoint(
  input: string,
  opts: { region?: string; profile?: string; roleArn?: string; env: NodeJS.ProcessEnv },
): CopyEndpoint {
  let ref: RegistryRef | undefined;
  try {
    ref = parseRegistryRef(input);
  } catch (e) {
    if (!(e instanceof RegistryRefError)) throw e;
  }
  if (ref !== undefined && ref.accountId !== undefined && ref.repository !== undefined) {
    const api = apiEndpointFor(ref);
    const scheme = ref.scheme ?? (api?.startsWith('http://') === true ? 'http' : 'https');
    const url = new URL(`${scheme}://${ref.host}`);
    const connect = api !== undefined && new URL(api).host !== url.host ? new URL(api).host : undefined;
    const region =
      ref.region ?? opts.region ?? opts.env.AWS_REGION ?? opts.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const repository =
      ref.style === 'path'
        ? `${ref.accountId}${ref.region !== undefined ? `.${ref.region}` : ''}/${ref.repository}`
        : ref.repository;
    return {
      input,
      url,
      ...(connect !== undefined && { connectTo: connect }),
      repository,
      ...(ref.tag !== undefined && { tag: ref.tag }),
      ...(ref.digest !== undefined && { digest: ref.digest }),
      auth: {
        kind: 'ecr',
        request: {
          endpoint: api,
          region,
          registryId: ref.accountId,
          sessionName: 'crossdock-copy',
          ...(opts.profile !== undefined && { profile: opts.profile }),
          ...(opts.roleArn !== undefined && { roleArn: opts.roleArn }),
        },
      },
    };
  }
  let image;
  try {
    image = parseImageReference(input);
  } catch (e) {
    if (e instanceof RegistryError) throw new CopyUsageError(e.message);
    throw e;
  }
  if (opts.roleArn !== undefined)
    throw new CopyUsageError(
      `\`${input}\` is not a crossdock or Amazon ECR registry: a role cannot log in to it`,
    );
  return {
    input,
    url: registryUrl(image),
    repository: image.repository,
    ...(image.tag !== undefined && { tag: image.tag }),
    ...(image.digest !== undefined && { digest: image.digest }),
    auth: { kind: 'files', host: image.registry },
  };
}

/** The role of each destination, from `--dest-role-arn` values (see the usage). */
export function destinationRoles(
  values: readonly string[],
  dests: readonly string[],
): (string | undefined)[] {
  const paired = new Map<string, string>();
  const plain: string[] = [];
  for (const v of values) {
    const at = v.lastIndexOf('=arn:');
    if (at === -1) plain.push(v);
    else {
      const dest = v.slice(0, at);
      if (!dests.includes(dest))
        throw new CopyUsageError(`--dest-role-arn \`${v}\`: \`${dest}\` is not one of the destinations`);
      if (paired.has(dest)) throw new CopyUsageError(`--dest-role-arn names \`${dest}\` twice`);
      paired.set(dest, v.slice(at + 1));
    }
  }
  for (const arn of [...plain, ...paired.values()])
    if (!ROLE_ARN.test(arn))
      throw new CopyUsageError(`\`${arn}\` is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)`);
  if (plain.length > 1 && (plain.length !== dests.length || paired.size > 0))
    throw new CopyUsageError(
      `${plain.length} --dest-role-arn without DEST= for ${dests.length} destinations: give one for all, one per destination in order, or pair them as DEST=ARN`,
    );
  return dests.map((d, i) => paired.get(d) ?? (plain.length > 1 ? plain[i] : plain[0]));
}

/** Parses and checks the command line without any call; `help` when asked for. */
export function parseCopyArgs(args: string[], env: NodeJS.ProcessEnv): CopyArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        platform: { type: 'string' },
        'src-role-arn': { type: 'string' },
        'dest-role-arn': { type: 'string', multiple: true },
        profile: { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new CopyUsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return 'help';
  if (positionals.length < 2) throw new CopyUsageError('give a source and at least one destination');
  const [src, ...dests] = positionals as [string, ...string[]];
  if (new Set(dests).size !== dests.length) throw new CopyUsageError('a destination is given twice');
  const srcRole = values['src-role-arn'];
  if (srcRole !== undefined && !ROLE_ARN.test(srcRole))
    throw new CopyUsageError(`\`${srcRole}\` is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)`);
  const roles = destinationRoles(values['dest-role-arn'] ?? [], dests);
  let platform: Platform | undefined;
  if (values.platform !== undefined) {
    try {
      platform = parsePlatform(values.platform);
    } catch (e) {
      throw new CopyUsageError((e as Error).message);
    }
  }
  const common = {
    env,
    ...(values.region !== undefined && { region: values.region }),
    ...(values.profile !== undefined && { profile: values.profile }),
  };
  const source = parseEndpoint(src, { ...common, ...(srcRole !== undefined && { roleArn: srcRole }) });
  const destinations = dests.map((d, i) =>
    parseEndpoint(d, { ...common, ...(roles[i] !== undefined && { roleArn: roles[i] }) }),
  );
  return { source, destinations, ...(platform !== undefined && { platform }), json: values.json === true };
}

// ---- credentials ------------------------------------------------------------------------------

/** What copy reads from its surroundings; tests give their own. */
export interface CopyDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly fetchToken: (req: TokenRequest) => Promise<RegistryToken>;
  /** Asks `docker-credential-<helper> get` for a host. */
  readonly credentialHelper: (helper: string, host: string) => Promise<Credentials | undefined>;
  readonly out: (line: string) => void;
  /** Progress and errors (stderr). */
  readonly err: { write(text: string): void; readonly isTTY?: boolean; readonly columns?: number };
  /** Blob uploads above this size go in PATCH chunks (the client's default when absent). */
  readonly chunkSize?: number;
}

/** Runs a docker credential helper; `undefined` when it has nothing for the host. */
export function runCredentialHelper(helper: string, host: string): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = execFile(
      `docker-credential-${helper}`,
      ['get'],
      { timeout: 60_000, maxBuffer: 1 << 20 },
      (err, stdout) => {
        if (err !== null) return resolve(undefined);
        try {
          const j = JSON.parse(stdout) as { Username?: string; Secret?: string };
          resolve(
            typeof j.Secret === 'string' && j.Secret !== ''
              ? { username: j.Username ?? '', password: j.Secret }
              : undefined,
          );
        } catch {
          resolve(undefined);
        }
      },
    );
    child.stdin?.end(host);
  });
}

/** The keys an auth file may file a host's credentials under, most specific first. */
function authKeys(host: string, repository: string): string[] {
  const parts = repository.split('/');
  const keys = parts.map((_, i) => `${host}/${parts.slice(0, parts.length - i).join('/')}`);
  keys.push(host);
  if (host === 'docker.io')
    keys.push('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io');
  return keys;
}

/**
 * The credentials the registry auth files hold for a repository, as skopeo looks them up: the
 * containers auth file, then the docker config; in each an `auths` entry (most specific key
 * first), then `credHelpers` for the host, then `credsStore`.
 */
export async function fileCredentials(
  host: string,
  repository: string,
  deps: Pick<CopyDeps, 'env' | 'home' | 'credentialHelper'>,
): Promise<Credentials | undefined> {
  const paths = await authFilePaths(deps.env, deps.home);
  const xdg = join(deps.env.XDG_CONFIG_HOME || join(deps.home, '.config'), 'containers', 'auth.json');
  const files = [...new Set([paths.containersAuth, xdg, paths.dockerConfig])];
  const keys = authKeys(host, repository);
  for (const file of files) {
    let doc: {
      auths?: Record<string, { auth?: string }>;
      credHelpers?: Record<string, string>;
      credsStore?: string;
    };
    try {
      doc = JSON.parse(await readFile(file, 'utf8')) as typeof doc;
    } catch {
      continue;
    }
    for (const k of keys) {
      const auth = doc.auths?.[k]?.auth;
      if (typeof auth !== 'string' || auth === '') continue;
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    const helper = doc.credHelpers?.[host] ?? doc.credsStore;
    if (typeof helper === 'string' && helper !== '') {
      const c = await deps.credentialHelper(helper, host);
      if (c !== undefined) return c;
    }
  }
  return undefined;
}

/** Where an endpoint's credentials come from; registry tokens are shared by identical requests. */
function credentialsFor(
  e: CopyEndpoint,
  deps: CopyDeps,
  tokens: Map<string, Promise<RegistryToken>>,
): CredentialProvider {
  const auth = e.auth;
  if (auth.kind === 'files') return () => fileCredentials(auth.host, e.repository, deps);
  const key = JSON.stringify(auth.request);
  return async ({ refresh }) => {
    let p = tokens.get(key);
    if (p === undefined || refresh) {
      p = deps.fetchToken(auth.request);
      tokens.set(key, p);
      p.catch(() => tokens.delete(key));
    }
    const t = await p;
    return { username: t.username, password: t.password };
  };
}

// ---- the source image -------------------------------------------------------------------------

/** A manifest to push, with the manifests it names (an index) or the blobs it needs (an image). */
interface ManifestNode {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly children: readonly ManifestNode[];
  readonly blobs: readonly Descriptor[];
  readonly platform?: string;
}

/** Reads the source's manifests: the whole tree under an index, or one platform's image. */
async function readSource(
  client: RegistryClient,
  src: CopyEndpoint,
  platform: Platform | undefined,
): Promise<ManifestNode> {
  const read = async (reference: string, depth: number, label?: string): Promise<ManifestNode> => {
    if (depth > 4) throw new RegistryError('MANIFEST_INVALID', 'indexes nested deeper than 4 levels');
    const m = await client.getManifest(src.repository, reference);
    const content = parseManifest(m.bytes, m.mediaType, `manifest ${reference}`);
    if (content.kind === 'image') {
      const blobs = [content.config, ...content.layers].filter((d) => !isNondistributable(d));
      return {
        digest: m.digest,
        mediaType: m.mediaType,
        bytes: m.bytes,
        children: [],
        blobs,
        ...(label !== undefined && { platform: label }),
      };
    }
    if (platform !== undefined && depth === 0) {
      const entry = selectPlatform(content.manifests, platform);
      if (entry === undefined) {
        const have = content.manifests.flatMap((d) =>
          d.platform !== undefined ? [formatPlatform(d.platform)] : [],
        );
        throw new RegistryError(
          'MANIFEST_UNKNOWN',
          `\`${src.input}\` has no ${formatPlatform(platform)} image (it has ${have.join(', ') || 'no platforms'})`,
        );
      }
      return read(entry.digest, depth + 1, formatPlatform(entry.platform!));
    }
    const children: ManifestNode[] = [];
    for (const d of content.manifests)
      children.push(
        await read(d.digest, depth + 1, d.platform !== undefined ? formatPlatform(d.platform) : undefined),
      );
    return { digest: m.digest, mediaType: m.mediaType, bytes: m.bytes, children, blobs: [] };
  };
  const top = await read(src.digest ?? src.tag ?? 'latest', 0);
  if (platform !== undefined && top.children.length === 0 && top.platform === undefined) {
    // A single image: its config says which platform it is.
    const config = top.blobs[0];
    if (config !== undefined && config.size < 1 << 20) {
      const reader = await client.getBlob(src.repository, config.digest, config.size);
      const chunks: Buffer[] = [];
      for await (const c of reader.stream) chunks.push(c as Buffer);
      const cfg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        os?: string;
        architecture?: string;
        variant?: string;
      };
      if (cfg.os !== undefined && cfg.architecture !== undefined) {
        const is = {
          os: cfg.os,
          architecture: cfg.architecture,
          ...(cfg.variant !== undefined && { variant: cfg.variant }),
        };
        if (
          is.os !== platform.os ||
          is.architecture !== platform.architecture ||
          (platform.variant !== undefined && is.variant !== platform.variant)
        )
          throw new RegistryError(
            'MANIFEST_UNKNOWN',
            `\`${src.input}\` is a ${formatPlatform(is)} image, not ${formatPlatform(platform)}`,
          );
      }
    }
  }
  return top;
}

/** Every manifest of the tree, children before their parent, each once. */
function postOrder(node: ManifestNode, out: ManifestNode[] = [], seen = new Set<string>()): ManifestNode[] {
  for (const c of node.children) postOrder(c, out, seen);
  if (!seen.has(node.digest)) {
    seen.add(node.digest);
    out.push(node);
  }
  return out;
}

/** Every blob of the tree, each once. */
function allBlobs(node: ManifestNode): Descriptor[] {
  const seen = new Map<string, Descriptor>();
  for (const m of postOrder(node)) for (const b of m.blobs) if (!seen.has(b.digest)) seen.set(b.digest, b);
  return [...seen.values()];
}

// ---- progress -----------------------------------------------------------------------------------

/** What one destination got. */
export interface DestinationResult {
  readonly reference: string;
  readonly ok: boolean;
  readonly digest?: string;
  readonly tag?: string;
  readonly blobs: { uploaded: number; mounted: number; skipped: number; bytesUploaded: number };
  readonly manifests: { pushed: number; skipped: number };
  readonly error?: { readonly code: string; readonly status?: number; readonly message: string };
}

interface Progress {
  readonly dest: string;
  total: number;
  totalBytes: number;
  done: number;
  bytes: number;
  state: string;
}

function mib(n: number): string {
  return n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
}

function short(digest: string): string {
  return digest.slice(0, 19);
}

/** Progress on stderr: a block of lines redrawn in place on a terminal, or one line per event. */
class Reporter {
  private readonly rows: Progress[] = [];
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly err: CopyDeps['err']) {}

  private get tty(): boolean {
    return this.err.isTTY === true;
  }

  row(dest: string, totalBlobs: number, totalBytes: number): Progress {
    const p = { dest, total: totalBlobs, totalBytes, done: 0, bytes: 0, state: 'starting' };
    this.rows.push(p);
    this.changed();
    return p;
  }

  /** An event: a line of its own without a terminal, a redraw (at most every 100 ms) with one. */
  event(p: Progress, line: string): void {
    if (!this.tty) this.err.write(`${p.dest}: ${line}\n`);
    this.changed();
  }

  bytes(p: Progress, n: number): void {
    p.bytes += n;
    this.changed();
  }

  private changed(): void {
    if (!this.tty || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, 100);
    this.timer.unref();
  }

  private draw(): void {
    const width = Math.max(40, (this.err.columns ?? 100) - 1);
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const p of this.rows) {
      const frac = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : p.done >= p.total ? 1 : 0;
      const bar = `${'#'.repeat(Math.round(frac * 20))}${'.'.repeat(20 - Math.round(frac * 20))}`;
      const line = `${p.dest} [${bar}] ${mib(p.bytes)}/${mib(p.totalBytes)} layers ${p.done}/${p.total} ${p.state}`;
      text += `\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}\n`;
    }
    this.drawn = this.rows.length;
    this.err.write(text);
  }

  /** The last redraw, so the terminal shows the final state. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.tty && this.rows.length > 0) this.draw();
  }
}

/** Counts bytes as they stream through. */
class Counter extends Transform {
  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.onBytes(chunk.length);
    done(null, chunk);
  }
}

/** Runs `fn` over items, at most `limit` at a time; the first failure rejects once all settle. */
async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

/**
 * What a HEAD found, or `undefined` when the identity may not look (a push-only grant has no
 * ecr:BatchGetImage): the push that follows then says whether it may write.
 */
async function unlessDenied<T>(p: Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof RegistryError && e.status === 403) return undefined;
    throw e;
  }
}

function errorOf(e: unknown): NonNullable<DestinationResult['error']> {
  if (e instanceof RegistryError)
    return { code: e.code, ...(e.status !== 0 && { status: e.status }), message: e.message };
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? 'Error';
  return {
    code: name,
    ...(err.$metadata?.httpStatusCode !== undefined && { status: err.$metadata.httpStatusCode }),
    message: `${name !== 'Error' ? `${name}: ` : ''}${err.message ?? String(e)}`,
  };
}

// ---- the copy -------------------------------------------------------------------------------

/** The result of a whole run. */
export interface CopyResult {
  readonly ok: boolean;
  readonly source: {
    readonly reference: string;
    readonly digest?: string;
    readonly mediaType?: string;
    readonly platforms?: readonly string[];
    readonly error?: DestinationResult['error'];
  };
  readonly destinations: readonly DestinationResult[];
}

/** Copies as the arguments say; never throws for a registry's answer (it is in the result). */
export async function runCopy(a: CopyArgs, deps: CopyDeps): Promise<CopyResult> {
  const tokens = new Map<string, Promise<RegistryToken>>();
  const clients: RegistryClient[] = [];
  const clientFor = (e: CopyEndpoint) => {
    const c = new RegistryClient({
      url: e.url,
      credentials: credentialsFor(e, deps, tokens),
      ...(e.connectTo !== undefined && { connectTo: e.connectTo }),
      ...(deps.chunkSize !== undefined && { chunkSize: deps.chunkSize }),
    });
    clients.push(c);
    return c;
  };
  const reporter = new Reporter(deps.err);
  try {
    const src = clientFor(a.source);
    let top: ManifestNode;
    try {
      top = await readSource(src, a.source, a.platform);
    } catch (e) {
      return { ok: false, source: { reference: a.source.input, error: errorOf(e) }, destinations: [] };
    }
    const blobs = allBlobs(top);
    const manifests = postOrder(top);
    const totalBytes = blobs.reduce((s, b) => s + b.size, 0);
    const platforms = manifests.flatMap((m) => (m.platform !== undefined ? [m.platform] : []));
    /**
     * Where blobs already are, per registry origin: the repositories and the identity that can
     * read them there. A mount is tried from one written with the destination's own identity
     * first (it may surely read it), else from the source or an earlier destination.
     */
    const placed = new Map<string, Map<string, { repository: string; identity: string }[]>>();
    const origin = (e: CopyEndpoint) => `${e.url.origin} ${e.connectTo ?? ''}`;
    const identity = (e: CopyEndpoint) => JSON.stringify(e.auth);
    const place = (e: CopyEndpoint, digest: string) => {
      const here = placed.get(origin(e)) ?? new Map<string, { repository: string; identity: string }[]>();
      placed.set(origin(e), here);
      const list = here.get(digest) ?? [];
      here.set(digest, list);
      if (!list.some((x) => x.repository === e.repository))
        list.push({ repository: e.repository, identity: identity(e) });
    };
    const mountSource = (e: CopyEndpoint, digest: string): string | undefined => {
      const list = (placed.get(origin(e))?.get(digest) ?? []).filter((x) => x.repository !== e.repository);
      return (list.find((x) => x.identity === identity(e)) ?? list[0])?.repository;
    };
    for (const b of blobs) place(a.source, b.digest);
    const results: DestinationResult[] = [];
    const srcTag = a.source.tag ?? (a.source.digest === undefined ? 'latest' : undefined);

    for (const dest of a.destinations) {
      const client = clientFor(dest);
      const p = reporter.row(dest.input, blobs.length, totalBytes);
      const counts = { uploaded: 0, mounted: 0, skipped: 0, bytesUploaded: 0 };
      const pushed = { pushed: 0, skipped: 0 };
      const tag = dest.tag ?? (dest.digest === undefined ? srcTag : undefined);
      try {
        if (dest.digest !== undefined && dest.digest !== top.digest)
          throw new RegistryError(
            'DIGEST_INVALID',
            `\`${dest.input}\` names digest ${dest.digest}, but the copy is ${top.digest}`,
          );
        await eachLimit(blobs, 3, async (b) => {
          const short_ = `${short(b.digest)} (${mib(b.size)})`;
          if ((await unlessDenied(client.headBlob(dest.repository, b.digest))) !== undefined) {
            counts.skipped++;
            p.done++;
            p.bytes += b.size;
            place(dest, b.digest);
            reporter.event(p, `blob ${short_} already there`);
            return;
          }
          const from = mountSource(dest, b.digest);
          let sent = 0;
          const outcome = await client.uploadBlob(
            dest.repository,
            b,
            async () => {
              const r = await src.getBlob(a.source.repository, b.digest, b.size);
              const counter = new Counter((n) => {
                sent += n;
                reporter.bytes(p, n);
              });
              // pipeline, not pipe: a verification failure of the source must abort the upload.
              return pipeline(r.stream, counter, () => {}) as Readable;
            },
            from !== undefined ? { mountFrom: from } : {},
          );
          p.done++;
          place(dest, b.digest);
          if (outcome === 'mounted') {
            counts.mounted++;
            p.bytes += b.size;
            reporter.event(p, `blob ${short_} mounted from ${from}`);
          } else {
            counts.uploaded++;
            counts.bytesUploaded += sent;
            reporter.event(p, `blob ${short_} uploaded`);
          }
        });
        p.state = 'manifests';
        for (const m of manifests) {
          if (m === top) break;
          if ((await unlessDenied(client.headManifest(dest.repository, m.digest))) !== undefined) {
            pushed.skipped++;
            continue;
          }
          await client.putManifest(dest.repository, m.digest, m.bytes, m.mediaType);
          pushed.pushed++;
          reporter.event(
            p,
            `manifest ${short(m.digest)}${m.platform !== undefined ? ` (${m.platform})` : ''} pushed`,
          );
        }
        // An immutable tag refuses even the same image again: leave a tag that is already right.
        const current =
          tag !== undefined ? await unlessDenied(client.headManifest(dest.repository, tag)) : undefined;
        if (current?.digest === top.digest) pushed.skipped++;
        else {
          await client.putManifest(dest.repository, tag ?? top.digest, top.bytes, top.mediaType);
          pushed.pushed++;
        }
        p.state = 'done';
        reporter.event(p, `${tag !== undefined ? `tagged ${tag}` : 'pushed'} ${top.digest}`);
        results.push({
          reference: dest.input,
          ok: true,
          digest: top.digest,
          ...(tag !== undefined && { tag }),
          blobs: counts,
          manifests: pushed,
        });
      } catch (e) {
        const error = errorOf(e);
        p.state = 'failed';
        reporter.event(p, `failed: ${error.message}`);
        results.push({ reference: dest.input, ok: false, blobs: counts, manifests: pushed, error });
      }
    }
    return {
      ok: results.every((r) => r.ok),
      source: {
        reference: a.source.input,
        digest: top.digest,
        mediaType: top.mediaType,
        ...(platforms.length > 0 && { platforms }),
      },
      destinations: results,
    };
  } finally {
    reporter.close();
    for (const c of clients) c.close();
  }
}

/** The text summary: one line per destination. */
function summary(r: CopyResult): string[] {
  if (r.source.error !== undefined) return [`✗ ${r.source.reference}: ${r.source.error.message}`];
  const lines = [
    `${r.source.reference} ${r.source.digest}${r.source.platforms !== undefined ? ` (${r.source.platforms.join(', ')})` : ''}`,
  ];
  for (const d of r.destinations) {
    const b = d.blobs;
    const counts = `${b.uploaded} uploaded (${mib(b.bytesUploaded)}), ${b.mounted} mounted, ${b.skipped} already there`;
    lines.push(d.ok ? `✓ ${d.reference}: ${counts}` : `✗ ${d.reference}: ${d.error?.message ?? 'failed'}`);
  }
  return lines;
}

/** `crossdock copy` with its surroundings given; returns the exit code. */
export async function runCopyCommand(args: string[], deps: CopyDeps): Promise<number> {
  let parsed: CopyArgs | 'help';
  try {
    parsed = parseCopyArgs(args, deps.env);
  } catch (e) {
    if (!(e instanceof CopyUsageError)) throw e;
    deps.err.write(`crossdock copy: ${e.message}\n${COPY_USAGE}\n`);
    return 2;
  }
  if (parsed === 'help') {
    deps.out(COPY_USAGE);
    return 0;
  }
  const result = await runCopy(parsed, deps);
  if (parsed.json) deps.out(JSON.stringify(result, null, 2));
  else for (const l of summary(result)) deps.out(l);
  return result.ok ? 0 : 1;
}

/** `crossdock copy ...`: the wiring of {@link runCopyCommand} to this process. */
export async function copyCommand(args: string[]): Promise<number> {
  return runCopyCommand(args, {
    env: process.env,
    home: homedir(),
    fetchToken: fetchRegistryToken,
    credentialHelper: runCredentialHelper,
    out: (line) => console.log(line),
    err: process.stderr,
  });
}

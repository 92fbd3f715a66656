/**
 * A client of one registry (OCI Distribution v2): ping, manifests, blobs, uploads, mounts and
 * tags, with the registry's own authentication found by asking (`GET /v2/`):
 *
 * - none: the registry answers without credentials (a loopback `docker-registry`);
 * - Basic: `Authorization: Basic` on every request (ECR, crossdock, htpasswd registries); a
 *   credential provider is asked again once when the registry refuses its answer (an expired token);
 * - Bearer: Docker's token protocol. A token is fetched from the challenge's realm per set of
 *   scopes (`repository:<name>:pull[,push]`), anonymously or with the Basic credentials, kept until
 *   it expires, and fetched again with the scope a 401 `insufficient_scope` names.
 *
 * Blobs stream both ways and are verified as they stream (digest and size); manifests are read
 * whole, bounded, and checked against the digest asked for or announced. Every failure is a
 * {@link RegistryError} carrying the registry's OCI error code.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { pipeline, Readable } from 'node:stream';
import { parseChallenges, type Challenge } from './challenge.js';
import { digestOf, hasDigest, isDigest, VerifyingStream } from './digest.js';
import { answerError, RegistryError } from './errors.js';
import { MANIFEST_ACCEPT, parseManifest } from './media.js';
import { isRepositoryName, isTag } from './reference.js';
import { describe, discard, readAll, send, type Answer, type TransportOptions } from './transport.js';

/** HTTP Basic credentials (`AWS` and a registry token, or a user name and password). */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** Credentials obtained on demand; `refresh` is set when the registry refused the last ones. */
export type CredentialProvider = (opts: { readonly refresh: boolean }) => Promise<Credentials | undefined>;

/** How to reach and authenticate to one registry. */
export interface RegistryClientOptions {
  /** `https://host[:port]` or `http://...`: the registry's base URL. */
  readonly url: string | URL;
  readonly credentials?: Credentials | CredentialProvider;
  /** `host[:port]` to connect to instead of the URL's host, which still names the registry. */
  readonly connectTo?: string;
  /** Blobs up to this size go in one PUT, larger ones in PATCH chunks of this size; 32 MiB. */
  readonly chunkSize?: number;
  /** Verify TLS certificates (default true). */
  readonly rejectUnauthorized?: boolean;
  /** Abort a request when its connection stays silent this long; 5 min. */
  readonly idleTimeoutMs?: number;
  /** Connections kept per origin; 8. */
  readonly maxSockets?: number;
  readonly userAgent?: string;
  /** The clock of Bearer token expiry; `Date.now` by default. */
  readonly now?: () => number;
}

/** What a manifest HEAD tells. */
export interface ManifestInfo {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

/** A manifest with its exact bytes. */
export interface Manifest extends ManifestInfo {
  readonly bytes: Buffer;
}

/** A blob being read: `stream` fails with `DIGEST_INVALID`/`SIZE_INVALID` if the content is wrong. */
export interface BlobReader {
  readonly size: number;
  readonly stream: Readable;
}

/** How a blob got into a repository. */
export type UploadOutcome = 'uploaded' | 'mounted';

type AuthScheme =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic' }
  | { readonly kind: 'bearer'; readonly realm: string; readonly service?: string };

interface Call {
  readonly method: string;
  readonly url: URL;
  readonly scopes: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | Readable;
  /** Follow redirects (GET and HEAD only). */
  readonly follow?: boolean;
}

const MAX_MANIFEST_BYTES = 8 << 20;
const MAX_ERROR_BYTES = 64 << 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** `repository:<name>:pull`. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** `repository:<name>:pull,push`. */
export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

/** The `rel="next"` target of a `Link` header, resolved against the request's URL. */
export function nextLink(header: string | string[] | undefined, base: URL): URL | undefined {
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (value === undefined) return undefined;
  for (const m of value.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
    if (/;\s*rel\s*=\s*"?next"?/i.test(m[2] ?? '')) return new URL(m[1]!, base);
  }
  return undefined;
}

/** Appends `digest=<d>` to an upload location, keeping the query the registry put there. */
function withDigest(location: URL, digest: string): URL {
  const u = new URL(location);
  u.search = `${u.search === '' ? '?' : `${u.search}&`}digest=${encodeURIComponent(digest)}`;
  return u;
}

/** Splits a stream into consecutive parts of given lengths, each streamed as it is read. */
class ChunkReader {
  private pending: Buffer | undefined;
  private readonly it: AsyncIterator<Buffer>;

  constructor(source: Readable) {
    this.it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** The next `n` bytes; fails with `SIZE_INVALID` if the source ends first. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      let b = this.pending;
      this.pending = undefined;
      if (b === undefined) {
        const r = await this.it.next();
        if (r.done === true) throw new RegistryError('SIZE_INVALID', 'the blob ended before its size');
        b = r.value;
      }
      if (b.length > left) {
        this.pending = b.subarray(left);
        b = b.subarray(0, left);
      }
      left -= b.length;
      yield b;
    }
  }

  /** Reads the source to its end (which runs its verification); fails if bytes remain. */
  async finish(): Promise<void> {
    const r = this.pending !== undefined ? { done: false } : await this.it.next();
    if (r.done !== true) throw new RegistryError('SIZE_INVALID', 'the blob is longer than its size');
  }
}

/** A client of one registry; see the module comment. Call {@link close} when done. */
export class RegistryClient {
  /** The registry's base URL. */
  readonly url: URL;
  private readonly transport: TransportOptions;
  private readonly connectTo: { hostname: string; port: string } | undefined;
  private readonly chunkSize: number;
  private readonly now: () => number;
  private readonly credentialSource: Credentials | CredentialProvider | undefined;
  private credentialCache: Promise<Credentials | undefined> | undefined;
  private scheme: Promise<AuthScheme> | undefined;
  private readonly tokens = new Map<string, { token: string; expires: number }>();

  constructor(opts: RegistryClientOptions) {
    this.url = new URL(opts.url);
    this.url.pathname = '/';
    this.url.search = '';
    if (opts.connectTo !== undefined) {
      const c = new URL(`http://${opts.connectTo}`);
      this.connectTo = { hostname: c.hostname, port: c.port !== '' ? c.port : this.url.port };
    }
    const maxSockets = opts.maxSockets ?? 8;
    this.transport = {
      agents: {
        http: new HttpAgent({ keepAlive: true, maxSockets }),
        https: new HttpsAgent({ keepAlive: true, maxSockets }),
      },
      rejectUnauthorized: opts.rejectUnauthorized ?? true,
      idleTimeoutMs: opts.idleTimeoutMs ?? 300_000,
      userAgent: opts.userAgent ?? 'crossdock',
    };
    this.chunkSize = opts.chunkSize ?? 32 << 20;
    this.now = opts.now ?? Date.now;
    this.credentialSource = opts.credentials;
  }

  /** Closes the kept connections. */
  close(): void {
    this.transport.agents.http.destroy();
    this.transport.agents.https.destroy();
  }

  /** The `host[:port]` of the registry. */
  get host(): string {
    return this.url.host;
  }

  // ---- authentication -------------------------------------------------------------------------

  private credentials(refresh: boolean): Promise<Credentials | undefined> {
    const source = this.credentialSource;
    if (typeof source !== 'function') return Promise.resolve(source);
    if (refresh || this.credentialCache === undefined) {
      const p = source({ refresh });
      this.credentialCache = p;
      // A failed attempt is not kept: the next request asks again.
      p.catch(() => {
        if (this.credentialCache === p) this.credentialCache = undefined;
      });
    }
    return this.credentialCache;
  }

  private schemeOf(challenges: readonly Challenge[]): AuthScheme | undefined {
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm !== undefined);
    if (bearer !== undefined)
      return {
        kind: 'bearer',
        realm: bearer.params.realm!,
        ...(bearer.params.service !== undefined && { service: bearer.params.service }),
      };
    if (challenges.some((c) => c.scheme === 'basic')) return { kind: 'basic' };
    return undefined;
  }

  /** How the registry authenticates, asked once with an anonymous `GET /v2/`. */
  private discover(): Promise<AuthScheme> {
    if (this.scheme === undefined) {
      const p = (async (): Promise<AuthScheme> => {
        const url = new URL('/v2/', this.url);
        const a = await send({ method: 'GET', url, headers: {}, ...this.connect(url) }, this.transport);
        if (a.status === 401) {
          discard(a);
          const scheme = this.schemeOf(parseChallenges(a.headers['www-authenticate']));
          if (scheme === undefined)
            throw new RegistryError(
              'UNSUPPORTED',
              `${describe('GET', url)}: 401 without a Basic or Bearer challenge`,
              401,
            );
          return scheme;
        }
        if (a.status >= 200 && a.status < 300) {
          discard(a);
          return { kind: 'none' };
        }
        throw answerError(describe('GET', url), a.status, await this.errorBody(a));
      })();
      this.scheme = p;
      p.catch(() => {
        if (this.scheme === p) this.scheme = undefined;
      });
    }
    return this.scheme;
  }

  private basic(c: Credentials): string {
    return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
  }

  /** A Bearer token for a set of scopes, from the realm (anonymously or with the credentials). */
  private async token(
    scheme: Extract<AuthScheme, { kind: 'bearer' }>,
    scopes: readonly string[],
    refresh: boolean,
  ): Promise<string> {
    const key = [...new Set(scopes)].sort().join(' ');
    const cached = this.tokens.get(key);
    if (!refresh && cached !== undefined && cached.expires > this.now()) return cached.token;
    const realm = new URL(scheme.realm);
    if (scheme.service !== undefined) realm.searchParams.set('service', scheme.service);
    for (const s of key.split(' ')) if (s !== '') realm.searchParams.append('scope', s);
    const creds = await this.credentials(false);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (creds !== undefined) headers.Authorization = this.basic(creds);
    const what = `token ${describe('GET', realm)}`;
    const a = await send({ method: 'GET', url: realm, headers, ...this.connect(realm) }, this.transport);
    if (a.status !== 200) throw answerError(what, a.status, await this.errorBody(a));
    const body = await readAll(a.body, 1 << 20, what);
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch {
      throw new RegistryError('PROTOCOL', `${what}: the answer is not JSON`);
    }
    const token = typeof doc.token === 'string' ? doc.token : doc.access_token;
    if (typeof token !== 'string' || token === '')
      throw new RegistryError('PROTOCOL', `${what}: the answer has no token`);
    // The spec's default lifetime is 60 s; a token is renewed 10 s before it ends.
    const seconds = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
    this.tokens.set(key, { token, expires: this.now() + Math.max(seconds - 10, 1) * 1000 });
    return token;
  }

  private async authorization(scopes: readonly string[], refresh: boolean): Promise<string | undefined> {
    const scheme = await this.discover();
    if (scheme.kind === 'none') return undefined;
    if (scheme.kind === 'basic') {
      const c = await this.credentials(refresh);
      return c !== undefined ? this.basic(c) : undefined;
    }
    return `Bearer ${await this.token(scheme, scopes, refresh)}`;
  }

  private connect(url: URL): { connectTo?: { hostname: string; port: string } } {
    return this.connectTo !== undefined && url.origin === this.url.origin
      ? { connectTo: this.connectTo }
      : {};
  }

  private async errorBody(a: Answer): Promise<Buffer> {
    try {
      return await readAll(a.body, MAX_ERROR_BYTES, 'error');
    } catch {
      return Buffer.alloc(0);
    }
  }

  /** The error of an answer that is not the expected one. */
  private async fail(c: Pick<Call, 'method' | 'url'>, a: Answer): Promise<RegistryError> {
    return answerError(
      describe(c.method, c.url),
      a.status,
      c.method === 'HEAD' ? Buffer.alloc(0) : await this.errorBody(a),
    );
  }

  /**
   * Sends a request with the registry's authentication: retried once after a 401 with fresh
   * credentials or a token for the scope the challenge names (when the body can be sent again),
   * and following redirects for GET and HEAD (credentials are not sent to another origin).
   */
  private async call(c: Call): Promise<Answer> {
    let scopes = c.scopes;
    let refresh = false;
    for (let attempt = 0; ; attempt++) {
      let url = c.url;
      const auth = await this.authorization(scopes, refresh);
      let headers: Record<string, string> = {
        ...c.headers,
        ...(auth !== undefined && { Authorization: auth }),
      };
      let a = await send(
        { method: c.method, url, headers, body: c.body, ...this.connect(url) },
        this.transport,
      );
      for (
        let hops = 0;
        c.follow === true && REDIRECTS.has(a.status) && a.headers.location !== undefined;
        hops++
      ) {
        discard(a);
        if (hops === 5)
          throw new RegistryError('PROTOCOL', `${describe(c.method, c.url)}: too many redirects`);
        const next = new URL(a.headers.location, url);
        if (next.origin !== url.origin) {
          const { Authorization: _dropped, ...rest } = headers;
          headers = rest;
        }
        url = next;
        a = await send({ method: c.method, url, headers, ...this.connect(url) }, this.transport);
      }
      const replayable = !(c.body instanceof Readable);
      if (a.status !== 401 || attempt > 0 || !replayable) return a;
      const challenges = parseChallenges(a.headers['www-authenticate']);
      const scheme = this.schemeOf(challenges);
      // Another try helps only with a new token, credentials not sent yet, or ones that may have changed.
      const source = this.credentialSource;
      const basicIsFinal =
        source === undefined || (typeof source !== 'function' && auth?.startsWith('Basic ') === true);
      if (scheme === undefined || (scheme.kind === 'basic' && basicIsFinal)) return a;
      discard(a);
      if (scheme.kind === 'bearer') {
        const extra = challenges.find((x) => x.scheme === 'bearer')?.params.scope;
        if (extra !== undefined) scopes = [...new Set([...scopes, ...extra.split(' ')])];
      }
      // The registry may ask differently than `/v2/` said: follow what it says now.
      this.scheme = Promise.resolve(scheme);
      refresh = true;
    }
  }

  // ---- registry operations ------------------------------------------------------------------

  private path(repository: string, rest: string): URL {
    if (!isRepositoryName(repository))
      throw new RegistryError('NAME_INVALID', `\`${repository}\` is not a repository name`);
    return new URL(`/v2/${repository}/${rest}`, this.url);
  }

  private static reference(ref: string): string {
    if (!isTag(ref) && !isDigest(ref))
      throw new RegistryError('UNSUPPORTED', `\`${ref}\` is neither a tag nor a digest`);
    return ref;
  }

  /** `GET /v2/` with the credentials: resolves when the registry accepts them. */
  async ping(): Promise<void> {
    const url = new URL('/v2/', this.url);
    const a = await this.call({ method: 'GET', url, scopes: [] });
    if (a.status !== 200) throw await this.fail({ method: 'GET', url }, a);
    discard(a);
  }

  /** A manifest's exact bytes, checked against the digest asked for or announced. */
  async getManifest(repository: string, reference: string): Promise<Manifest> {
    const url = this.path(repository, `manifests/${RegistryClient.reference(reference)}`);
    const a = await this.call({
      method: 'GET',
      url,
      scopes: [pullScope(repository)],
      headers: { Accept: MANIFEST_ACCEPT },
      follow: true,
    });
    if (a.status !== 200) throw await this.fail({ method: 'GET', url }, a);
    const what = `manifest ${repository}:${reference}`;
    const bytes = await readAll(a.body, MAX_MANIFEST_BYTES, what);
    const announced = a.headers['docker-content-digest'];
    const expected = isDigest(reference)
      ? reference
      : typeof announced === 'string' && isDigest(announced)
        ? announced
        : undefined;
    if (expected !== undefined && !hasDigest(bytes, expected))
      throw new RegistryError('DIGEST_INVALID', `${what}: the content does not have digest ${expected}`);
    const contentType = a.headers['content-type']?.split(';')[0]?.trim();
    const mediaType = parseManifest(bytes, contentType, what).mediaType;
    return { digest: expected ?? digestOf(bytes), mediaType, size: bytes.length, bytes };
  }

  /** A manifest's digest, media type and size, or `undefined` when the registry has none. */
  async headManifest(repository: string, reference: string): Promise<ManifestInfo | undefined> {
    const url = this.path(repository, `manifests/${RegistryClient.reference(reference)}`);
    const a = await this.call({
      method: 'HEAD',
      url,
      scopes: [pullScope(repository)],
      headers: { Accept: MANIFEST_ACCEPT },
      follow: true,
    });
    discard(a);
    if (a.status === 404) return undefined;
    if (a.status !== 200) throw await this.fail({ method: 'HEAD', url }, a);
    const digest = a.headers['docker-content-digest'];
    const mediaType = a.headers['content-type']?.split(';')[0]?.trim();
    const size = Number(a.headers['content-length']);
    if (
      typeof digest !== 'string' ||
      !isDigest(digest) ||
      mediaType === undefined ||
      !Number.isSafeInteger(size)
    ) {
      // Not every registry says it all in a HEAD: ask for the manifest itself.
      const { bytes: _bytes, ...info } = await this.getManifest(repository, reference);
      return info;
    }
    return { digest, mediaType, size };
  }

  /** Pushes a manifest under a tag or its digest; returns its digest. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string> {
    const url = this.path(repository, `manifests/${RegistryClient.reference(reference)}`);
    const digest = isDigest(reference) ? reference : digestOf(bytes);
    if (!hasDigest(bytes, digest))
      throw new RegistryError(
        'DIGEST_INVALID',
        `manifest ${repository}@${reference}: the content has another digest`,
      );
    const a = await this.call({
      method: 'PUT',
      url,
      scopes: [pushScope(repository)],
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    if (a.status < 200 || a.status > 299) throw await this.fail({ method: 'PUT', url }, a);
    discard(a);
    const announced = a.headers['docker-content-digest'];
    if (typeof announced === 'string' && announced !== digest && announced.startsWith(digest.split(':')[0]!))
      throw new RegistryError(
        'DIGEST_INVALID',
        `manifest ${repository}:${reference}: the registry stored ${announced}, not ${digest}`,
      );
    return digest;
  }

  /** A blob's size, or `undefined` when the repository does not have it. */
  async headBlob(repository: string, digest: string): Promise<{ size: number } | undefined> {
    if (!isDigest(digest)) throw new RegistryError('DIGEST_INVALID', `\`${digest}\` is not a digest`);
    const url = this.path(repository, `blobs/${digest}`);
    const a = await this.call({ method: 'HEAD', url, scopes: [pullScope(repository)], follow: true });
    discard(a);
    if (a.status === 404) return undefined;
    if (a.status !== 200) throw await this.fail({ method: 'HEAD', url }, a);
    const size = Number(a.headers['content-length']);
    return { size: Number.isSafeInteger(size) ? size : -1 };
  }

  /**
   * A blob as a stream, verified as it flows: the stream fails (and nothing after the bad bytes
   * is trusted) if the content's digest or size differ. `size` is the descriptor's when known.
   */
  async getBlob(repository: string, digest: string, size?: number): Promise<BlobReader> {
    if (!isDigest(digest)) throw new RegistryError('DIGEST_INVALID', `\`${digest}\` is not a digest`);
    const url = this.path(repository, `blobs/${digest}`);
    const a = await this.call({ method: 'GET', url, scopes: [pullScope(repository)], follow: true });
    if (a.status !== 200) throw await this.fail({ method: 'GET', url }, a);
    const length = Number(a.headers['content-length']);
    const known = size ?? (Number.isSafeInteger(length) ? length : undefined);
    if (size !== undefined && Number.isSafeInteger(length) && length !== size) {
      a.body.destroy();
      throw new RegistryError(
        'SIZE_INVALID',
        `blob ${digest} of ${repository}: ${length} bytes announced, ${size} expected`,
      );
    }
    const verifier = new VerifyingStream(digest, known, `blob ${digest} of ${repository}`);
    pipeline(a.body, verifier, () => {
      // errors reach the reader through `verifier`
    });
    return { size: known ?? -1, stream: verifier };
  }

  /**
   * Puts a blob into a repository: mounted from `mountFrom` (same registry) when it answers 201,
   * otherwise uploaded in the session the registry opened, in one PUT up to the chunk size and in
   * PATCH chunks above it. `open` is called only when the bytes are needed; the stream should be
   * a verifying one (a {@link getBlob} stream). A failed upload is cancelled.
   */
  async uploadBlob(
    repository: string,
    blob: { readonly digest: string; readonly size: number },
    open: () => Promise<Readable>,
    opts: { readonly mountFrom?: string } = {},
  ): Promise<UploadOutcome> {
    const { digest, size } = blob;
    if (!isDigest(digest)) throw new RegistryError('DIGEST_INVALID', `\`${digest}\` is not a digest`);
    const from = opts.mountFrom;
    if (from !== undefined && !isRepositoryName(from))
      throw new RegistryError('NAME_INVALID', `\`${from}\` is not a repository name`);
    const query =
      from !== undefined ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}` : '';
    const startUrl = this.path(repository, `blobs/uploads/${query}`);
    const start = await this.call({
      method: 'POST',
      url: startUrl,
      scopes: [pushScope(repository), ...(from !== undefined ? [pullScope(from)] : [])],
    });
    if (start.status === 201 && from !== undefined) {
      discard(start);
      return 'mounted';
    }
    if (start.status !== 202 || typeof start.headers.location !== 'string')
      throw await this.fail({ method: 'POST', url: startUrl }, start);
    discard(start);
    let location = new URL(start.headers.location, startUrl);
    const minimum = Number(start.headers['oci-chunk-min-length']);
    const chunk = Number.isSafeInteger(minimum) && minimum > this.chunkSize ? minimum : this.chunkSize;
    const scopes = [pushScope(repository)];
    let body: Readable | undefined;
    try {
      body = await open();
      if (size <= chunk) {
        const url = withDigest(location, digest);
        const a = await this.call({
          method: 'PUT',
          url,
          scopes,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
          body,
        });
        if (a.status !== 201) throw await this.fail({ method: 'PUT', url }, a);
        discard(a);
        return 'uploaded';
      }
      const reader = new ChunkReader(body);
      for (let offset = 0; offset < size;) {
        const n = Math.min(chunk, size - offset);
        const a = await this.call({
          method: 'PATCH',
          url: location,
          scopes,
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Length': String(n),
            'Content-Range': `${offset}-${offset + n - 1}`,
          },
          body: Readable.from(reader.take(n), { objectMode: false }),
        });
        if (a.status !== 202) throw await this.fail({ method: 'PATCH', url: location }, a);
        discard(a);
        if (typeof a.headers.location === 'string') location = new URL(a.headers.location, location);
        offset += n;
      }
      await reader.finish();
      const url = withDigest(location, digest);
      const a = await this.call({ method: 'PUT', url, scopes });
      if (a.status !== 201) throw await this.fail({ method: 'PUT', url }, a);
      discard(a);
      return 'uploaded';
    } catch (err) {
      body?.destroy();
      await this.cancel(location, scopes);
      throw err;
    }
  }

  /** Cancels an upload session, best effort (not every registry supports it). */
  private async cancel(location: URL, scopes: readonly string[]): Promise<void> {
    try {
      discard(await this.call({ method: 'DELETE', url: location, scopes }));
    } catch {
      // the session expires on its own
    }
  }

  /** The repository's tags page by page, following the `Link` header. */
  async *tagPages(repository: string, opts: { readonly pageSize?: number } = {}): AsyncGenerator<string[]> {
    let url: URL | undefined = this.path(
      repository,
      `tags/list${opts.pageSize !== undefined ? `?n=${opts.pageSize}` : ''}`,
    );
    const seen = new Set<string>();
    while (url !== undefined) {
      if (seen.has(url.href))
        throw new RegistryError('PROTOCOL', `${describe('GET', url)}: the Link header loops`);
      seen.add(url.href);
      const a: Answer = await this.call({ method: 'GET', url, scopes: [pullScope(repository)] });
      if (a.status !== 200) throw await this.fail({ method: 'GET', url }, a);
      const what = `tags of ${repository}`;
      const body = await readAll(a.body, 16 << 20, what);
      let tags: unknown;
      try {
        tags = (JSON.parse(body.toString('utf8')) as { tags?: unknown }).tags;
      } catch {
        throw new RegistryError('PROTOCOL', `${what}: the answer is not JSON`);
      }
      yield Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
      url = nextLink(a.headers.link, url);
    }
  }

  /** Every tag of the repository. */
  async listTags(repository: string, opts: { readonly pageSize?: number } = {}): Promise<string[]> {
    const all: string[] = [];
    for await (const page of this.tagPages(repository, opts)) all.push(...page);
    return all;
  }
}

/**
 * One HTTP exchange with `node:http`/`node:https`: the request body is a buffer or a stream piped
 * as it comes (a failing stream aborts the request with its own error), and the answer's body is
 * handed over unread, so that blobs flow through without being held in memory. A host that only
 * the server knows (host-style names) is reached by connecting elsewhere while the `Host` header
 * and the TLS server name keep the URL's.
 */
import type { Agent as HttpAgent } from 'node:http';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { RegistryError } from './errors.js';

/** A request as the transport sends it. */
export interface Exchange {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | Readable;
  /** Connect to this host and port instead of the URL's. */
  readonly connectTo?: { readonly hostname: string; readonly port: string };
}

/** What the registry answered; `body` is unread. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
  readonly url: URL;
}

/** Connection settings shared by a client's requests. */
export interface TransportOptions {
  readonly agents: { readonly http: HttpAgent; readonly https: HttpsAgent };
  readonly rejectUnauthorized: boolean;
  /** Abort when the connection stays silent this long. */
  readonly idleTimeoutMs: number;
  readonly userAgent: string;
}

/** `METHOD host/path`, without the query (which may carry a presigned URL's signature). */
export function describe(method: string, url: URL): string {
  return `${method} ${url.host}${url.pathname}`;
}

/** Sends one request; rejects with `UNREACHABLE` when no answer comes, or with the body's error. */
export function send(x: Exchange, o: TransportOptions): Promise<Answer> {
  const secure = x.url.protocol === 'https:';
  const target = x.connectTo ?? { hostname: x.url.hostname, port: x.url.port };
  const headers: Record<string, string> = { 'User-Agent': o.userAgent, ...x.headers };
  if (x.connectTo !== undefined) headers.Host = x.url.host;
  if (Buffer.isBuffer(x.body)) headers['Content-Length'] = String(x.body.length);
  else if (x.body === undefined && ['POST', 'PUT', 'PATCH'].includes(x.method))
    headers['Content-Length'] = '0';
  const what = describe(x.method, x.url);
  return new Promise((resolve, reject) => {
    let bodyError: unknown;
    const servername = x.url.hostname.replace(/^\[|\]$/g, '');
    const req = (secure ? httpsRequest : httpRequest)(
      {
        hostname: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port !== '' ? Number(target.port) : secure ? 443 : 80,
        method: x.method,
        path: `${x.url.pathname}${x.url.search}`,
        headers,
        agent: secure ? o.agents.https : o.agents.http,
        ...(secure && {
          rejectUnauthorized: o.rejectUnauthorized,
          ...(isIP(servername) === 0 && { servername }),
        }),
      },
      (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: x.url }),
    );
    req.setTimeout(o.idleTimeoutMs, () =>
      req.destroy(
        new RegistryError('UNREACHABLE', `${what}: no answer for ${Math.round(o.idleTimeoutMs / 1000)} s`),
      ),
    );
    req.on('error', (err) => {
      const e = bodyError ?? err;
      reject(
        e instanceof RegistryError ? e : new RegistryError('UNREACHABLE', `${what}: ${(e as Error).message}`),
      );
    });
    if (x.body instanceof Readable) {
      const body = x.body;
      body.once('error', (err) => {
        bodyError = err;
        req.destroy(err);
      });
      body.pipe(req);
    } else req.end(x.body);
  });
}

/** Reads a whole (small) body; fails past `limit` bytes rather than holding more. */
export async function readAll(body: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    const chunk = c as Buffer;
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new RegistryError('SIZE_INVALID', `${what}: the answer is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Throws away an answer's body so that the connection can be reused. */
export function discard(a: Answer): void {
  a.body.resume();
}

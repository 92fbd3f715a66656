/**
 * What every registry handler is given, and the few HTTP helpers they share: answering with the
 * registry's standard headers, reading a small body with a cap, bounding a streamed body, and
 * leaving the connection usable (or closed) when a body is refused unread.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { isAnonymous, type Caller, type Requester } from '../auth/caller.js';
import { anonymousRefused } from '../services/ecr/access.js';
import type { RegistryBackend } from '../services/ecr/registry.js';
import { OciError } from './errors.js';
import type { Address, HostRegistry } from './names.js';

/** The minimum a logger must offer (pino's `Logger` fits). */
export interface RegistryLog {
  error(obj: object, msg: string): void;
}

/** The server-wide settings a handler may need. */
export interface RegistrySettings {
  readonly backend: RegistryBackend;
  readonly defaultRegion: string;
  readonly hostDomain: string;
}

/** One authenticated request, before its route resolves a repository. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Anonymous only on ECR Public's registry, whose pulls need no identity. */
  readonly caller: Requester;
  readonly settings: RegistrySettings;
  readonly backend: RegistryBackend;
  readonly method: string;
  readonly head: boolean;
  readonly query: URLSearchParams;
  /** Set when the `Host` header names a registry (host-style addressing). */
  readonly host: HostRegistry | undefined;
  /** The path parameters of the route (`reference`, `digest`, `uploadId`). */
  readonly params: Readonly<Record<string, string>>;
}

/** A request whose `<name>` resolved to a repository. */
export interface RepositoryContext extends RequestContext {
  readonly address: Address;
}

/** The caller of a request that needs an identity (a push, a delete, a listing); 401 if none. */
export function identified(ctx: RequestContext): Caller {
  if (isAnonymous(ctx.caller)) throw anonymousRefused();
  return ctx.caller;
}

/** The header Docker's `/v2/` probe looks for; the registry sends it on every answer. */
export const API_VERSION_HEADER = ['Docker-Distribution-API-Version', 'registry/2.0'] as const;

/** Answers with no body (201/202/204): headers only, `Content-Length: 0` except on 204. */
export function sendEmpty(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
): void {
  if (status !== 204) headers['Content-Length'] = 0;
  res.writeHead(status, headers);
  res.end();
}

/** Answers JSON (tags, catalog, referrers, `/v2/`), without the body for HEAD. */
export function sendJson(
  ctx: RequestContext,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = Buffer.from(JSON.stringify(value));
  ctx.res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': body.length,
    ...headers,
  });
  ctx.res.end(ctx.head ? undefined : body);
}

/** The declared `Content-Length`, `undefined` when absent, `NaN` when malformed. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined) return undefined;
  return /^\d{1,15}$/.test(v) ? Number(v) : NaN;
}

/** Whether the request carries a body at all (a length above 0, or chunked encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const n = declaredLength(req);
  if (n !== undefined) return n > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads a small body (a manifest) whole, refusing past `limit` bytes without reading the rest:
 * 413 `SIZE_INVALID`, as the spec words it for manifests.
 */
export async function readCapped(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new OciError('SIZE_INVALID', { status: 413, message: `body exceeds the limit of ${limit} bytes` });
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) throw tooLarge();
  // Listeners rather than `for await`: leaving an async iterator destroys the request, and with it
  // the socket the 413 must still be written to.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else {
        done();
        req.pause();
        reject(tooLarge());
      }
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * A pass-through that fails with `SIZE_INVALID` once more than `max` bytes flow: bounds a chunked
 * body whose `Content-Range` announced its length (Node already bounds a `Content-Length` body).
 */
export function limitStream(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > max)
        cb(new OciError('SIZE_INVALID', { message: `body exceeds the announced ${max} bytes` }));
      else cb(null, chunk);
    },
  });
}

/** Bytes of an unread body the server will still read and discard to keep the connection. */
const DRAIN_LIMIT = 64 * 1024;

/**
 * Before answering a request whose body was not (wholly) read: a small remainder is drained so the
 * connection stays usable; a large or unknown one closes the connection after the answer.
 */
export function settleUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete || req.destroyed) return;
  const declared = declaredLength(req);
  if (declared === undefined || Number.isNaN(declared) || declared > DRAIN_LIMIT) {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  }
  req.resume();
}

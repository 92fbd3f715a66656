/**
 * The registry's one entry point: every `/v2` request is authenticated by the backend first (even
 * `/v2/`, as ECR), then routed by the table, its `<name>` resolved to a repository in the
 * request's addressing style, and handled; whatever is thrown is answered once, in OCI's error
 * JSON, with the Basic challenge on a 401. The server mounts it for `/v2` and `/v2/...`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RegistryBackend } from '../services/ecr/registry.js';
import { OciError, toOciError, type OpFamily } from './errors.js';
import {
  API_VERSION_HEADER,
  settleUnreadBody,
  type RegistryLog,
  type RegistrySettings,
  type RequestContext,
} from './http.js';
import { isAnonymous, type Requester, type RequestInfo } from '../auth/caller.js';
import { anonymousRefused } from '../services/ecr/access.js';
import { PUBLIC_REGION } from '../services/ecr/public/partition.js';
import {
  hostRegistry,
  isPublicHost,
  publicName,
  regionHint,
  resolveName,
  type Address,
  type HostRegistry,
  type PublicName,
} from './names.js';
import { getPresignedBlob } from './blobs.js';
import { PRESIGN_SIGNATURE } from '../auth/presign.js';
import { matchRoute, type Route, type RouteMatch } from './routes.js';

/** What the registry needs from the composition root. */
export interface RegistryHandlerDeps {
  readonly backend: RegistryBackend;
  /** The region of path-style names without `.<region>` (the server's `--region`). */
  readonly defaultRegion: string;
  /** The domain of host-style names `<account>.dkr.ecr.<region>.<domain>`; default `localhost`. */
  readonly hostDomain?: string;
  /** Where unexpected errors are logged (pino's `Logger` fits); default stderr. */
  readonly log?: RegistryLog;
}

/** A request handler that never rejects: every outcome is an HTTP answer. */
export type RegistryHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Whether the server should hand a path to the registry: `/v2` and everything below it, and the
 * token endpoint of ECR Public's registry.
 */
export function isRegistryPath(path: string): boolean {
  return path === '/v2' || path.startsWith('/v2/') || isTokenPath(path);
}

const STDERR_LOG: RegistryLog = {
  error(obj, msg) {
    console.error(msg, obj);
  },
};

const SAFE_HOST = /^[A-Za-z0-9.\-:[\]]{1,300}$/;

/** The scheme and host the client reached this server at, for challenges. */
function origin(req: IncomingMessage): { scheme: string; host: string } {
  const scheme = (req.socket as Partial<TLSSocket>).encrypted === true ? 'https' : 'http';
  const host =
    req.headers.host !== undefined && SAFE_HOST.test(req.headers.host) ? req.headers.host : 'localhost';
  return { scheme, host };
}

/**
 * The challenge of a 401: ECR's Basic one, naming this server the way the client reached it, or
 * on ECR Public's registry the Bearer one of `public.ecr.aws`, whose realm is this server's
 * token endpoint.
 */
function challenge(req: IncomingMessage, kind: 'basic' | 'bearer'): string {
  const { scheme, host } = origin(req);
  if (kind === 'bearer')
    return `Bearer realm="${scheme}://${host}${TOKEN_PATH}",service="${host}",scope="aws"`;
  return `Basic realm="${scheme}://${host}/",service="ecr.amazonaws.com"`;
}

/** ECR Public's token endpoint (`https://public.ecr.aws/token/`). */
const TOKEN_PATH = '/token/';

/** Whether the server should hand a path to the registry's token endpoint. */
export function isTokenPath(path: string): boolean {
  return path === '/token' || path === TOKEN_PATH;
}

/** The route a request matched; a path no route knows is 404, a method it does not take 405. */
function routed(match: RouteMatch, method: string): Extract<RouteMatch, { kind: 'route' }> {
  if (match.kind === 'none') {
    throw new OciError('UNSUPPORTED', { status: 404, message: 'no registry endpoint at this path' });
  }
  if (match.kind === 'method') {
    throw new OciError('UNSUPPORTED', {
      message: `method ${method.slice(0, 16)} is not supported here`,
      headers: { Allow: match.allow.join(', ') },
    });
  }
  return match;
}

/** The registry requests an anonymous requester may make on ECR Public's registry: pulls. */
function anonymousMay(route: Route, method: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return route.op === 'manifest' || route.op === 'blob' || route.op === 'tags' || route.op === 'referrers';
}

function requestInfo(req: IncomingMessage, region: string): RequestInfo {
  const ip = req.socket.remoteAddress ?? '127.0.0.1';
  return {
    sourceIp: ip.startsWith('::ffff:') ? ip.slice(7) : ip,
    secure: (req.socket as Partial<TLSSocket>).encrypted === true,
    region,
  };
}

/** Builds the handler the server mounts for `/v2` and `/v2/...` (path-style and host-style hosts). */
export function createRegistryHandler(deps: RegistryHandlerDeps): RegistryHandler {
  const settings: RegistrySettings = {
    backend: deps.backend,
    defaultRegion: deps.defaultRegion,
    hostDomain: deps.hostDomain ?? 'localhost',
  };
  const log = deps.log ?? STDERR_LOG;
  const { backend } = deps;

  function fail(
    req: IncomingMessage,
    res: ServerResponse,
    err: unknown,
    op: OpFamily,
    path: string,
    kind: 'basic' | 'bearer' = 'basic',
  ): void {
    const e = toOciError(err, op);
    if (e.status >= 500)
      log.error({ err, method: req.method, path: path.slice(0, 300) }, 'registry internal error');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    settleUnreadBody(req, res);
    const body = Buffer.from(e.body());
    const headers: Record<string, string | number> = {
      ...e.headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': body.length,
    };
    if (e.status === 401) headers['WWW-Authenticate'] = challenge(req, kind);
    res.writeHead(e.status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** What a route's handler is given. */
  function contextOf(
    req: IncomingMessage,
    res: ServerResponse,
    caller: Requester,
    method: string,
    query: URLSearchParams,
    host: HostRegistry | undefined,
    params: Readonly<Record<string, string>>,
  ): RequestContext {
    return { req, res, caller, settings, backend, method, head: method === 'HEAD', query, host, params };
  }

  return async (req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const host = hostRegistry(req.headers.host, settings.hostDomain);
    const publicHost = isPublicHost(req.headers.host, settings.hostDomain);
    let kind: 'basic' | 'bearer' = publicHost ? 'bearer' : 'basic';
    if (isTokenPath(path)) {
      await serveToken(req, res, method, backend).catch((err: unknown) => fail(req, res, err, 'base', path));
      return;
    }
    const match = matchRoute(method, path);
    const op: OpFamily = match.kind === 'route' ? match.route.op : 'base';
    res.setHeader(API_VERSION_HEADER[0], API_VERSION_HEADER[1]);
    try {
      const name =
        match.kind === 'route' ? match.params.name : match.kind === 'method' ? match.name : undefined;
      if (
        match.kind === 'route' &&
        match.route.op === 'blob' &&
        method === 'GET' &&
        query.has(PRESIGN_SIGNATURE) &&
        req.headers.authorization === undefined
      ) {
        const address = resolveName(match.params.name!, host, settings.defaultRegion);
        const { params } = match;
        await getPresignedBlob({
          req,
          res,
          settings,
          backend,
          method,
          head: false,
          query,
          host,
          params,
          address,
        });
        return;
      }
      const pub = publicName(name, publicHost);
      if (pub !== undefined || publicHost) {
        kind = 'bearer';
        await handlePublic(req, res, { method, query, match, name, pub, publicHost });
        return;
      }
      const region = host?.region ?? regionHint(name, settings.defaultRegion);
      // A path-style request without a name (`/v2/`, `/v2/_catalog`) names no region.
      const regionKnown = host !== undefined || name !== undefined;
      const caller = await backend.authenticate(req.headers.authorization, requestInfo(req, region), {
        regionKnown,
      });
      const { route, params } = routed(match, method);
      const ctx = contextOf(req, res, caller, method, query, host, params);
      if (route.scope === 'registry') await route.handle(ctx);
      else await route.handle({ ...ctx, address: resolveName(params.name!, host, settings.defaultRegion) });
    } catch (err) {
      fail(req, res, err, op, path, kind);
    }
  };

  /**
   * A request to ECR Public's registry: anyone may pull — with a Bearer token of the token
   * endpoint on the public host, as on public.ecr.aws, or with no credentials at all on
   * path-style names; everything else needs the caller an `ecr-public` token stands for, and gets
   * the Bearer challenge without one.
   */
  async function handlePublic(
    req: IncomingMessage,
    res: ServerResponse,
    r: {
      method: string;
      query: URLSearchParams;
      match: RouteMatch;
      name: string | undefined;
      pub: PublicName | undefined;
      publicHost: boolean;
    },
  ): Promise<void> {
    const { method, match } = r;
    const caller = await backend.authenticatePublic(
      req.headers.authorization,
      requestInfo(req, PUBLIC_REGION),
    );
    const { route, params } = routed(match, method);
    // Anonymous: pulls only, and on the public host (as on public.ecr.aws) or on `/v2/` with a
    // token of /token/; path-style names share the private registry's Basic ping, so clients that
    // follow it come without one.
    if (isAnonymous(caller)) {
      const tokenNeeded = r.publicHost || route.op === 'base';
      const may = route.op === 'base' || anonymousMay(route, method);
      if (!may || (tokenNeeded && caller.bearer !== true)) throw anonymousRefused();
    }
    const ctx = contextOf(req, res, caller, method, r.query, undefined, params);
    if (route.scope === 'registry') {
      if (route.op !== 'base')
        throw new OciError('UNSUPPORTED', { status: 404, message: 'the public registry has no catalog' });
      await route.handle(ctx);
      return;
    }
    const pub = r.pub!;
    const accountId = await backend.publicRegistry(pub.alias);
    if (accountId === undefined) {
      throw new OciError('NAME_UNKNOWN', {
        message: `The repository with name '${pub.repository}' does not exist in the registry with id '${pub.alias}'`,
        detail: { name: r.name!.slice(0, 300) },
      });
    }
    const address: Address = {
      repo: { accountId, region: PUBLIC_REGION, name: pub.repository },
      base: `/v2/${r.name!}`,
      name: r.name!,
    };
    await route.handle({ ...ctx, address });
  }
}

/**
 * `GET /token/?service=…&scope=…` — the token endpoint of ECR Public's registry: a Bearer token
 * for whoever asks (anonymous, or the caller Basic `AWS:<ecr-public password>` names). Scopes are
 * not granted here: every request is decided when it is made, as every registry request is.
 */
async function serveToken(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  backend: RegistryBackend,
): Promise<void> {
  if (method !== 'GET') {
    throw new OciError('UNSUPPORTED', {
      message: `method ${method.slice(0, 16)} is not supported here`,
      headers: { Allow: 'GET' },
    });
  }
  const t = await backend.publicToken(req.headers.authorization, requestInfo(req, PUBLIC_REGION));
  settleUnreadBody(req, res);
  const body = Buffer.from(
    JSON.stringify({
      token: t.token,
      access_token: t.token,
      expires_in: t.expiresInSeconds,
      issued_at: t.issuedAt.toISOString(),
    }),
  );
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/**
 * The registry's one entry point: every `/v2` request is authenticated by the backend first (even
 * `/v2/`, as ECR), then routed by the table, its `<name>` resolved to a repository in the
 * request's addressing style, and handled; whatever is thrown is answered once, in OCI's error
 * JSON, with the Basic challenge on a 401. The server mounts it for `/v2` and `/v2/...`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RequestInfo } from '../auth/caller.js';
import type { RegistryBackend } from '../services/ecr/registry.js';
import { OciError, toOciError, type OpFamily } from './errors.js';
import { API_VERSION_HEADER, settleUnreadBody, type RegistryLog, type RegistrySettings } from './http.js';
import { hostRegistry, regionHint, resolveName } from './names.js';
import { getPresignedBlob } from './blobs.js';
import { PRESIGN_SIGNATURE } from '../auth/presign.js';
import { matchRoute } from './routes.js';

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

/** Whether the server should hand a path to the registry (`/v2` and everything below it). */
export function isRegistryPath(path: string): boolean {
  return path === '/v2' || path.startsWith('/v2/');
}

const STDERR_LOG: RegistryLog = {
  error(obj, msg) {
    console.error(msg, obj);
  },
};

const SAFE_HOST = /^[A-Za-z0-9.\-:[\]]{1,300}$/;

/** ECR's Basic challenge, naming this server the way the client reached it. */
function challenge(req: IncomingMessage): string {
  const scheme = (req.socket as Partial<TLSSocket>).encrypted === true ? 'https' : 'http';
  const host =
    req.headers.host !== undefined && SAFE_HOST.test(req.headers.host) ? req.headers.host : 'localhost';
  return `Basic realm="${scheme}://${host}/",service="ecr.amazonaws.com"`;
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

  function fail(req: IncomingMessage, res: ServerResponse, err: unknown, op: OpFamily, path: string): void {
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
    if (e.status === 401) headers['WWW-Authenticate'] = challenge(req);
    res.writeHead(e.status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  return async (req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const host = hostRegistry(req.headers.host, settings.hostDomain);
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
      const region = host?.region ?? regionHint(name, settings.defaultRegion);
      // A path-style request without a name (`/v2/`, `/v2/_catalog`) names no region.
      const regionKnown = host !== undefined || name !== undefined;
      const caller = await backend.authenticate(req.headers.authorization, requestInfo(req, region), {
        regionKnown,
      });
      if (match.kind === 'none') {
        throw new OciError('UNSUPPORTED', { status: 404, message: 'no registry endpoint at this path' });
      }
      if (match.kind === 'method') {
        throw new OciError('UNSUPPORTED', {
          message: `method ${method.slice(0, 16)} is not supported here`,
          headers: { Allow: match.allow.join(', ') },
        });
      }
      const { route, params } = match;
      const ctx = {
        req,
        res,
        caller,
        settings,
        backend,
        method,
        head: method === 'HEAD',
        query,
        host,
        params,
      };
      if (route.scope === 'registry') await route.handle(ctx);
      else await route.handle({ ...ctx, address: resolveName(params.name!, host, settings.defaultRegion) });
    } catch (err) {
      fail(req, res, err, op, path);
    }
  };
}

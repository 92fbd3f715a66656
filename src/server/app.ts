import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ApiAdapter } from '../api/adapter.js';
import { toWireError } from '../api/adapter.js';
import {
  decodeJsonOperation,
  encodeJsonError,
  encodeJsonResult,
  parseTarget,
  type JsonService,
} from '../api/protocol/awsJson.js';
import {
  decodeQueryOperation,
  encodeQueryError,
  encodeQueryResult,
  IAM_QUERY,
  STS_QUERY,
  type QueryService,
} from '../api/protocol/awsQuery.js';
import { AwsError } from '../api/protocol/errors.js';
import type { WireResponse } from '../api/protocol/wire.js';
import { principalOf, type Caller } from '../auth/caller.js';
import { resolveCredential, type ResolvedCredential } from '../auth/credentials.js';
import {
  parseAuthorization,
  parseCredential,
  SigningKeyCache,
  verifyRequest,
  wireError,
  type ProtocolFamily,
} from '../auth/sigv4/index.js';
import type { IdFactory } from '../services/ids.js';
import type { Clock } from '../services/runtime.js';
import type { MetadataStore } from '../store/meta/MetadataStore.js';
import type { SecretBox } from '../store/meta/secrets.js';
import { BodyTooLarge, readBody } from './body.js';
import { isRegistryPath } from '../registry/index.js';

/** An awsJson API mounted under its `X-Amz-Target` prefix. */
export interface JsonMount {
  readonly protocol: JsonService;
  /** The SigV4 service name requests must be signed for. */
  readonly signingName: string;
  readonly adapter: ApiAdapter;
}

/** The APIs one listener serves. */
export interface Apis {
  /** awsQuery APIs by SigV4 service name (`iam`, `sts`). */
  readonly query: Readonly<Partial<Record<'iam' | 'sts', ApiAdapter>>>;
  /** awsJson APIs by target prefix. */
  readonly json: ReadonlyMap<string, JsonMount>;
}

/** What the HTTP layer needs from the rest of the system. */
export interface AppDeps {
  readonly store: MetadataStore;
  readonly box: SecretBox;
  readonly clock: Clock;
  readonly ids: IdFactory;
  readonly log: Logger;
  readonly apis: Apis;
  /** Whether the listener speaks TLS (aws:SecureTransport). */
  readonly secure?: boolean;
  /** The OCI registry under `/v2/` (streams its own answers); 404 when absent. */
  readonly registry?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

const QUERY_BODY_LIMIT = 1 << 20;
const JSON_BODY_LIMIT = 32 << 20;
const QUERY_PROTOCOLS: Record<'iam' | 'sts', QueryService> = { iam: IAM_QUERY, sts: STS_QUERY };

/** The request handler of the one listener: routes each request to its protocol adapter. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Builds the request handler. Routing: `GET /healthz`; `X-Amz-Target` → an awsJson API by prefix
 * (ECR, Organizations, crossdock's extensions); any other POST (or GET with `Action=`) → awsQuery,
 * IAM or STS by the SigV4 credential scope's service. Every AWS request is verified with SigV4
 * before its body is decoded; failures answer in the protocol's own error shape.
 */
export function buildHandler(deps: AppDeps): Handler {
  const keyCache = new SigningKeyCache();
  const started = deps.clock.now();

  async function authenticate(
    req: IncomingMessage,
    path: string,
    query: string,
    bodySha256Hex: string,
    expectedService: string | readonly string[],
    family: ProtocolFamily,
    service: QueryService['name'] | JsonService['name'],
  ): Promise<{ caller: Caller; scopeService: string }> {
    const token = headerOrParam(req, query, 'x-amz-security-token');
    const result = await verifyRequest(
      { method: req.method ?? 'GET', path, query, headers: req.headersDistinct, bodySha256Hex },
      {
        now: deps.clock.now(),
        lookup: (id) => resolveCredential(deps.store, deps.box, id, token),
        expectedService,
        keyCache,
      },
    );
    if (!result.ok) {
      const { code, status } = wireError(result.error.kind, family);
      throw new AwsError(code, result.error.message, status);
    }
    const { account, identity } = result.credential.principal as ResolvedCredential;
    void service;
    const caller: Caller = {
      principal: principalOf(account, identity),
      account,
      accessKeyId: result.credential.accessKeyId,
      identity,
      request: { sourceIp: clientIp(req), secure: deps.secure ?? false, region: result.scope.region },
    };
    return { caller, scopeService: result.scope.service };
  }

  async function handleJson(
    req: IncomingMessage,
    path: string,
    query: string,
    target: string,
    requestId: string,
  ): Promise<WireResponse> {
    const parsed = parseTarget(target);
    const mount = parsed === undefined ? undefined : deps.apis.json.get(parsed.prefix);
    if (mount === undefined) {
      return encodeJsonError(
        { name: 'ecr', targetPrefix: '', messageKey: 'message' },
        new AwsError(
          'UnknownOperationException',
          `operation \`${target.slice(0, 128)}\` is not supported`,
          400,
        ),
        requestId,
      );
    }
    try {
      const body = await readBody(req, JSON_BODY_LIMIT);
      const { caller } = await authenticate(
        req,
        path,
        query,
        body.sha256Hex,
        mount.signingName,
        'awsJson',
        mount.protocol.name,
      );
      const op = decodeJsonOperation(mount.protocol, mount.adapter.operations, { target, body: body.bytes });
      const result = await mount.adapter.handle(op, { caller, requestId });
      logCall(caller, op.operation);
      return encodeJsonResult(result, requestId);
    } catch (err) {
      return encodeJsonError(mount.protocol, wire(mount.adapter.service, err, requestId), requestId);
    }
  }

  async function handleQuery(
    req: IncomingMessage,
    path: string,
    query: string,
    requestId: string,
  ): Promise<WireResponse> {
    // The scope's service tells IAM from STS; unsigned requests are answered in STS's shape.
    const scopeService = scopeServiceOf(req, query);
    const name: 'iam' | 'sts' = scopeService === 'iam' ? 'iam' : 'sts';
    const protocol = QUERY_PROTOCOLS[name];
    try {
      const body = await readBody(req, QUERY_BODY_LIMIT);
      const { caller } = await authenticate(
        req,
        path,
        query,
        body.sha256Hex,
        ['iam', 'sts'],
        'awsQuery',
        name,
      );
      const adapter = deps.apis.query[name];
      if (adapter === undefined) throw new AwsError('InvalidAction', `the ${name} API is not available`, 400);
      const op = decodeQueryOperation(protocol, adapter.operations, { body: body.bytes, query });
      const result = await adapter.handle(op, { caller, requestId });
      logCall(caller, op.operation);
      return encodeQueryResult(protocol, op.operation, result, requestId);
    } catch (err) {
      return encodeQueryError(protocol, wire(name, err, requestId), requestId);
    }
  }

  function wire(service: Parameters<typeof toWireError>[0], err: unknown, requestId: string): AwsError {
    if (err instanceof BodyTooLarge) {
      return new AwsError(
        service === 'ecr' || service === 'organizations' ? 'ValidationException' : 'ValidationError',
        err.message,
        400,
      );
    }
    const e = toWireError(service, err);
    if (e.status >= 500) deps.log.error({ err, requestId }, 'internal error');
    return e;
  }

  function logCall(caller: Caller, operation: string): void {
    deps.log.debug({ principal: caller.principal.arn, accessKeyId: caller.accessKeyId, operation }, 'call');
  }

  return (req, res) => {
    const began = process.hrtime.bigint();
    const requestId = deps.ids.requestId();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    const target = req.headers['x-amz-target'];

    /** One log line per request: id, method, path, status, duration. Never headers or bodies. */
    const logRequest = () => {
      const ms = Number(process.hrtime.bigint() - began) / 1e6;
      const entry = {
        requestId,
        method,
        path: path.slice(0, 200),
        status: res.statusCode,
        ms: Math.round(ms * 100) / 100,
      };
      deps.log.info(entry, 'request');
    };

    if (deps.registry !== undefined && isRegistryPath(path)) {
      void deps.registry(req, res).finally(logRequest);
      return;
    }
    let work: Promise<WireResponse>;
    if (path === '/healthz' && (method === 'GET' || method === 'HEAD')) {
      const body = JSON.stringify({
        status: 'ok',
        uptimeSeconds: Math.floor((deps.clock.now() - started) / 1000),
      });
      work = Promise.resolve({ status: 200, headers: { 'Content-Type': 'application/json' }, body });
    } else if (typeof target === 'string') {
      work = handleJson(req, path, query, target, requestId);
    } else if (path === '/' && (method === 'POST' || (method === 'GET' && /(^|&)Action=/.test(query)))) {
      work = handleQuery(req, path, query, requestId);
    } else {
      req.resume();
      work = Promise.resolve({
        status: 404,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ message: `no route for ${method} ${path.slice(0, 200)}` }),
      });
    }
    work
      .then((r) => send(res, r, method === 'HEAD'))
      .catch((err: unknown) => {
        deps.log.error({ err, requestId }, 'unhandled error');
        send(res, { status: 500, headers: { 'Content-Type': 'text/plain' }, body: 'internal error' }, false);
      })
      .finally(logRequest);
  };
}

function send(res: ServerResponse, r: WireResponse, head: boolean): void {
  if (res.headersSent) return;
  res.writeHead(r.status, { ...r.headers, 'Content-Length': Buffer.byteLength(r.body) });
  res.end(head ? undefined : r.body);
}

function headerOrParam(req: IncomingMessage, query: string, name: string): string | undefined {
  const h = req.headers[name];
  if (typeof h === 'string') return h;
  if (query === '') return undefined;
  const params = new URLSearchParams(query);
  for (const [k, v] of params) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** The SigV4 scope's service, from the Authorization header or a presigned URL's X-Amz-Credential. */
function scopeServiceOf(req: IncomingMessage, query: string): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const parsed = parseAuthorization(auth);
    return parsed.ok ? parsed.value.credential.service : undefined;
  }
  const cred = headerOrParam(req, query, 'x-amz-credential');
  if (cred === undefined) return undefined;
  const parsed = parseCredential(cred);
  return parsed.ok ? parsed.value.service : undefined;
}

function clientIp(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

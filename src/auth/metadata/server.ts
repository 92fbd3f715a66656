/**
 * The credential endpoints of EC2 and ECS, as a plain HTTP handler: what `crossdock
 * instance-profile` serves so that the AWS CLI and SDKs on a laptop behave as on an instance (or in
 * a task) with a role. Pure of crossdock's server: credentials come from an injected fetcher, time
 * from an injected clock, token randomness from an injected source, so tests drive it with fakes.
 *
 * EC2 (IMDSv2, tokens required, as `HttpTokens=required`):
 *   PUT  /latest/api/token                      X-aws-ec2-metadata-token-ttl-seconds: 1..21600 → token
 *   GET  /latest/meta-data/iam/security-credentials/        → the role name
 *   GET  /latest/meta-data/iam/security-credentials/<role>  → {"Code":"Success",…,"Expiration"}
 *   GET  /latest/meta-data/iam/info, /instance-id, /placement/region, /placement/availability-zone
 *   GET  /latest/dynamic/instance-identity/document
 *   every GET without a valid X-aws-ec2-metadata-token → 401
 * ECS (AWS_CONTAINER_CREDENTIALS_FULL_URI): GET on any path → {AccessKeyId, SecretAccessKey, Token,
 * Expiration, RoleArn}.
 *
 * Credentials rotate before they run out: when fewer than `refreshBeforeMs` (15 min) remain, the
 * next request (or a timer) fetches new ones; AWS's clients refresh about 5 minutes before
 * expiry, so they never see credentials that are about to lapse. A failed refresh keeps serving
 * the old credentials while they are valid.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A role session as an instance or task holds it. */
export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  readonly roleArn: string;
  readonly roleName: string;
  readonly accountId: string;
  /** The instance id (`i-…`) or task id the session is named after. */
  readonly sessionName: string;
  readonly region: string;
  readonly instanceProfileArn?: string;
  readonly instanceProfileId?: string;
}

/** What the metadata server is built from. */
export interface MetadataServerOptions {
  /** Gets a fresh role session (crossdock's IssueServiceRoleCredentials, or a fake in tests). */
  readonly fetchCredentials: () => Promise<RoleCredentials>;
  readonly clock: { now(): number };
  /** `ec2` serves IMDSv2; `ecs` serves the container credentials document on every path. */
  readonly mode?: 'ec2' | 'ecs';
  /** Refresh when less than this remains; default 15 minutes. */
  readonly refreshBeforeMs?: number;
  /** For ECS: the `Authorization` header value clients must send (AWS_CONTAINER_AUTHORIZATION_TOKEN). */
  readonly authorizationToken?: string;
  /** Random bytes for IMDSv2 tokens. */
  readonly random?: (n: number) => Buffer;
  /** Told when a background or on-demand refresh fails (the server keeps serving what it has). */
  readonly onRefreshError?: (err: unknown) => void;
}

/** A running (or ready to run) metadata endpoint. */
export interface MetadataServer {
  /** The node HTTP server, for callers that manage listening themselves. */
  readonly server: Server;
  /** The request handler behind `server`. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Fetches the first credentials; fails (and serves nothing) when the fetcher fails. */
  start(): Promise<RoleCredentials>;
  /** Listens on host:port (port 0 picks one) after {@link start}. */
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** The credentials to serve now, rotated when close to expiry. */
  current(): Promise<RoleCredentials>;
  /** Stops the refresh timer and the listener; open keep-alive connections are closed. */
  close(): Promise<void>;
}

/** IMDSv2's limits on token lifetimes, in seconds. */
const MIN_TOKEN_TTL_S = 1;
const MAX_TOKEN_TTL_S = 21_600;
const DEFAULT_REFRESH_BEFORE_MS = 15 * 60 * 1000;
/** Tokens kept at most; the oldest go first (a client asks for one per credential refresh). */
const MAX_TOKENS = 10_000;

function iso(d: Date | number): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain',
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** Builds the EC2/ECS credential endpoint; see the module comment for what it serves. */
export function createMetadataServer(opts: MetadataServerOptions): MetadataServer {
  const mode = opts.mode ?? 'ec2';
  const refreshBeforeMs = opts.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  const random = opts.random ?? randomBytes;
  const tokens = new Map<string, number>();
  let creds: RoleCredentials | undefined;
  let fetchedAt = 0;
  let inflight: Promise<RoleCredentials> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function schedule(): void {
    if (timer !== undefined) clearTimeout(timer);
    if (closed || creds === undefined) return;
    const due = creds.expiration.getTime() - refreshBeforeMs - opts.clock.now();
    // setTimeout caps at ~24.8 days; credentials never live that long.
    timer = setTimeout(
      () => void current().catch(() => undefined),
      Math.max(1000, Math.min(due, 2 ** 31 - 1)),
    );
    timer.unref();
  }

  function refresh(): Promise<RoleCredentials> {
    inflight ??= opts
      .fetchCredentials()
      .then((c) => {
        creds = c;
        fetchedAt = opts.clock.now();
        schedule();
        return c;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  async function current(): Promise<RoleCredentials> {
    const now = opts.clock.now();
    if (creds !== undefined && creds.expiration.getTime() - now > refreshBeforeMs) return creds;
    try {
      return await refresh();
    } catch (err) {
      opts.onRefreshError?.(err);
      if (creds !== undefined && creds.expiration.getTime() > now) return creds;
      if (creds !== undefined) schedule();
      throw err;
    }
  }

  function issueToken(req: IncomingMessage, res: ServerResponse): void {
    if (req.headers['x-forwarded-for'] !== undefined) return send(res, 403, 'Forbidden');
    const raw = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
    const ttl = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
    if (!(ttl >= MIN_TOKEN_TTL_S && ttl <= MAX_TOKEN_TTL_S)) return send(res, 400, 'Bad Request');
    const now = opts.clock.now();
    for (const [t, exp] of tokens) if (exp <= now) tokens.delete(t);
    while (tokens.size >= MAX_TOKENS) tokens.delete(tokens.keys().next().value!);
    const token = random(40).toString('base64url');
    tokens.set(token, now + ttl * 1000);
    send(res, 200, token, 'text/plain', { 'X-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
  }

  function validToken(req: IncomingMessage): boolean {
    const t = req.headers['x-aws-ec2-metadata-token'];
    if (typeof t !== 'string') return false;
    const exp = tokens.get(t);
    return exp !== undefined && exp > opts.clock.now();
  }

  function ec2Document(c: RoleCredentials, path: string): { status: number; body: string } | undefined {
    const az = `${c.region}a`;
    const profileArn = c.instanceProfileArn ?? `arn:aws:iam::${c.accountId}:instance-profile/${c.roleName}`;
    const credentialDocument = () =>
      JSON.stringify(
        {
          Code: 'Success',
          LastUpdated: iso(fetchedAt),
          Type: 'AWS-HMAC',
          AccessKeyId: c.accessKeyId,
          SecretAccessKey: c.secretAccessKey,
          Token: c.sessionToken,
          Expiration: iso(c.expiration),
        },
        null,
        2,
      );
    switch (path) {
      case '/latest':
      case '/latest/':
        return { status: 200, body: 'dynamic\nmeta-data' };
      case '/latest/meta-data':
      case '/latest/meta-data/':
        return { status: 200, body: 'iam/\ninstance-id\nplacement/' };
      case '/latest/meta-data/iam':
      case '/latest/meta-data/iam/':
        return { status: 200, body: 'info\nsecurity-credentials/' };
      case '/latest/meta-data/iam/info':
        return {
          status: 200,
          body: JSON.stringify(
            {
              Code: 'Success',
              LastUpdated: iso(fetchedAt),
              InstanceProfileArn: profileArn,
              InstanceProfileId:
                c.instanceProfileId ??
                `AIPA${c.sessionName
                  .replace(/[^0-9a-z]/gi, '')
                  .toUpperCase()
                  .slice(0, 17)}`,
            },
            null,
            2,
          ),
        };
      case '/latest/meta-data/iam/security-credentials':
      case '/latest/meta-data/iam/security-credentials/':
        return { status: 200, body: c.roleName };
      case `/latest/meta-data/iam/security-credentials/${c.roleName}`:
      case `/latest/meta-data/iam/security-credentials/${c.roleName}/`:
        return { status: 200, body: credentialDocument() };
      case '/latest/meta-data/instance-id':
        return { status: 200, body: c.sessionName };
      case '/latest/meta-data/placement':
      case '/latest/meta-data/placement/':
        return { status: 200, body: 'availability-zone\nregion' };
      case '/latest/meta-data/placement/region':
        return { status: 200, body: c.region };
      case '/latest/meta-data/placement/availability-zone':
        return { status: 200, body: az };
      case '/latest/dynamic':
      case '/latest/dynamic/':
        return { status: 200, body: 'instance-identity/' };
      case '/latest/dynamic/instance-identity':
      case '/latest/dynamic/instance-identity/':
        return { status: 200, body: 'document' };
      case '/latest/dynamic/instance-identity/document':
        return {
          status: 200,
          body: JSON.stringify(
            {
              accountId: c.accountId,
              architecture: 'x86_64',
              availabilityZone: az,
              imageId: 'ami-00000000000000000',
              instanceId: c.sessionName,
              instanceType: 't3.micro',
              pendingTime: iso(fetchedAt),
              privateIp: '127.0.0.1',
              region: c.region,
              version: '2017-09-30',
            },
            null,
            2,
          ),
        };
      default:
        return undefined;
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    if (mode === 'ecs') {
      if (method !== 'GET') return send(res, 405, 'Method Not Allowed', 'text/plain', { Allow: 'GET' });
      if (opts.authorizationToken !== undefined && req.headers.authorization !== opts.authorizationToken) {
        return send(
          res,
          401,
          JSON.stringify({ code: 'Unauthorized', message: 'invalid authorization token' }),
          'application/json',
        );
      }
      const c = await current();
      const body = JSON.stringify({
        AccessKeyId: c.accessKeyId,
        SecretAccessKey: c.secretAccessKey,
        Token: c.sessionToken,
        Expiration: iso(c.expiration),
        RoleArn: c.roleArn,
      });
      return send(res, 200, body, 'application/json');
    }
    if (path === '/latest/api/token') {
      if (method !== 'PUT') return send(res, 405, 'Method Not Allowed', 'text/plain', { Allow: 'PUT' });
      return issueToken(req, res);
    }
    if (method !== 'GET' && method !== 'HEAD')
      return send(res, 405, 'Method Not Allowed', 'text/plain', { Allow: 'GET' });
    if (!validToken(req)) return send(res, 401, 'Unauthorized');
    const doc = ec2Document(await current(), path);
    if (doc === undefined) return send(res, 404, 'Not Found');
    send(res, doc.status, method === 'HEAD' ? '' : doc.body);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    // The body of a token PUT is empty; drain whatever a client sends.
    req.resume();
    serve(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  }

  const server = createServer(handle);

  return {
    server,
    handle,
    current,
    async start() {
      return refresh();
    },
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

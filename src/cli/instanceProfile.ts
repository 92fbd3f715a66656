/**
 * `crossdock instance-profile --endpoint URL (--role-arn ARN | --instance-profile-name NAME)
 *  --port P [--host 127.0.0.1] [--ecs]`
 *
 * Serves a role's credentials the way an EC2 instance (IMDSv2) or an ECS task (container
 * credentials) gets them, so that the AWS CLI and SDKs pointed at it with
 * `AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:P/` (or `AWS_CONTAINER_CREDENTIALS_FULL_URI`)
 * behave as on AWS with no other credentials. Like launching an instance, the command is
 * authenticated by the standard AWS credential chain and asks crossdock
 * (`CrossdockV20261101.IssueServiceRoleCredentials`, SigV4 for service `crossdock`) for the role's
 * session; crossdock checks `iam:PassRole` and the role's trust for the service. A refusal prints
 * AWS's error and exits non-zero before anything listens.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { createMetadataServer, type MetadataServer, type RoleCredentials } from '../auth/metadata/server.js';

/** The extension's awsJson target and the SigV4 service name it is signed for. */
export const ISSUE_TARGET = 'CrossdockV20261101.IssueServiceRoleCredentials';
const SIGNING_SERVICE = 'crossdock';

const USAGE =
  'usage: crossdock instance-profile --endpoint URL (--role-arn ARN | --instance-profile-name NAME) --port P [--host 127.0.0.1] [--ecs]';

/** The command line, parsed. */
export interface InstanceProfileOptions {
  readonly endpoint: string;
  readonly roleArn?: string;
  readonly instanceProfileName?: string;
  readonly port: number;
  readonly host: string;
  /** Serve ECS container credentials instead of IMDSv2. */
  readonly ecs: boolean;
}

/** A mistake on the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An AWS error answered by the endpoint, printed as the AWS CLI prints it. */
export class RemoteError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`An error occurred (${code}) when calling the IssueServiceRoleCredentials operation: ${message}`);
    this.name = 'RemoteError';
  }
}

/** Parses the arguments after `instance-profile`; throws {@link UsageError}. */
export function parseInstanceProfileArgs(args: readonly string[]): InstanceProfileOptions {
  const values = new Map<string, string>();
  let ecs = false;
  const valued = new Set(['--endpoint', '--role-arn', '--instance-profile-name', '--port', '--host']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const [name, inline] =
      a.startsWith('--') && eq !== -1 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (name === '--ecs') {
      ecs = true;
    } else if (valued.has(name)) {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UsageError(`\`${name}\` needs a value`);
      values.set(name, v);
    } else {
      throw new UsageError(`unknown argument \`${a}\``);
    }
  }
  const endpoint = values.get('--endpoint');
  if (endpoint === undefined) throw new UsageError('`--endpoint` is required');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`\`${endpoint}\` is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError('`--endpoint` must be an http(s) URL');
  const roleArn = values.get('--role-arn');
  const instanceProfileName = values.get('--instance-profile-name');
  if (roleArn === undefined && instanceProfileName === undefined) {
    throw new UsageError('one of `--role-arn` and `--instance-profile-name` is required');
  }
  const portText = values.get('--port');
  if (portText === undefined) throw new UsageError('`--port` is required');
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65_535)) throw new UsageError(`\`${portText}\` is not a port`);
  return {
    endpoint,
    ...(roleArn !== undefined && { roleArn }),
    ...(instanceProfileName !== undefined && { instanceProfileName }),
    port,
    host: values.get('--host') ?? '127.0.0.1',
    ecs,
  };
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 (or HMAC-SHA256 given a key) in the shape `@smithy/signature-v4` expects. */
class Sha256 {
  #hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${url.origin} within 30 seconds`)));
    req.on('error', reject);
    req.end(body);
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new Error(`the endpoint's answer lacks \`${k}\``);
  return v;
}

/** What the extension is asked for. */
export interface IssueRequest {
  readonly roleArn?: string;
  readonly instanceProfileName?: string;
  readonly service: 'ec2.amazonaws.com' | 'ecs-tasks.amazonaws.com';
  readonly sessionName?: string;
}

/**
 * Calls `IssueServiceRoleCredentials` on a crossdock endpoint, signed with SigV4 for service
 * `crossdock`; throws {@link RemoteError} with AWS's code and message when refused.
 */
export async function requestServiceRoleCredentials(opts: {
  readonly endpoint: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  readonly region: string;
  readonly request: IssueRequest;
}): Promise<RoleCredentials> {
  const url = new URL(opts.endpoint);
  const path = url.pathname === '' ? '/' : url.pathname;
  const body = JSON.stringify({
    Service: opts.request.service,
    ...(opts.request.roleArn !== undefined && { RoleArn: opts.request.roleArn }),
    ...(opts.request.instanceProfileName !== undefined && {
      InstanceProfileName: opts.request.instanceProfileName,
    }),
    ...(opts.request.sessionName !== undefined && { SessionName: opts.request.sessionName }),
  });
  const signer = new SignatureV4({
    credentials: opts.credentials,
    region: opts.region,
    service: SIGNING_SERVICE,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port !== '' && { port: Number(url.port) }),
    path,
    query: {},
    headers: {
      host: url.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': ISSUE_TARGET,
    },
    body,
  });
  const res = await post(
    new URL(path, url),
    { ...signed.headers, 'content-length': String(Buffer.byteLength(body)) },
    body,
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    throw new RemoteError(
      res.status >= 500 ? 'InternalFailure' : 'UnknownError',
      `HTTP ${res.status} from ${url.origin}`,
      res.status,
    );
  }
  if (res.status !== 200 || !isRecord(parsed)) {
    const o = isRecord(parsed) ? parsed : {};
    const code = typeof o.__type === 'string' ? o.__type.replace(/^.*#/, '') : `HTTP ${res.status}`;
    const message =
      typeof o.Message === 'string'
        ? o.Message
        : typeof o.message === 'string'
          ? o.message
          : res.body.slice(0, 500);
    throw new RemoteError(code, message, res.status);
  }
  const c = parsed.Credentials;
  if (!isRecord(c) || typeof c.Expiration !== 'number')
    throw new Error("the endpoint's answer lacks `Credentials`");
  return {
    accessKeyId: str(c, 'AccessKeyId'),
    secretAccessKey: str(c, 'SecretAccessKey'),
    sessionToken: str(c, 'SessionToken'),
    expiration: new Date(c.Expiration * 1000),
    roleArn: str(parsed, 'RoleArn'),
    roleName: str(parsed, 'RoleName'),
    accountId: str(parsed, 'AccountId'),
    sessionName: str(parsed, 'SessionName'),
    region: str(parsed, 'Region'),
    ...(typeof parsed.InstanceProfileArn === 'string' && { instanceProfileArn: parsed.InstanceProfileArn }),
    ...(typeof parsed.InstanceProfileId === 'string' && { instanceProfileId: parsed.InstanceProfileId }),
  };
}

/** A running instance-profile endpoint. */
export interface RunningInstanceProfile {
  readonly server: MetadataServer;
  /** `http://HOST:PORT/`, with the port actually bound. */
  readonly url: string;
  /** The variable a client sets, e.g. `AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:P/`. */
  readonly env: string;
  readonly first: RoleCredentials;
}

/**
 * Fetches the role's first session and, only if that succeeded, listens; later sessions keep the
 * same instance (or task) id, as one instance's credentials do.
 */
export async function startInstanceProfile(
  options: InstanceProfileOptions,
  deps: {
    readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
    readonly region: string;
    readonly clock?: { now(): number };
    readonly onRefreshError?: (err: unknown) => void;
  },
): Promise<RunningInstanceProfile> {
  let sessionName: string | undefined;
  const service = options.ecs ? 'ecs-tasks.amazonaws.com' : 'ec2.amazonaws.com';
  const server = createMetadataServer({
    mode: options.ecs ? 'ecs' : 'ec2',
    clock: deps.clock ?? { now: () => Date.now() },
    ...(deps.onRefreshError !== undefined && { onRefreshError: deps.onRefreshError }),
    fetchCredentials: async () => {
      const c = await requestServiceRoleCredentials({
        endpoint: options.endpoint,
        credentials: deps.credentials,
        region: deps.region,
        request: {
          service,
          ...(options.roleArn !== undefined && { roleArn: options.roleArn }),
          ...(options.instanceProfileName !== undefined && {
            instanceProfileName: options.instanceProfileName,
          }),
          ...(sessionName !== undefined && { sessionName }),
        },
      });
      sessionName = c.sessionName;
      return c;
    },
  });
  const first = await server.start();
  const address = await server.listen(options.port, options.host);
  const host =
    address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/`;
  const env = options.ecs
    ? `AWS_CONTAINER_CREDENTIALS_FULL_URI=${url}`
    : `AWS_EC2_METADATA_SERVICE_ENDPOINT=${url}`;
  return { server, url, env, first };
}

/** The region the command signs for: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1. */
function regionFromEnv(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/**
 * The `crossdock instance-profile` command: serves until SIGINT or SIGTERM, then closes and
 * returns 0; returns 1 (having printed AWS's error) when the role cannot be had, 2 on bad usage.
 */
export async function instanceProfileCommand(args: string[]): Promise<number> {
  let options: InstanceProfileOptions;
  try {
    options = parseInstanceProfileArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`crossdock instance-profile: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  let running: RunningInstanceProfile;
  try {
    running = await startInstanceProfile(options, {
      credentials: defaultProvider(),
      region: regionFromEnv(),
      onRefreshError: (err) =>
        process.stderr.write(
          `crossdock instance-profile: refreshing credentials failed: ${err instanceof Error ? err.message : String(err)}\n`,
        ),
    });
  } catch (e) {
    process.stderr.write(
      `${e instanceof RemoteError ? e.message : `crossdock instance-profile: ${e instanceof Error ? e.message : String(e)}`}\n`,
    );
    return 1;
  }
  const what = options.ecs ? 'ECS task' : 'EC2 instance';
  process.stdout.write(
    `crossdock: serving ${what} credentials of ${running.first.roleArn} (session ${running.first.sessionName}) on ${running.url} - set ${running.env}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.server.close();
  return 0;
}

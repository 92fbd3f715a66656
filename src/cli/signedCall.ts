import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 / HMAC-SHA-256 from node:crypto in the shape @smithy/signature-v4 expects. */
export class NodeSha256 {
  private h: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.h = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    this.h = this.fresh();
  }
}

/** The region the standard AWS configuration names, as the AWS CLI picks it. */
export function configuredRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/** An AWS-shaped error answer from the server. */
export class CallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Calls one awsJson1_1 operation, SigV4-signed with the standard AWS credential chain (env,
 * profiles, SSO, IMDS...). Used for crossdock's extension operations, which no AWS SDK client knows.
 */
export async function callJson(
  endpoint: string,
  opts: {
    target: string;
    signingName: string;
    body: unknown;
    region?: string;
    /** Explicit credentials; the standard chain when absent. */
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  },
): Promise<Record<string, unknown>> {
  const url = new URL(endpoint);
  const credentials = opts.credentials ?? (await defaultProvider()());
  const signer = new SignatureV4({
    credentials,
    region: opts.region ?? configuredRegion(),
    service: opts.signingName,
    sha256: NodeSha256,
  });
  const body = JSON.stringify(opts.body);
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port !== '' && { port: Number(url.port) }),
    path: '/',
    headers: {
      host: url.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': opts.target,
    },
    body,
  });
  const res = await fetch(new URL('/', url), {
    method: 'POST',
    headers: signed.headers as Record<string, string>,
    body,
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    throw new CallError(
      'InvalidResponse',
      `unexpected answer from ${endpoint}: HTTP ${res.status}`,
      res.status,
    );
  }
  if (!res.ok) {
    const type = String(parsed.__type ?? res.headers.get('x-amzn-errortype') ?? 'UnknownError').split(
      ':',
    )[0]!;
    const message = String(parsed.Message ?? parsed.message ?? `HTTP ${res.status}`);
    throw new CallError(type.split('#').pop()!, message, res.status);
  }
  return parsed;
}

// Helpers for black-box ECR and registry tests against a started crossdock: an SDK client per
// identity, registry login from GetAuthorizationToken, raw /v2 requests that never throw, small
// images (random layers, a config, a manifest) and pushes through either door.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import {
  CompleteLayerUploadCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
  type ECRServiceException,
} from '@aws-sdk/client-ecr';
import type { AccountCredentials } from './server.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** `sha256:<hex>` of some bytes. */
export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** An SDK client for an identity, never retrying (so each assertion sees one answer). */
export function ecrClient(
  endpoint: string,
  creds: AccountCredentials | { accessKeyId: string; secretAccessKey: string },
  region = 'us-east-1',
): ECRClient {
  const credentials =
    'AccessKeyId' in creds
      ? { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey }
      : creds;
  return new ECRClient({ endpoint, region, credentials, maxAttempts: 1 });
}

/** The exception a call fails with; fails the test when the call succeeds. */
export async function awsError(p: Promise<unknown>): Promise<ECRServiceException> {
  try {
    await p;
  } catch (e) {
    return e as ECRServiceException;
  }
  assert.fail('expected the call to fail');
}

/** Asserts an ECR exception's name, message (exact or pattern) and that it is a 400 client fault. */
export async function assertAwsError(
  p: Promise<unknown>,
  name: string,
  message?: string | RegExp,
): Promise<ECRServiceException> {
  const e = await awsError(p);
  assert.equal(e.name, name, `${e.name}: ${e.message}`);
  assert.equal(e.$metadata.httpStatusCode, 400, `${name} is answered with HTTP 400`);
  assert.equal(e.$fault, 'client');
  if (typeof message === 'string') assert.equal(e.message, message);
  else if (message !== undefined) assert.match(e.message, message);
  return e;
}

/** The registry login of an SDK identity: the `Authorization` header and the decoded password. */
export async function registryLogin(
  ecr: ECRClient,
): Promise<{ header: string; password: string; token: string }> {
  const out = await ecr.send(new GetAuthorizationTokenCommand({}));
  const token = out.authorizationData![0]!.authorizationToken!;
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  assert.ok(decoded.startsWith('AWS:'));
  return { header: `Basic ${token}`, password: decoded.slice(4), token };
}

/** A raw registry answer. */
export interface V2Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The OCI error codes of a JSON error body, `[]` otherwise. */
  readonly codes: string[];
  /** The first error message, if any. */
  readonly message: string | undefined;
}

/**
 * One HTTP request to the server with `node:http` (so the path is sent exactly as written, `..`
 * included, and any header can be set), resolving with whatever it answers, or with status 0 when
 * the server closed the connection without an answer.
 */
export function v2(
  endpoint: string,
  method: string,
  path: string,
  opts: { auth?: string; headers?: Record<string, string | number>; body?: Buffer | string } = {},
): Promise<V2Response> {
  const url = new URL(endpoint);
  const headers: Record<string, string | number> = { ...opts.headers };
  if (opts.auth !== undefined) headers.Authorization = opts.auth;
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  if (body !== undefined && headers['Content-Length'] === undefined) headers['Content-Length'] = body.length;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          let codes: string[] = [];
          let message: string | undefined;
          if (String(res.headers['content-type'] ?? '').startsWith('application/json')) {
            try {
              const j = JSON.parse(b.toString('utf8')) as { errors?: { code: string; message: string }[] };
              codes = (j.errors ?? []).map((e) => e.code);
              message = j.errors?.[0]?.message;
            } catch {
              // not an error body
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, codes, message });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE')
        resolve({ status: 0, headers: {}, body: Buffer.alloc(0), codes: [], message: undefined });
      else reject(err);
    });
    req.end(body);
  });
}

/** A small image: random layers, its config and an OCI (or Docker) manifest naming them. */
export interface TestImage {
  readonly layers: Buffer[];
  readonly config: Buffer;
  readonly manifest: string;
  readonly digest: string;
  readonly mediaType: string;
  /** Sum of manifest, config and layer sizes. */
  readonly size: number;
}

/** Builds an image of `layerSizes` random layers. */
export function makeImage(layerSizes: number[] = [1024], mediaType = OCI_MANIFEST): TestImage {
  const layers = layerSizes.map((n) => randomBytes(n));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map(sha256) },
      nonce: randomBytes(8).toString('hex'),
    }),
  );
  const docker = mediaType === DOCKER_MANIFEST;
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : OCI_CONFIG,
      digest: sha256(config),
      size: config.length,
    },
    layers: layers.map((l) => ({
      mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : OCI_LAYER,
      digest: sha256(l),
      size: l.length,
    })),
  });
  const size = Buffer.byteLength(manifest) + config.length + layers.reduce((n, l) => n + l.length, 0);
  return { layers, config, manifest, digest: sha256(manifest), mediaType, size };
}

/** Uploads a blob through the ECR API in parts of `partSize` bytes (AWS's 5 MiB minimum); returns its digest. */
export async function pushBlobApi(
  ecr: ECRClient,
  repositoryName: string,
  bytes: Buffer,
  partSize = 5 << 20,
  registryId?: string,
): Promise<string> {
  const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName, registryId }));
  for (let first = 0; first < bytes.length; first += partSize) {
    const part = bytes.subarray(first, Math.min(bytes.length, first + partSize));
    await ecr.send(
      new UploadLayerPartCommand({
        repositoryName,
        registryId,
        uploadId,
        partFirstByte: first,
        partLastByte: first + part.length - 1,
        layerPartBlob: part,
      }),
    );
  }
  const done = await ecr.send(
    new CompleteLayerUploadCommand({ repositoryName, registryId, uploadId, layerDigests: [sha256(bytes)] }),
  );
  return done.layerDigest!;
}

/** Uploads a blob through the registry (POST then PUT ?digest=); asserts 201. */
export async function pushBlobV2(
  endpoint: string,
  auth: string,
  name: string,
  bytes: Buffer,
): Promise<string> {
  const start = await v2(endpoint, 'POST', `/v2/${name}/blobs/uploads/`, { auth });
  assert.equal(start.status, 202, start.body.toString());
  const location = String(start.headers.location);
  const digest = sha256(bytes);
  const sep = location.includes('?') ? '&' : '?';
  const put = await v2(endpoint, 'PUT', `${location}${sep}digest=${digest}`, {
    auth,
    headers: { 'Content-Type': 'application/octet-stream' },
    body: bytes,
  });
  assert.equal(put.status, 201, put.body.toString());
  return digest;
}
